/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy language: every error of the corpus with its exact FILE:LINE message, the golden
 * dumps of good files, and what the parser must do whatever inih's build is. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "policy-gen.h"
#include "policy-load.h"
#include "policy-shadow.h"
#include "strv.h"
#include "testutil.h"

static const char * const bad_corpus[] = {
        "bad-glob", "bad-values", "binary", "control-char", "duplicate-rule", "empty-value",
        "invalid-driver", "invalid-utf8", "key-outside-section", "no-match-key", "overlong-line",
        "set-twice", "syntax", "unknown-action", "unknown-key", "value-comment",
};

static const char * const good_corpus[] = { "example", "syntax" };

static Root cwd_root = { .fd = AT_FDCWD, .path = "/" };

static int load_files(const char *dir, char **files, Policy **ret, char **ret_msgs) {
        _cleanup_free_ char *old = getcwd(NULL, 0), *path = NULL;
        Diagnostics d = {};
        int r;

        ck_assert_int_ge(asprintf(&path, "%s/policy/%s", TESTS_SRCDIR, dir), 0);
        ck_assert_int_eq(chdir(path), 0);
        r = policy_load(&cwd_root, files, ret, &d);
        ck_assert_int_eq(chdir(old), 0);
        *ret_msgs = tu_diag_string(&d);
        diagnostics_clear(&d);
        return r;
}

START_TEST(test_bad_corpus) {
        _cleanup_free_ char *conf = NULL, *expected_path = NULL, *expected = NULL, *msgs = NULL;
        Policy *p = NULL;
        char *files[2] = {};

        ck_assert_int_ge(asprintf(&conf, "%s.conf", bad_corpus[_i]), 0);
        ck_assert_int_ge(asprintf(&expected_path, "%s/policy/bad/%s.expected", TESTS_SRCDIR, bad_corpus[_i]), 0);
        files[0] = conf;
        ck_assert_int_eq(load_files("bad", files, &p, &msgs), -EINVAL);
        ck_assert_ptr_null(p);
        expected = tu_read(expected_path);
        ck_assert_str_eq(msgs, expected);
}
END_TEST

/* A corpus file that no test names would be a test that never runs. */
START_TEST(test_bad_corpus_complete) {
        _cleanup_free_ char *path = NULL;
        struct dirent *de;
        size_t n = 0;
        DIR *d;

        ck_assert_int_ge(asprintf(&path, "%s/policy/bad", TESTS_SRCDIR), 0);
        d = opendir(path);
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                char *dot = strrchr(de->d_name, '.');
                bool listed = false;

                if (!dot || !streq(dot, ".conf"))
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(bad_corpus); i++)
                        listed = listed || strncmp(de->d_name, bad_corpus[i], dot - de->d_name) == 0;
                ck_assert_msg(listed, "%s is not in bad_corpus[]", de->d_name);
                n++;
        }
        closedir(d);
        ck_assert_uint_eq(n, ELEMENTSOF(bad_corpus));
}
END_TEST

START_TEST(test_good_corpus) {
        _cleanup_free_ char *conf = NULL, *expected_path = NULL, *expected = NULL, *msgs = NULL, *dump = NULL;
        _cleanup_policy_ Policy *p = NULL;
        char *files[2] = {}, *body;
        size_t n = 0;
        FILE *f;

        ck_assert_int_ge(asprintf(&conf, "%s.conf", good_corpus[_i]), 0);
        ck_assert_int_ge(asprintf(&expected_path, "%s/policy/good/%s.expected", TESTS_SRCDIR, good_corpus[_i]), 0);
        files[0] = conf;
        ck_assert_int_eq(load_files("good", files, &p, &msgs), 0);
        ck_assert_str_eq(msgs, "");

        f = open_memstream(&dump, &n);
        policy_dump(p, f);
        fclose(f);
        expected = tu_read(expected_path);
        body = strstr(expected, "\n\n"); /* the golden file also holds bindctl's header */
        ck_assert_ptr_nonnull(body);
        ck_assert_str_eq(dump, body + 2);
}
END_TEST

START_TEST(test_shadowed) {
        _cleanup_free_ char *msgs = NULL, *expected = NULL, *path = NULL;
        _cleanup_policy_ Policy *p = NULL;
        char *files[] = { (char *) "shadowed.conf", NULL };

        ck_assert_int_eq(load_files("good", files, &p, &msgs), 0);
        ck_assert_int_ge(asprintf(&path, "%s/policy/good/shadowed.warnings", TESTS_SRCDIR), 0);
        expected = tu_read(path);
        ck_assert_str_eq(msgs, expected);
        ck_assert_uint_eq(p->n_rules, 5);
}
END_TEST

