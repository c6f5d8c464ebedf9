/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real vfio-platform-bindd against the fake kernel (tests/fake-kernel.h): coldplug, uevents,
 * a native driver winning a race, reload, broken reload, faults on every write, a hung unbind,
 * lost uevents, a device vanishing mid-bind, 1,000 devices, SIGTERM, a restart that converges
 * without rebinding, odd names, and the diagnostics. Under "make check VALGRIND=..." the daemon
 * itself runs under valgrind too. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-kernel.h"
#include "fk-daemon.h"
#include "macro.h"
#include "testutil.h"


#define DEV_A "a000000.virtio_mmio"    /* native virtio-mmio */
#define DEV_B "a000200.virtio_mmio"    /* no native driver */
#define DEV_C "a000400.virtio_mmio"    /* already on vfio-platform */
#define DEV_D "a000600.virtio_mmio"    /* native, protected by an ignore rule */
#define DEV_E "9020000.fw-cfg"         /* native, not selected */
#define DEV_F "soc:gpio-keys"          /* ':' and '-' in its name */

static const char *const virtio[] = { "virtio,mmio", NULL };
static const char *const fwcfg[] = { "qemu,fw-cfg-mmio", NULL };
static const char *const gpiokeys[] = { "gpio-keys", NULL };

#define POLICY_ALL                                                      \
        "[protect]\ndevice = " DEV_D "\naction = ignore\n\n"          \
        "[virtio]\ncompatible = virtio,*\n"

static FakeKernel *new_fk(void) {
        FakeKernel *fk = fk_new();

        ck_assert_ptr_nonnull(fk);
        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "virtio-mmio"), 0);
        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "fw_cfg"), 0);
        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "vfio-platform"), 0);
        return fk;
}

static void add(FakeKernel *fk, const char *name, const char *native, const char *const *compat, int group,
                const char *override) {
        char path[128];

        snprintf(path, sizeof path, "/%s@%s", compat == virtio ? "virtio_mmio" : name, name);
        ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) {
                                 .bus = FK_PLATFORM, .name = name, .of_fullname = path, .compatible = compat,
                                 .native = native, .override = override, .iommu_group = group }),
                         0);
}

static void add_standard(FakeKernel *fk) {
        add(fk, DEV_A, "virtio-mmio", virtio, 0, NULL);
        add(fk, DEV_B, NULL, virtio, 0, NULL);
        add(fk, DEV_C, "virtio-mmio", virtio, 0, "vfio-platform");
        add(fk, DEV_D, "virtio-mmio", virtio, 0, NULL);
        add(fk, DEV_E, "fw_cfg", fwcfg, 0, NULL);
        ck_assert_str_eq(fk_device_driver(fk, DEV_A), "virtio-mmio");
        ck_assert_ptr_null(fk_device_driver(fk, DEV_B));
        ck_assert_str_eq(fk_device_driver(fk, DEV_C), "vfio-platform");
}

#define T FKD_T
#define write_policy fkd_write_policy
#define stop_daemon fkd_stop
#define assert_on fkd_assert_on
#define wait_on fkd_wait_on

static pid_t start_daemon_args(FakeKernel *fk, const char *extra) {
        return fkd_start(fk, (const char *const[]) { extra, NULL }, NULL);
}

static pid_t start_daemon(FakeKernel *fk) {
        return start_daemon_args(fk, NULL);
}

static void wait_output(FakeKernel *fk, pid_t pid, const char *needle) {
        fkd_wait_output(fk, pid, needle);
}

