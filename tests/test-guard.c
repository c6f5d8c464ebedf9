/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guard on a plain tree shaped like a board with a broad policy: the console UART, an SMMUv3,
 * a GIC, a PCIe host with a bus behind it, a GPIO controller that another device uses, and a
 * harmless virtio-mmio slot with its own virtio0 child. Each reason alone, then "compatible = *"
 * (nothing critical moves, the rest does), "force = yes", and the udev rule. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "strv.h"
#include "testutil.h"
#include "udev-rules.h"

#define MMIO "OF_FULLNAME=/virtio_mmio@a003e00\nOF_COMPATIBLE_0=virtio,mmio\nOF_COMPATIBLE_N=1\n"
#define GIC "OF_FULLNAME=/intc@8000000\nOF_COMPATIBLE_0=arm,gic-v3\nOF_COMPATIBLE_N=1\n"
#define SMMU "OF_FULLNAME=/smmuv3@9050000\nOF_COMPATIBLE_0=arm,smmu-v3\nOF_COMPATIBLE_N=1\n"
#define PCIE "OF_FULLNAME=/pcie@10000000\nOF_COMPATIBLE_0=pci-host-ecam-generic\nOF_COMPATIBLE_N=1\n"
#define KEYS "OF_FULLNAME=/gpio-keys\nOF_COMPATIBLE_0=gpio-keys\nOF_COMPATIBLE_N=1\n"

static char *root;
static int root_fd = -1;
static Engine engine;

static void symlink_at(const char *target, const char *rel) {
        _cleanup_free_ char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
        ck_assert_int_eq(symlink(target, p), 0);
}

static void board(void) {
        tu_sysfs_device(root, "amba", "9000000.pl011", "MODALIAS=amba:d00041011\n", "uart-pl011", -1);
        tu_write(root, "sys/firmware/devicetree/base/pl011@9000000/compatible", "arm,pl011\0arm,primecell");
        symlink_at("../../../firmware/devicetree/base/pl011@9000000", "sys/devices/platform/9000000.pl011/of_node");
        tu_write(root, "sys/class/tty/console/active", "tty0 ttyAMA0\n");
        tu_mkdir_p(root, "sys/class/tty/ttyAMA0");
        symlink_at("../../../devices/platform/9000000.pl011", "sys/class/tty/ttyAMA0/device");

        tu_sysfs_device(root, "platform", "9050000.smmuv3", SMMU, "arm-smmu-v3", -1);
        tu_mkdir_p(root, "sys/class/iommu/smmu3.0x0000000009050000");
        symlink_at("../../../devices/platform/9050000.smmuv3", "sys/class/iommu/smmu3.0x0000000009050000/device");

        tu_sysfs_device(root, "platform", "8000000.intc", GIC, NULL, -1);
        tu_write(root, "sys/firmware/devicetree/base/intc@8000000/interrupt-controller", "");
        symlink_at("../../../firmware/devicetree/base/intc@8000000", "sys/devices/platform/8000000.intc/of_node");

        tu_sysfs_device(root, "platform", "4010000000.pcie", PCIE, "pci-host-generic", -1);
        tu_write(root, "sys/devices/platform/4010000000.pcie/pci0000:00/uevent", "");
        tu_write(root, "sys/devices/platform/4010000000.pcie/pci0000:00/0000:00:00.0/uevent", "PCI_CLASS=60000\n");

        tu_sysfs_device(root, "amba", "9030000.pl061", "MODALIAS=amba:d00041061\n", "pl061_gpio", -1);
        tu_write(root, "sys/firmware/devicetree/base/pl061@9030000/compatible", "arm,pl061\0arm,primecell");
        symlink_at("../../../firmware/devicetree/base/pl061@9030000", "sys/devices/platform/9030000.pl061/of_node");
        tu_sysfs_device(root, "platform", "gpio-keys", KEYS, "gpio-keys", -1);
        symlink_at("../../virtual/devlink/amba:9030000.pl061--platform:gpio-keys",
                   "sys/devices/platform/9030000.pl061/consumer:platform:gpio-keys");
        /* gpiochip0: the controller's own function, not a bus behind it */
        tu_write(root, "sys/devices/platform/9030000.pl061/gpiochip0/uevent", "");

        tu_sysfs_device(root, "platform", "a003e00.virtio_mmio", MMIO, "virtio-mmio", 3);
        tu_write(root, "sys/devices/platform/a003e00.virtio_mmio/virtio0/uevent", "");
        tu_sysfs_driver(root, "platform", "vfio-platform");
        tu_sysfs_driver(root, "amba", "vfio-amba");
        tu_write(root, "sys/bus/platform/drivers_probe", "");
        tu_write(root, "sys/bus/amba/drivers_probe", "");
}

