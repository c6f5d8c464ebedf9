/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

size_t utf8_decode(const char *str, unsigned *ret_cp) {
        const unsigned char *s = (const unsigned char *) str;
        unsigned cp, min;
        size_t n;

        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0)
                n = 2, cp = s[0] & 0x1f, min = 0x80;
        else if ((s[0] & 0xf0) == 0xe0)
                n = 3, cp = s[0] & 0x0f, min = 0x800;
        else if ((s[0] & 0xf8) == 0xf0)
                n = 4, cp = s[0] & 0x07, min = 0x10000;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return n;
}

static bool is_control(unsigned cp) {
        return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* The escape for the character of @len bytes at @s (code point @cp, or @len 0 for an invalid
 * byte) into @out, or NULL when it passes as it is. */
static const char *escape_one(const char *s, size_t len, unsigned cp, bool keep_backslash, char out[static 17]) {
        static const char c_escapes[128] = {
                ['\a'] = 'a', ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n',
                ['\v'] = 'v', ['\f'] = 'f', ['\r'] = 'r', ['\\'] = '\\',
        };

        if (keep_backslash && cp == '\\')
                return NULL;
        if (len == 1 && cp < 128 && c_escapes[cp]) {
                out[0] = '\\';
                out[1] = c_escapes[cp];
                out[2] = '\0';
                return out;
        }
        if (len > 0 && !is_control(cp))
                return NULL;
        /* One \xHH per byte: an invalid byte, or the bytes of a control character. */
        out[0] = '\0';
        for (size_t i = 0; i < (len ?: 1); i++)
                snprintf(out + 4 * i, 5, "\\x%02x", (unsigned char) s[i]);
        return out;
}

/* Calls @put for every piece of the escaped @s; stops when it returns false. */
static void cescape_walk(const char *s, bool keep_backslash, bool (*put)(const char *p, size_t n, void *userdata),
                         void *userdata) {
        while (*s) {
                char out[17];
                unsigned cp = 0;
                size_t len = utf8_decode(s, &cp);
                const char *e = escape_one(s, len, cp, keep_backslash, out);

                if (!(e ? put(e, strlen(e), userdata) : put(s, len, userdata)))
                        return;
                s += len ?: 1;
        }
}

typedef struct Sink {
        char *buf;
        size_t size, n;
        bool full;
} Sink;

static bool put_sink(const char *p, size_t n, void *userdata) {
        Sink *k = userdata;

        if (k->n + n + 1 > k->size) {
                k->full = true;
                return false;
        }
        memcpy(k->buf + k->n, p, n);
        k->n += n;
        return true;
}

static char *escape_buf(const char *s, bool keep_backslash, char *buf, size_t size) {
        Sink k = { buf, size, 0, false };

        cescape_walk(s ?: "", keep_backslash, put_sink, &k);
        buf[k.n] = '\0';
        return buf;
}

char *cescape_buf(const char *s, char *buf, size_t size) {
        return escape_buf(s, false, buf, size);
}

char *cescape_text_buf(const char *s, char *buf, size_t size) {
        return escape_buf(s, true, buf, size);
}

char *cescape(const char *s) {
        /* At most 4 bytes out per byte in. */
        size_t size;
        char *buf;

        if (!s)
                return NULL;
        size = strlen(s) * 4 + 1;
        buf = malloc(size);
        return buf ? cescape_buf(s, buf, size) : NULL;
}

static bool put_file(const char *p, size_t n, void *userdata) {
        fwrite(p, 1, n, userdata);
        return true;
}

void fputs_cescaped(const char *s, FILE *f) {
        cescape_walk(s ?: "", false, put_file, f);
}

void fputs_cescaped_text(const char *s, FILE *f) {
        cescape_walk(s ?: "", true, put_file, f);
}

void json_print_string(FILE *f, const char *s) {
        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        while (*s) {
                unsigned cp = 0;
                size_t len = utf8_decode(s, &cp);

                if (len == 0)
                        fputs("\\ufffd", f);
                else if (cp == '"' || cp == '\\')
                        fprintf(f, "\\%c", (char) cp);
                else if (cp == '\n')
                        fputs("\\n", f);
                else if (cp == '\t')
                        fputs("\\t", f);
                else if (cp == '\r')
                        fputs("\\r", f);
                else if (is_control(cp))
                        fprintf(f, "\\u%04x", cp);
                else
                        fwrite(s, 1, len, f);
                s += len ?: 1;
        }
        fputc('"', f);
}