START_TEST(test_coldplug) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add_standard(fk);
        write_policy(fk, POLICY_ALL);
        fk_writes_reset(fk);
        pid = start_daemon(fk);

        assert_on(fk, DEV_A, "vfio-platform", "vfio-platform");     /* was native */
        assert_on(fk, DEV_B, "vfio-platform", "vfio-platform");     /* was unbound */
        assert_on(fk, DEV_C, "vfio-platform", "vfio-platform");     /* was there already */
        assert_on(fk, DEV_D, "virtio-mmio", NULL);                  /* protected */
        assert_on(fk, DEV_E, "fw_cfg", NULL);                       /* not selected */
        /* Already bound with its override: left alone entirely. */
        ck_assert_uint_eq(fk_writes(fk, DEV_C, FK_OVERRIDE) + fk_writes(fk, DEV_C, FK_UNBIND) +
                          fk_writes(fk, DEV_C, FK_PROBE), 0);
        ck_assert_uint_eq(fk_writes(fk, DEV_D, FK_OVERRIDE) + fk_writes(fk, DEV_E, FK_OVERRIDE), 0);
        /* The native one: override, unbind, probe, once each. */
        ck_assert_uint_eq(fk_writes(fk, DEV_A, FK_OVERRIDE), 1);
        ck_assert_uint_eq(fk_writes(fk, DEV_A, FK_UNBIND), 1);
        ck_assert_uint_eq(fk_writes(fk, DEV_A, FK_PROBE), 1);
        ck_assert_str_eq(fk_notify_status(fk), "3 devices bound, 0 failed, 1 protected");
        wait_output(fk, pid, DEV_A ": bound to vfio-platform by rule virtio (");

        /* SIGTERM: exits cleanly, bindings stay. */
        stop_daemon(fk, pid);
        assert_on(fk, DEV_A, "vfio-platform", "vfio-platform");
        fk_free(fk);
}
END_TEST

START_TEST(test_hotplug) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = start_daemon(fk);
        fk_writes_reset(fk);

        /* The native driver binds at add (the kernel probes before anyone can write an
         * override): the add and bind events bring the daemon, which takes the device. */
        add(fk, DEV_A, "virtio-mmio", virtio, 0, NULL);
        wait_on(fk, DEV_A, "vfio-platform");
        ck_assert_str_eq(fk_device_override(fk, DEV_A), "vfio-platform");
        /* Not selected: nothing written. */
        add(fk, DEV_E, "fw_cfg", fwcfg, 0, NULL);
        ck_assert_int_eq(fk_settle(fk, 300, T), 1);
        assert_on(fk, DEV_E, "fw_cfg", NULL);
        ck_assert_uint_eq(fk_writes(fk, DEV_E, FK_OVERRIDE) + fk_writes(fk, DEV_E, FK_UNBIND), 0);
        /* Removed: forgotten quietly, no error. */
        ck_assert_int_eq(fk_device_remove(fk, DEV_A), 0);
        ck_assert_int_eq(fk_settle(fk, 300, T), 1);
        ck_assert_msg(!strstr(fk_output(fk, pid), "failed:") && !strstr(fk_output(fk, pid), "not bound"), "%s",
                      fk_output(fk, pid));
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

START_TEST(test_native_wins_race) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add(fk, DEV_A, "virtio-mmio", virtio, 0, NULL);
        write_policy(fk, "[virtio]\ndevice = " DEV_A "\n");
        /* Probing fails for now: the device is left unbound, with our override. */
        fk_fault(fk, DEV_A, FK_PROBE, EBUSY, FK_ALWAYS);
        pid = start_daemon(fk);
        ck_assert_int_eq(fk_settle(fk, 200, T), 1);
        assert_on(fk, DEV_A, NULL, "vfio-platform");
        fk_fault(fk, DEV_A, FK_PROBE, 0, 0);
        fk_writes_reset(fk);

        /* The native driver gets the device anyway (a built-in driver before user space, a
         * sibling's module load racing udev): its bind event brings the daemon, which takes the
         * device back. */
        ck_assert_int_eq(fk_native_grab(fk, DEV_A), 0);
        wait_on(fk, DEV_A, "vfio-platform");
        ck_assert_str_eq(fk_device_override(fk, DEV_A), "vfio-platform");
        ck_assert_uint_eq(fk_writes(fk, DEV_A, FK_UNBIND), 1);
        ck_assert_uint_eq(fk_writes(fk, DEV_A, FK_PROBE), 1);
        wait_output(fk, pid, DEV_A ": bound to vfio-platform by rule virtio (");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

