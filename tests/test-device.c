/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A device's facts from uevent text and from DT properties, hostile values dropped. */
#include <check.h>
#include <string.h>

#include "device.h"
#include "strv.h"

START_TEST(test_uevent) {
        DeviceInfo d = {};

        ck_assert_int_eq(device_info_parse_uevent(&d,
                                 "DRIVER=virtio-mmio\nOF_NAME=virtio_mmio\nOF_FULLNAME=/virtio_mmio@a003e00\n"
                                 "OF_COMPATIBLE_0=virtio,mmio\nOF_COMPATIBLE_N=1\n"
                                 "MODALIAS=of:Nvirtio_mmioT(null)Cvirtio,mmio\n"),
                         0);
        ck_assert_str_eq(d.of_fullname, "/virtio_mmio@a003e00");
        ck_assert_str_eq(d.modalias, "of:Nvirtio_mmioT(null)Cvirtio,mmio");
        ck_assert_str_eq(d.driver, "virtio-mmio");
        ck_assert_uint_eq(strv_length(d.compatibles), 1);
        ck_assert_str_eq(d.compatibles[0], "virtio,mmio");
        device_info_done(&d);
}
END_TEST

START_TEST(test_uevent_hostile) {
        DeviceInfo d = {};

        /* N larger than what is there, an entry with a control character, a relative path. */
        ck_assert_int_eq(device_info_parse_uevent(&d,
                                 "OF_FULLNAME=relative\nOF_COMPATIBLE_N=99999\n"
                                 "OF_COMPATIBLE_0=ok,one\nOF_COMPATIBLE_1=bad\x01one\nOF_COMPATIBLE_2=ok,two"),
                         0);
        ck_assert_ptr_null(d.of_fullname);
        ck_assert_uint_eq(strv_length(d.compatibles), 2);
        ck_assert_str_eq(d.compatibles[1], "ok,two");
        device_info_done(&d);

        ck_assert_int_eq(device_info_parse_uevent(&d, "OF_COMPATIBLE_N=x\nOF_COMPATIBLE_0=a,b\n"), 0);
        ck_assert_ptr_null(d.compatibles);
        device_info_done(&d);
}
END_TEST

START_TEST(test_dt_compatible) {
        DeviceInfo d = {};
        static const char raw[] = "fsl,imx8mq-isp\0fsl,imx-isp\0\0bad\x7f\0";

        ck_assert_int_eq(device_info_set_compatibles_from_dt(&d, raw, sizeof raw - 1), 0);
        ck_assert_uint_eq(strv_length(d.compatibles), 2);
        ck_assert_str_eq(d.compatibles[0], "fsl,imx8mq-isp");
        ck_assert_str_eq(d.compatibles[1], "fsl,imx-isp");
        /* Not NUL-terminated at the end: still bounded by the size. */
        ck_assert_int_eq(device_info_set_compatibles_from_dt(&d, "abc,def", 3), 0);
        ck_assert_str_eq(d.compatibles[0], "abc");
        device_info_done(&d);
}
END_TEST

START_TEST(test_override_and_bus) {
        DeviceInfo d = {};

        ck_assert_int_eq(device_info_set_override(&d, "(null)"), 0);
        ck_assert_ptr_null(d.override);
        ck_assert_int_eq(device_info_set_override(&d, "vfio-platform"), 0);
        ck_assert_str_eq(d.override, "vfio-platform");
        ck_assert_int_eq(device_info_set_override(&d, ""), 0);
        ck_assert_ptr_null(d.override);
        ck_assert_int_eq(bus_from_string("amba"), BUS_AMBA);
        ck_assert_int_eq(bus_from_string("pci"), BUS_PCI);
        ck_assert_int_eq(bus_from_string("fsl-mc"), BUS_FSL_MC);
        ck_assert_int_eq(bus_from_string("i2c"), _BUS_INVALID);
        ck_assert_str_eq(bus_default_driver(BUS_PCI), "vfio-pci");
        ck_assert_str_eq(bus_default_driver(BUS_CDX), "vfio-cdx");
        ck_assert_str_eq(bus_default_driver(BUS_FSL_MC), "vfio-fsl-mc");
        ck_assert(driver_is_vfio("vfio-pci"));
        ck_assert(!driver_is_vfio("virtio-pci"));
        {
                char buf[16];

                ck_assert_ptr_null(vfio_driver_deprecated("vfio-amba", "6.17.3", buf, sizeof buf));
                ck_assert_str_eq(vfio_driver_deprecated("vfio-amba", "6.18.0-1-arm64", buf, sizeof buf), "6.18");
                ck_assert_str_eq(vfio_driver_deprecated("vfio-amba", "7.1.0", buf, sizeof buf), "6.18");
                ck_assert_ptr_null(vfio_driver_deprecated("vfio-platform", "7.1.0", buf, sizeof buf));
                ck_assert_ptr_null(vfio_driver_deprecated("vfio-amba", "garbage", buf, sizeof buf));
        }
        ck_assert_str_eq(bus_default_driver(BUS_AMBA), "vfio-amba");
        ck_assert_str_eq(bus_default_driver(BUS_PLATFORM), "vfio-platform");
        device_info_done(&d);
}
END_TEST

int main(void) {
        Suite *s = suite_create("device");
        TCase *tc = tcase_create("facts");
        SRunner *sr;
        int failed;

        tcase_add_test(tc, test_uevent);
        tcase_add_test(tc, test_uevent_hostile);
        tcase_add_test(tc, test_dt_compatible);
        tcase_add_test(tc, test_override_and_bus);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
