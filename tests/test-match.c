/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The matcher: first match wins, AND across keys, OR within a key, globs, devices without DT
 * data, buses, and the index giving the same answers as a plain scan. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "strv.h"
#include "testutil.h"

static DeviceInfo dev(const char *name, Bus bus, const char *path, char **compat) {
        return (DeviceInfo) { .name = (char *) name, .bus = bus, .of_fullname = (char *) path, .compatibles = compat };
}

static Decision decide(const Policy *p, DeviceInfo d) {
        Decision dec;

        policy_decide(p, &d, &dec);
        return dec;
}

START_TEST(test_first_match_wins) {
        _cleanup_policy_ Policy *p = NULL;
        Diagnostics d = {};
        char *uart[] = { (char *) "arm,pl011", (char *) "arm,primecell", NULL };
        char *mmio[] = { (char *) "virtio,mmio", NULL };
        Decision dec;

        p = tu_parse("[console]\ndevice = 9000000.pl011\naction = ignore\n"
                     "[uarts]\ncompatible = arm,pl011\n"
                     "[virtio]\ncompatible = virtio,*\ndriver = uio_pdrv_genirq\n",
                     &d);
        ck_assert(!diagnostics_failed(&d));

        dec = decide(p, dev("9000000.pl011", BUS_AMBA, "/pl011@9000000", uart));
        ck_assert_int_eq(dec.verdict, VERDICT_IGNORE);
        ck_assert_str_eq(dec.rule->name, "console");
        ck_assert_ptr_null(dec.driver);

        /* Another UART: the second rule, and on AMBA the default driver is vfio-amba. */
        dec = decide(p, dev("9040000.pl011", BUS_AMBA, "/pl011@9040000", uart));
        ck_assert_int_eq(dec.verdict, VERDICT_BIND);
        ck_assert_str_eq(dec.rule->name, "uarts");
        ck_assert_str_eq(dec.driver, "vfio-amba");

        dec = decide(p, dev("a003e00.virtio_mmio", BUS_PLATFORM, "/virtio_mmio@a003e00", mmio));
        ck_assert_int_eq(dec.verdict, VERDICT_BIND);
        ck_assert_str_eq(dec.driver, "uio_pdrv_genirq");
        ck_assert_str_eq(dec.rule->file, "t.conf");
        ck_assert_uint_eq(dec.rule->line, 6);

        dec = decide(p, dev("9020000.fw-cfg", BUS_PLATFORM, "/fw-cfg@9020000", NULL));
        ck_assert_int_eq(dec.verdict, VERDICT_NONE);
        ck_assert_ptr_null(dec.rule);
        diagnostics_clear(&d);
}
END_TEST

START_TEST(test_and_or) {
        _cleanup_policy_ Policy *p = NULL;
        Diagnostics d = {};
        char *mmio[] = { (char *) "virtio,mmio", NULL };
        char *other[] = { (char *) "qemu,fw-cfg-mmio", NULL };

        p = tu_parse("[r]\ncompatible = virtio,mmio\ncompatible = qemu,fw-cfg-mmio\n"
                     "path = /virtio_mmio@a003e00\npath = /fw-cfg@*\n",
                     &d);
        ck_assert_int_eq(decide(p, dev("a", BUS_PLATFORM, "/virtio_mmio@a003e00", mmio)).verdict, VERDICT_BIND);
        ck_assert_int_eq(decide(p, dev("b", BUS_PLATFORM, "/fw-cfg@9020000", other)).verdict, VERDICT_BIND);
        /* Compatible fits but the path does not: AND. */
        ck_assert_int_eq(decide(p, dev("c", BUS_PLATFORM, "/virtio_mmio@a003c00", mmio)).verdict, VERDICT_NONE);
        /* No DT node at all: a path key cannot match. */
        ck_assert_int_eq(decide(p, dev("d", BUS_PLATFORM, NULL, mmio)).verdict, VERDICT_NONE);
        ck_assert_int_eq(rule_first_mismatch(p->rules[0], &(DeviceInfo) { .name = (char *) "d", .compatibles = mmio }),
                         MATCH_PATH);
        diagnostics_clear(&d);
}
END_TEST