START_TEST(test_reload) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add_standard(fk);
        write_policy(fk, "[a]\ndevice = " DEV_A "\n");
        pid = start_daemon(fk);
        assert_on(fk, DEV_A, "vfio-platform", "vfio-platform");
        assert_on(fk, DEV_D, "virtio-mmio", NULL);

        /* A new rule binds D; A is no longer selected and goes back to its native driver. */
        write_policy(fk, "[d]\ndevice = " DEV_D "\n");
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "RELOADING=1", T));
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        assert_on(fk, DEV_D, "vfio-platform", "vfio-platform");
        assert_on(fk, DEV_A, "virtio-mmio", NULL);
        wait_output(fk, pid, DEV_A ": no longer selected, restored to virtio-mmio");

        /* --keep-on-reload is tested below; an empty policy restores D too. */
        write_policy(fk, "");
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        assert_on(fk, DEV_D, "virtio-mmio", NULL);
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

START_TEST(test_keep_on_reload) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add_standard(fk);
        write_policy(fk, "[a]\ndevice = " DEV_A "\n");
        pid = start_daemon_args(fk, "--keep-on-reload");
        assert_on(fk, DEV_A, "vfio-platform", "vfio-platform");
        write_policy(fk, "");
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        assert_on(fk, DEV_A, "vfio-platform", "vfio-platform");
        wait_output(fk, pid, DEV_A ": no longer selected, staying on vfio-platform (kept)");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

