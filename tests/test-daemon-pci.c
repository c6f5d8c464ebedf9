/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real vfio-platform-bindd against the fake kernel (tests/fake-kernel.h) on every bus of the
 * bus table: each bus's default VFIO driver and the restore to the recorded native driver; PCI
 * devices with identical IDs told apart by slot, pci-id and class; IOMMU groups under
 * "group = strict" (nothing moves, the blocker named in the log and in "bindctl status --json")
 * and "group = whole" (every override before the first unbind, every unbind before the first probe); bridges; a device whose group
 * appears at its first probe; a member vanishing mid-bind; hostile uevent and sysfs values.
 * Under "make check VALGRIND=..." the daemon and bindctl run under valgrind too. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-kernel.h"
#include "fk-daemon.h"
#include "macro.h"
#include "testutil.h"

#define T 60000 /* the longest any wait may take (ms): generous for valgrind */

#define RNG_A "0000:00:03.0"  /* virtio-rng, its own group */
#define RNG_B "0000:00:04.0"  /* the same IDs, another slot and group */
#define FN_0 "0000:00:05.0"   /* a two-function slot: one group */
#define FN_1 "0000:00:05.1"
#define NIC "0000:00:06.0"    /* e1000e */
#define NET "0000:00:07.0"    /* virtio-net: the same class as the NIC, another ID */
#define BRIDGE "0000:00:01.0" /* a PCI-to-PCI bridge (root port) on pcieport */
#define NEW_0 "0000:00:08.0"  /* never probed: its group appears at its first probe */
#define NEW_1 "0000:00:08.1"  /* its sibling on a host driver */


static const char *const no_keys[] = { NULL };

/* pci_uevent()'s variables for a device: PCI_CLASS, PCI_ID, PCI_SUBSYS_ID, PCI_SLOT_NAME. */
typedef struct PciKeys {
        char class[32], id[32], subsys[32], slot[48];
        const char *v[5];
} PciKeys;

static const char *const *pci_keys(PciKeys *k, const char *class, const char *id, const char *slot) {
        snprintf(k->class, sizeof k->class, "PCI_CLASS=%s", class);
        snprintf(k->id, sizeof k->id, "PCI_ID=%s", id);
        snprintf(k->subsys, sizeof k->subsys, "PCI_SUBSYS_ID=%.4s:0001", id);
        snprintf(k->slot, sizeof k->slot, "PCI_SLOT_NAME=%s", slot);
        k->v[0] = k->class;
        k->v[1] = k->id;
        k->v[2] = k->subsys;
        k->v[3] = k->slot;
        k->v[4] = NULL;
        return k->v;
}

static void add_pci_flags(FakeKernel *fk, const char *name, const char *class, const char *id, const char *native,
                          int group, unsigned flags) {
        PciKeys k;

        ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) { .bus = FK_PCI, .name = name, .native = native,
                                                              .iommu_group = group, .flags = flags,
                                                              .uevent_extra = pci_keys(&k, class, id, name) }),
                         0);
}

static void add_pci(FakeKernel *fk, const char *name, const char *class, const char *id, const char *native, int group) {
        add_pci_flags(fk, name, class, id, native, group, FK_GROUP_AT_PROBE);
}

static FakeKernel *new_fk(void) {
        FakeKernel *fk = fk_new();
        static const char *const pci_drivers[] = { "virtio-pci", "e1000e", "pcieport", "vfio-pci", NULL };

        ck_assert_ptr_nonnull(fk);
        for (size_t i = 0; pci_drivers[i]; i++)
                ck_assert_int_eq(fk_driver_register(fk, FK_PCI, pci_drivers[i]), 0);
        return fk;
}

#define write_policy fkd_write_policy

static const char *builddir(void) {
        return getenv("top_builddir") ?: ".";
}

static pid_t spawn_daemon(FakeKernel *fk, bool wait_ready) {
        const char *const args[] = { "--write-timeout=5", NULL };

        return wait_ready ? fkd_start(fk, args, NULL) : fkd_spawn(fk, args, NULL);
}

static pid_t start_daemon(FakeKernel *fk) {
        return spawn_daemon(fk, true);
}

#define stop_daemon fkd_stop

