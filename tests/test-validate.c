/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bounds and character sets of everything that comes from outside. */
#include <check.h>
#include <string.h>

#include "validate.h"

START_TEST(test_utf8) {
        ck_assert(utf8_is_valid("plain ascii", 11));
        ck_assert(utf8_is_valid("caf\xc3\xa9", 5));
        ck_assert(utf8_is_valid("\xf0\x9f\x98\x80", 4));
        ck_assert(!utf8_is_valid("caf\xe9", 4));            /* latin-1 */
        ck_assert(!utf8_is_valid("\xc0\xaf", 2));           /* overlong '/' */
        ck_assert(!utf8_is_valid("\xed\xa0\x80", 3));       /* surrogate */
        ck_assert(!utf8_is_valid("\xf4\x90\x80\x80", 4));   /* past U+10FFFF */
        ck_assert(!utf8_is_valid("\xe2\x82", 2));           /* truncated */
}
END_TEST

START_TEST(test_device_names) {
        char longname[300];

        ck_assert(device_name_is_valid("a003e00.virtio_mmio"));
        ck_assert(device_name_is_valid("soc:gpio-keys"));
        ck_assert(!device_name_is_valid(""));
        ck_assert(!device_name_is_valid("."));
        ck_assert(!device_name_is_valid(".."));
        ck_assert(!device_name_is_valid("a/b"));
        ck_assert(!device_name_is_valid("a b"));
        ck_assert(!device_name_is_valid("a\nb"));
        memset(longname, 'x', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        ck_assert(!device_name_is_valid(longname));
        longname[255] = '\0';
        ck_assert(device_name_is_valid(longname));
}
END_TEST

START_TEST(test_driver_and_rule_names) {
        ck_assert(driver_name_is_valid("vfio-platform"));
        ck_assert(driver_name_is_valid("uio_pdrv_genirq"));
        ck_assert(!driver_name_is_valid("../x"));
        ck_assert(!driver_name_is_valid("-x"));
        ck_assert(!driver_name_is_valid("a\"b"));
        ck_assert(!driver_name_is_valid(""));
        ck_assert(rule_name_is_valid("isp-passthrough"));
        ck_assert(rule_name_is_valid("soc:uart@0"));
        ck_assert(!rule_name_is_valid("a b"));
        ck_assert(!rule_name_is_valid("a]b"));
}
END_TEST

START_TEST(test_globs) {
        ck_assert(glob_has_magic("a*"));
        ck_assert(glob_has_magic("a[bc]"));
        ck_assert(!glob_has_magic("arm,pl011"));
        ck_assert_ptr_null(glob_check("a[!0-9]*"));
        ck_assert_ptr_null(glob_check("a[]]"));
        ck_assert_str_eq(glob_check("a[bc"), "unterminated '['");
        ck_assert_str_eq(glob_check("a]"), "unmatched ']'");
        ck_assert_str_eq(glob_check("a\\*"), "backslash escapes are not supported");
        ck_assert_str_eq(glob_check("a[/]"), "'[' or '/' inside a bracket expression");
}
END_TEST

START_TEST(test_values) {
        ck_assert_ptr_null(compatible_check("fsl,imx8mq-isp"));
        ck_assert_ptr_null(compatible_check("virtio,*"));
        ck_assert_ptr_nonnull(compatible_check("a\"b"));
        ck_assert_ptr_nonnull(compatible_check("a,b\n"));
        ck_assert_ptr_null(dt_path_check("/soc@0/isp@32e10000"));
        ck_assert_ptr_null(dt_path_check("/"));
        ck_assert_ptr_nonnull(dt_path_check("soc"));
        ck_assert_ptr_nonnull(dt_path_check("/soc/"));
        ck_assert_ptr_nonnull(dt_path_check("/soc\"/x"));
        ck_assert_ptr_null(device_pattern_check("soc:gpio-*"));
        ck_assert_ptr_nonnull(device_pattern_check(".."));
        ck_assert_ptr_nonnull(device_pattern_check("x/*"));
        ck_assert_str_eq(device_pattern_check("a|b"), "'|' cannot be matched exactly by the udev rule");
}
END_TEST

int main(void) {
        Suite *s = suite_create("validate");
        TCase *tc = tcase_create("validate");
        SRunner *sr;
        int failed;

        tcase_add_test(tc, test_utf8);
        tcase_add_test(tc, test_device_names);
        tcase_add_test(tc, test_driver_and_rule_names);
        tcase_add_test(tc, test_globs);
        tcase_add_test(tc, test_values);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
