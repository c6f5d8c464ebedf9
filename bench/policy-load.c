/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How long loading a large policy takes: parse and finalize (index, shadowed-rule check) of a
 * generated policy of each size (mostly exact values, 1% globs), best of a few runs. Prints one line per size:
 *   rules=N bytes=B load_ms=T cpu_ms=C messages=M
 * (wall and CPU time: on a shared machine the CPU time is the steadier figure; messages are the
 * shadowed-rule warnings kept, at most 100 per file plus the summary since issue 13)
 * Usage: bench/policy-load [N...]   (default: 10 1000 10000 100000)
 *        bench/policy-load --text N      the generated policy of N rules, on stdout
 *        bench/policy-load --decide [N]  (issue 16) the time policy_decide() takes per device with N
 *                                        (default 10,000) rules of one kind each: exact compatibles,
 *                                        globs with a literal prefix ("vN,*"), with a literal suffix
 *                                        only ("*,cN"), with neither ("*,c*N*": tried on every device),
 *                                        and the ratio to exact rules:
 *   decide rules=N kind=K us_per_device=T ratio_to_exact=R unindexed=U */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "match.h"
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

static const char * const kinds[] = { "exact", "prefix", "suffix", "unindexed" };

static void put_rule(FILE *f, int kind, size_t i) {
        switch (kind) {
        case 0: fprintf(f, "[r%zu]\ncompatible = v%zu,c%zu\n", i, i % 97, i); break;
        case 1: fprintf(f, "[r%zu]\ncompatible = v%zu,c%zu*\n", i, i % 97, i); break;
        case 2: fprintf(f, "[r%zu]\ncompatible = *,c%zu\n", i, i); break;
        default: fprintf(f, "[r%zu]\ncompatible = *,c*%zu*\n", i, i); break;
        }
}

/* Devices "v<k%97>,c<k>" and "generic,d<j>" for k below 2 N: every kind matches half of them. */
static int decide(size_t n) {
        double exact = 0;

        for (int kind = 0; kind < 4; kind++) {
                size_t len = 0, devices = kind == 3 ? 200 : 20000, hits = 0;
                char *text = NULL, c0[32], c1[32];
                char *compat[] = { c0, c1, NULL };
                FILE *f = open_memstream(&text, &len);
                Diagnostics d = {};
                Policy *p = policy_new();
                double best = -1;

                if (!f || !p)
                        return 1;
                for (size_t i = 0; i < n; i++)
                        put_rule(f, kind, i);
                fclose(f);
                if (policy_parse_string(p, text, len, "bench.conf", &d) < 0 || policy_finalize(p, &d) < 0)
                        return 1;
                for (int run = 0; run < 3; run++) {
                        double c0t = now_ms(CLOCK_PROCESS_CPUTIME_ID), t;

                        hits = 0;
                        for (size_t j = 0; j < devices; j++) {
                                DeviceInfo di = { .name = (char *) "x.dev", .bus = BUS_PLATFORM, .compatibles = compat };
                                Decision dec;

                                size_t k = j * 7 % (2 * n);

                                snprintf(c0, sizeof c0, "v%zu,c%zu", k % 97, k);
                                snprintf(c1, sizeof c1, "generic,d%zu", j * 13 % (2 * n));
                                policy_decide(p, &di, &dec);
                                hits += dec.rule != NULL;
                        }
                        t = (now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0t) * 1e3 / (double) devices;
                        if (best < 0 || t < best)
                                best = t;
                }
                if (kind == 0)
                        exact = best;
                printf("decide rules=%zu kind=%s us_per_device=%.2f ratio_to_exact=%.2f unindexed=%zu matched=%zu/%zu\n", n,
                       kinds[kind], best, best / exact, match_index_unindexed(p->index), hits, devices);
                diagnostics_clear(&d);
                policy_free(p);
                free(text);
        }
        return 0;
}

int main(int argc, char *argv[]) {
        static const size_t sizes[] = { 10, 1000, 10000, 100000 };

        if (argc > 2 && strcmp(argv[1], "--text") == 0) { /* the policy itself, to time a whole process */
                size_t len;
                char *text = policy_gen(42, strtoul(argv[2], NULL, 10), 4 * strtoul(argv[2], NULL, 10), 10, &len);

                fwrite(text, 1, len, stdout);
                free(text);
                return 0;
        }
        if (argc > 1 && strcmp(argv[1], "--decide") == 0)
                return decide(argc > 2 ? strtoul(argv[2], NULL, 10) : 10000);

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