static void reload(FakeKernel *fk, pid_t pid, const char *policy) {
        write_policy(fk, policy);
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "RELOADING=1", T));
        ck_assert_msg(fk_wait_notify(fk, "READY=1", T), "no READY=1 after the reload:\n%s", fk_output(fk, pid));
}

/* "vfio-platform-bindctl ARGS --root=ROOT" to its end: its output (stdout and stderr). */
static char *bindctl(FakeKernel *fk, const char *a1, const char *a2) {
        _cleanup_free_ char *root = NULL, *bin = NULL;
        const char *argv[8];
        const char *vg = getenv("VALGRIND");
        size_t n = 0;
        int status = -1;
        pid_t pid;
        char *out;

        ck_assert_int_ge(asprintf(&root, "--root=%s", fk_root(fk)), 0);
        ck_assert_int_ge(asprintf(&bin, "%s/vfio-platform-bindctl", builddir()), 0);
        if (vg && *vg)
                argv[n++] = vg;
        argv[n++] = bin;
        argv[n++] = root;
        argv[n++] = a1;
        if (a2)
                argv[n++] = a2;
        argv[n] = NULL;
        pid = fk_spawn(fk, argv, NULL, FK_SPAWN_MAY_EXIT);
        ck_assert_int_gt(pid, 0);
        ck_assert_msg(fk_wait_exit(fk, pid, T, &status, NULL) == 1, "bindctl did not exit:\n%s", fk_output(fk, pid));
        out = strdup(fk_output(fk, pid));
        ck_assert_ptr_nonnull(out);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "bindctl %s: status %d:\n%s", a1, status, out);
        return out;
}

/* The "group" object of DEV in "bindctl status --json": from its '{' to the matching '}'. */
static char *json_group_of(const char *json, const char *dev) {
        _cleanup_free_ char *key = NULL;
        const char *at, *g, *end;

        ck_assert_int_ge(asprintf(&key, "\"name\": \"%s\"", dev), 0);
        at = strstr(json, key);
        ck_assert_msg(at, "%s not in:\n%s", dev, json);
        g = strstr(at, "\"group\": {");
        ck_assert_msg(g, "no group for %s in:\n%s", dev, json);
        g += strlen("\"group\": ");
        end = strchr(g, '}');
        ck_assert_ptr_nonnull(end);
        return strndup(g, (size_t) (end - g + 1));
}

static void assert_on(FakeKernel *fk, const char *dev, const char *driver, const char *override) {
        ck_assert_msg(streq_ptr(fk_device_driver(fk, dev), driver), "%s: driver %s, expected %s", dev,
                      strna(fk_device_driver(fk, dev)), strna(driver));
        ck_assert_msg(streq_ptr(fk_device_override(fk, dev), override), "%s: override %s, expected %s", dev,
                      strna(fk_device_override(fk, dev)), strna(override));
}

static void assert_untouched(FakeKernel *fk, const char *dev) {
        ck_assert_msg(fk_writes(fk, dev, FK_OVERRIDE) + fk_writes(fk, dev, FK_UNBIND) + fk_writes(fk, dev, FK_PROBE) +
                              fk_writes(fk, dev, FK_BIND) == 0,
                      "%s: written to (override %u, unbind %u, probe %u)", dev, fk_writes(fk, dev, FK_OVERRIDE),
                      fk_writes(fk, dev, FK_UNBIND), fk_writes(fk, dev, FK_PROBE));
}

static void wait_output(FakeKernel *fk, pid_t pid, const char *needle) {
        ck_assert_msg(fk_wait_output(fk, pid, needle, T) == 1, "no \"%s\" in:\n%s", needle, fk_output(fk, pid));
}

static void assert_contains(const char *hay, const char *needle) {
        ck_assert_msg(strstr(hay, needle), "'%s' not in:\n%s", needle, hay);
}

/* --- each bus of the table --- */

/* One device per bus of the table, on a native driver of that bus. A bus added to the table
 * without a row here fails the test: say how its devices look. */
typedef struct BusRow {
        FkDeviceSpec spec;
        const char *native_bus_driver;
} BusRow;

