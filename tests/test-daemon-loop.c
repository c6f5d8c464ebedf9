/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's event loop never waits for sysfs (issue 13), under the fake kernel: SIGTERM in the
 * middle of a 20,000-device coldplug; hung writes while 100 other devices are hotplugged, with
 * the watchdog fed; a hung device reported once and holding one thread however many events come;
 * the bound on abandoned threads; a reload in the middle of a coldplug; and vfio-platform-bindctl's
 * inline writes, watched, with the worker after a hang. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fk-daemon.h"
#include "macro.h"
#include "testutil.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define T FKD_T

static const char *const virtio[] = { "virtio,mmio", NULL };

static FakeKernel *new_fk(void) {
        FakeKernel *fk = fk_new();

        ck_assert_ptr_nonnull(fk);
        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "virtio-mmio"), 0);
        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "vfio-platform"), 0);
        return fk;
}

static void dev_name(unsigned i, char *buf, size_t size) {
        snprintf(buf, size, "%x.virtio_mmio", 0x10000000 + i * 0x200);
}

static void add_devices(FakeKernel *fk, unsigned from, unsigned n) {
        for (unsigned i = from; i < from + n; i++) {
                char name[64], path[96];

                dev_name(i, name, sizeof name);
                snprintf(path, sizeof path, "/soc/virtio_mmio@%x", 0x10000000 + i * 0x200);
                ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) { .bus = FK_PLATFORM, .name = name, .of_fullname = path,
                                                                     .compatible = virtio, .native = "virtio-mmio" }),
                                 0);
        }
}

static void hang_unbinds(FakeKernel *fk, unsigned from, unsigned n) {
        for (unsigned i = from; i < from + n; i++) {
                char name[64];

                dev_name(i, name, sizeof name);
                fk_fault(fk, name, FK_UNBIND, FK_HANG, 1);
        }
}

/* Serves until @n writes hang in the fake kernel. */
static void wait_hung(FakeKernel *fk, unsigned n) {
        while (fk_hung(fk) < n)
                ck_assert_int_eq(fk_wait(fk, NULL, NULL, 50), 0);
}

static unsigned count_on(FakeKernel *fk, unsigned from, unsigned n, const char *driver) {
        unsigned c = 0;

        for (unsigned i = from; i < from + n; i++) {
                char name[64];

                dev_name(i, name, sizeof name);
                c += streq_ptr(fk_device_driver(fk, name), driver);
        }
        return c;
}

typedef struct Range {
        unsigned from, n;
        const char *driver;
} Range;

static bool range_on(FakeKernel *fk, void *userdata) {
        const Range *r = userdata;

        return count_on(fk, r->from, r->n, r->driver) == r->n;
}

static bool some_on(FakeKernel *fk, void *userdata) {
        const Range *r = userdata;

        return count_on(fk, r->from, r->n, r->driver) > 0;
}

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* SIGTERM while a coldplug of 20,000 devices runs: answered at once, the rest left alone. Before
 * the loop was asynchronous, the signal waited for the whole coldplug (45-60 s). */
START_TEST(test_sigterm_during_coldplug) {
        unsigned n = RUNNING_ON_VALGRIND ? 2000 : 20000, bound;
        FakeKernel *fk = new_fk();
        Range first = { 0, n, "vfio-platform" };
        double t0, ms;
        int status;
        pid_t pid;

        add_devices(fk, 0, n);
        fkd_write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = fkd_spawn(fk, NULL, NULL);
        ck_assert_int_eq(fk_wait(fk, some_on, &first, T), 1);
        t0 = now_ms();
        ck_assert_int_eq(fk_kill(fk, pid, SIGTERM), 0);
        ck_assert_msg(fk_wait_exit(fk, pid, T, &status, NULL) == 1, "no exit after SIGTERM:\n%s", fk_output(fk, pid));
        ms = now_ms() - t0;
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d:\n%s", status, fk_output(fk, pid));
        bound = count_on(fk, 0, n, "vfio-platform");
        /* A figure, not an assertion on time: what shows that the signal did not wait for the
         * coldplug is that most devices were never touched. */
        fprintf(stderr, "SIGTERM during a coldplug of %u devices: exit after %.0f ms, %u devices bound by then\n", n, ms,
                bound);
        ck_assert_uint_gt(bound, 0);
        ck_assert_msg(bound < n / 2, "%u of %u devices bound after SIGTERM: the coldplug went on", bound, n);
        fk_free(fk);
}
END_TEST

/* Three unbinds hang (longer than the test) while 100 devices are hotplugged: those bind, and the
 * watchdog keeps being fed. */
