/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The binding engine against a plain sysfs tree: which files it reads and writes, in which order
 * and with what, what it records, and how it reports what it could not do. A plain tree has no
 * kernel behind it, so nothing ever binds: the files show the engine's intent. */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "state.h"
#include "strv.h"
#include "testutil.h"

#define MMIO_UEVENT "OF_NAME=virtio_mmio\nOF_FULLNAME=/virtio_mmio@a003e00\nOF_COMPATIBLE_0=virtio,mmio\n" \
                    "OF_COMPATIBLE_N=1\nMODALIAS=of:Nvirtio_mmioT(null)Cvirtio,mmio\n"

static char *root;
static int root_fd = -1;
static Engine engine;

static void setup(void) {
        EngineConfig c = ENGINE_CONFIG_DEFAULT;

        root = tu_mkdtemp();
        tu_sysfs_driver(root, "platform", "vfio-platform");
        tu_sysfs_device(root, "platform", "a003e00.virtio_mmio", MMIO_UEVENT, "virtio-mmio", 3);
        tu_sysfs_device(root, "platform", "soc:gpio-keys", "OF_FULLNAME=/soc/gpio-keys\n", NULL, -1);
        root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(root_fd, 0);
        c.load_modules = false;
        c.verify_timeout_usec = 2000;
        c.write_timeout_usec = 200000;
        c.kernel_release = "6.1.0-28-arm64";
        ck_assert_int_eq(engine_init(&engine, root_fd, &c, true), 0);
}

static void teardown(void) {
        engine_done(&engine);
        close(root_fd);
        tu_rm_rf(root);
        free(root);
}

static DeviceInfo *read_dev(const char *name) {
        DeviceInfo *d = NULL;

        ck_assert_int_eq(sysfs_read_device(&engine.sysfs, BUS_PLATFORM, name, &d), 0);
        return d;
}

START_TEST(test_read_device) {
        _cleanup_device_info_ DeviceInfo *d = read_dev("a003e00.virtio_mmio");
        _cleanup_strv_free_ char **names = NULL;

        ck_assert_str_eq(d->name, "a003e00.virtio_mmio");
        ck_assert_str_eq(d->of_fullname, "/virtio_mmio@a003e00");
        ck_assert_str_eq(d->compatibles[0], "virtio,mmio");
        ck_assert_str_eq(d->driver, "virtio-mmio");
        ck_assert_ptr_null(d->override);
        ck_assert_str_eq(d->iommu_group, "3");

        /* Without the group: unread until asked for, then the same as a full read. */
        {
                _cleanup_device_info_ DeviceInfo *lazy = NULL;
                const char *what;

                ck_assert_int_eq(sysfs_read_device_flags(&engine.sysfs, BUS_PLATFORM, "a003e00.virtio_mmio",
                                                         SYSFS_READ_NO_GROUP, &lazy, &what), 0);
                ck_assert(lazy->iommu_group_unread);
                ck_assert_ptr_null(lazy->iommu_group);
                ck_assert_str_eq(lazy->driver, "virtio-mmio");
                ck_assert_int_eq(sysfs_read_device_group(&engine.sysfs, lazy), 0);
                ck_assert(!lazy->iommu_group_unread);
                ck_assert_str_eq(lazy->iommu_group, "3");
                ck_assert(!d->iommu_group_unread);
        }

        ck_assert_int_eq(sysfs_list_devices(&engine.sysfs, BUS_PLATFORM, &names), 0);
        ck_assert_uint_eq(strv_length(names), 2);
        ck_assert_str_eq(names[0], "a003e00.virtio_mmio");
        ck_assert_str_eq(names[1], "soc:gpio-keys");
        strv_free(names);
        names = NULL;
        /* No amba bus in this tree: an empty list, not an error. */
        ck_assert_int_eq(sysfs_list_devices(&engine.sysfs, BUS_AMBA, &names), 0);
        ck_assert_uint_eq(strv_length(names), 0);
}
END_TEST