static const char *const virtio_compat[] = { "virtio,mmio", NULL };
static const char *const pl011_compat[] = { "arm,pl011", "arm,primecell", NULL };
static const char *const cdx_attrs[] = { "vendor=0x10ee", "device=0x8084", NULL };
static const char *const rng_keys[] = { "PCI_CLASS=FF00", "PCI_ID=1AF4:1005", "PCI_SUBSYS_ID=1AF4:0004",
                                        "PCI_SLOT_NAME=" RNG_A, NULL };

static const BusRow bus_rows[_BUS_MAX] = {
        [BUS_PLATFORM] = { { .bus = FK_PLATFORM, .name = "a000000.virtio_mmio", .of_fullname = "/virtio_mmio@a000000",
                             .compatible = virtio_compat, .native = "virtio-mmio" } },
        [BUS_AMBA] = { { .bus = FK_AMBA, .name = "9000000.pl011", .of_fullname = "/pl011@9000000",
                         .compatible = pl011_compat, .native = "uart-pl011", .periphid = 0x00241011 } },
        [BUS_PCI] = { { .bus = FK_PCI, .name = RNG_A, .native = "virtio-pci", .flags = FK_GROUP_AT_PROBE,
                        .uevent_extra = rng_keys } },
        [BUS_CDX] = { { .bus = FK_CDX, .name = "cdx-00:00", .native = "cdx-demo", .attrs = cdx_attrs } },
        [BUS_FSL_MC] = { { .bus = FK_FSL_MC, .name = "dprc.2", .native = "fsl_mc_dprc" } },
};

START_TEST(test_each_bus) {
        FakeKernel *fk = fk_new();
        char *policy = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&policy, &size);
        pid_t pid;

        ck_assert_ptr_nonnull(fk);
        ck_assert_ptr_nonnull(f);
        for (Bus b = 0; b < _BUS_MAX; b++) {
                const BusRow *row = &bus_rows[b];

                ck_assert_msg(row->spec.name, "no device for bus %s in bus_rows[]", bus_to_string(b));
                ck_assert_int_eq(fk_driver_register(fk, b, row->spec.native), 0);
                ck_assert_int_eq(fk_driver_register(fk, b, bus_default_driver(b)), 0);
                ck_assert_int_eq(fk_device_add(fk, &row->spec), 0);
                assert_on(fk, row->spec.name, row->spec.native, NULL);
                /* By name and bus, the rule's driver left to the bus's default. */
                fprintf(f, "[%s]\nbus = %s\ndevice = %s\n\n", bus_to_string(b), bus_to_string(b), row->spec.name);
        }
        fclose(f);
        write_policy(fk, policy);
        free(policy);

        pid = start_daemon(fk);
        for (Bus b = 0; b < _BUS_MAX; b++)
                assert_on(fk, bus_rows[b].spec.name, bus_default_driver(b), bus_default_driver(b));
        ck_assert_str_eq(fk_notify_status(fk), "5 devices bound, 0 failed, 0 protected");

        /* Rules removed: each goes back to the native driver recorded when it was taken. */
        reload(fk, pid, "");
        for (Bus b = 0; b < _BUS_MAX; b++) {
                char needle[128];

                assert_on(fk, bus_rows[b].spec.name, bus_rows[b].spec.native, NULL);
                snprintf(needle, sizeof needle, "%s: no longer selected, restored to %s", bus_rows[b].spec.name,
                         bus_rows[b].spec.native);
                wait_output(fk, pid, needle);
        }
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* --- PCI keys --- */