START_TEST(test_hung_writes_others_go_on) {
        const char *const env[] = { "WATCHDOG_USEC=2000000", NULL };
        const char *const args[] = { "--write-timeout=600", NULL };
        FakeKernel *fk = new_fk();
        Range hot = { 3, 100, "vfio-platform" }, hung = { 0, 3, "vfio-platform" };
        unsigned pings = 0;
        pid_t pid;

        add_devices(fk, 0, 3);
        hang_unbinds(fk, 0, 3);
        fkd_write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = fkd_spawn(fk, args, env);
        wait_hung(fk, 3);

        add_devices(fk, 3, 100);
        ck_assert_msg(fk_wait(fk, range_on, &hot, T) == 1, "%u of 100 hotplugged devices bound while 3 writes hang:\n%s",
                      count_on(fk, 3, 100, "vfio-platform"), fk_output(fk, pid));
        ck_assert_uint_eq(fk_hung(fk), 3);
        /* sd-event pings at half the period: a loop that waited for a hung write would miss them. */
        while (pings < 3 && fk_wait_notify(fk, "WATCHDOG=1", 5000))
                pings++;
        ck_assert_msg(pings == 3, "%u watchdog pings while the writes hang", pings);
        ck_assert_uint_eq(fk_hung(fk), 3);

        /* The stuck driver lets go: those three finish. */
        ck_assert_uint_eq(fk_release_hung(fk, 0), 3);
        ck_assert_int_eq(fk_wait(fk, range_on, &hung, T), 1);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        fkd_stop(fk, pid);
        fk_free(fk);
}
END_TEST

/* A hung device: reported once, one thread whatever the events, and tried again after. */
START_TEST(test_hung_device_once) {
        FakeKernel *fk = new_fk();
        Range one = { 1, 1, "vfio-platform" };
        char name[64];
        pid_t pid;

        add_devices(fk, 0, 2);
        dev_name(0, name, sizeof name);
        hang_unbinds(fk, 0, 1);
        fkd_write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = fkd_spawn(fk, (const char *const[]) { "--write-timeout=0.5", NULL }, NULL);
        fkd_wait_output(fk, pid, ": not bound: writing to unbind did not return in 0.5 s; abandoned");
        ck_assert_int_eq(fk_wait(fk, range_on, &one, T), 1);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        for (int i = 0; i < 5; i++)
                ck_assert_int_eq(fk_uevent(fk, name, "change"), 0);
        ck_assert_int_eq(fk_settle(fk, 1500, T), 1);
        ck_assert_uint_eq(fk_hung(fk), 1);
        ck_assert_uint_eq(fkd_count_output(fk, pid, "did not return in"), 1);
        ck_assert_ptr_nonnull(strstr(fk_notify_status(fk), "1 write stuck in the kernel"));

        /* It returns: the job finishes, and the events that came meanwhile run it once more. */
        ck_assert_uint_eq(fk_release_hung(fk, 0), 1);
        fkd_wait_on(fk, name, "vfio-platform");
        fkd_wait_output(fk, pid, ": the write that hung has returned");
        ck_assert_int_eq(fk_settle(fk, 500, T), 1);
        ck_assert_ptr_null(strstr(fk_notify_status(fk), "stuck"));
        fkd_stop(fk, pid);
        fk_free(fk);
}
END_TEST

/* SIGTERM while a write hangs: the daemon does not wait for it. */
START_TEST(test_sigterm_while_hung) {
        FakeKernel *fk = new_fk();
        Range one = { 1, 1, "vfio-platform" };
        int status;
        pid_t pid;

        add_devices(fk, 0, 2);
        hang_unbinds(fk, 0, 1);
        fkd_write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = fkd_spawn(fk, (const char *const[]) { "--write-timeout=600", NULL }, NULL);
        ck_assert_int_eq(fk_wait(fk, range_on, &one, T), 1);
        wait_hung(fk, 1);
        ck_assert_int_eq(fk_kill(fk, pid, SIGTERM), 0);
        ck_assert_msg(fk_wait_exit(fk, pid, T, &status, NULL) == 1, "no exit:\n%s", fk_output(fk, pid));
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d:\n%s", status, fk_output(fk, pid));
        fk_free(fk);
}
END_TEST

static bool status_has(FakeKernel *fk, void *userdata) {
        const char *s = fk_notify_status(fk);

        return s && strstr(s, userdata);
}

/* Twelve devices hang: eight threads are abandoned, then the bound holds and STATUS= says so;
 * once the writes return, everything binds. */
