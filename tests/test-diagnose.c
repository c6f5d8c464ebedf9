/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Why a bind failed: each cause, in the order the kernel would hit them. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "diagnose.h"

static BindFacts base(void) {
        return (BindFacts) {
                .device = "a003e00.virtio_mmio",
                .bus = BUS_PLATFORM,
                .target = "vfio-platform",
                .target_registered = true,
                .module_loading = true,
                .has_iommu_group = true,
                .noiommu = 0,
                .reset_required = 1,
                .reset_by_compatible = true,
                .compatible = "virtio,mmio",
                .reset_module = 1,
                .kernel_release = "6.1.0-28-arm64",
        };
}

static const char *diag(BindFacts f) {
        static char buf[512];

        diagnose_bind_failure(&f, buf, sizeof buf);
        return buf;
}

/* vfio-pci looks no reset handler up by compatible: the 6.1 reset bug is never named for PCI. */
START_TEST(test_pci_has_no_reset_quirk) {
        BindFacts f = base();

        f.bus = BUS_PCI;
        f.device = "0000:00:02.0";
        f.target = "vfio-pci";
        f.reset_by_compatible = false;
        f.reset_module = 0;
        f.reset_required = 0;
        ck_assert_str_eq(diag(f), "'vfio-pci' did not bind the device after probing; the kernel log (dmesg) has the driver's error");
        f.has_iommu_group = false;
        ck_assert_ptr_nonnull(strstr(diag(f), "has no IOMMU group"));
}
END_TEST

START_TEST(test_not_registered) {
        BindFacts f = base();

        f.target_registered = false;
        f.module = "vfio_platform";
        f.module_error = -ENOENT;
        ck_assert_str_eq(diag(f), "driver 'vfio-platform' is not registered: loading module 'vfio_platform' failed: "
                                  "no such module for this kernel");
        f.module_error = -EPERM;
        ck_assert_str_eq(diag(f), "driver 'vfio-platform' is not registered: loading module 'vfio_platform' failed: "
                                  "Operation not permitted");
        f.module_loading = false;
        ck_assert_str_eq(diag(f), "driver 'vfio-platform' is not registered and module loading is off");
}
END_TEST

START_TEST(test_other_driver) {
        BindFacts f = base();

        f.now_bound = "virtio-mmio";
        ck_assert_str_eq(diag(f), "driver 'virtio-mmio' holds the device instead of 'vfio-platform'");
}
END_TEST

START_TEST(test_no_iommu_group) {
        BindFacts f = base();

        f.has_iommu_group = false;
        ck_assert_ptr_nonnull(strstr(diag(f), "the device has no IOMMU group"));
        ck_assert_ptr_nonnull(strstr(diag(f), "vfio.enable_unsafe_noiommu_mode"));
        /* No-IOMMU mode on: not the reason. */
        f.noiommu = 1;
        ck_assert_ptr_null(strstr(diag(f), "IOMMU group"));
        /* uio does not need an IOMMU. */
        f = base();
        f.has_iommu_group = false;
        f.target = "uio_pdrv_genirq";
        ck_assert_ptr_null(strstr(diag(f), "IOMMU group"));
}
END_TEST

START_TEST(test_reset_required) {
        BindFacts f = base();

        f.reset_module = 0;
        ck_assert_str_eq(diag(f), "vfio-platform has no reset handler for compatible 'virtio,mmio' and "
                                  "vfio_platform.reset_required=1 (/sys/module/vfio_platform/parameters/reset_required): "
                                  "load a vfio-reset:virtio,mmio module, or set reset_required=0");
}
END_TEST

START_TEST(test_linux_6_1_bug) {
        BindFacts f = base();

        f.reset_module = 0;
        f.reset_required = 0;
        ck_assert_str_eq(diag(f), "Linux 6.1.0-28-arm64 bug: vfio-platform fails with error -2 (ENOENT) when no reset "
                                  "handler exists for compatible 'virtio,mmio', even with reset_required=0; fixed in "
                                  "Linux 6.3 (commit 168a9c91fe0a)");
        f.kernel_release = "6.3.0";
        ck_assert_ptr_null(strstr(diag(f), "bug"));
        ck_assert(kernel_has_reset_required_bug("6.2.16"));
        ck_assert(!kernel_has_reset_required_bug("6.12.1"));
        ck_assert(!kernel_has_reset_required_bug("5.10.0"));
        ck_assert(!kernel_has_reset_required_bug("garbage"));
        ck_assert(!kernel_has_reset_required_bug(NULL));
}
END_TEST

START_TEST(test_generic) {
        ck_assert_str_eq(diag(base()), "'vfio-platform' did not bind the device after probing; the kernel log (dmesg) "
                                       "has the driver's error");
}
END_TEST

int main(void) {
        Suite *s = suite_create("diagnose");
        TCase *tc = tcase_create("diagnose");
        SRunner *sr;
        int failed;

        tcase_add_test(tc, test_not_registered);
        tcase_add_test(tc, test_pci_has_no_reset_quirk);
        tcase_add_test(tc, test_other_driver);
        tcase_add_test(tc, test_no_iommu_group);
        tcase_add_test(tc, test_reset_required);
        tcase_add_test(tc, test_linux_6_1_bug);
        tcase_add_test(tc, test_generic);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