START_TEST(test_globs) {
        _cleanup_policy_ Policy *p = NULL;
        Diagnostics d = {};
        char *c1[] = { (char *) "fsl,imx8mq-isp", (char *) "fsl,imx-isp", NULL };

        p = tu_parse("[by-dev]\ndevice = soc:gpio-*\n"
                     "[by-path]\npath = /soc@0/*\n"
                     "[by-compat]\ncompatible = *,imx-isp\n"
                     "[bracket]\ndevice = a00[0-3]e00.virtio_mmio\n",
                     &d);
        ck_assert_str_eq(decide(p, dev("soc:gpio-keys", BUS_PLATFORM, NULL, NULL)).rule->name, "by-dev");
        ck_assert_str_eq(decide(p, dev("x", BUS_PLATFORM, "/soc@0/isp@32e10000", NULL)).rule->name, "by-path");
        /* '*' in a path stays within one node name. */
        ck_assert_int_eq(decide(p, dev("x", BUS_PLATFORM, "/soc@0/bus@0/isp@1", NULL)).verdict, VERDICT_NONE);
        /* Any of the device's compatibles may match. */
        ck_assert_str_eq(decide(p, dev("y", BUS_PLATFORM, "/isp", c1)).rule->name, "by-compat");
        ck_assert_str_eq(decide(p, dev("a002e00.virtio_mmio", BUS_PLATFORM, NULL, NULL)).rule->name, "bracket");
        ck_assert_int_eq(decide(p, dev("a004e00.virtio_mmio", BUS_PLATFORM, NULL, NULL)).verdict, VERDICT_NONE);
        diagnostics_clear(&d);
}
END_TEST

/* The index must never change an answer: compare with a plain scan on many devices. */
START_TEST(test_index_agrees_with_scan) {
        _cleanup_free_ char *text = NULL;
        _cleanup_policy_ Policy *p = NULL;
        size_t len = 0;
        Diagnostics d = {};
        FILE *f = open_memstream(&text, &len);

        for (int i = 0; i < 300; i++) {
                switch (i % 6) {
                case 0: fprintf(f, "[r%d]\ncompatible = v%d,dev\n", i, i % 40); break;
                case 1: fprintf(f, "[r%d]\ndevice = %x.dev\naction = ignore\n", i, i * 16); break;
                case 2: fprintf(f, "[r%d]\ncompatible = v%d,*\n", i, i % 13); break;
                case 3: fprintf(f, "[r%d]\npath = /soc/dev@%x\ncompatible = v%d,dev\n", i, i * 16, i % 7); break;
                case 4: fprintf(f, "[r%d]\ndevice = *%x.dev\n", i, i); break;
                default: fprintf(f, "[r%d]\npath = /soc/d*@%x\n", i, i); break;
                }
        }
        fclose(f);
        p = tu_parse(text, &d);
        ck_assert(!diagnostics_failed(&d));
        ck_assert_ptr_nonnull(p->index);

        for (int j = 0; j < 2000; j++) {
                char name[64], path[64], c0[32], c1[32];
                char *compat[] = { c0, c1, NULL };
                Decision fast, slow;
                MatchIndex *saved;

                snprintf(name, sizeof name, "%x.dev", j * 8);
                snprintf(path, sizeof path, j % 3 ? "/soc/dev@%x" : "/soc/dx@%x", j * 4);
                snprintf(c0, sizeof c0, "v%d,dev", j % 50);
                snprintf(c1, sizeof c1, "v%d,other", j % 17);
                DeviceInfo di = dev(name, BUS_PLATFORM, j % 5 ? path : NULL, j % 4 ? compat : NULL);

                policy_decide(p, &di, &fast);
                saved = p->index;
                p->index = NULL;
                policy_decide(p, &di, &slow);
                p->index = saved;
                ck_assert_int_eq(fast.verdict, slow.verdict);
                ck_assert_ptr_eq(fast.rule, slow.rule);
        }
        diagnostics_clear(&d);
}
END_TEST

