/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "strbuf.h"

static bool strbuf_reserve(StrBuf *b, size_t extra) {
        size_t want;
        char *n;

        if (b->oom)
                return false;
        if (b->len + extra + 1 <= b->size)
                return true;
        want = (b->len + extra + 1) * 2;
        n = realloc(b->s, want < 256 ? 256 : want);
        if (!n) {
                b->oom = true;
                return false;
        }
        b->s = n;
        b->size = want < 256 ? 256 : want;
        return true;
}

void strbuf_printf(StrBuf *b, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || !strbuf_reserve(b, (size_t) n))
                return;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->size - b->len, fmt, ap);
        va_end(ap);
        b->len += (size_t) n;
}

void strbuf_puts(StrBuf *b, const char *s) {
        size_t n = strlen(s);

        if (!strbuf_reserve(b, n))
                return;
        memcpy(b->s + b->len, s, n + 1);
        b->len += n;
}

void strbuf_json_string(StrBuf *b, const char *s) {
        if (!s) {
                strbuf_puts(b, "null");
                return;
        }
        strbuf_puts(b, "\"");
        while (*s) {
                /* The plain run at once: a spec of 10,000 devices is 500 kB of it. */
                size_t plain = 0;
                unsigned char c;

                while (s[plain] && s[plain] != '"' && s[plain] != '\\' && (unsigned char) s[plain] >= 0x20 &&
                       (unsigned char) s[plain] != 0x7f)
                        plain++;
                if (plain > 0 && strbuf_reserve(b, plain)) {
                        memcpy(b->s + b->len, s, plain);
                        b->len += plain;
                        b->s[b->len] = '\0';
                }
                s += plain;
                if (!*s)
                        break;
                c = (unsigned char) *s++;
                if (c == '"' || c == '\\')
                        strbuf_printf(b, "\\%c", c);
                else if (c == '\n')
                        strbuf_puts(b, "\\n");
                else
                        strbuf_printf(b, "\\u%04x", c);
        }
        strbuf_puts(b, "\"");
}

char *strbuf_take(StrBuf *b) {
        char *s;

        if (!strbuf_reserve(b, 0)) {
                strbuf_done(b);
                return NULL;
        }
        if (b->len == 0)
                b->s[0] = '\0';
        s = b->s;
        *b = (StrBuf) {};
        return s;
}

void strbuf_done(StrBuf *b) {
        free(b->s);
        *b = (StrBuf) {};
}
