/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-gen.h"

typedef struct Buf {
        char *s;
        size_t n, allocated;
} Buf;

static void put(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Buf *b, const char *fmt, ...) {
        va_list ap;
        int n;

        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(b->s + b->n, b->allocated - b->n, fmt, ap);
                va_end(ap);
                if (n >= 0 && (size_t) n < b->allocated - b->n)
                        break;
                b->allocated = b->allocated * 2 + (size_t) n + 64;
                b->s = realloc(b->s, b->allocated);
                if (!b->s)
                        abort();
        }
        b->n += (size_t) n;
}

/* xorshift64*: the same corpus on every machine. */
static uint64_t next(uint64_t *state) {
        uint64_t x = *state;

        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        return x * 0x2545f4914f6cdd1dULL;
}

static unsigned pick(uint64_t *st, unsigned n) {
        return (unsigned) (next(st) % n);
}

/* One value of key @k: exact, or a glob over the same family of values. */
static void put_value(Buf *b, uint64_t *st, int k, size_t pool, unsigned glob_permille) {
        unsigned v = pick(st, (unsigned) pool);
        bool glob = pick(st, 1000) < glob_permille;
        char s[64];

        if (k == 0)
                snprintf(s, sizeof s, "dev%u.x", v);
        else if (k == 1)
                snprintf(s, sizeof s, "vend,chip%u", v);
        else
                snprintf(s, sizeof s, "/soc/node@%x", v);
        if (glob) {
                size_t keep = strlen(s) - pick(st, 2) - 1;
                s[keep] = '\0';
                put(b, "%s*", s);
                return;
        }
        put(b, "%s", s);
}

char *policy_gen(uint64_t seed, size_t n_rules, size_t pool, unsigned glob_permille, size_t *ret_len) {
        static const char * const keys[3] = { "device", "compatible", "path" };
        static const unsigned percent[3] = { 70, 50, 20 };
        uint64_t st = seed * 2 + 1;
        Buf b = {};

        put(&b, "# generated: seed %llu, %zu rules, pool %zu\n", (unsigned long long) seed, n_rules, pool);
        for (size_t i = 0; i < n_rules; i++) {
                bool any = false;

                put(&b, "\n[r%zu]\n", i);
                for (int k = 0; k < 3; k++) {
                        if (pick(&st, 100) >= percent[k] && (any || k < 2))
                                continue;
                        any = true;
                        for (unsigned n = pick(&st, 8) == 0 ? 2 : 1; n > 0; n--) {
                                put(&b, "%s = ", keys[k]);
                                put_value(&b, &st, k, pool, glob_permille);
                                put(&b, "\n");
                        }
                }
                if (pick(&st, 10) == 0)
                        put(&b, "action = ignore\n");
        }
        if (ret_len)
                *ret_len = b.n;
        return b.s;
}
