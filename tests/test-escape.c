/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The escaping of human and JSON output (src/escape.c): exact results for each class of byte. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "macro.h"

static char *json(const char *s) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);

        ck_assert_ptr_nonnull(f);
        json_print_string(f, s);
        fclose(f);
        return buf;
}

static const struct {
        const char *in, *human, *json;
} cases[] = {
        { "plain a003e00.virtio_mmio", "plain a003e00.virtio_mmio", "\"plain a003e00.virtio_mmio\"" },
        { "tab\there\nnl\\bs\"q", "tab\\there\\nnl\\\\bs\"q", "\"tab\\there\\nnl\\\\bs\\\"q\"" },
        { "\033]0;x\007\033[2J", "\\x1b]0;x\\a\\x1b[2J", "\"\\u001b]0;x\\u0007\\u001b[2J\"" },
        { "del\177", "del\\x7f", "\"del\\u007f\"" },
        { "c1 \302\233 csi", "c1 \\xc2\\x9b csi", "\"c1 \\u009b csi\"" },
        { "bad \377\376", "bad \\xff\\xfe", "\"bad \\ufffd\\ufffd\"" },
        { "cut \342\202", "cut \\xe2\\x82", "\"cut \\ufffd\\ufffd\"" },
        { "overlong \300\257", "overlong \\xc0\\xaf", "\"overlong \\ufffd\\ufffd\"" },
        { "surrogate \355\240\200", "surrogate \\xed\\xa0\\x80", "\"surrogate \\ufffd\\ufffd\\ufffd\"" },
        { "utf8 \303\251 \342\202\254 \360\237\230\200", "utf8 \303\251 \342\202\254 \360\237\230\200",
          "\"utf8 \303\251 \342\202\254 \360\237\230\200\"" },
};

START_TEST(test_cases) {
        _cleanup_free_ char *h = cescape(cases[_i].in), *j = json(cases[_i].in);

        ck_assert_str_eq(h, cases[_i].human);
        ck_assert_str_eq(j, cases[_i].json);
}
END_TEST

START_TEST(test_text) {
        char buf[64];

        ck_assert_str_eq(cescape_text_buf("x\\x0a \033[2J\n\377", buf, sizeof buf), "x\\x0a \\x1b[2J\\n\\xff");
}
END_TEST

START_TEST(test_null_and_truncation) {
        _cleanup_free_ char *j = json(NULL);
        char buf[8];

        ck_assert_str_eq(j, "null");
        ck_assert_ptr_null(cescape(NULL));
        /* Never half an escape or half a character. */
        ck_assert_str_eq(cescape_buf("abc\033def", buf, sizeof buf), "abc\\x1b");
        ck_assert_str_eq(cescape_buf("abcd\033", buf, sizeof buf), "abcd");
        ck_assert_str_eq(cescape_buf("abcde\303\251", buf, sizeof buf), "abcde\303\251");
        ck_assert_str_eq(cescape_buf("abcdef\303\251", buf, sizeof buf), "abcdef");
        ck_assert_str_eq(cescape_buf("abc\303\251", buf, sizeof buf), "abc\303\251");
}
END_TEST

int main(void) {
        Suite *s = suite_create("escape");
        TCase *tc = tcase_create("escape");
        SRunner *sr;
        int failed;

        tcase_add_loop_test(tc, test_cases, 0, ELEMENTSOF(cases));
        tcase_add_test(tc, test_null_and_truncation);
        tcase_add_test(tc, test_text);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