static void setup(void) {
        EngineConfig cfg = ENGINE_CONFIG_DEFAULT;

        root = tu_mkdtemp();
        board();
        root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(root_fd, 0);
        cfg.load_modules = false;
        cfg.verify_timeout_usec = 0;
        ck_assert_int_eq(engine_init(&engine, root_fd, &cfg, true), 0);
}

static void teardown(void) {
        engine_done(&engine);
        close(root_fd);
        tu_rm_rf(root);
        free(root);
}

static uint32_t reasons_of(Bus bus, const char *name, char *why, size_t size) {
        _cleanup_device_info_ DeviceInfo *d = NULL;
        GuardVerdict v;

        ck_assert_int_eq(sysfs_read_device(&engine.sysfs, bus, name, &d), 0);
        ck_assert_int_eq(guard_check(engine_guard(&engine), &engine.sysfs, d, &v), 0);
        guard_describe(&v, why, size);
        return v.reasons;
}

#define R(x) (UINT32_C(1) << (x))

START_TEST(test_each_reason) {
        char why[1024];

        ck_assert_uint_eq(reasons_of(BUS_AMBA, "9000000.pl011", why, sizeof why), R(GUARD_CONSOLE));
        ck_assert_str_eq(why, "the console: /dev/ttyAMA0");
        ck_assert_uint_eq(reasons_of(BUS_PLATFORM, "9050000.smmuv3", why, sizeof why), R(GUARD_IOMMU));
        ck_assert_uint_eq(reasons_of(BUS_PLATFORM, "8000000.intc", why, sizeof why), R(GUARD_INTERRUPT_CONTROLLER));
        ck_assert_uint_eq(reasons_of(BUS_PLATFORM, "4010000000.pcie", why, sizeof why), R(GUARD_BRIDGE));
        ck_assert_str_eq(why, "a bridge to the devices behind pci0000:00");
        ck_assert_uint_eq(reasons_of(BUS_AMBA, "9030000.pl061", why, sizeof why), R(GUARD_SUPPLIER));
        ck_assert_str_eq(why, "supplier of 1 device: gpio-keys");
        ck_assert_uint_eq(reasons_of(BUS_PLATFORM, "a003e00.virtio_mmio", why, sizeof why), 0);
        ck_assert_uint_eq(reasons_of(BUS_PLATFORM, "gpio-keys", why, sizeof why), 0);
}
END_TEST

START_TEST(test_combined) {
        char why[1024];

        /* The console UART that also supplies another device: both reasons, both in words. */
        symlink_at("../../virtual/devlink/x", "sys/devices/platform/9000000.pl011/consumer:platform:a003e00.virtio_mmio");
        ck_assert_uint_eq(reasons_of(BUS_AMBA, "9000000.pl011", why, sizeof why), R(GUARD_CONSOLE) | R(GUARD_SUPPLIER));
        ck_assert_str_eq(why, "the console: /dev/ttyAMA0; supplier of 1 device: a003e00.virtio_mmio");
}
END_TEST

START_TEST(test_root_fs) {
        char why[1024];

        tu_sysfs_device(root, "platform", "fe340000.mmc", "OF_FULLNAME=/mmc@7e340000\n", "sdhci-iproc", -1);
        tu_write(root, "sys/devices/platform/fe340000.mmc/mmc_host/mmc0/mmc0:0001/block/mmcblk0/mmcblk0p2/uevent", "");
        tu_mkdir_p(root, "sys/dev/block");
        symlink_at("../../devices/platform/fe340000.mmc/mmc_host/mmc0/mmc0:0001/block/mmcblk0/mmcblk0p2",
                   "sys/dev/block/179:2");
        tu_write(root, "proc/self/mountinfo", "22 1 179:2 / / rw,relatime shared:1 - ext4 /dev/mmcblk0p2 rw\n"
                                             "23 22 0:21 / /proc rw - proc proc rw\n");
        engine_forget_guard(&engine);
        ck_assert_uint_eq(reasons_of(BUS_PLATFORM, "fe340000.mmc", why, sizeof why), R(GUARD_ROOT_FS));
        ck_assert_str_eq(why, "holds the file system of / (mmcblk0p2)");
        ck_assert_uint_eq(reasons_of(BUS_PLATFORM, "a003e00.virtio_mmio", why, sizeof why), 0);
}
END_TEST

static const char *override_of(const char *name) {
        static char *v;
        _cleanup_free_ char *p = NULL;

        free(v);
        ck_assert_int_ge(asprintf(&p, "sys/devices/platform/%s/driver_override", name), 0);
        v = tu_read_at(root, p);
        ck_assert_ptr_nonnull(v);
        return v;
}