START_TEST(test_duplicate_across_files) {
        _cleanup_free_ char *dir = tu_mkdtemp(), *a = NULL, *b = NULL, *msgs = NULL;
        Diagnostics d = {};
        Policy *p = NULL;

        tu_write(dir, "a.conf", "# first\n[uart]\ndevice = x\n");
        tu_write(dir, "b.conf", "[ok]\ndevice = y\n[uart]\ndevice = z\n");
        ck_assert_int_ge(asprintf(&a, "%s/a.conf", dir), 0);
        ck_assert_int_ge(asprintf(&b, "%s/b.conf", dir), 0);
        char *files[] = { a, b, NULL };
        ck_assert_int_eq(policy_load(&cwd_root, files, &p, &d), -EINVAL);
        msgs = tu_diag_string(&d);
        _cleanup_free_ char *expected = NULL;
        ck_assert_int_ge(asprintf(&expected, "%s:3: duplicate rule name 'uart', first defined at %s:2\n", b, a), 0);
        ck_assert_str_eq(msgs, expected);
        diagnostics_clear(&d);
        tu_rm_rf(dir);
}
END_TEST

/* inih's line buffer is a build option (200 bytes by default): long values must survive. */
START_TEST(test_long_values) {
        _cleanup_free_ char *text = NULL, *path = NULL, *msgs = NULL;
        _cleanup_policy_ Policy *p = NULL;
        Diagnostics d = {};

        path = malloc(1001);
        ck_assert_ptr_nonnull(path);
        path[0] = '/';
        for (int i = 1; i < 1000; i++)
                path[i] = (i % 50 == 0) ? '/' : 'n';
        path[1000] = '\0';
        ck_assert_int_ge(asprintf(&text, "[long]\npath = %s\n", path), 0);
        p = tu_parse(text, &d);
        msgs = tu_diag_string(&d);
        ck_assert_str_eq(msgs, "");
        ck_assert_uint_eq(p->n_rules, 1);
        ck_assert_str_eq(p->rules[0]->patterns[MATCH_PATH][0].value, path);
        diagnostics_clear(&d);
}
END_TEST

START_TEST(test_value_bounds) {
        _cleanup_free_ char *text = NULL, *msgs = NULL, *expected = NULL;
        _cleanup_policy_ Policy *p = NULL;
        char compat[200];
        Diagnostics d = {};

        memset(compat, 'c', sizeof compat - 1);
        compat[sizeof compat - 1] = '\0';
        ck_assert_int_ge(asprintf(&text, "[a]\ndevice = x\ncompatible = %s\n", compat), 0);
        p = tu_parse(text, &d);
        msgs = tu_diag_string(&d);
        ck_assert_int_ge(asprintf(&expected, "t.conf:3: invalid compatible '%s': too long\n", compat), 0);
        ck_assert_str_eq(msgs, expected);
        diagnostics_clear(&d);
}
END_TEST

START_TEST(test_crlf_and_empty) {
        _cleanup_policy_ Policy *p = NULL, *e = NULL;
        Diagnostics d = {};

        p = tu_parse("[a]\r\ndevice = x.y\r\naction = ignore\r\n", &d);
        ck_assert_uint_eq(d.n, 0);
        ck_assert_uint_eq(p->n_rules, 1);
        ck_assert_str_eq(p->rules[0]->patterns[MATCH_DEVICE][0].value, "x.y");
        ck_assert_int_eq(p->rules[0]->action, RULE_IGNORE);

        e = tu_parse("", &d);
        ck_assert_uint_eq(d.n, 0);
        ck_assert_uint_eq(e->n_rules, 0);
}
END_TEST

START_TEST(test_repeated_keys_are_alternatives) {
        _cleanup_policy_ Policy *p = NULL;
        Diagnostics d = {};

        p = tu_parse("[a]\ncompatible = x,a\ncompatible = x,b\ndevice = d*\n", &d);
        ck_assert_uint_eq(d.n, 0);
        ck_assert_uint_eq(p->rules[0]->n_patterns[MATCH_COMPATIBLE], 2);
        ck_assert_uint_eq(p->rules[0]->n_patterns[MATCH_DEVICE], 1);
        ck_assert(p->rules[0]->patterns[MATCH_DEVICE][0].glob);
        ck_assert(!p->rules[0]->patterns[MATCH_COMPATIBLE][0].glob);
        ck_assert_uint_eq(p->rules[0]->patterns[MATCH_COMPATIBLE][1].line, 3);
}
END_TEST

