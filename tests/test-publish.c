/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the real daemon publishes, against the fake kernel (tests/fake-kernel.h): the CDI spec
 * names exactly the devices on vfio-platform, with their group nodes' numbers, through coldplug,
 * hotplug, removal, reload, SIGTERM (kept) and a restart (not rewritten); a reader that reads it
 * all the time never sees a partial or invalid spec; the metrics file follows, valid for
 * Prometheus' text format; --no-cdi and --no-metrics write nothing. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cdi-check.h"
#include "fake-kernel.h"
#include "fk-daemon.h"
#include "macro.h"
#include "strv.h"
#include "testutil.h"

#define T 60000
#define SPEC "run/cdi/vfio-platform-bindd.io-platform.json"
#define PROM "metrics/vfio_platform_bindd.prom"

static const char *const virtio[] = { "virtio,mmio", NULL };

static FakeKernel *new_fk(void) {
        FakeKernel *fk = fk_new();

        ck_assert_ptr_nonnull(fk);
        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "virtio-mmio"), 0);
        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "vfio-platform"), 0);
        tu_write(fk_root(fk), "sys/class/misc/vfio/dev", "10:196\n");
        return fk;
}

/* A virtio-mmio slot with a group of its own, whose class device says 240:GROUP. */
static void add(FakeKernel *fk, const char *name, const char *native) {
        char path[128], link[PATH_MAX], rel[256];
        ssize_t n;

        snprintf(path, sizeof path, "/virtio_mmio@%s", name);
        ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) { .bus = FK_PLATFORM, .name = name, .of_fullname = path,
                                                             .compatible = virtio, .native = native }),
                         0);
        snprintf(rel, sizeof rel, "%s/sys/devices/platform/%s/iommu_group", fk_root(fk), name);
        n = readlink(rel, link, sizeof link - 1);
        ck_assert_int_gt(n, 0);
        link[n] = '\0';
        snprintf(rel, sizeof rel, "sys/class/vfio/%s/dev", strrchr(link, '/') + 1);
        snprintf(path, sizeof path, "240:%s\n", strrchr(link, '/') + 1);
        tu_write(fk_root(fk), rel, path);
}

#define write_policy fkd_write_policy
#define stop_daemon fkd_stop

static pid_t start_daemon(FakeKernel *fk, const char *extra) {
        return fkd_start(fk, (const char *const[]) { "--metrics-dir=/metrics", extra, NULL }, NULL);
}

static void reload(FakeKernel *fk, pid_t pid, const char *policy) {
        write_policy(fk, policy);
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
}

/* fk_wait() looks at its predicate after each thing it serves; a file the daemon writes on a
 * timer is no such thing: look every 20 ms. */
static int poll_until(FakeKernel *fk, FkPredicate pred, void *userdata) {
        for (int waited = 0; waited < T; waited += 20) {
                if (pred(fk, userdata))
                        return 1;
                if (fk_wait(fk, NULL, NULL, 20) < 0)
                        return -ECHILD;
        }
        return pred(fk, userdata);
}

/* The device names of the spec, space-separated; "-" when there is no spec; "INVALID: why". */
static char *spec_names(FakeKernel *fk) {
        _cleanup_free_ char *text = tu_read_at(fk_root(fk), SPEC);
        char err[512], **names = NULL, *s;
        size_t len = 0;

        if (!text)
                return strdup("-");
        if (cdi_spec_check(text, err, sizeof err, &names) < 0) {
                ck_assert_int_ge(asprintf(&s, "INVALID: %s", err), 0);
                return s;
        }
        s = calloc(1, 4096);
        STRV_FOREACH(n, names)
                len += (size_t) snprintf(s + len, 4096 - len, "%s%s", len ? " " : "", *n);
        strv_free(names);
        return s;
}

static bool spec_is(FakeKernel *fk, void *userdata) {
        _cleanup_free_ char *names = spec_names(fk);

        return streq(names, userdata);
}

static void wait_spec(FakeKernel *fk, const char *want) {
        _cleanup_free_ char *names = NULL;

        if (poll_until(fk, spec_is, (void *) want) == 1)
                return;
        names = spec_names(fk);
        ck_abort_msg("spec names '%s', wanted '%s'", names, want);
}

typedef struct MetricWant {
        const char *series;
        double value;
} MetricWant;

static bool metric_is(FakeKernel *fk, void *userdata) {
        const MetricWant *w = userdata;
        _cleanup_free_ char *text = tu_read_at(fk_root(fk), PROM);
        char err[256];

        return text && prom_check(text, err, sizeof err, NULL) == 0 && prom_value(text, w->series) == w->value;
}

