/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI through the bus table: its keys read from the uevent, pci-id/class/bus matching, IOMMU
 * groups under "group = strict" and "group = whole", bridges, and the udev rule's PCI matches.
 * A plain sysfs tree: writes land in files, nothing binds by itself. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "testutil.h"
#include "udev-rules.h"

#define RNG_UEVENT(cls) "DRIVER=virtio-pci\nPCI_CLASS=" cls "\nPCI_ID=1AF4:1005\nPCI_SUBSYS_ID=1AF4:0004\n"
#define NIC_UEVENT "PCI_CLASS=20000\nPCI_ID=8086:10D3\nPCI_SUBSYS_ID=8086:0000\n"
#define BRIDGE_UEVENT "PCI_CLASS=60000\nPCI_ID=1B36:0008\nPCI_SUBSYS_ID=1AF4:1100\n"

static char *root;
static int root_fd = -1;
static Engine engine;

static void setup(void) {
        EngineConfig cfg = ENGINE_CONFIG_DEFAULT;

        root = tu_mkdtemp();
        tu_write(root, "sys/bus/pci/drivers_probe", "");
        tu_sysfs_driver(root, "pci", "vfio-pci");
        tu_sysfs_device(root, "pci", "0000:00:00.0", BRIDGE_UEVENT, NULL, -1);
        tu_sysfs_device(root, "pci", "0000:00:02.0", RNG_UEVENT("FF00"), "virtio-pci", 2);
        tu_sysfs_device(root, "pci", "0000:00:03.0", RNG_UEVENT("FF00"), "virtio-pci", 3);
        tu_sysfs_device(root, "pci", "0000:00:05.0", RNG_UEVENT("FF00"), "virtio-pci", 5);
        tu_sysfs_device(root, "pci", "0000:00:05.1", RNG_UEVENT("FF00"), "virtio-pci", 5);
        tu_sysfs_device(root, "pci", "0000:00:06.0", NIC_UEVENT, "e1000e", 6);
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

/* tu_read_at() allocates: freed here, or LeakSanitizer fails the test. */
static void assert_file(const char *rel, const char *want) {
        _cleanup_free_ char *got = tu_read_at(root, rel);

        ck_assert_str_eq(got, want);
}

static DeviceInfo *read_dev(const char *name) {
        DeviceInfo *d = NULL;

        ck_assert_int_eq(sysfs_read_device(&engine.sysfs, BUS_PCI, name, &d), 0);
        return d;
}

START_TEST(test_keys_from_uevent) {
        _cleanup_device_info_ DeviceInfo *d = read_dev("0000:00:02.0"), *b = read_dev("0000:00:00.0");

        ck_assert_str_eq(d->id, "1af4:1005");
        ck_assert_str_eq(d->subsys_id, "1af4:0004");
        ck_assert_str_eq(d->class, "00ff00");
        ck_assert_str_eq(d->driver, "virtio-pci");
        ck_assert_str_eq(d->iommu_group, "2");
        ck_assert(!bus_device_is_bridge(d));
        ck_assert_str_eq(b->class, "060000");
        ck_assert(bus_device_is_bridge(b));
}
END_TEST

START_TEST(test_hex_normalize) {
        char buf[7];

        ck_assert_int_eq(hex_normalize("FF00", 6, buf, sizeof buf), 0);
        ck_assert_str_eq(buf, "00ff00");
        ck_assert_int_eq(hex_normalize("0x0000ff00", 6, buf, sizeof buf), 0);
        ck_assert_str_eq(buf, "00ff00");
        ck_assert_int_eq(hex_normalize("1ff0000", 6, buf, sizeof buf), -EINVAL);
        ck_assert_int_eq(hex_normalize("", 6, buf, sizeof buf), -EINVAL);
        ck_assert_int_eq(hex_normalize("12g4", 6, buf, sizeof buf), -EINVAL);
}
END_TEST

static Decision decide_text(const char *policy, const char *name) {
        static Policy *p;
        Diagnostics diag = {};
        _cleanup_device_info_ DeviceInfo *d = read_dev(name);
        IommuGroup g = {};
        Decision dec;

        policy_free(p);
        p = tu_parse(policy, &diag);
        ck_assert_msg(!diagnostics_failed(&diag), "%s", tu_diag_string(&diag));
        diagnostics_clear(&diag);
        ck_assert_int_eq(apply_decide(&engine, p, d, &g, &dec), 0);
        iommu_group_done(&g);
        return dec;
}

START_TEST(test_match_keys) {
        /* Case-insensitive IDs, subsystem IDs, class prefixes, and bus=. */
        ck_assert_int_eq(decide_text("[a]\npci-id = 1AF4:1005\n", "0000:00:02.0").verdict, VERDICT_BIND);
        ck_assert_int_eq(decide_text("[a]\npci-id = 1af4:10*\n", "0000:00:02.0").verdict, VERDICT_BIND);
        ck_assert_int_eq(decide_text("[a]\npci-id = 1af4:1005:1af4:0004\n", "0000:00:02.0").verdict, VERDICT_BIND);
        ck_assert_int_eq(decide_text("[a]\npci-id = 1af4:1005:1af4:0005\n", "0000:00:02.0").verdict, VERDICT_NONE);
        /* A two-part pattern is never compared with the four-part value. */
        ck_assert_int_eq(decide_text("[a]\npci-id = *:0004\n", "0000:00:02.0").verdict, VERDICT_NONE);
        ck_assert_int_eq(decide_text("[a]\nclass = 0x0200\n", "0000:00:06.0").verdict, VERDICT_BIND);
        ck_assert_int_eq(decide_text("[a]\nclass = 02\n", "0000:00:06.0").verdict, VERDICT_BIND);
        ck_assert_int_eq(decide_text("[a]\nclass = 0x0300\n", "0000:00:06.0").verdict, VERDICT_NONE);
        ck_assert_int_eq(decide_text("[a]\npci-id = 8086:10d3\nclass = 0200\n", "0000:00:06.0").verdict, VERDICT_BIND);
        ck_assert_int_eq(decide_text("[a]\nbus = pci\ndevice = 0000:00:06.*\n", "0000:00:06.0").verdict, VERDICT_BIND);
        ck_assert_int_eq(decide_text("[a]\nbus = platform\ndevice = 0000:00:06.*\n", "0000:00:06.0").verdict,
                         VERDICT_NONE);
        /* DT keys never match a PCI device without a DT node. */
        ck_assert_int_eq(decide_text("[a]\ncompatible = *\n", "0000:00:06.0").verdict, VERDICT_NONE);
        ck_assert_str_eq(decide_text("[a]\ndevice = 0000:00:02.0\n", "0000:00:02.0").driver, "vfio-pci");
}
END_TEST

START_TEST(test_bad_values) {
        static const char * const bad[] = {
                "[a]\npci-id = 1af4\n", "[a]\npci-id = 1af4:1005:1\n", "[a]\npci-id = xyz:1005\n",
                "[a]\nclass = 0x030\n", "[a]\nclass = 0x03000000\n", "[a]\nclass = 03*\n",
                "[a]\nbus = usb\n", "[a]\ndevice = x\ngroup = most\n", "[a]\ndevice = x\ngroup = whole\ngroup = strict\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                Diagnostics diag = {};
                _cleanup_policy_ Policy *p = tu_parse(bad[i], &diag);

                ck_assert_msg(diagnostics_failed(&diag), "accepted: %s", bad[i]);
                diagnostics_clear(&diag);
        }
}
END_TEST

static void apply_one(const char *policy, const char *name, bool dry_run, ApplyResult *res) {
        Diagnostics diag = {};
        _cleanup_policy_ Policy *p = tu_parse(policy, &diag);
        ApplyFlags flags = { .dry_run = dry_run };

        ck_assert(!diagnostics_failed(&diag));
        ck_assert_int_eq(apply_device(&engine, p, BUS_PCI, name, &flags, res), 0);
        /* The rule belongs to the policy freed here: the caller looks at the report only. */
        res->decision.rule = NULL;
}

START_TEST(test_group_strict_names_blocker) {
        ApplyResult res;

        apply_one("[one]\ndevice = 0000:00:05.0\n", "0000:00:05.0", false, &res);
        ck_assert_int_eq(res.report.status, BIND_FAILED);
        ck_assert_ptr_nonnull(strstr(res.report.reason, "IOMMU group 5 is not viable: 0000:00:05.1"));
        ck_assert_ptr_nonnull(strstr(res.report.reason, "group = whole"));
        ck_assert_uint_eq(res.report.writes, 0);
        apply_result_done(&res);
        /* Nothing of the group moved. */
        assert_file("sys/devices/platform/0000:00:05.0/driver_override", "(null)\n");
        assert_file("sys/devices/platform/0000:00:05.1/driver_override", "(null)\n");

        /* Both selected: no blocker. */
        apply_one("[both]\ndevice = 0000:00:05.*\n", "0000:00:05.0", true, &res);
        ck_assert_int_eq(res.report.status, BIND_DONE);
        ck_assert_uint_eq(res.group.n, 2);
        ck_assert(!iommu_group_viable(&res.group));
        apply_result_done(&res);
}
END_TEST

START_TEST(test_group_whole_binds_members) {
        ApplyResult res;
        Decision dec;

        /* The unselected member follows the "whole" rule of its group. */
        dec = decide_text("[one]\ndevice = 0000:00:05.0\ngroup = whole\n", "0000:00:05.1");
        ck_assert_int_eq(dec.verdict, VERDICT_BIND);
        ck_assert_str_eq(dec.rule->name, "one");
        /* Not under "strict". */
        ck_assert_int_eq(decide_text("[one]\ndevice = 0000:00:05.0\n", "0000:00:05.1").verdict, VERDICT_NONE);

        apply_one("[one]\ndevice = 0000:00:05.0\ngroup = whole\n", "0000:00:05.0", false, &res);
        apply_result_done(&res);
        /* Both overrides written and both host drivers told to let go (nothing probes here). */
        assert_file("sys/devices/platform/0000:00:05.0/driver_override", "vfio-pci");
        assert_file("sys/devices/platform/0000:00:05.1/driver_override", "vfio-pci");
        assert_file("sys/bus/pci/drivers/virtio-pci/unbind", "0000:00:05.0");
        /* Other groups untouched. */
        assert_file("sys/devices/platform/0000:00:02.0/driver_override", "(null)\n");
}
END_TEST

START_TEST(test_bridge_never_taken) {
        ApplyResult res;

        apply_one("[all]\nbus = pci\n", "0000:00:00.0", false, &res);
        ck_assert_int_eq(res.report.status, BIND_FAILED);
        ck_assert_ptr_nonnull(strstr(res.report.reason, "bridge"));
        ck_assert_uint_eq(res.report.writes, 0);
        apply_result_done(&res);
        assert_file("sys/devices/platform/0000:00:00.0/driver_override", "(null)\n");
}
END_TEST

START_TEST(test_identical_ids_by_slot) {
        ApplyResult res;

        apply_one("[second]\ndevice = 0000:00:03.0\n", "0000:00:03.0", false, &res);
        apply_result_done(&res);
        apply_one("[second]\ndevice = 0000:00:03.0\n", "0000:00:02.0", false, &res);
        ck_assert_int_eq(res.action, APPLY_NONE);
        apply_result_done(&res);
        assert_file("sys/devices/platform/0000:00:03.0/driver_override", "vfio-pci");
        assert_file("sys/devices/platform/0000:00:02.0/driver_override", "(null)\n");
}
END_TEST

static char *rules_for(const char *policy) {
        Diagnostics diag = {};
        _cleanup_policy_ Policy *p = tu_parse(policy, &diag);
        char *text = NULL;
        size_t len;
        FILE *f = open_memstream(&text, &len);

        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(udev_rules_generate(p, f, &diag), 0);
        fclose(f);
        return text;
}

START_TEST(test_udev_matches) {
        _cleanup_free_ char *a = rules_for("[a]\npci-id = 1af4:10?5\nclass = 0x0200\n"),
                            *b = rules_for("[b]\nclass = 00\nclass = 0c03\n"),
                            *c = rules_for("[c]\npci-id = 8086:10d3:8086:*\n"),
                            *d = rules_for("[d]\ncdx-id = 10ee:*\n[e]\ndevice = *\n");

        ck_assert_ptr_nonnull(strstr(a, "ENV{PCI_ID}==\"1AF4:10?5\""));
        ck_assert_ptr_nonnull(strstr(a, "ENV{PCI_CLASS}==\"200??\""));
        /* Class 0x00xxxx is written with four digits, 0x0c03xx with five. */
        ck_assert_ptr_nonnull(strstr(b, "ENV{PCI_CLASS}==\"????|C03??\""));
        ck_assert_ptr_nonnull(strstr(c, "ENV{PCI_ID}==\"8086:10D3\", ENV{PCI_SUBSYS_ID}==\"8086:*\""));
        /* No uevent carries cdx-id: CDX devices are left to the daemon from that rule on. */
        ck_assert_ptr_nonnull(strstr(d, "SUBSYSTEM==\"cdx\", GOTO=\"vfio_platform_bind_end\""));
        /* Bridges are never taken by the rule either. */
        ck_assert_ptr_nonnull(strstr(a, "SUBSYSTEM==\"pci\", ENV{PCI_CLASS}==\"6????\", GOTO=\"vfio_platform_bind_end\""));
}
END_TEST

static Suite *pci_suite(void) {
        Suite *s = suite_create("pci");
        TCase *tc = tcase_create("pci");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_keys_from_uevent);
        tcase_add_test(tc, test_hex_normalize);
        tcase_add_test(tc, test_match_keys);
        tcase_add_test(tc, test_bad_values);
        tcase_add_test(tc, test_group_strict_names_blocker);
        tcase_add_test(tc, test_group_whole_binds_members);
        tcase_add_test(tc, test_bridge_never_taken);
        tcase_add_test(tc, test_identical_ids_by_slot);
        tcase_add_test(tc, test_udev_matches);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return tu_run(pci_suite());
}
