/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Drop-in precedence and masking across /etc, /run, /usr/local/lib and /usr/lib. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf-files.h"
#include "policy-load.h"
#include "strv.h"
#include "testutil.h"

static const char * const dirs[] = { "etc/d", "run/d", "usr/local/lib/d", "usr/lib/d", NULL };

START_TEST(test_precedence_and_masking) {
        _cleanup_free_ char *root = tu_mkdtemp(), *p = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int fd;

        tu_write(root, "usr/lib/d/50-vendor.conf", "x");
        tu_write(root, "etc/d/50-vendor.conf", "x");           /* hides the vendor file */
        tu_write(root, "usr/lib/d/10-protect.conf", "x");
        tu_write(root, "run/d/10-protect.conf", "");           /* empty: masks */
        tu_write(root, "usr/local/lib/d/20-local.conf", "x");
        tu_write(root, "usr/lib/d/30-masked.conf", "x");
        tu_mkdir_p(root, "etc/d");
        ck_assert_int_ge(asprintf(&p, "%s/etc/d/30-masked.conf", root), 0);
        ck_assert_int_eq(symlink("/dev/null", p), 0);
        tu_write(root, "usr/lib/d/40-notes.txt", "x");          /* wrong suffix */
        tu_write(root, "usr/lib/d/.hidden.conf", "x");
        tu_write(root, "run/d/60-runtime.conf", "x");

        fd = open(root, O_RDONLY | O_DIRECTORY);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(conf_files_list(fd, dirs, ".conf", &l, NULL), 0);
        ck_assert_uint_eq(strv_length(l), 3);
        ck_assert_str_eq(l[0], "usr/local/lib/d/20-local.conf");
        ck_assert_str_eq(l[1], "etc/d/50-vendor.conf");
        ck_assert_str_eq(l[2], "run/d/60-runtime.conf");
        close(fd);
        tu_rm_rf(root);
}
END_TEST

START_TEST(test_missing_dirs) {
        _cleanup_free_ char *root = tu_mkdtemp();
        _cleanup_strv_free_ char **l = NULL;
        int fd = open(root, O_RDONLY | O_DIRECTORY);

        ck_assert_int_eq(conf_files_list(fd, dirs, ".conf", &l, NULL), 0);
        ck_assert_ptr_nonnull(l);
        ck_assert_uint_eq(strv_length(l), 0);
        close(fd);
        tu_rm_rf(root);
}
END_TEST

/* The whole load: rule order follows file names across directories, origins are the real paths. */
START_TEST(test_policy_load_order) {
        _cleanup_free_ char *root = tu_mkdtemp(), *expected = NULL;
        _cleanup_policy_ Policy *p = NULL;
        Diagnostics d = {};
        Root r;

        tu_write(root, "usr/lib/vfio-platform-bind.d/10-protect.conf", "[console]\ncompatible = arm,pl011\naction = ignore\n");
        tu_write(root, "etc/vfio-platform-bind.d/50-mine.conf", "[mine]\ncompatible = arm,*\n");
        tu_write(root, "run/vfio-platform-bind.d/20-run.conf", "[run]\ndevice = a.b\n");
        r = (Root) { .fd = open(root, O_RDONLY | O_DIRECTORY), .path = root };
        ck_assert_int_eq(policy_load(&r, NULL, &p, &d), 0);
        ck_assert_uint_eq(d.n, 0);
        ck_assert_uint_eq(p->n_rules, 3);
        ck_assert_str_eq(p->rules[0]->name, "console");
        ck_assert_str_eq(p->rules[1]->name, "run");
        ck_assert_str_eq(p->rules[2]->name, "mine");
        ck_assert_int_ge(asprintf(&expected, "%s/etc/vfio-platform-bind.d/50-mine.conf", root), 0);
        ck_assert_str_eq(p->rules[2]->file, expected);
        ck_assert_uint_eq(p->rules[2]->index, 2);
        close(r.fd);
        tu_rm_rf(root);
}
END_TEST

static Suite *conf_files_suite(void) {
        Suite *s = suite_create("conf-files");
        TCase *tc = tcase_create("list");

        tcase_add_test(tc, test_precedence_and_masking);
        tcase_add_test(tc, test_missing_dirs);
        tcase_add_test(tc, test_policy_load_order);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return tu_run(conf_files_suite());
}