START_TEST(test_unreadable) {
        _cleanup_free_ char *dir = tu_mkdtemp(), *link = NULL, *fifo = NULL, *msgs = NULL, *expected = NULL;
        Diagnostics d = {};
        Policy *p = NULL;

        ck_assert_int_ge(asprintf(&link, "%s/dangling.conf", dir), 0);
        ck_assert_int_ge(asprintf(&fifo, "%s/fifo.conf", dir), 0);
        ck_assert_int_eq(symlink("/nonexistent/x.conf", link), 0);
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        char *files[] = { link, fifo, NULL };
        ck_assert_int_eq(policy_load(&cwd_root, files, &p, &d), -EINVAL);
        msgs = tu_diag_string(&d);
        ck_assert_int_ge(asprintf(&expected, "%s: cannot open: No such file or directory\n%s: not a regular file\n",
                                  link, fifo), 0);
        ck_assert_str_eq(msgs, expected);
        diagnostics_clear(&d);
        tu_rm_rf(dir);
}
END_TEST

/* As root, a policy that someone else could have written is refused. */
START_TEST(test_unsafe_permissions) {
        _cleanup_free_ char *dir = tu_mkdtemp(), *msgs = NULL, *expected = NULL, *path = NULL;
        Root root = { .path = dir };
        Diagnostics d = {};
        Policy *p = NULL;

        if (geteuid() != 0)
                return; /* the check applies to root only; nothing to test */

        tu_write(dir, "etc/vfio-platform-bind.d/10-gw.conf", "[a]\ndevice = x\n");
        tu_write(dir, "usr/lib/vfio-platform-bind.d/20-user.conf", "[b]\ndevice = y\n");
        tu_mkdir_p(dir, "run/vfio-platform-bind.d");
        ck_assert_int_ge(asprintf(&path, "%s/etc/vfio-platform-bind.d/10-gw.conf", dir), 0);
        ck_assert_int_eq(chmod(path, 0664), 0);
        free(path);
        ck_assert_int_ge(asprintf(&path, "%s/usr/lib/vfio-platform-bind.d/20-user.conf", dir), 0);
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        free(path);
        ck_assert_int_ge(asprintf(&path, "%s/run/vfio-platform-bind.d", dir), 0);
        ck_assert_int_eq(chmod(path, 0777), 0);

        root.fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(root.fd, 0);
        ck_assert_int_eq(policy_load(&root, NULL, &p, &d), -EINVAL);
        msgs = tu_diag_string(&d);
        ck_assert_int_ge(asprintf(&expected,
                                  "%1$s/run/vfio-platform-bind.d: refusing policy directory writable by its group (uid 0, mode 0777): only root may change a policy\n"
                                  "%1$s/etc/vfio-platform-bind.d/10-gw.conf: refusing policy file writable by its group (uid 0, mode 0664): only root may change a policy\n"
                                  "%1$s/usr/lib/vfio-platform-bind.d/20-user.conf: refusing policy file not owned by root (uid 65534, mode 0644): only root may change a policy\n",
                                  dir), 0);
        ck_assert_str_eq(msgs, expected);
        diagnostics_clear(&d);
        close(root.fd);
        tu_rm_rf(dir);
}
END_TEST

/* The shadowed-rule check as it was, comparing every rule with every earlier one: the oracle for
 * the indexed one. Returns the messages it would give, in order. */
static char **shadow_oracle(const Policy *p) {
        char **l = NULL;

        for (size_t j = 1; j < p->n_rules; j++) {
                const Rule *b = p->rules[j];
                bool has_keys = false;

                for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                        has_keys = has_keys || b->n_patterns[k] > 0;
                if (!has_keys)
                        continue;
                for (size_t i = 0; i < j; i++) {
                        const Rule *a = p->rules[i];
                        char *m;

                        if (!rule_covers(a, b))
                                continue;
                        ck_assert_int_ge(asprintf(&m, "rule '%s' can never match: rule '%s' at %s:%u matches every "
                                                  "device it matches", b->name, a->name, a->file, a->line), 0);
                        ck_assert_int_eq(strv_push(&l, m), 0);
                        break;
                }
        }
        return l;
}

/* Random corpora, dense (many overlaps) to sparse, with globs: the same warnings, in the same
 * order, as the quadratic check; beyond DIAG_FILE_MAX, the count in the summary. */