/* Globs that start with a wildcard are indexed by their literal suffix: on a generated corpus of
 * such rules (mixed with exact values, prefixes and globs with no literal end at all), the same
 * decision as a plain scan for every device, and only the latter rules left unindexed. */
static unsigned rnd(unsigned *st, unsigned n) {
        *st = *st * 1103515245u + 12345u;
        return (*st >> 8) % n;
}

START_TEST(test_suffix_index_agrees_with_scan) {
        _cleanup_free_ char *text = NULL;
        _cleanup_policy_ Policy *p = NULL;
        size_t len = 0, unanchored = 0;
        unsigned st = 42;
        Diagnostics d = {};
        FILE *f = open_memstream(&text, &len);

        for (int i = 0; i < 600; i++) {
                unsigned v = rnd(&st, 60), w = rnd(&st, 30);

                fprintf(f, "[r%d]\n", i);
                switch (rnd(&st, 12)) {
                case 0: fprintf(f, "compatible = *,chip%u\n", v); break;
                case 1: fprintf(f, "compatible = *chip%u\n", v); break;
                case 2: fprintf(f, "compatible = *,c?ip%u\n", v); break;
                case 3: fprintf(f, "compatible = ?end%u,*%u\n", w, v); break;
                case 4: fprintf(f, "device = *%x.x\n", v); break;
                case 5: fprintf(f, "device = *[0-3]%u.x\naction = ignore\n", w); break;
                case 6: fprintf(f, "path = /*/node@%x\n", v); break;
                case 7: fprintf(f, "path = /soc/*@%x\ncompatible = *,chip%u\n", v, w); break;
                case 8: fprintf(f, "compatible = vend%u,chip%u\n", w, v); break;
                case 9: fprintf(f, "device = %x*\n", v); break;
                case 10: /* no literal end on any key: evaluated for every device */
                        fprintf(f, "compatible = *,chip%u*\n", v);
                        unanchored++;
                        break;
                default: fprintf(f, "compatible = *,chip%u\ndevice = *%u.x\n", v, w); break;
                }
        }
        fclose(f);
        p = tu_parse(text, &d);
        if (diagnostics_failed(&d))
                diagnostics_print(&d, stderr);
        ck_assert(!diagnostics_failed(&d));
        ck_assert_ptr_nonnull(p->index);
        ck_assert_uint_eq(match_index_unindexed(p->index), unanchored);

        for (int j = 0; j < 5000; j++) {
                char name[64], path[64], c0[32], c1[32];
                char *compat[] = { c0, c1, NULL };
                Decision fast, slow;
                MatchIndex *saved;

                snprintf(name, sizeof name, "%x%u.x", rnd(&st, 64), rnd(&st, 40));
                snprintf(path, sizeof path, rnd(&st, 2) ? "/soc/node@%x" : "/soc/bus/x@%x", rnd(&st, 70));
                snprintf(c0, sizeof c0, "%cend%u,chip%u", "vbs"[rnd(&st, 3)], rnd(&st, 35), rnd(&st, 70));
                snprintf(c1, sizeof c1, "vend%u,c%cip%u", rnd(&st, 35), "hx"[rnd(&st, 2)], rnd(&st, 70));
                DeviceInfo di = dev(name, BUS_PLATFORM, rnd(&st, 5) ? path : NULL, rnd(&st, 4) ? compat : NULL);

                policy_decide(p, &di, &fast);
                saved = p->index;
                p->index = NULL;
                policy_decide(p, &di, &slow);
                p->index = saved;
                ck_assert_int_eq(fast.verdict, slow.verdict);
                ck_assert_ptr_eq(fast.rule, slow.rule);
        }
        diagnostics_clear(&d);
}
END_TEST

static Suite *match_suite(void) {
        Suite *s = suite_create("match");
        TCase *tc = tcase_create("decide");

        tcase_add_test(tc, test_first_match_wins);
        tcase_add_test(tc, test_and_or);
        tcase_add_test(tc, test_globs);
        tcase_add_test(tc, test_index_agrees_with_scan);
        tcase_add_test(tc, test_suffix_index_agrees_with_scan);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return tu_run(match_suite());
}
