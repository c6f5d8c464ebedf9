/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "testutil.h"

char *tu_mkdtemp(void) {
        char *t = strdup("/tmp/vpb-test-XXXXXX");

        ck_assert_ptr_nonnull(t);
        ck_assert_ptr_nonnull(mkdtemp(t));
        return t;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        if (flag == FTW_DP)
                return rmdir(path);
        return unlink(path);
}

void tu_rm_rf(const char *path) {
        if (path)
                nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void tu_mkdir_p(const char *dir, const char *rel) {
        _cleanup_free_ char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
        for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                if (mkdir(p, 0755) < 0)
                        ck_assert_int_eq(errno, EEXIST);
                *s = '/';
        }
        if (mkdir(p, 0755) < 0)
                ck_assert_int_eq(errno, EEXIST);
}

void tu_write(const char *dir, const char *rel, const char *content) {
        _cleanup_free_ char *p = NULL, *parent = NULL;
        FILE *f;
        char *slash;

        parent = strdup(rel);
        ck_assert_ptr_nonnull(parent);
        slash = strrchr(parent, '/');
        if (slash) {
                *slash = '\0';
                tu_mkdir_p(dir, parent);
        }
        ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
        f = fopen(p, "we");
        ck_assert_msg(f, "cannot write %s: %s", p, strerror(errno));
        fputs(content, f);
        ck_assert_int_eq(fclose(f), 0);
}

char *tu_read(const char *path) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = fopen(path, "re");
        ssize_t k;

        ck_assert_msg(f, "cannot read %s: %s", path, strerror(errno));
        k = getdelim(&buf, &n, '\0', f);
        fclose(f);
        if (k < 0) {
                free(buf);
                return strdup("");
        }
        return buf;
}

char *tu_diag_string(const Diagnostics *d) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);

        ck_assert_ptr_nonnull(f);
        diagnostics_print(d, f);
        fclose(f);
        return buf;
}

Policy *tu_parse(const char *text, Diagnostics *d) {
        Policy *p = policy_new();

        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(policy_parse_string(p, text, strlen(text), "t.conf", d), 0);
        ck_assert_int_eq(policy_finalize(p, d), 0);
        return p;
}

int tu_run(Suite *s) {
        SRunner *sr = srunner_create(s);
        int failed;

        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