static void wait_metric(FakeKernel *fk, const char *series, double value) {
        MetricWant w = { series, value };
        _cleanup_free_ char *text = NULL;

        if (poll_until(fk, metric_is, &w) == 1)
                return;
        text = tu_read_at(fk_root(fk), PROM);
        ck_abort_msg("%s is not %g in:\n%s", series, value, strna(text));
}

START_TEST(test_lifecycle) {
        FakeKernel *fk = new_fk();
        _cleanup_free_ char *spec = NULL, *prom = NULL, *path = NULL;
        struct stat st1, st2;
        char err[256];
        pid_t pid;

        add(fk, "a000000.virtio_mmio", "virtio-mmio");
        add(fk, "a000200.virtio_mmio", NULL);
        tu_mkdir_p(fk_root(fk), "metrics");
        write_policy(fk, "[a]\ndevice = a000000.virtio_mmio\ncdi-name = uart2\n\n[virtio]\ncompatible = virtio,*\n");
        pid = start_daemon(fk, NULL);

        /* Coldplug: written before READY=1, sorted by sysfs name, with the group's numbers. */
        spec = spec_names(fk);
        ck_assert_str_eq(spec, "uart2 a000200.virtio_mmio");
        free(spec);
        spec = tu_read_at(fk_root(fk), SPEC);
        ck_assert_msg(strstr(spec, "{ \"path\": \"/dev/vfio/vfio\", \"type\": \"c\", \"major\": 10, \"minor\": 196 }"),
                      "%s", spec);
        ck_assert_msg(strstr(spec, "\"type\": \"c\", \"major\": 240"), "%s", spec);

        /* Hotplug and removal. */
        add(fk, "a000400.virtio_mmio", "virtio-mmio");
        wait_spec(fk, "uart2 a000200.virtio_mmio a000400.virtio_mmio");
        ck_assert_int_eq(fk_device_remove(fk, "a000000.virtio_mmio"), 0);
        wait_spec(fk, "a000200.virtio_mmio a000400.virtio_mmio");

        /* Reload: a new cdi-name. */
        reload(fk, pid, "[b]\ndevice = a000200.virtio_mmio\ncdi-name = fast\n\n[virtio]\ncompatible = virtio,*\n");
        wait_spec(fk, "fast a000400.virtio_mmio");

        /* Metrics: valid, counting what happened (the timer writes within a second). */
        wait_metric(fk, "vfio_platform_bindd_devices{bus=\"platform\",state=\"bound\"}", 2);
        wait_metric(fk, "vfio_platform_bindd_policy_reload_total{result=\"success\"}", 1);
        prom = tu_read_at(fk_root(fk), PROM);
        ck_assert_msg(prom_check(prom, err, sizeof err, NULL) == 0, "%s", err);
        ck_assert(prom_value(prom, "vfio_platform_bindd_policy_reload_total{result=\"failure\"}") == 0);
        ck_assert(prom_value(prom, "vfio_platform_bindd_policy_last_reload_success") == 1);
        ck_assert(prom_value(prom, "vfio_platform_bindd_policy_last_reload_timestamp_seconds") > 1.7e9);

        /* A broken policy: kept, counted. */
        reload(fk, pid, "[broken\n");
        wait_metric(fk, "vfio_platform_bindd_policy_reload_total{result=\"failure\"}", 1);
        wait_metric(fk, "vfio_platform_bindd_policy_last_reload_success", 0);
        wait_spec(fk, "fast a000400.virtio_mmio");

        /* SIGTERM: the devices stay bound, so the spec stays. A restart finds the same devices
         * and leaves the file alone. */
        stop_daemon(fk, pid);
        ck_assert_int_ge(asprintf(&path, "%s/" SPEC, fk_root(fk)), 0);
        ck_assert_int_eq(stat(path, &st1), 0);
        write_policy(fk, "[b]\ndevice = a000200.virtio_mmio\ncdi-name = fast\n\n[virtio]\ncompatible = virtio,*\n");
        pid = start_daemon(fk, NULL);
        ck_assert_int_eq(stat(path, &st2), 0);
        ck_assert_uint_eq(st1.st_ino, st2.st_ino);
        wait_spec(fk, "fast a000400.virtio_mmio");

        /* Nothing selected: restored, and the spec goes (a spec without devices is invalid). */
        reload(fk, pid, "");
        wait_spec(fk, "-");
        wait_metric(fk, "vfio_platform_bindd_devices{bus=\"platform\",state=\"unselected\"}", 2);
        stop_daemon(fk, pid);

        /* A spec that no bound device backs (a previous run's) is gone once the daemon is ready. */
        tu_write(fk_root(fk), SPEC, "{}");
        pid = start_daemon(fk, NULL);
        free(spec);
        spec = spec_names(fk);
        ck_assert_str_eq(spec, "-");
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

START_TEST(test_switches_off) {
        FakeKernel *fk = new_fk();
        _cleanup_free_ char *spec = NULL;
        pid_t pid;

        add(fk, "a000000.virtio_mmio", NULL);
        tu_mkdir_p(fk_root(fk), "metrics");
        write_policy(fk, "[virtio]\ncompatible = virtio,*\n");
        pid = start_daemon(fk, "--no-cdi");
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", T));
        wait_metric(fk, "vfio_platform_bindd_devices{bus=\"platform\",state=\"bound\"}", 1);
        spec = tu_read_at(fk_root(fk), SPEC);
        ck_assert_ptr_null(spec);
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

/* A process that reads the spec all the time, as a runtime would: every read is a whole, valid
 * spec. Reports "reads invalid missing" on @fd. */
static _noreturn_ void reader(const char *root, const char *stop, int fd) {
        unsigned reads = 0, invalid = 0, missing = 0;
        char path[PATH_MAX], err[256], line[128];

        snprintf(path, sizeof path, "%s/" SPEC, root);
        while (access(stop, F_OK) < 0) {
                _cleanup_free_ char *text = tu_read(path);

                if (!text) {
                        missing++;
                        continue;
                }
                reads++;
                if (cdi_spec_check(text, err, sizeof err, NULL) < 0) {
                        invalid++;
                        fprintf(stderr, "reader: %s\n", err);
                }
        }
        snprintf(line, sizeof line, "%u %u %u\n", reads, invalid, missing);
        (void) !write(fd, line, strlen(line));
        _exit(0);
}

START_TEST(test_concurrent_reader) {
        FakeKernel *fk = new_fk();
        char stop[PATH_MAX], name[64], want[1024], buf[128] = "";
        unsigned reads, invalid, missing;
        int p[2], status;
        pid_t pid, rpid;

        for (int i = 0; i < 8; i++) {
                snprintf(name, sizeof name, "a%03d000.virtio_mmio", i);
                add(fk, name, "virtio-mmio");
        }
        write_policy(fk, "[virtio]\ncompatible = virtio,*\n");
        tu_mkdir_p(fk_root(fk), "metrics");
        pid = start_daemon(fk, "--no-metrics");
        snprintf(stop, sizeof stop, "%s/stop-reader", fk_root(fk));
        ck_assert_int_eq(pipe(p), 0);
        rpid = fork();
        ck_assert_int_ge(rpid, 0);
        if (rpid == 0) {
                close(p[0]);
                reader(fk_root(fk), stop, p[1]);
        }
        close(p[1]);

        /* 40 changes, each waited for: 40 rewrites while the reader reads. */
        for (int i = 8; i < 28; i++) {
                snprintf(name, sizeof name, "a%03d000.virtio_mmio", i);
                add(fk, name, "virtio-mmio");
                ck_assert_int_eq(fk_wait_driver(fk, name, "vfio-platform", T), 1);
                snprintf(name, sizeof name, "a%03d000.virtio_mmio", i - 8);
                ck_assert_int_eq(fk_device_remove(fk, name), 0);
        }
        want[0] = '\0';
        for (int i = 20; i < 28; i++)
                snprintf(want + strlen(want), sizeof want - strlen(want), "%sa%03d000.virtio_mmio", i > 20 ? " " : "", i);
        wait_spec(fk, want);

        tu_write(fk_root(fk), "stop-reader", "");
        ck_assert_int_gt(read(p[0], buf, sizeof buf - 1), 0);
        close(p[0]);
        ck_assert_int_eq(waitpid(rpid, &status, 0), rpid);
        ck_assert_int_eq(sscanf(buf, "%u %u %u", &reads, &invalid, &missing), 3);
        fprintf(stderr, "reader: %u reads, %u invalid, %u without a file\n", reads, invalid, missing);
        ck_assert_uint_gt(reads, 0);
        ck_assert_uint_eq(invalid, 0);
        /* The spec never disappears while devices stay bound: replaced, never removed first. */
        ck_assert_uint_eq(missing, 0);
        /* --no-metrics */
        ck_assert_ptr_null(tu_read_at(fk_root(fk), PROM));
        stop_daemon(fk, pid);
        fk_free(fk);
}
END_TEST

int main(void) {
        Suite *s;
        TCase *tc;

        if (!fk_supported())
                return 77;
        s = suite_create("publish");
        tc = tcase_create("fake-kernel");
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_lifecycle);
        tcase_add_test(tc, test_switches_off);
        tcase_add_test(tc, test_concurrent_reader);
        suite_add_tcase(s, tc);
        return tu_run(s);
}