START_TEST(test_abandoned_bound) {
        FakeKernel *fk = new_fk();
        Range all = { 0, 13, "vfio-platform" };
        pid_t pid;

        add_devices(fk, 0, 13);
        hang_unbinds(fk, 0, 12);
        fkd_write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = fkd_spawn(fk, (const char *const[]) { "--write-timeout=0.3", NULL }, NULL);
        ck_assert_msg(fk_wait(fk, status_has, (void *) "8 writes stuck in the kernel (no threads left", T) == 1,
                      "STATUS=%s\n%s", strna(fk_notify_status(fk)), fk_output(fk, pid));
        ck_assert_uint_eq(fk_hung(fk), 8);
        /* Nothing can move until a write returns: READY=1 says where things stand, rather than
         * hold systemd's start for it. */
        ck_assert_msg(fk_wait_notify(fk, "READY=1", T), "no READY=1 with every thread stuck:\n%s", fk_output(fk, pid));
        /* No ninth thread: the rest waits. */
        ck_assert_int_eq(fk_settle(fk, 1000, T), 1);
        ck_assert_uint_eq(fk_hung(fk), 8);

        while (fk_hung(fk) > 0 || count_on(fk, 0, 13, "vfio-platform") < 13) {
                fk_release_hung(fk, 0);
                ck_assert_int_ge(fk_wait(fk, range_on, &all, 200), 0);
        }
        fkd_stop(fk, pid);
        fk_free(fk);
}
END_TEST

/* SIGHUP in the middle of a coldplug: answered during it, and the new policy decides what is
 * left (here: nothing is selected any more, so nothing stays on vfio-platform). */
START_TEST(test_reload_during_coldplug) {
        unsigned n = RUNNING_ON_VALGRIND ? 1000 : 5000;
        FakeKernel *fk = new_fk();
        Range first = { 0, n, "vfio-platform" }, native = { 0, n, "virtio-mmio" };
        unsigned bound_at_reload;
        pid_t pid;

        add_devices(fk, 0, n);
        fkd_write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = fkd_spawn(fk, NULL, NULL);
        ck_assert_int_eq(fk_wait(fk, some_on, &first, T), 1);
        fkd_write_policy(fk, "[none]\ncompatible = vendor,none\n");
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_msg(fk_wait_notify(fk, "RELOADING=1", T), "no RELOADING=1:\n%s", fk_output(fk, pid));
        bound_at_reload = count_on(fk, 0, n, "vfio-platform");
        ck_assert_msg(bound_at_reload < n, "the coldplug was over before the reload was answered");
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        ck_assert_msg(fk_wait(fk, range_on, &native, T) == 1, "%u devices left on vfio-platform",
                      count_on(fk, 0, n, "vfio-platform"));
        fprintf(stderr, "reload during a coldplug of %u devices: %u bound when it was answered, all given back\n", n,
                bound_at_reload);
        fkd_stop(fk, pid);
        fk_free(fk);
}
END_TEST

/* A broken policy sent by SIGHUP while the start's coldplug runs: the previous policy stays, and
 * READY=1 still waits for the coldplug's jobs (it was sent at once, the devices still moving). */
START_TEST(test_failed_reload_during_coldplug) {
        unsigned n = RUNNING_ON_VALGRIND ? 1000 : 5000, bound_at_ready;
        FakeKernel *fk = new_fk();
        Range first = { 0, n, "vfio-platform" };
        pid_t pid;

        add_devices(fk, 0, n);
        fkd_write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        pid = fkd_spawn(fk, NULL, NULL);
        ck_assert_int_eq(fk_wait(fk, some_on, &first, T), 1);
        fkd_write_policy(fk, "[broken\n");
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_msg(fk_wait_notify(fk, "RELOADING=1", T), "no RELOADING=1:\n%s", fk_output(fk, pid));
        ck_assert_msg(count_on(fk, 0, n, "vfio-platform") < n, "the coldplug was over before the reload was answered");
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        bound_at_ready = count_on(fk, 0, n, "vfio-platform");
        ck_assert_msg(bound_at_ready == n, "READY=1 with %u of %u devices bound", bound_at_ready, n);
        fkd_wait_output(fk, pid, "Keeping the previous policy.");
        fkd_stop(fk, pid);
        fk_free(fk);
}
END_TEST

/* One PCI unbind hangs and 20 more PCI devices wait behind it (their jobs run one at a time):
 * they wait in their own queue, so the platform devices hotplugged meanwhile still bind. */