START_TEST(test_broken_reload) {
        FakeKernel *fk = new_fk();
        _cleanup_free_ char *expected = NULL;
        pid_t pid;

        add_standard(fk);
        write_policy(fk, "[a]\ndevice = " DEV_A "\n");
        pid = start_daemon(fk);
        write_policy(fk, "[a]\ndevice = " DEV_A "\nfrobnicate = yes\n");
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        ck_assert_int_ge(asprintf(&expected, "%s/etc/vfio-platform-bind.d/test.conf:3: unknown key 'frobnicate'", fk_root(fk)), 0);
        wait_output(fk, pid, expected);
        wait_output(fk, pid, "Keeping the previous policy.");
        assert_on(fk, DEV_A, "vfio-platform", "vfio-platform");
        /* The old policy is still in force for new events. */
        ck_assert_int_eq(fk_device_remove(fk, DEV_A), 0);
        add(fk, DEV_A, "virtio-mmio", virtio, 0, NULL);
        wait_on(fk, DEV_A, "vfio-platform");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* A broken policy at start: exit status 1 and the FILE:LINE problems. */
START_TEST(test_broken_start) {
        FakeKernel *fk = new_fk();
        _cleanup_free_ char *policy = NULL, *expected = NULL;
        pid_t pid;

        write_policy(fk, "[a]\ndevice = x\naction = bnid\n");
        ck_assert_int_ge(asprintf(&policy, "--policy=%s/etc/vfio-platform-bind.d/test.conf", fk_root(fk)), 0);
        ck_assert_int_eq(fkd_run_tool(fk, "vfio-platform-bindd", (const char *const[]) { policy, "--no-load-modules", NULL },
                                      &pid),
                         1);
        ck_assert_int_ge(asprintf(&expected, "%s/etc/vfio-platform-bind.d/test.conf:3: unknown action 'bnid'", fk_root(fk)), 0);
        ck_assert_ptr_nonnull(strstr(fk_output(fk, pid), expected));
        fk_free(fk);
}
END_TEST

/* Each write failing with each errno: the device is reported with the errno, the others bind. */
static const struct {
        FkFile file;
        int error;
        const char *needle;
} write_faults[] = {
        { FK_OVERRIDE, EBUSY, DEV_A ": not bound to vfio-platform: writing 'vfio-platform' to driver_override failed: Device or resource busy" },
        { FK_OVERRIDE, EINVAL, DEV_A ": not bound to vfio-platform: writing 'vfio-platform' to driver_override failed: Invalid argument" },
        { FK_OVERRIDE, ENODEV, DEV_A ": went away, ignoring" },
        { FK_UNBIND, EBUSY, DEV_A ": not bound to vfio-platform: writing '" DEV_A "' to the driver's unbind failed: Device or resource busy" },
        { FK_UNBIND, EINVAL, DEV_A ": not bound to vfio-platform: writing '" DEV_A "' to the driver's unbind failed: Invalid argument" },
        { FK_UNBIND, ENODEV, DEV_A ": not bound to vfio-platform: driver 'virtio-mmio' holds the device" },
        { FK_PROBE, EBUSY, DEV_A ": not bound to vfio-platform: writing '" DEV_A "' to drivers_probe failed: Device or resource busy" },
        { FK_PROBE, EINVAL, DEV_A ": not bound to vfio-platform: writing '" DEV_A "' to drivers_probe failed: Invalid argument" },
        { FK_PROBE, ENODEV, DEV_A ": not bound to vfio-platform: writing '" DEV_A "' to drivers_probe failed: No such device" },
};

START_TEST(test_write_faults) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add(fk, DEV_A, "virtio-mmio", virtio, 0, NULL);
        add(fk, DEV_B, NULL, virtio, 0, NULL);
        write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        fk_fault(fk, DEV_A, write_faults[_i].file, write_faults[_i].error, FK_ALWAYS);
        pid = start_daemon(fk);
        wait_output(fk, pid, write_faults[_i].needle);
        ck_assert_str_ne(strempty(fk_device_driver(fk, DEV_A)), "vfio-platform");
        assert_on(fk, DEV_B, "vfio-platform", "vfio-platform");
        /* The fault goes away: the next event binds it. */
        fk_fault(fk, DEV_A, write_faults[_i].file, 0, 0);
        ck_assert_int_eq(fk_uevent(fk, DEV_A, "change"), 0);
        wait_on(fk, DEV_A, "vfio-platform");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* An unbind that never returns: abandoned after --write-timeout, the other devices go on. */
START_TEST(test_hung_unbind) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add(fk, DEV_A, "virtio-mmio", virtio, 0, NULL);
        add(fk, DEV_B, NULL, virtio, 0, NULL);
        write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        fk_fault(fk, DEV_A, FK_UNBIND, FK_HANG, 1);
        pid = start_daemon(fk);
        wait_output(fk, pid, DEV_A ": not bound: writing to unbind did not return in 2 s; abandoned");
        assert_on(fk, DEV_B, "vfio-platform", "vfio-platform");
        ck_assert_uint_eq(fk_hung(fk), 1);
        /* Events are still served while that write hangs. */
        add(fk, DEV_C, "virtio-mmio", virtio, 0, NULL);
        wait_on(fk, DEV_C, "vfio-platform");
        /* The stuck driver lets go at last: the next event finishes the job. */
        ck_assert_uint_eq(fk_release_hung(fk, 0), 1);
        ck_assert_int_eq(fk_uevent(fk, DEV_A, "change"), 0);
        wait_on(fk, DEV_A, "vfio-platform");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* A device removed while it is being bound. */
START_TEST(test_vanish) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add(fk, DEV_A, "virtio-mmio", virtio, 0, NULL);
        add(fk, DEV_B, "virtio-mmio", virtio, 0, NULL);
        write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        fk_fault(fk, DEV_A, FK_UNBIND, FK_VANISH, 1);
        pid = start_daemon(fk);
        ck_assert(!fk_device_exists(fk, DEV_A));
        assert_on(fk, DEV_B, "vfio-platform", "vfio-platform");
        ck_assert_int_eq(fk_settle(fk, 300, T), 1);
        ck_assert_str_eq(fk_notify_status(fk), "1 device bound, 0 failed, 0 protected");
        ck_assert_ptr_null(strstr(fk_output(fk, pid), "failed:"));
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* Uevents lost (ENOBUFS): a rescan finds what they would have said. */
START_TEST(test_lost_uevents) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add(fk, DEV_E, "fw_cfg", fwcfg, 0, NULL);
        write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = start_daemon(fk);
        fk_lose_uevents(fk, true);
        add(fk, DEV_A, "virtio-mmio", virtio, 0, NULL);
        add(fk, DEV_B, NULL, virtio, 0, NULL);
        ck_assert_int_eq(fk_settle(fk, 200, T), 1);
        ck_assert_str_eq(fk_device_driver(fk, DEV_A), "virtio-mmio");
        fk_lose_uevents(fk, false);
        /* Any event wakes the daemon up; its read then says ENOBUFS. */
        ck_assert_int_eq(fk_uevent(fk, DEV_E, "change"), 0);
        wait_on(fk, DEV_A, "vfio-platform");
        wait_on(fk, DEV_B, "vfio-platform");
        wait_output(fk, pid, "Uevents were lost (receive buffer overrun): rescanning every device.");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* Restarted (even after SIGKILL), the daemon converges on the same state without rebinding. */
START_TEST(test_restart_converges) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add_standard(fk);
        write_policy(fk, POLICY_ALL);
        pid = start_daemon(fk);
        ck_assert_int_eq(fk_kill(fk, pid, SIGKILL), 0);
        ck_assert_int_eq(fk_wait_exit(fk, pid, T, NULL, NULL), 1);
        fk_writes_reset(fk);

        pid = start_daemon(fk);
        for (const char *const *d = (const char *const[]) { DEV_A, DEV_B, DEV_C, DEV_D, DEV_E, NULL }; *d; d++)
                ck_assert_uint_eq(fk_writes(fk, *d, FK_OVERRIDE) + fk_writes(fk, *d, FK_UNBIND) +
                                  fk_writes(fk, *d, FK_PROBE), 0);
        assert_on(fk, DEV_A, "vfio-platform", "vfio-platform");
        assert_on(fk, DEV_D, "virtio-mmio", NULL);
        ck_assert_str_eq(fk_notify_status(fk), "3 devices bound, 0 failed, 1 protected");

        /* What A had before is still known across the restart: a reload that drops it restores. */
        write_policy(fk, "");
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        assert_on(fk, DEV_A, "virtio-mmio", NULL);
        assert_on(fk, DEV_B, NULL, NULL);
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

START_TEST(test_odd_names) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) { .bus = FK_PLATFORM, .name = DEV_F,
                                                             .of_fullname = "/soc/gpio-keys", .compatible = gpiokeys }), 0);
        add(fk, DEV_E, "fw_cfg", fwcfg, 0, NULL);
        write_policy(fk, "[odd]\ndevice = soc:gpio-*\ndevice = 9020000.fw-cfg\n");
        pid = start_daemon(fk);
        assert_on(fk, DEV_E, "vfio-platform", "vfio-platform");
        assert_on(fk, DEV_F, "vfio-platform", "vfio-platform");
        wait_output(fk, pid, DEV_F ": bound to vfio-platform by rule odd (");
        /* Restored by name, too. */
        write_policy(fk, "");
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        assert_on(fk, DEV_F, NULL, NULL);
        assert_on(fk, DEV_E, "fw_cfg", NULL);
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* The diagnostics of a failed bind, each from what the (fake) system shows. */
START_TEST(test_diagnostics) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        add(fk, DEV_A, "virtio-mmio", virtio, FK_NO_IOMMU, NULL);
        ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) { .bus = FK_PLATFORM, .name = DEV_B,
                                                             .of_fullname = "/virtio_mmio@a000200", .compatible = virtio,
                                                             .flags = FK_NO_RESET }), 0);
        tu_write(fk_root(fk), "sys/module/vfio_platform/parameters/reset_required", "Y\n");
        write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n[uio]\ndevice = " DEV_E "\ndriver = uio_pdrv_genirq\n");
        add(fk, DEV_E, "fw_cfg", fwcfg, 0, NULL);
        pid = start_daemon(fk);
        wait_output(fk, pid, DEV_A ": not bound to vfio-platform: the device has no IOMMU group (no iommus= in its DT "
                             "node, or no IOMMU driver) and vfio's no-IOMMU mode is off");
        wait_output(fk, pid, DEV_B ": not bound to vfio-platform: vfio-platform has no reset handler for compatible "
                             "'virtio,mmio' and vfio_platform.reset_required=1");
        wait_output(fk, pid, DEV_E ": not bound to uio_pdrv_genirq: driver 'uio_pdrv_genirq' is not registered and "
                             "module loading is off");
        ck_assert_str_eq(fk_notify_status(fk), "0 devices bound, 3 failed, 0 protected");
        /* The native driver keeps DEV_E: its target is not there. */
        assert_on(fk, DEV_E, "fw_cfg", "uio_pdrv_genirq");
        stop_daemon(fk, pid);
        fk_free(fk);

        /* Linux 6.1 with reset_required=0: the known bug is named. */
        fk = new_fk();
        ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) { .bus = FK_PLATFORM, .name = DEV_B,
                                                             .of_fullname = "/virtio_mmio@a000200", .compatible = virtio,
                                                             .flags = FK_NO_RESET }), 0);
        tu_write(fk_root(fk), "sys/module/vfio_platform/parameters/reset_required", "N\n");
        tu_write(fk_root(fk), "proc/sys/kernel/osrelease", "6.1.0-28-arm64\n");
        write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = start_daemon(fk);
        wait_output(fk, pid, DEV_B ": not bound to vfio-platform: Linux 6.1.0-28-arm64 bug: vfio-platform fails with "
                             "error -2 (ENOENT) when no reset handler exists for compatible 'virtio,mmio', even with "
                             "reset_required=0; fixed in Linux 6.3 (commit 168a9c91fe0a)");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* The target driver registers after the daemon gave up (modprobe by hand, a module loaded late):
 * its "add" uevent (SUBSYSTEM=drivers) brings the failed devices another try. */
