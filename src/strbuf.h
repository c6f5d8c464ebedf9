/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* A growing string, for the files we format whole before writing them (CDI specs, metrics).
 * Not a memstream: the daemon formats these over and over, and memstreams under umockdev's
 * preload confused ASan's FILE bookkeeping (see state.c). An allocation failure is sticky:
 * strbuf_take() then returns NULL. */
typedef struct StrBuf {
        char *s;
        size_t len, size;
        bool oom;
} StrBuf;

_printf_(2, 3) void strbuf_printf(StrBuf *b, const char *fmt, ...);
void strbuf_puts(StrBuf *b, const char *s);
/* A JSON string literal, quotes included; NULL gives null. */
void strbuf_json_string(StrBuf *b, const char *s);
/* The text (NUL-terminated, never NULL on success; "" when empty), owned by the caller. */
char *strbuf_take(StrBuf *b);
void strbuf_done(StrBuf *b);
