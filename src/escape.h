/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

/* Everything that reaches a terminal, a log or a JSON reader from outside (device data from
 * sysfs, records, file names) goes through here, so that no byte of it can move the cursor,
 * retitle the terminal, forge a line or break a parser.
 *
 * Human output (C-style, as "ls -b" and systemd-escape): printable UTF-8 passes; '\\' becomes
 * "\\\\"; BEL BS TAB LF VT FF CR become \a \b \t \n \v \f \r; every other control byte (C0,
 * DEL), every C1 control (U+0080-U+009F, which some terminals obey) and every byte that is not
 * part of valid UTF-8 becomes \xHH, one per byte. */
char *cescape(const char *s);           /* NULL when @s is NULL or memory is short */
void fputs_cescaped(const char *s, FILE *f);
/* Into @buf of @size > 0 bytes, cut at a character boundary when it does not fit. */
char *cescape_buf(const char *s, char *buf, size_t size);
/* For whole messages (logs, FILE:LINE diagnostics) rather than values: the same, but a '\\'
 * passes, since a message may hold a value its producer already escaped (the udev rule
 * compiler's "\x0a"); nothing of it can reach the terminal as a control byte either way. */
void fputs_cescaped_text(const char *s, FILE *f);
char *cescape_text_buf(const char *s, char *buf, size_t size);

/* A JSON string literal, quotes included; NULL prints null. Always valid JSON and valid UTF-8:
 * '"' '\\' and control characters (C0, DEL, C1) as \uXXXX (\n \t \r \b \f short), and each byte
 * that is not part of valid UTF-8 as \ufffd (U+FFFD, the replacement character). */
void json_print_string(FILE *f, const char *s);

/* The length of the valid UTF-8 character at @s (1-4) and its code point, or 0 when the bytes
 * there are not one (overlong, surrogate, beyond U+10FFFF, truncated). @s is NUL-terminated. */
size_t utf8_decode(const char *s, unsigned *ret_cp);
