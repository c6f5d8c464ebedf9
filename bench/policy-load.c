/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How long loading a large policy takes: parse and finalize (index, shadowed-rule check) of a
 * generated policy of each size (mostly exact values, 1% globs), best of a few runs. Prints one line per size:
 *   rules=N bytes=B load_ms=T cpu_ms=C messages=M
 * (wall and CPU time: on a shared machine the CPU time is the steadier figure; messages are the
 * shadowed-rule warnings kept, at most 100 per file plus the summary since issue 13)
 * Usage: bench/policy-load [N...]   (default: 1000 10000 100000) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "diag.h"
#include "policy-gen.h"
#include "policy.h"

static double now_ms(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run(size_t n) {
        size_t len, warnings = 0;
        char *text = policy_gen(42, n, 4 * n, 10, &len);
        double best = -1, best_cpu = -1;
        int runs = n >= 100000 ? 1 : 3;

        for (int i = 0; i < runs; i++) {
                Policy *p = policy_new();
                Diagnostics d = {};
                double t0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID), t, c;

                if (!p || policy_parse_string(p, text, len, "bench.conf", &d) < 0 || policy_finalize(p, &d) < 0) {
                        fprintf(stderr, "out of memory\n");
                        return 1;
                }
                t = now_ms(CLOCK_MONOTONIC) - t0;
                c = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
                if (best < 0 || t < best)
                        best = t;
                if (best_cpu < 0 || c < best_cpu)
                        best_cpu = c;
                warnings = d.n;
                diagnostics_clear(&d);
                policy_free(p);
        }
        printf("rules=%zu bytes=%zu load_ms=%.1f cpu_ms=%.1f messages=%zu\n", n, len, best, best_cpu, warnings);
        free(text);
        return 0;
}

int main(int argc, char *argv[]) {
        static const size_t sizes[] = { 1000, 10000, 100000 };

        if (argc > 1) {
                for (int i = 1; i < argc; i++)
                        if (run(strtoul(argv[i], NULL, 10)) != 0)
                                return 1;
                return 0;
        }
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
                if (run(sizes[i]) != 0)
                        return 1;
        return 0;
}