START_TEST(test_shadowed_equals_quadratic) {
        static const struct { size_t rules, pool; unsigned globs; } corpora[] = {
                { 300, 5, 100 }, { 300, 20, 60 }, { 800, 100, 30 }, { 800, 1500, 10 }, { 300, 40, 500 },
        };
        size_t total = 0;

        for (size_t c = 0; c < ELEMENTSOF(corpora); c++)
                for (uint64_t seed = 1; seed <= 3; seed++) {
                        _cleanup_policy_ Policy *p = policy_new();
                        _cleanup_strv_free_ char **want = NULL;
                        _cleanup_free_ char *text = NULL;
                        Diagnostics d = {};
                        size_t len, first, n_want, shown;

                        text = policy_gen(seed, corpora[c].rules, corpora[c].pool, corpora[c].globs, &len);
                        ck_assert_int_eq(policy_parse_string(p, text, len, "gen.conf", &d), 0);
                        ck_assert_uint_eq(d.n_errors, 0);
                        first = d.n;
                        want = shadow_oracle(p);
                        n_want = strv_length(want);
                        ck_assert_int_eq(policy_finalize(p, &d), 0);

                        shown = n_want > DIAG_FILE_MAX ? DIAG_FILE_MAX : n_want;
                        ck_assert_uint_eq(d.n - first, shown + (n_want > shown));
                        for (size_t i = 0; i < shown; i++) {
                                ck_assert(d.items[first + i].warning);
                                ck_assert_str_eq(d.items[first + i].message, want[i]);
                        }
                        if (n_want > shown) {
                                _cleanup_free_ char *summary = NULL;

                                ck_assert_int_ge(asprintf(&summary, "… and %zu more messages (0 errors)", n_want - shown), 0);
                                ck_assert_str_eq(d.items[d.n - 1].message, summary);
                        }
                        total += n_want;
                        diagnostics_clear(&d);
                }
        /* The corpora do exercise it. */
        ck_assert_uint_gt(total, 500);
}
END_TEST

/* A file of junk: DIAG_FILE_MAX messages and one that counts the rest; still invalid. */
START_TEST(test_error_cap) {
        _cleanup_free_ char *dir = tu_mkdtemp(), *path = NULL, *msgs = NULL;
        _cleanup_free_ char *junk = malloc(5000 * 6 + 1);
        Diagnostics d = {};
        Policy *p = NULL;

        ck_assert_ptr_nonnull(junk);
        for (int i = 0; i < 5000; i++)
                memcpy(junk + i * 6, "junk!\n", 6);
        junk[5000 * 6] = '\0';
        tu_write(dir, "junk.conf", junk);
        ck_assert_int_ge(asprintf(&path, "%s/junk.conf", dir), 0);
        char *files[] = { path, NULL };
        ck_assert_int_eq(policy_load(&cwd_root, files, &p, &d), -EINVAL);
        ck_assert_ptr_null(p);
        ck_assert_uint_eq(d.n, DIAG_FILE_MAX + 1);
        ck_assert_uint_eq(d.n_errors, 5000);
        ck_assert_uint_eq(d.items[0].line, 1);
        ck_assert_uint_eq(d.items[DIAG_FILE_MAX - 1].line, DIAG_FILE_MAX);
        ck_assert_str_eq(d.items[DIAG_FILE_MAX].message, "… and 4900 more messages (4900 errors)");
        ck_assert(!d.items[DIAG_FILE_MAX].warning);
        msgs = tu_diag_string(&d);
        ck_assert_ptr_nonnull(strstr(msgs, "junk.conf: … and 4900 more messages (4900 errors)\n"));
        diagnostics_clear(&d);
        tu_rm_rf(dir);
}
END_TEST

static Suite *policy_suite(void) {
        Suite *s = suite_create("policy");
        TCase *tc = tcase_create("parse");

        tcase_add_loop_test(tc, test_bad_corpus, 0, ELEMENTSOF(bad_corpus));
        tcase_add_test(tc, test_bad_corpus_complete);
        tcase_add_loop_test(tc, test_good_corpus, 0, ELEMENTSOF(good_corpus));
        tcase_add_test(tc, test_shadowed);
        tcase_add_test(tc, test_duplicate_across_files);
        tcase_add_test(tc, test_long_values);
        tcase_add_test(tc, test_value_bounds);
        tcase_add_test(tc, test_crlf_and_empty);
        tcase_add_test(tc, test_repeated_keys_are_alternatives);
        tcase_add_test(tc, test_unreadable);
        tcase_add_test(tc, test_unsafe_permissions);
        tcase_add_test(tc, test_error_cap);
        suite_add_tcase(s, tc);
        /* The quadratic oracle: seconds under valgrind or a sanitizer on a loaded machine. */
        tc = tcase_create("shadow-oracle");
        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_shadowed_equals_quadratic);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return tu_run(policy_suite());
}