START_TEST(test_target_registered_later) {
        FakeKernel *fk = new_fk();
        pid_t pid;

        ck_assert_int_eq(fk_driver_unregister(fk, FK_PLATFORM, "vfio-platform"), 0);
        add(fk, DEV_A, "virtio-mmio", virtio, 0, NULL);
        add(fk, DEV_B, NULL, virtio, 0, NULL);
        write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = start_daemon(fk);
        wait_output(fk, pid, DEV_A ": not bound to vfio-platform: driver 'vfio-platform' is not registered");
        /* The override is in place: the native driver keeps it for now, nobody else can take it. */
        assert_on(fk, DEV_A, "virtio-mmio", "vfio-platform");
        ck_assert_str_eq(fk_notify_status(fk), "0 devices bound, 2 failed, 0 protected");

        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "vfio-platform"), 0);
        wait_on(fk, DEV_A, "vfio-platform");
        wait_on(fk, DEV_B, "vfio-platform");
        ck_assert_msg(fk_wait_notify(fk, "STATUS=2 devices bound, 0 failed, 0 protected", T), "STATUS=%s\n%s",
                      fk_notify_status(fk), fk_output(fk, pid));
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

static bool all_bound(FakeKernel *fk, void *userdata) {
        unsigned n = *(unsigned *) userdata;

        for (unsigned i = 0; i < n; i += 2) {
                char name[64];
                snprintf(name, sizeof name, "%x.dev", 0x10000000 + i * 0x1000);
                if (!streq_ptr(fk_device_driver(fk, name), "vfio-platform"))
                        return false;
        }
        return true;
}