START_TEST(test_pci_keys) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add_pci(fk, RNG_A, "FF00", "1AF4:1005", "virtio-pci", 3);
        add_pci(fk, RNG_B, "FF00", "1AF4:1005", "virtio-pci", 4);
        add_pci(fk, NIC, "20000", "8086:10D3", "e1000e", 6);
        add_pci(fk, NET, "20000", "1AF4:1041", "virtio-pci", 7);
        for (const char *const *d = (const char *const[]) { RNG_A, RNG_B, NET, NULL }; *d; d++)
                assert_on(fk, *d, "virtio-pci", NULL);

        /* Identical IDs: the slot takes one, the other stays. */
        write_policy(fk, "[second-rng]\ndevice = " RNG_A "\n");
        fk_writes_reset(fk);
        pid = start_daemon(fk);
        assert_on(fk, RNG_A, "vfio-pci", "vfio-pci");
        assert_on(fk, RNG_B, "virtio-pci", NULL);
        assert_untouched(fk, RNG_B);
        assert_untouched(fk, NIC);
        ck_assert_uint_eq(fk_writes(fk, RNG_A, FK_OVERRIDE), 1);
        ck_assert_uint_eq(fk_writes(fk, RNG_A, FK_UNBIND), 1);
        ck_assert_uint_eq(fk_writes(fk, RNG_A, FK_PROBE), 1);
        wait_output(fk, pid, RNG_A ": bound to vfio-pci by rule second-rng (");

        /* pci-id and class together: the NIC, not the virtio-net of the same class, not the rng
         * (which goes back to virtio-pci). */
        fk_writes_reset(fk);
        reload(fk, pid, "[nic]\npci-id = 8086:10d3\nclass = 0x0200\n");
        ck_assert_msg(streq_ptr(fk_device_driver(fk, RNG_A), "virtio-pci"), "%s", fk_output(fk, pid));
        assert_on(fk, NIC, "vfio-pci", "vfio-pci");
        assert_on(fk, NET, "virtio-pci", NULL);
        assert_on(fk, RNG_A, "virtio-pci", NULL);
        assert_untouched(fk, NET);
        assert_untouched(fk, RNG_B);

        /* A class prefix alone: both network controllers; the ID of one alone: that one. */
        reload(fk, pid, "[net]\nclass = 02\n");
        assert_on(fk, NIC, "vfio-pci", "vfio-pci");
        assert_on(fk, NET, "vfio-pci", "vfio-pci");
        assert_on(fk, RNG_A, "virtio-pci", NULL);
        reload(fk, pid, "[virtio-net]\npci-id = 1af4:1041\n");
        assert_on(fk, NIC, "e1000e", NULL);
        assert_on(fk, NET, "vfio-pci", "vfio-pci");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* --- IOMMU groups --- */

static void add_two_functions(FakeKernel *fk) {
        add_pci(fk, FN_0, "FF00", "1AF4:1005", "virtio-pci", 5);
        add_pci(fk, FN_1, "FF00", "1AF4:1005", "virtio-pci", 5);
        assert_on(fk, FN_0, "virtio-pci", NULL);
        assert_on(fk, FN_1, "virtio-pci", NULL);
}