START_TEST(test_pci_hang_blocks_platform) {
        const char *const args[] = { "--write-timeout=1", NULL };
        FakeKernel *fk = new_fk();
        Range hot = { 0, 3, "vfio-platform" };
        pid_t pid;

        ck_assert_int_eq(fk_driver_register(fk, FK_PCI, "virtio-pci"), 0);
        ck_assert_int_eq(fk_driver_register(fk, FK_PCI, "vfio-pci"), 0);
        for (unsigned i = 0; i < 21; i++) {
                char name[32];

                snprintf(name, sizeof name, "0000:00:%02x.0", i + 1);
                ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) { .bus = FK_PCI, .name = name, .native = "virtio-pci",
                                                                     .iommu_group = (int) i + 1 }), 0);
        }
        fk_fault(fk, "0000:00:01.0", FK_UNBIND, FK_HANG, 1);
        fkd_write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n[pci]\ndevice = 0000:00:01.0\n");
        pid = fkd_spawn(fk, args, NULL);
        wait_hung(fk, 1);
        fkd_wait_output(fk, pid, "did not return in");
        add_devices(fk, 0, 3);
        ck_assert_msg(fk_wait(fk, range_on, &hot, T) == 1, "%u of 3 hotplugged platform devices bound while a PCI write hangs:\n%s",
                      count_on(fk, 0, 3, "vfio-platform"), fk_output(fk, pid));
        ck_assert_uint_eq(fk_release_hung(fk, 0), 1);
        /* The PCI jobs finish before SIGTERM: a job still running then is left to its thread. */
        ck_assert_int_eq(fk_settle(fk, 1000, T), 1);
        fkd_stop(fk, pid);
        fk_free(fk);
}
END_TEST

static pid_t spawn_bindctl(FakeKernel *fk, const char *timeout) {
        return fkd_spawn_tool(fk, "vfio-platform-bindctl", (const char *const[]) { "--no-load-modules", timeout, "apply", NULL });
}

/* vfio-platform-bindctl writes inline while no write has hung since boot: a hang is reported and
 * marked, and the next run writes through the worker, which gives up on a write. */
START_TEST(test_cli_hung_write) {
        FakeKernel *fk = new_fk();
        _cleanup_free_ char *mark = NULL;
        char a[64], b[64];
        int status;
        pid_t pid;

        add_devices(fk, 0, 2);
        dev_name(0, a, sizeof a);
        dev_name(1, b, sizeof b);
        fkd_write_policy(fk, "[virtio]\ncompatible = virtio,mmio\n");
        ck_assert_int_ge(asprintf(&mark, "%s/run/vfio-platform-bindd/write-hung", fk_root(fk)), 0);

        fk_fault(fk, a, FK_UNBIND, FK_HANG, 1);
        pid = spawn_bindctl(fk, "--write-timeout=0.3");
        fkd_wait_output(fk, pid, "A write to unbind has not returned in 0.3 s: a driver is stuck, and this command waits");
        ck_assert_int_eq(access(mark, F_OK), 0);
        ck_assert_uint_eq(fk_release_hung(fk, 0), 1);
        ck_assert_int_eq(fk_wait_exit(fk, pid, T, &status, NULL), 1);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d:\n%s", status, fk_output(fk, pid));
        fkd_assert_on(fk, a, "vfio-platform", "vfio-platform");
        fkd_assert_on(fk, b, "vfio-platform", "vfio-platform");

        /* Marked: the next run gives up on a hung write and goes on. */
        add_devices(fk, 2, 1);
        dev_name(2, a, sizeof a);
        fk_fault(fk, a, FK_UNBIND, FK_HANG, 1);
        pid = spawn_bindctl(fk, "--write-timeout=0.3");
        ck_assert_int_eq(fk_wait_exit(fk, pid, T, &status, NULL), 1);
        /* (Its exit ended the write the thread was stuck in: only the fake kernel can do that.) */
        fkd_wait_output(fk, pid, "did not return in time; abandoned");
        ck_assert_uint_eq(fkd_count_output(fk, pid, "has not returned in"), 0);
        fk_free(fk);
}
END_TEST

int main(void) {
        Suite *s;
        TCase *tc;

        if (!fk_supported())
                return 77;
        s = suite_create("loop");
        tc = tcase_create("fake-kernel");
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_sigterm_during_coldplug);
        tcase_add_test(tc, test_hung_writes_others_go_on);
        tcase_add_test(tc, test_hung_device_once);
        tcase_add_test(tc, test_abandoned_bound);
        tcase_add_test(tc, test_sigterm_while_hung);
        tcase_add_test(tc, test_reload_during_coldplug);
        tcase_add_test(tc, test_failed_reload_during_coldplug);
        tcase_add_test(tc, test_cli_hung_write);
        tcase_add_test(tc, test_pci_hang_blocks_platform);
        suite_add_tcase(s, tc);
        return tu_run(s);
}