/* 1,000 devices at start: half selected (and held by a native driver), half not. */
START_TEST(test_thousand_devices) {
        static const char *const sel[] = { "vendor,selected", NULL }, *const other[] = { "vendor,other", NULL };
        FakeKernel *fk = new_fk();
        unsigned n = 1000;
        char status[64];
        pid_t pid;

        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "vendor-drv"), 0);
        for (unsigned i = 0; i < n; i++) {
                char name[64], path[64];
                snprintf(name, sizeof name, "%x.dev", 0x10000000 + i * 0x1000);
                snprintf(path, sizeof path, "/soc/dev@%x", 0x10000000 + i * 0x1000);
                ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) { .bus = FK_PLATFORM, .name = name,
                                                                     .of_fullname = path,
                                                                     .compatible = i % 2 ? other : sel,
                                                                     .native = "vendor-drv" }), 0);
        }
        write_policy(fk, "[sel]\ncompatible = vendor,selected\n");
        pid = start_daemon(fk);
        ck_assert_int_eq(fk_wait(fk, all_bound, &n, T), 1);
        snprintf(status, sizeof status, "%u devices bound, 0 failed, 0 protected", n / 2);
        ck_assert_str_eq(fk_notify_status(fk), status);
        ck_assert_uint_eq(fk_writes(fk, NULL, FK_PROBE), n / 2);
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* One daemon per root (issue 13): a second one exits 1 naming the first's PID, and bindctl's
 * writing verbs are refused while the daemon runs; once it is gone, the lock is free again. */