START_TEST(test_odd_names) {
        DeviceInfo *d = NULL;
        char longname[300];

        ck_assert_int_eq(sysfs_read_device(&engine.sysfs, BUS_PLATFORM, "..", &d), -EINVAL);
        ck_assert_int_eq(sysfs_read_device(&engine.sysfs, BUS_PLATFORM, "../../../etc", &d), -EINVAL);
        ck_assert_int_eq(sysfs_read_device(&engine.sysfs, BUS_PLATFORM, "", &d), -EINVAL);
        memset(longname, 'a', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        ck_assert_int_eq(sysfs_read_device(&engine.sysfs, BUS_PLATFORM, longname, &d), -EINVAL);
        ck_assert_int_eq(sysfs_read_device(&engine.sysfs, BUS_PLATFORM, "nonexistent.dev", &d), -ENODEV);
        ck_assert_ptr_null(d);
}
END_TEST

/* A native-bound device: override, unbind from the native driver, probe; the tree never binds,
 * so the engine must say which driver still holds it. */
START_TEST(test_bind_writes) {
        _cleanup_device_info_ DeviceInfo *d = read_dev("a003e00.virtio_mmio");
        _cleanup_free_ char *override = NULL, *unbind = NULL, *probe = NULL;
        DeviceRecord rec = {};
        BindReport rep;

        ck_assert_int_eq(engine_bind(&engine, d, "vfio-platform", "r (t.conf:1)", &rep), 0);
        override = tu_read_at(root, "sys/devices/platform/a003e00.virtio_mmio/driver_override");
        unbind = tu_read_at(root, "sys/bus/platform/drivers/virtio-mmio/unbind");
        probe = tu_read_at(root, "sys/bus/platform/drivers_probe");
        ck_assert_str_eq(override, "vfio-platform");
        ck_assert_str_eq(unbind, "a003e00.virtio_mmio");
        ck_assert_str_eq(probe, "a003e00.virtio_mmio");
        ck_assert_uint_eq(rep.writes, 3);
        ck_assert_int_eq(rep.status, BIND_FAILED);
        ck_assert_str_eq(rep.reason, "driver 'virtio-mmio' holds the device instead of 'vfio-platform'");

        /* What it had before is recorded, and so is the outcome. */
        ck_assert_int_eq(state_load(engine.state_fd, BUS_PLATFORM, "a003e00.virtio_mmio", &rec), 0);
        ck_assert_str_eq(rec.previous_driver, "virtio-mmio");
        ck_assert_ptr_null(rec.previous_override);
        ck_assert_str_eq(rec.target, "vfio-platform");
        ck_assert_str_eq(rec.rule, "r (t.conf:1)");
        ck_assert_str_eq(rec.status, "failed");
        device_record_done(&rec);
}
END_TEST

START_TEST(test_bind_unbound_without_iommu) {
        _cleanup_device_info_ DeviceInfo *d = read_dev("soc:gpio-keys");
        _cleanup_free_ char *unbind = NULL, *probe = NULL;
        BindReport rep;

        ck_assert_int_eq(engine_bind(&engine, d, "vfio-platform", "r", &rep), 0);
        probe = tu_read_at(root, "sys/bus/platform/drivers_probe");
        ck_assert_str_eq(probe, "soc:gpio-keys");
        ck_assert_uint_eq(rep.writes, 2); /* nothing to unbind */
        ck_assert_int_eq(rep.status, BIND_FAILED);
        ck_assert_ptr_nonnull(strstr(rep.reason, "no IOMMU group"));
}
END_TEST

/* Already on the target: only the override is pinned, nothing is unbound or probed. */
START_TEST(test_already_bound) {
        _cleanup_device_info_ DeviceInfo *d = NULL;
        _cleanup_free_ char *probe = NULL;
        BindReport rep;

        tu_sysfs_device(root, "platform", "a003c00.virtio_mmio", MMIO_UEVENT, "vfio-platform", 4);
        d = read_dev("a003c00.virtio_mmio");
        ck_assert_int_eq(engine_bind(&engine, d, "vfio-platform", "r", &rep), 0);
        ck_assert_int_eq(rep.status, BIND_ALREADY);
        ck_assert_uint_eq(rep.writes, 1);
        probe = tu_read_at(root, "sys/bus/platform/drivers_probe");
        ck_assert_str_eq(probe, "");

        /* Pinned now: a second pass writes nothing at all. */
        ck_assert_int_eq(engine_bind(&engine, d, "vfio-platform", "r", &rep), 0);
        ck_assert_int_eq(rep.status, BIND_ALREADY);
        ck_assert_uint_eq(rep.writes, 0);
}
END_TEST

START_TEST(test_target_missing) {
        _cleanup_device_info_ DeviceInfo *d = read_dev("a003e00.virtio_mmio");
        _cleanup_free_ char *override = NULL, *unbind = NULL;
        BindReport rep;

        ck_assert_int_eq(engine_bind(&engine, d, "uio_pdrv_genirq", "r", &rep), 0);
        ck_assert_int_eq(rep.status, BIND_FAILED);
        ck_assert_str_eq(rep.reason, "driver 'uio_pdrv_genirq' is not registered and module loading is off");
        /* The override is written anyway, so that the native driver cannot come back; but the
         * device is not taken from its driver for a target that is not there. */
        override = tu_read_at(root, "sys/devices/platform/a003e00.virtio_mmio/driver_override");
        ck_assert_str_eq(override, "uio_pdrv_genirq");
        unbind = tu_read_at(root, "sys/bus/platform/drivers/virtio-mmio/unbind");
        ck_assert_str_eq(unbind, "");
}
END_TEST

START_TEST(test_gone) {
        _cleanup_device_info_ DeviceInfo *d = read_dev("soc:gpio-keys");
        _cleanup_free_ char *p = NULL;
        BindReport rep;

        ck_assert_int_ge(asprintf(&p, "%s/sys/bus/platform/devices/soc:gpio-keys", root), 0);
        ck_assert_int_eq(unlink(p), 0);
        ck_assert_int_eq(engine_bind(&engine, d, "vfio-platform", "r", &rep), 0);
        ck_assert_int_eq(rep.status, BIND_GONE);
        ck_assert_uint_eq(rep.writes, 0);
}
END_TEST

/* A write that fails: the errno is in the report, and nothing after it is attempted. */
START_TEST(test_write_fails) {
        _cleanup_device_info_ DeviceInfo *d = read_dev("a003e00.virtio_mmio");
        _cleanup_free_ char *p = NULL, *probe = NULL;
        BindReport rep;

        /* A symlink where the attribute should be: readable, but writes refuse to follow it. */
        ck_assert_int_ge(asprintf(&p, "%s/sys/devices/platform/a003e00.virtio_mmio/driver_override", root), 0);
        ck_assert_int_eq(unlink(p), 0);
        ck_assert_int_eq(symlink("uevent", p), 0);
        ck_assert_int_eq(engine_bind(&engine, d, "vfio-platform", "r", &rep), 0);
        ck_assert_int_eq(rep.status, BIND_FAILED);
        ck_assert_int_eq(rep.error, -ELOOP);
        ck_assert_str_eq(rep.reason, "writing 'vfio-platform' to driver_override failed: Too many levels of symbolic links");
        probe = tu_read_at(root, "sys/bus/platform/drivers_probe");
        ck_assert_str_eq(probe, "");
}
END_TEST

static void *unblock_fifo(void *p) {
        char buf[256];
        int fd;

        usleep(400 * 1000);
        fd = open(p, O_RDONLY);
        if (fd >= 0) {
                while (read(fd, buf, sizeof buf) > 0)
                        ;
                close(fd);
        }
        return NULL;
}

/* An unbind that never returns (here: a FIFO nobody reads) is abandoned after the timeout, and
 * the next device is served by a fresh worker. */
START_TEST(test_hanging_unbind) {
        _cleanup_device_info_ DeviceInfo *d = read_dev("a003e00.virtio_mmio"), *g = NULL;
        _cleanup_free_ char *p = NULL;
        BindReport rep;
        pthread_t t;

        ck_assert_int_ge(asprintf(&p, "%s/sys/bus/platform/drivers/virtio-mmio/unbind", root), 0);
        ck_assert_int_eq(unlink(p), 0);
        ck_assert_int_eq(mkfifo(p, 0644), 0);
        ck_assert_int_eq(engine_bind(&engine, d, "vfio-platform", "r", &rep), 0);
        ck_assert_int_eq(rep.status, BIND_TIMEOUT);
        ck_assert_str_eq(rep.reason, "writing 'a003e00.virtio_mmio' to the driver's unbind did not return in time; abandoned");
        ck_assert_uint_eq(worker_abandoned(engine.worker), 1);

        g = read_dev("soc:gpio-keys");
        ck_assert_int_eq(engine_bind(&engine, g, "vfio-platform", "r", &rep), 0);
        ck_assert_int_eq(rep.status, BIND_FAILED); /* no IOMMU group: but it got there */
        ck_assert_uint_eq(rep.writes, 2);

        /* Let the abandoned thread finish, so that it frees what it holds. */
        ck_assert_int_eq(pthread_create(&t, NULL, unblock_fifo, p), 0);
        pthread_join(t, NULL);
        usleep(50 * 1000);
}
END_TEST

START_TEST(test_restore) {
        _cleanup_device_info_ DeviceInfo *d = NULL;
        _cleanup_free_ char *override = NULL, *unbind = NULL, *probe = NULL, *p = NULL;
        DeviceRecord rec = { .previous_driver = (char *) "virtio-mmio", .target = (char *) "vfio-platform" };
        BindReport rep;

        tu_sysfs_device(root, "platform", "a003c00.virtio_mmio", MMIO_UEVENT, "vfio-platform", 4);
        ck_assert_int_ge(asprintf(&p, "%s/sys/devices/platform/a003c00.virtio_mmio/driver_override", root), 0);
        tu_write("/", p, "vfio-platform\n");
        ck_assert_int_eq(state_save(engine.state_fd, BUS_PLATFORM, "a003c00.virtio_mmio", &rec), 0);

        d = read_dev("a003c00.virtio_mmio");
        ck_assert_int_eq(engine_restore(&engine, d, &rep), 0);
        override = tu_read_at(root, "sys/devices/platform/a003c00.virtio_mmio/driver_override");
        unbind = tu_read_at(root, "sys/bus/platform/drivers/vfio-platform/unbind");
        probe = tu_read_at(root, "sys/bus/platform/drivers_probe");
        ck_assert_str_eq(override, "\n");
        ck_assert_str_eq(unbind, "a003c00.virtio_mmio");
        ck_assert_str_eq(probe, "a003c00.virtio_mmio");
        /* Nothing rebinds in a plain tree: the report says the native driver did not come back. */
        ck_assert_int_eq(rep.status, BIND_FAILED);
        ck_assert_str_eq(rep.reason, "'virtio-mmio' did not take the device back (now: vfio-platform)");
        ck_assert_int_eq(state_load(engine.state_fd, BUS_PLATFORM, "a003c00.virtio_mmio", &rec), -ENOENT);
}
END_TEST

/* Every bus of the table can record a device (the daemon gives back only what it recorded). */
START_TEST(test_record_every_bus) {
        for (Bus b = 0; b < _BUS_MAX; b++) {
                DeviceRecord rec = { .previous_driver = (char *) "native" }, back = {};

                ck_assert_int_eq(state_save(engine.state_fd, b, "dev0", &rec), 0);
                ck_assert_int_eq(state_load(engine.state_fd, b, "dev0", &back), 0);
                ck_assert_str_eq(back.previous_driver, "native");
                device_record_done(&back);
                ck_assert_int_eq(state_remove(engine.state_fd, b, "dev0"), 0);
        }
}
END_TEST

/* Records never let a newline forge a key, and refuse driver names that could not be ours. */
START_TEST(test_record_format) {
        DeviceRecord rec = { .previous_driver = (char *) "virtio-mmio", .reason = (char *) "two\nlines" }, back = {};
        _cleanup_free_ char *text = device_record_format(&rec);

        ck_assert_str_eq(text, "previous_driver=virtio-mmio\nreason=two lines\n");
        ck_assert_int_eq(device_record_parse(text, &back), 0);
        ck_assert_str_eq(back.previous_driver, "virtio-mmio");
        ck_assert_str_eq(back.reason, "two lines");
        device_record_done(&back);
        ck_assert_int_eq(device_record_parse("target=../../x\n", &back), -EBADMSG);
}
END_TEST

static Suite *engine_suite(void) {
        Suite *s = suite_create("engine");
        TCase *tc = tcase_create("plain-tree");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_read_device);
        tcase_add_test(tc, test_odd_names);
        tcase_add_test(tc, test_bind_writes);
        tcase_add_test(tc, test_bind_unbound_without_iommu);
        tcase_add_test(tc, test_already_bound);
        tcase_add_test(tc, test_target_missing);
        tcase_add_test(tc, test_gone);
        tcase_add_test(tc, test_write_fails);
        tcase_add_test(tc, test_hanging_unbind);
        tcase_add_test(tc, test_restore);
        tcase_add_test(tc, test_record_every_bus);
        tcase_add_test(tc, test_record_format);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return tu_run(engine_suite());
}