START_TEST(test_group_strict) {
        FakeKernel *fk = new_fk();
        _cleanup_free_ char *json = NULL, *group = NULL, *text = NULL;
        pid_t pid;

        add_two_functions(fk);
        write_policy(fk, "[one]\ndevice = " FN_0 "\n");
        fk_writes_reset(fk);
        pid = start_daemon(fk);

        /* Nothing of the group moves; the log names the blocker and the ways out. */
        assert_on(fk, FN_0, "virtio-pci", NULL);
        assert_on(fk, FN_1, "virtio-pci", NULL);
        assert_untouched(fk, FN_0);
        assert_untouched(fk, FN_1);
        wait_output(fk, pid, FN_0 ": not bound to vfio-pci: IOMMU group 5 is not viable: " FN_1
                             " on a host driver; select it too, or set group = whole in rule 'one'");
        ck_assert_str_eq(fk_notify_status(fk), "0 devices bound, 1 failed, 0 protected");

        /* bindctl under the same root says the same: the group, not viable, the blocker. */
        json = bindctl(fk, "status", "--json");
        group = json_group_of(json, FN_0);
        assert_contains(group, "\"id\": \"5\"");
        assert_contains(group, "\"members\": [\"" FN_0 "\", \"" FN_1 "\"]");
        assert_contains(group, "\"viable\": false");
        assert_contains(group, "\"blockers\": [");
        assert_contains(strstr(group, "\"blockers\""), "\"" FN_1 "\"");
        text = bindctl(fk, "status", NULL);
        assert_contains(text, FN_1);

        /* Both selected: the group moves (strict is satisfied), and is viable. */
        reload(fk, pid, "[both]\ndevice = 0000:00:05.*\n");
        assert_on(fk, FN_0, "vfio-pci", "vfio-pci");
        assert_on(fk, FN_1, "vfio-pci", "vfio-pci");
        free(json);
        free(group);
        json = bindctl(fk, "status", "--json");
        group = json_group_of(json, FN_1);
        assert_contains(group, "\"viable\": true");
        assert_contains(group, "\"blockers\": []");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

typedef struct HangCheck {
        unsigned hangs;
        unsigned overrides_before_first_unbind;
        unsigned probes_before_last_unbind;
} HangCheck;

static bool hung_or_done(FakeKernel *fk, void *userdata) {
        (void) userdata;
        return fk_hung(fk) > 0 || (streq_ptr(fk_device_driver(fk, FN_0), "vfio-pci") &&
                                   streq_ptr(fk_device_driver(fk, FN_1), "vfio-pci"));
}

START_TEST(test_group_whole) {
        FakeKernel *fk = new_fk();
        _cleanup_free_ char *json = NULL, *group = NULL;
        HangCheck hc = {};
        pid_t pid;

        add_two_functions(fk);
        /* A root port in the same group, as QEMU without ACS shows it: it stays on pcieport. */
        add_pci(fk, BRIDGE, "60400", "1B36:000C", "pcieport", 5);
        write_policy(fk, "[one]\ndevice = " FN_0 "\ngroup = whole\n");
        fk_writes_reset(fk);
        /* Each unbind waits until the harness has looked at the overrides written so far. */
        fk_fault(fk, FN_0, FK_UNBIND, FK_HANG, 1);
        fk_fault(fk, FN_1, FK_UNBIND, FK_HANG, 1);
        pid = spawn_daemon(fk, false);
        while (hc.hangs < 2) {
                ck_assert_msg(fk_wait(fk, hung_or_done, NULL, T) == 1, "no unbind; output:\n%s", fk_output(fk, pid));
                if (fk_hung(fk) == 0)
                        break;
                if (hc.hangs++ == 0)
                        hc.overrides_before_first_unbind = (fk_writes(fk, FN_0, FK_OVERRIDE) > 0) +
                                                           (fk_writes(fk, FN_1, FK_OVERRIDE) > 0);
                else
                        hc.probes_before_last_unbind = fk_writes(fk, FN_0, FK_PROBE) + fk_writes(fk, FN_1, FK_PROBE);
                ck_assert_uint_eq(fk_release_hung(fk, 0), 1);
        }
        ck_assert_msg(fk_wait_notify(fk, "READY=1", T), "no READY=1; output:\n%s", fk_output(fk, pid));
        ck_assert_uint_eq(hc.hangs, 2);
        /* Both members' overrides were in place before anything was unbound: no host driver can
         * take a member back while the others move. */
        ck_assert_msg(hc.overrides_before_first_unbind == 2, "%u override(s) before the first unbind; output:\n%s",
                      hc.overrides_before_first_unbind, fk_output(fk, pid));
        /* One pass: every unbind before the first probe, and each function probed once. */
        ck_assert_msg(hc.probes_before_last_unbind == 0, "%u probe(s) before the last unbind", hc.probes_before_last_unbind);
        ck_assert_uint_eq(fk_writes(fk, FN_0, FK_PROBE), 1);
        ck_assert_uint_eq(fk_writes(fk, FN_1, FK_PROBE), 1);

        assert_on(fk, FN_0, "vfio-pci", "vfio-pci");
        assert_on(fk, FN_1, "vfio-pci", "vfio-pci");
        assert_on(fk, BRIDGE, "pcieport", NULL);
        assert_untouched(fk, BRIDGE);
        ck_assert_uint_eq(fk_writes(fk, FN_0, FK_UNBIND), 1);
        ck_assert_uint_eq(fk_writes(fk, FN_1, FK_UNBIND), 1);
        json = bindctl(fk, "status", "--json");
        group = json_group_of(json, FN_0);
        assert_contains(group, "\"members\": [\"" BRIDGE "\", \"" FN_0 "\", \"" FN_1 "\"]");
        assert_contains(group, "\"viable\": true");
        assert_contains(group, "\"blockers\": []");

        /* Rule removed: both go back to virtio-pci. */
        reload(fk, pid, "");
        assert_on(fk, FN_0, "virtio-pci", NULL);
        assert_on(fk, FN_1, "virtio-pci", NULL);
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* Bridges: never moved, even by a rule that takes the whole bus. */
START_TEST(test_bridges) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add_pci(fk, BRIDGE, "60400", "1B36:000C", "pcieport", 1);
        add_pci(fk, "0000:00:02.0", "60000", "1B36:0008", NULL, FK_NO_IOMMU); /* a host bridge: no group */
        add_pci(fk, RNG_A, "FF00", "1AF4:1005", "virtio-pci", 3);
        assert_on(fk, BRIDGE, "pcieport", NULL);
        write_policy(fk, "[everything]\nbus = pci\n");
        fk_writes_reset(fk);
        pid = start_daemon(fk);
        assert_on(fk, RNG_A, "vfio-pci", "vfio-pci");
        assert_on(fk, BRIDGE, "pcieport", NULL);
        assert_on(fk, "0000:00:02.0", NULL, NULL);
        assert_untouched(fk, BRIDGE);
        assert_untouched(fk, "0000:00:02.0");
        wait_output(fk, pid, BRIDGE ": not bound to vfio-pci: a bridge to other devices");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* Never probed: no group until bound. Under strict, its group turns out to hold a member on a host
 * driver: bound, then given back (its override cleared, unbound: its native driver is not
 * loaded), and it stays so. */
START_TEST(test_never_probed) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add_pci(fk, NEW_0, "FF00", "1AF4:1005", "virtio-rng-absent", 8);
        add_pci(fk, NEW_1, "FF00", "1AF4:1005", "virtio-pci", 8);
        assert_on(fk, NEW_0, NULL, NULL);
        assert_on(fk, NEW_1, "virtio-pci", NULL);
        write_policy(fk, "[new]\ndevice = " NEW_0 "\n");
        fk_writes_reset(fk);
        pid = start_daemon(fk);
        wait_output(fk, pid, "(bound, then given back)");
        ck_assert_int_eq(fk_settle(fk, 500, T), 1);
        assert_on(fk, NEW_0, NULL, NULL);
        assert_on(fk, NEW_1, "virtio-pci", NULL);
        assert_untouched(fk, NEW_1);
        assert_contains(fk_output(fk, pid), "IOMMU group 8 is not viable: " NEW_1 " on a host driver");
        /* Bound once and given back once (override set and cleared, a probe each): its group is
         * known now, the events of the rollback bring no second attempt. */
        ck_assert_uint_eq(fk_writes(fk, NEW_0, FK_OVERRIDE), 2);
        ck_assert_uint_eq(fk_writes(fk, NEW_0, FK_PROBE), 2);

        /* With group = whole, the same device takes its sibling along. */
        reload(fk, pid, "[new]\ndevice = " NEW_0 "\ngroup = whole\n");
        assert_on(fk, NEW_0, "vfio-pci", "vfio-pci");
        assert_on(fk, NEW_1, "vfio-pci", "vfio-pci");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* A member vanishes while the group moves: no crash, the other member ends where the policy
 * says, the daemon keeps serving. */
START_TEST(test_member_vanishes) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add_two_functions(fk);
        write_policy(fk, "[one]\ndevice = " FN_0 "\ngroup = whole\n");
        fk_fault(fk, FN_1, FK_UNBIND, FK_VANISH, 1);
        pid = start_daemon(fk);
        ck_assert(!fk_device_exists(fk, FN_1));
        assert_on(fk, FN_0, "vfio-pci", "vfio-pci");

        /* Still serving: a hotplugged device of the group's rule is taken. */
        add_pci(fk, RNG_A, "FF00", "1AF4:1005", "virtio-pci", 3);
        reload(fk, pid, "[one]\ndevice = " FN_0 "\ngroup = whole\n\n[rng]\ndevice = " RNG_A "\n");
        assert_on(fk, RNG_A, "vfio-pci", "vfio-pci");
        assert_on(fk, FN_0, "vfio-pci", "vfio-pci");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* Hostile values of the new attributes: the device matches no ID or class rule, and is listed. */
START_TEST(test_hostile_values) {
        FakeKernel *fk = new_fk();
        static const char *const bad_id[] = { "PCI_CLASS=FF00", "PCI_ID=ZZZZ:1005", "PCI_SUBSYS_ID=::::", NULL };
        static const char *const long_class[] = { "PCI_CLASS=1FF00000000000000000000000000000000", "PCI_ID=1AF4:1005:1AF4",
                                                  NULL };
        static const char *const nonhex_class[] = { "PCI_CLASS=FG00", "PCI_ID=1AF4:10050", NULL };
        static const char *const empty[] = { "PCI_CLASS=", "PCI_ID=", "PCI_SLOT_NAME=", NULL };
        static const char *const junk_cdx[] = { "vendor=junk\x01\x7f", "device=0x80841234567", NULL };
        static const char *const nohex_cdx[] = { "vendor=0x", "device=-1", NULL };
        static const char *const good_cdx[] = { "vendor=0x10EE", "device=0x8084", NULL };
        const FkDeviceSpec specs[] = {
                { .bus = FK_PCI, .name = "0000:00:0a.0", .native = "virtio-pci", .iommu_group = 10, .uevent_extra = bad_id },
                { .bus = FK_PCI, .name = "0000:00:0b.0", .native = "virtio-pci", .iommu_group = 11, .uevent_extra = long_class },
                { .bus = FK_PCI, .name = "0000:00:0c.0", .native = "virtio-pci", .iommu_group = 12, .uevent_extra = nonhex_class },
                { .bus = FK_PCI, .name = "0000:00:0d.0", .native = "virtio-pci", .iommu_group = 13, .uevent_extra = empty },
                { .bus = FK_PCI, .name = "0000:00:0e.0", .native = "virtio-pci", .iommu_group = 14, .uevent_extra = no_keys },
                { .bus = FK_CDX, .name = "cdx-00:01", .native = "cdx-demo", .attrs = junk_cdx },
                { .bus = FK_CDX, .name = "cdx-00:02", .native = "cdx-demo", .attrs = nohex_cdx },
                { .bus = FK_CDX, .name = "cdx-00:03", .native = "cdx-demo" }, /* no vendor/device at all */
        };
        _cleanup_free_ char *text = NULL, *json = NULL;
        pid_t pid;

        ck_assert_int_eq(fk_driver_register(fk, FK_CDX, "cdx-demo"), 0);
        ck_assert_int_eq(fk_driver_register(fk, FK_CDX, "vfio-cdx"), 0);
        for (size_t i = 0; i < ELEMENTSOF(specs); i++)
                ck_assert_int_eq(fk_device_add(fk, &specs[i]), 0);
        /* Rules that do match good values: these two prove them. */
        add_pci(fk, RNG_A, "FF00", "1AF4:1005", "virtio-pci", 3);
        ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) { .bus = FK_CDX, .name = "cdx-00:04", .native = "cdx-demo",
                                                              .attrs = good_cdx }),
                         0);
        write_policy(fk, "[ids]\npci-id = *:*\n\n[class]\nclass = ff\n\n[sub]\npci-id = *:*:*:*\n\n"
                         "[cdx]\ncdx-id = 10ee:*\n\n[anycdx]\ncdx-id = *:*\n");
        fk_writes_reset(fk);
        pid = start_daemon(fk);
        assert_on(fk, RNG_A, "vfio-pci", "vfio-pci");
        assert_on(fk, "cdx-00:04", "vfio-cdx", "vfio-cdx");
        for (size_t i = 0; i < ELEMENTSOF(specs); i++) {
                assert_on(fk, specs[i].name, specs[i].native, NULL);
                assert_untouched(fk, specs[i].name);
        }
        ck_assert_str_eq(fk_notify_status(fk), "2 devices bound, 0 failed, 0 protected");

        /* Listed by status, in text and JSON, without IDs it cannot read. */
        text = bindctl(fk, "status", NULL);
        json = bindctl(fk, "status", "--json");
        for (size_t i = 0; i < ELEMENTSOF(specs); i++) {
                assert_contains(text, specs[i].name);
                assert_contains(json, specs[i].name);
        }
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

int main(void) {
        Suite *s;
        TCase *tc;
        SRunner *sr;
        int failed;

        if (!fk_supported())
                return 77;
        s = suite_create("daemon-pci");
        tc = tcase_create("buses");
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_each_bus);
        tcase_add_test(tc, test_pci_keys);
        tcase_add_test(tc, test_hostile_values);
        suite_add_tcase(s, tc);
        tc = tcase_create("groups");
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_group_strict);
        tcase_add_test(tc, test_group_whole);
        tcase_add_test(tc, test_bridges);
        tcase_add_test(tc, test_never_probed);
        tcase_add_test(tc, test_member_vanishes);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