#define run_tool fkd_run_tool

START_TEST(test_second_instance) {
        FakeKernel *fk = new_fk();
        _cleanup_free_ char *policy = NULL, *needle = NULL, *tool_needle = NULL;
        pid_t pid, second, tool;

        add_standard(fk);
        write_policy(fk, POLICY_ALL);
        pid = start_daemon(fk);
        wait_on(fk, DEV_A, "vfio-platform");

        ck_assert_int_ge(asprintf(&policy, "--policy=%s/etc/vfio-platform-bind.d/test.conf", fk_root(fk)), 0);
        ck_assert_int_eq(run_tool(fk, "vfio-platform-bindd", (const char *const[]) { policy, "--no-load-modules", NULL },
                                  &second), 1);
        ck_assert_int_ge(asprintf(&needle, "vfio-platform-bindd (PID %ld) holds /run/vfio-platform-bindd/lock",
                                  (long) pid), 0);
        ck_assert_msg(strstr(fk_output(fk, second), needle), "no \"%s\" in:\n%s", needle, fk_output(fk, second));

        ck_assert_int_eq(run_tool(fk, "vfio-platform-bindctl", (const char *const[]) { "restore", DEV_A, NULL }, &tool), 1);
        ck_assert_int_ge(asprintf(&tool_needle, "vfio-platform-bindd (PID %ld) runs on", (long) pid), 0);
        ck_assert_msg(strstr(fk_output(fk, tool), tool_needle), "no \"%s\" in:\n%s", tool_needle, fk_output(fk, tool));
        assert_on(fk, DEV_A, "vfio-platform", "vfio-platform"); /* the refused restore wrote nothing */

        stop_daemon(fk, pid);
        ck_assert_int_eq(run_tool(fk, "vfio-platform-bindctl", (const char *const[]) { "restore", DEV_A, NULL }, &tool), 0);
        assert_on(fk, DEV_A, "virtio-mmio", NULL);
        fk_free(fk);
}
END_TEST

int main(void) {
        Suite *s;
        TCase *tc;

        if (!fk_supported())
                return 77;
        s = suite_create("daemon");
        tc = tcase_create("fake-kernel");
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_coldplug);
        tcase_add_test(tc, test_hotplug);
        tcase_add_test(tc, test_native_wins_race);
        tcase_add_test(tc, test_reload);
        tcase_add_test(tc, test_keep_on_reload);
        tcase_add_test(tc, test_broken_reload);
        tcase_add_test(tc, test_broken_start);
        tcase_add_test(tc, test_second_instance);
        tcase_add_loop_test(tc, test_write_faults, 0, ELEMENTSOF(write_faults));
        tcase_add_test(tc, test_hung_unbind);
        tcase_add_test(tc, test_vanish);
        tcase_add_test(tc, test_lost_uevents);
        tcase_add_test(tc, test_restart_converges);
        tcase_add_test(tc, test_odd_names);
        tcase_add_test(tc, test_diagnostics);
        tcase_add_test(tc, test_target_registered_later);
        tcase_add_test(tc, test_thousand_devices);
        suite_add_tcase(s, tc);
        return tu_run(s);
}