static BindStatus apply_all(const char *policy, Bus bus, const char *name) {
        Diagnostics diag = {};
        _cleanup_policy_ Policy *p = tu_parse(policy, &diag);
        ApplyFlags flags = {};
        ApplyResult res;
        BindStatus s;

        ck_assert(!diagnostics_failed(&diag));
        ck_assert_int_eq(apply_device(&engine, p, bus, name, &flags, &res), 0);
        ck_assert_int_eq(res.action, APPLY_BIND);
        s = res.report.status;
        if (s == BIND_REFUSED)
                ck_assert_uint_eq(res.report.writes, 0);
        apply_result_done(&res);
        return s;
}

START_TEST(test_compatible_star) {
        static const char *policy = "[all]\ncompatible = *\n";

        ck_assert_int_eq(apply_all(policy, BUS_AMBA, "9000000.pl011"), BIND_REFUSED);
        ck_assert_int_eq(apply_all(policy, BUS_PLATFORM, "9050000.smmuv3"), BIND_REFUSED);
        ck_assert_int_eq(apply_all(policy, BUS_PLATFORM, "8000000.intc"), BIND_REFUSED);
        ck_assert_int_eq(apply_all(policy, BUS_PLATFORM, "4010000000.pcie"), BIND_REFUSED);
        ck_assert_int_eq(apply_all(policy, BUS_AMBA, "9030000.pl061"), BIND_REFUSED);
        /* Nothing critical was written to... */
        ck_assert_str_eq(override_of("9000000.pl011"), "(null)\n");
        ck_assert_str_eq(override_of("9050000.smmuv3"), "(null)\n");
        ck_assert_str_eq(override_of("4010000000.pcie"), "(null)\n");
        /* ... and the rest moves (a plain tree never binds: the writes show it). */
        apply_all(policy, BUS_PLATFORM, "a003e00.virtio_mmio");
        ck_assert_str_eq(override_of("a003e00.virtio_mmio"), "vfio-platform");
        apply_all(policy, BUS_PLATFORM, "gpio-keys");
        ck_assert_str_eq(override_of("gpio-keys"), "vfio-platform");
}
END_TEST

START_TEST(test_force) {
        static const char *policy = "[keys-ctl]\ndevice = 9030000.pl061\nforce = yes\n\n[all]\ncompatible = *\n";

        apply_all(policy, BUS_AMBA, "9030000.pl061");
        ck_assert_str_eq(override_of("9030000.pl061"), "vfio-amba");
        /* Only the forced one. */
        ck_assert_int_eq(apply_all(policy, BUS_AMBA, "9000000.pl011"), BIND_REFUSED);
        ck_assert_str_eq(override_of("9000000.pl011"), "(null)\n");
}
END_TEST

START_TEST(test_udev_rule_leaves_them) {
        Diagnostics diag = {};
        _cleanup_policy_ Policy *p = tu_parse("[keys-ctl]\ndevice = 9030000.pl061\nforce = yes\n\n[all]\ncompatible = *\n", &diag);
        _cleanup_strv_free_ char **protected = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len;
        FILE *f;

        ck_assert_int_eq(apply_protected_devices(&engine, p, &protected), 0);
        ck_assert_uint_eq(strv_length(protected), 4);
        ck_assert(strv_contains(protected, "amba/9000000.pl011"));
        ck_assert(strv_contains(protected, "platform/9050000.smmuv3"));
        ck_assert(strv_contains(protected, "platform/8000000.intc"));
        ck_assert(strv_contains(protected, "platform/4010000000.pcie"));
        f = open_memstream(&text, &len);
        ck_assert_int_eq(udev_rules_generate_protected(p, protected, f, &diag), 0);
        fclose(f);
        ck_assert_ptr_nonnull(strstr(text, "SUBSYSTEM==\"amba\", KERNEL==\"9000000.pl011\", GOTO=\"vfio_platform_bind_end\""));
        ck_assert_ptr_nonnull(strstr(text, "SUBSYSTEM==\"platform\", KERNEL==\"4010000000.pcie\", GOTO=\"vfio_platform_bind_end\""));
        /* The protection comes before the first rule. */
        ck_assert(strstr(text, "KERNEL==\"9000000.pl011\"") < strstr(text, "# [keys-ctl]"));
}
END_TEST

static Suite *guard_suite(void) {
        Suite *s = suite_create("guard");
        TCase *tc = tcase_create("guard");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_each_reason);
        tcase_add_test(tc, test_combined);
        tcase_add_test(tc, test_root_fs);
        tcase_add_test(tc, test_compatible_star);
        tcase_add_test(tc, test_force);
        tcase_add_test(tc, test_udev_rule_leaves_them);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return tu_run(guard_suite());
}
