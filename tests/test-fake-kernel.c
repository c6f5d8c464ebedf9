/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake kernel itself: sysfs as the kernel lays it out, kernel-like binding through real
 * writes (sh, and a small writer that mimics the daemon's openat()+write()), the errnos of the
 * kernel and of injected faults, uevents as libudev and udevadm see them, a write that hangs,
 * a device that vanishes, lost uevents (ENOBUFS), notify messages, signals, 1,000 devices; every
 * bus of the bus table: PCI (uevent variables, groups at the first probe, bridges), CDX, fsl-mc.
 *
 * The test program is also its own helper: "test-fake-kernel --fk-helper MODE ..." runs under
 * the fake kernel as a child (see helper_main()). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake-kernel.h"
#include "macro.h"

#define T 30000 /* upper bound of any wait (ms); generous for valgrind --trace-children=yes */

#define VIRTIO "a000000.virtio_mmio"
#define VIRTIO2 "a000200.virtio_mmio"
#define PL011 "9000000.pl011"
#define SYS "/sys/bus/platform"

static char self[PATH_MAX];

/* --- the helper, run as a child under the fake kernel --- */

static const char *errname(int e) {
        return strerrorname_np(e) ?: "E?";
}

/* Writes like the daemon: openat(dirfd, attr, O_WRONLY|O_TRUNC|O_CLOEXEC), then write(). */
static int write_attr(const char *path, const char *data) {
        char *dir = strdup(path), *base = strrchr(dir, '/');
        int dfd, fd, r = 0;

        *base++ = '\0';
        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        fd = dfd < 0 ? -1 : openat(dfd, base, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0 || write(fd, data, strlen(data)) < 0)
                r = -errno;
        if (fd >= 0)
                close(fd);
        if (dfd >= 0)
                close(dfd);
        free(dir);
        return r;
}

static void *write_thread(void *arg) {
        char **pair = arg;
        int r = write_attr(pair[0], pair[1]);

        printf("%s -> %s\n", pair[0], r < 0 ? errname(-r) : "ok");
        fflush(stdout);
        return NULL;
}

static void monitor_print(struct udev_device *d) {
        const char *drv = udev_device_get_property_value(d, "DRIVER");

        printf("EVENT %s %s driver=%s modalias=%s compat=%s seq=%llu\n", udev_device_get_action(d),
               udev_device_get_sysname(d), drv ?: "-", udev_device_get_property_value(d, "MODALIAS") ?: "-",
               udev_device_get_property_value(d, "OF_COMPATIBLE_0") ?: "-", udev_device_get_seqnum(d));
}

static int helper_main(int argc, char **argv) {
        const char *mode = argc > 0 ? argv[0] : "";

        if (streq(mode, "write")) { /* write [-t] PATH DATA [PATH DATA]...: -t, one thread each */
                bool threads = argc > 1 && streq(argv[1], "-t");
                int first = threads ? 2 : 1, n = (argc - first) / 2;
                pthread_t *t = calloc((size_t) n, sizeof(pthread_t));

                for (int i = 0; i < n; i++) {
                        if (threads)
                                pthread_create(&t[i], NULL, write_thread, argv + first + 2 * i);
                        else
                                write_thread(argv + first + 2 * i);
                }
                for (int i = 0; threads && i < n; i++)
                        pthread_join(t[i], NULL); /* a hung one never returns: killed by the test */
                free(t);
                return 0;
        }
        if (streq(mode, "writev") && argc == 4) { /* writev PATH A B: one writev() of A and B */
                int fd = open(argv[1], O_WRONLY | O_TRUNC | O_CLOEXEC);
                struct iovec iov[2] = { { argv[2], strlen(argv[2]) }, { argv[3], strlen(argv[3]) } };
                ssize_t n = fd < 0 ? -1 : writev(fd, iov, 2);

                printf("writev -> %s\n", n < 0 ? errname(errno) : n == (ssize_t) (iov[0].iov_len + iov[1].iov_len) ? "ok" : "short");
                return 0;
        }
        if (streq(mode, "write-loop") && argc == 4) { /* write-loop N PATH DATA: one request's time */
                int n = atoi(argv[1]), fd = open(argv[2], O_WRONLY | O_CLOEXEC);
                size_t len = strlen(argv[3]);
                struct timespec a, b;

                clock_gettime(CLOCK_MONOTONIC, &a);
                for (int i = 0; i < n; i++)
                        if (write(fd, argv[3], len) != (ssize_t) len)
                                return 1;
                clock_gettime(CLOCK_MONOTONIC, &b);
                printf("%d writes: %.1f us each\n", n, ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n);
                close(fd);
                return 0;
        }
        if (streq(mode, "monitor")) { /* monitor [DELAY_MS]: a libudev monitor, as the daemon's */
                struct udev *u = udev_new();
                struct udev_monitor *m = udev_monitor_new_from_netlink(u, "kernel");

                for (Bus b = 0; b < _BUS_MAX; b++)
                        udev_monitor_filter_add_match_subsystem_devtype(m, bus_to_string(b), NULL);
                udev_monitor_enable_receiving(m);
                printf("listening\n");
                fflush(stdout);
                if (argc > 1)
                        usleep((useconds_t) atoi(argv[1]) * 1000);
                for (;;) {
                        struct pollfd p = { .fd = udev_monitor_get_fd(m), .events = POLLIN };
                        struct udev_device *d;

                        if (poll(&p, 1, -1) < 0)
                                continue;
                        errno = 0;
                        d = udev_monitor_receive_device(m);
                        if (!d) {
                                if (errno && errno != EAGAIN)
                                        printf("ERROR %s\n", errname(errno));
                        } else {
                                monitor_print(d);
                                udev_device_unref(d);
                        }
                        fflush(stdout);
                }
        }
        if (streq(mode, "enumerate")) { /* libudev's view of the fake sysfs */
                struct udev *u = udev_new();
                struct udev_enumerate *e = udev_enumerate_new(u);
                struct udev_list_entry *l;
                struct timespec a, b;
                int n = 0, bound = 0, vfio = 0;

                clock_gettime(CLOCK_MONOTONIC, &a);
                udev_enumerate_add_match_subsystem(e, "platform");
                udev_enumerate_add_match_subsystem(e, "amba");
                udev_enumerate_scan_devices(e);
                udev_list_entry_foreach(l, udev_enumerate_get_list_entry(e)) {
                        struct udev_device *d = udev_device_new_from_syspath(u, udev_list_entry_get_name(l));
                        const char *drv = d ? udev_device_get_driver(d) : NULL;

                        n++;
                        bound += !!drv;
                        vfio += drv && streq(drv, "vfio-platform");
                        udev_device_unref(d);
                }
                clock_gettime(CLOCK_MONOTONIC, &b);
                printf("%d devices, %d bound, %d vfio, %.3f s\n", n, bound, vfio,
                       (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
                udev_enumerate_unref(e);
                udev_unref(u);
                return 0;
        }
        if (streq(mode, "notify")) { /* sd_notify by hand; SIGTERM: exit 0 */
                const char *path = getenv("NOTIFY_SOCKET");
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                const char *msg = "READY=1\nSTATUS=2 bound, 0 failed";
                int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                sigset_t ss;
                int sig;

                sigemptyset(&ss);
                sigaddset(&ss, SIGTERM);
                sigaddset(&ss, SIGHUP);
                sigprocmask(SIG_BLOCK, &ss, NULL);
                if (!path || fd < 0)
                        return 2;
                strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
                sendto(fd, msg, strlen(msg), 0, (struct sockaddr *) &sa, sizeof(sa));
                while (sigwait(&ss, &sig) == 0 && sig == SIGHUP) {
                        msg = "RELOADING=1";
                        sendto(fd, msg, strlen(msg), 0, (struct sockaddr *) &sa, sizeof(sa));
                        msg = "READY=1\nSTATUS=reloaded";
                        sendto(fd, msg, strlen(msg), 0, (struct sockaddr *) &sa, sizeof(sa));
                }
                printf("terminated\n");
                return 0;
        }
        fprintf(stderr, "unknown helper mode %s\n", mode);
        return 2;
}

/* --- the harness side --- */

static const char *const virtio_compat[] = { "virtio,mmio", NULL };
static const char *const pl011_compat[] = { "arm,pl011", "arm,primecell", NULL };

static FkDeviceSpec virtio(const char *name, const char *node) {
        return (FkDeviceSpec) { .bus = FK_PLATFORM, .name = name, .of_fullname = node, .compatible = virtio_compat, .native = "virtio-mmio" };
}

static FakeKernel *new_fk(void) {
        FakeKernel *fk = fk_new();
        FkDeviceSpec v = virtio(VIRTIO, "/virtio_mmio@a000000");

        ck_assert_ptr_nonnull(fk);
        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "virtio-mmio"), 0);
        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "vfio-platform"), 0);
        ck_assert_int_eq(fk_device_add(fk, &v), 0);
        return fk;
}

static char *sys_read(FakeKernel *fk, const char *rel) {
        char path[PATH_MAX], *buf = calloc(1, 4096);
        int fd;

        snprintf(path, sizeof(path), "%s/sys/%s", fk_root(fk), rel);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_msg(fd >= 0, "cannot open %s", path);
        ck_assert_int_ge(read(fd, buf, 4095), 0);
        close(fd);
        return buf;
}

static void assert_file(FakeKernel *fk, const char *rel, const char *want) {
        char *got = sys_read(fk, rel);

        ck_assert_str_eq(got, want);
        free(got);
}

static void assert_link(FakeKernel *fk, const char *rel, const char *want) {
        char path[PATH_MAX], buf[PATH_MAX];
        ssize_t n;

        snprintf(path, sizeof(path), "%s/sys/%s", fk_root(fk), rel);
        n = readlink(path, buf, sizeof(buf) - 1);
        if (!want) {
                ck_assert_msg(n < 0 && errno == ENOENT, "%s exists", rel);
                return;
        }
        ck_assert_msg(n > 0, "%s: no link", rel);
        buf[n] = '\0';
        ck_assert_str_eq(buf, want);
}

/* Runs ARGV to its end: its exit code (-1 if killed by a signal), its output in *RET_OUT. */
static int run(FakeKernel *fk, const char *const *argv, char **ret_out) {
        int status = -1;
        pid_t pid = fk_spawn(fk, argv, NULL, FK_SPAWN_MAY_EXIT);

        ck_assert_int_gt(pid, 0);
        ck_assert_msg(fk_wait_exit(fk, pid, T, &status, NULL) == 1, "%s did not exit:\n%s", argv[0], fk_output(fk, pid));
        if (ret_out)
                *ret_out = strdup(fk_output(fk, pid));
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* run(), which must succeed. */
static char *run_ok(FakeKernel *fk, const char *const *argv) {
        char *out;
        int r = run(fk, argv, &out);

        ck_assert_msg(r == 0, "%s %s: exit code %d:\n%s", argv[0], argv[1] ?: "", r, out);
        return out;
}

static int sh(FakeKernel *fk, const char *script, char **ret_out) {
        const char *argv[] = { "/bin/sh", "-c", script, NULL };

        return run(fk, argv, ret_out);
}

/* Runs the helper's "write" with PATH DATA pairs, returns its output. */
static char *writes(FakeKernel *fk, const char *p1, const char *d1, const char *p2, const char *d2) {
        const char *argv[] = { self, "--fk-helper", "write", p1, d1, p2, d2, NULL };

        return run_ok(fk, argv);
}

static void assert_contains(const char *hay, const char *needle) {
        ck_assert_msg(strstr(hay, needle), "'%s' not in:\n%s", needle, hay);
}

static pid_t monitor(FakeKernel *fk, const char *delay_ms) {
        const char *argv[] = { self, "--fk-helper", "monitor", delay_ms, NULL };
        pid_t pid = fk_spawn(fk, argv, NULL, 0);

        ck_assert_int_gt(pid, 0);
        ck_assert_int_eq(fk_wait_output(fk, pid, "listening", T), 1);
        return pid;
}

START_TEST(test_layout) {
        FakeKernel *fk = new_fk();
        FkDeviceSpec uart = { .bus = FK_AMBA, .name = PL011, .of_fullname = "/pl011@9000000", .compatible = pl011_compat,
                              .native = "uart-pl011", .periphid = 0x00241011 };
        FkDeviceSpec keys = { .bus = FK_PLATFORM, .name = "soc:gpio-keys", .of_fullname = "/soc/gpio-keys",
                              .native = "gpio-keys", .iommu_group = FK_NO_IOMMU, .override = "vfio-platform" };
        FkDeviceSpec plain = { .bus = FK_PLATFORM, .name = "serial8250.0", .iommu_group = 7 };

        /* Bound by its native driver at once, as at boot. */
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO), "virtio-mmio");
        ck_assert_ptr_null(fk_device_override(fk, VIRTIO));
        assert_file(fk, "devices/platform/" VIRTIO "/driver_override", "(null)\n");
        assert_file(fk, "devices/platform/" VIRTIO "/uevent",
                    "DRIVER=virtio-mmio\nOF_NAME=virtio_mmio\nOF_FULLNAME=/virtio_mmio@a000000\n"
                    "OF_COMPATIBLE_0=virtio,mmio\nOF_COMPATIBLE_N=1\nMODALIAS=of:Nvirtio_mmioT(null)Cvirtio,mmio\n");
        assert_file(fk, "devices/platform/" VIRTIO "/modalias", "of:Nvirtio_mmioT(null)Cvirtio,mmio\n");
        assert_link(fk, "devices/platform/" VIRTIO "/driver", "../../../bus/platform/drivers/virtio-mmio");
        assert_link(fk, "bus/platform/drivers/virtio-mmio/" VIRTIO, "../../../../devices/platform/" VIRTIO);
        assert_link(fk, "devices/platform/" VIRTIO "/subsystem", "../../../bus/platform");
        assert_link(fk, "bus/platform/devices/" VIRTIO, "../../../devices/platform/" VIRTIO);
        assert_link(fk, "devices/platform/" VIRTIO "/iommu_group", "../../../kernel/iommu_groups/1");
        assert_link(fk, "kernel/iommu_groups/1/devices/" VIRTIO, "../../../../devices/platform/" VIRTIO);
        assert_link(fk, "devices/platform/" VIRTIO "/of_node", "../../../firmware/devicetree/base/virtio_mmio@a000000");
        assert_file(fk, "firmware/devicetree/base/virtio_mmio@a000000/compatible", "virtio,mmio");
        assert_link(fk, "bus/platform/drivers/virtio-mmio/module", "../../../../module/virtio_mmio");
        assert_file(fk, "module/vfio_platform/parameters/reset_required", "Y\n");

        /* AMBA: its own bus, AMBA_ID; the native driver is not registered: unbound. */
        ck_assert_int_eq(fk_device_add(fk, &uart), 0);
        ck_assert_ptr_null(fk_device_driver(fk, PL011));
        assert_file(fk, "devices/platform/" PL011 "/uevent",
                    "OF_NAME=pl011\nOF_FULLNAME=/pl011@9000000\nOF_COMPATIBLE_0=arm,pl011\nOF_COMPATIBLE_1=arm,primecell\n"
                    "OF_COMPATIBLE_N=2\nAMBA_ID=00241011\nMODALIAS=amba:d00241011\n");
        assert_link(fk, "bus/amba/devices/" PL011, "../../../devices/platform/" PL011);
        assert_link(fk, "devices/platform/" PL011 "/subsystem", "../../../bus/amba");
        assert_link(fk, "devices/platform/" PL011 "/iommu_group", "../../../kernel/iommu_groups/2");
        ck_assert_int_eq(fk_driver_register(fk, FK_AMBA, "uart-pl011"), 0); /* driver_attach() */
        ck_assert_str_eq(fk_device_driver(fk, PL011), "uart-pl011");
        assert_link(fk, "devices/platform/" PL011 "/driver", "../../../bus/amba/drivers/uart-pl011");

        /* A name with ':' and '-', an initial override, no IOMMU group: vfio-platform refuses it. */
        ck_assert_int_eq(fk_device_add(fk, &keys), 0);
        ck_assert_ptr_null(fk_device_driver(fk, "soc:gpio-keys"));
        ck_assert_str_eq(fk_device_override(fk, "soc:gpio-keys"), "vfio-platform");
        assert_file(fk, "devices/platform/soc:gpio-keys/driver_override", "vfio-platform\n");
        assert_link(fk, "devices/platform/soc:gpio-keys/iommu_group", NULL);
        assert_link(fk, "devices/platform/soc:gpio-keys/of_node", "../../../firmware/devicetree/base/soc/gpio-keys");

        /* No DT node: platform modalias, no OF_*. */
        ck_assert_int_eq(fk_device_add(fk, &plain), 0);
        assert_file(fk, "devices/platform/serial8250.0/uevent", "MODALIAS=platform:serial8250\n");
        assert_link(fk, "devices/platform/serial8250.0/iommu_group", "../../../kernel/iommu_groups/7");
        ck_assert_int_eq(fk_device_add(fk, &plain), -EEXIST);

        /* Unregistering a driver unbinds its devices; removing a device removes its files. */
        ck_assert_int_eq(fk_driver_unregister(fk, FK_PLATFORM, "virtio-mmio"), 0);
        ck_assert_ptr_null(fk_device_driver(fk, VIRTIO));
        assert_link(fk, "devices/platform/" VIRTIO "/driver", NULL);
        assert_file(fk, "devices/platform/" VIRTIO "/uevent",
                    "OF_NAME=virtio_mmio\nOF_FULLNAME=/virtio_mmio@a000000\n"
                    "OF_COMPATIBLE_0=virtio,mmio\nOF_COMPATIBLE_N=1\nMODALIAS=of:Nvirtio_mmioT(null)Cvirtio,mmio\n");
        ck_assert_int_eq(fk_device_remove(fk, PL011), 0);
        ck_assert(!fk_device_exists(fk, PL011));
        assert_link(fk, "bus/amba/devices/" PL011, NULL);
        assert_link(fk, "bus/amba/drivers/uart-pl011/" PL011, NULL);
        ck_assert_int_eq(fk_device_remove(fk, PL011), -ENODEV);
        fk_free(fk);
}
END_TEST

/* Every row of the bus table is a bus of the testbed. */
START_TEST(test_every_bus) {
        FakeKernel *fk = fk_new();

        for (Bus b = 0; b < _BUS_MAX; b++) {
                char rel[128];
                struct stat st;

                snprintf(rel, sizeof rel, "%s/sys/bus/%s/devices", fk_root(fk), bus_to_string(b));
                ck_assert_msg(stat(rel, &st) == 0 && S_ISDIR(st.st_mode), "%s", rel);
                snprintf(rel, sizeof rel, "%s/sys/bus/%s/drivers", fk_root(fk), bus_to_string(b));
                ck_assert_msg(stat(rel, &st) == 0 && S_ISDIR(st.st_mode), "%s", rel);
                snprintf(rel, sizeof rel, "%s/sys/bus/%s/drivers_probe", fk_root(fk), bus_to_string(b));
                ck_assert_msg(stat(rel, &st) == 0 && S_ISREG(st.st_mode), "%s", rel);
                ck_assert_int_eq(fk_driver_register(fk, b, bus_default_driver(b)), 0);
                ck_assert_int_eq(fk_driver_register(fk, b, bus_default_driver(b)), -EEXIST);
        }
        ck_assert_int_eq(fk_driver_register(fk, _BUS_MAX, "x"), -EINVAL);
        ck_assert_int_eq(fk_device_add(fk, &(FkDeviceSpec) { .bus = _BUS_MAX, .name = "x" }), -EINVAL);
        fk_free(fk);
}
END_TEST

#define PCI_SYS "/sys/bus/pci"
#define RNG "0000:00:03.0"
#define RNG2 "0000:00:04.0"
#define BRIDGE "0000:00:05.0"

static const char *const rng_keys[] = { "PCI_CLASS=FF00", "PCI_ID=1AF4:1005", "PCI_SUBSYS_ID=1AF4:0004",
                                        "PCI_SLOT_NAME=" RNG, NULL };
static const char *const rng2_keys[] = { "PCI_CLASS=FF00", "PCI_ID=1AF4:1005", "PCI_SUBSYS_ID=1AF4:0004",
                                         "PCI_SLOT_NAME=" RNG2, NULL };
static const char *const bridge_keys[] = { "PCI_CLASS=60400", "PCI_ID=1B36:000C", "PCI_SUBSYS_ID=1B36:0000",
                                           "PCI_SLOT_NAME=" BRIDGE, NULL };

/* PCI: pci_uevent()'s variables in the uevent file and the events, the modalias from them; the
 * group appears at the first probe; vfio-pci only through the override, never a bridge. */
START_TEST(test_pci) {
        FakeKernel *fk = new_fk();
        FkDeviceSpec rng = { .bus = FK_PCI, .name = RNG, .native = "virtio-pci", .iommu_group = 3,
                             .flags = FK_GROUP_AT_PROBE | FK_NO_RESET, .uevent_extra = rng_keys };
        FkDeviceSpec rng2 = { .bus = FK_PCI, .name = RNG2, .native = "virtio-pci", .iommu_group = 4,
                              .flags = FK_GROUP_AT_PROBE, .uevent_extra = rng2_keys };
        FkDeviceSpec bridge = { .bus = FK_PCI, .name = BRIDGE, .native = "pcieport", .iommu_group = 5,
                                .uevent_extra = bridge_keys };
        pid_t mon = monitor(fk, "0");
        char *out;

        /* Never probed (its driver is not registered): no group yet. */
        ck_assert_int_eq(fk_device_add(fk, &rng), 0);
        ck_assert_ptr_null(fk_device_driver(fk, RNG));
        assert_file(fk, "devices/pci0000:00/" RNG "/uevent",
                    "PCI_CLASS=FF00\nPCI_ID=1AF4:1005\nPCI_SUBSYS_ID=1AF4:0004\nPCI_SLOT_NAME=" RNG "\n"
                    "MODALIAS=pci:v00001AF4d00001005sv00001AF4sd00000004bc00scFFi00\n");
        assert_link(fk, "bus/pci/devices/" RNG, "../../../devices/pci0000:00/" RNG);
        assert_link(fk, "devices/pci0000:00/" RNG "/subsystem", "../../../bus/pci");
        assert_link(fk, "devices/pci0000:00/" RNG "/iommu_group", NULL);
        assert_link(fk, "kernel/iommu_groups/3/devices/" RNG, NULL);

        /* vfio-pci has no match table: bind without an override is ENODEV; with one, the first
         * probe creates the group, and FK_NO_RESET means nothing off platform and amba. */
        ck_assert_int_eq(fk_driver_register(fk, FK_PCI, "vfio-pci"), 0);
        ck_assert_ptr_null(fk_device_driver(fk, RNG));
        out = writes(fk, PCI_SYS "/drivers/vfio-pci/bind", RNG, PCI_SYS "/devices/" RNG "/driver_override", "vfio-pci\n");
        assert_contains(out, "bind -> ENODEV");
        free(out);
        out = writes(fk, PCI_SYS "/drivers_probe", RNG, PCI_SYS "/devices/" RNG "/uevent", "change");
        assert_contains(out, "drivers_probe -> ok");
        free(out);
        ck_assert_str_eq(fk_device_driver(fk, RNG), "vfio-pci");
        assert_link(fk, "devices/pci0000:00/" RNG "/iommu_group", "../../../kernel/iommu_groups/3");
        assert_link(fk, "kernel/iommu_groups/3/devices/" RNG, "../../../../devices/pci0000:00/" RNG);
        assert_link(fk, "devices/pci0000:00/" RNG "/driver", "../../../bus/pci/drivers/vfio-pci");
        ck_assert_int_eq(fk_wait_output(fk, mon, "EVENT change " RNG " driver=vfio-pci modalias=pci:v00001AF4d00001005", T), 1);

        /* The native driver takes the other one at registration: its group appears then. */
        ck_assert_int_eq(fk_device_add(fk, &rng2), 0);
        assert_link(fk, "devices/pci0000:00/" RNG2 "/iommu_group", NULL);
        ck_assert_int_eq(fk_driver_register(fk, FK_PCI, "virtio-pci"), 0);
        ck_assert_str_eq(fk_device_driver(fk, RNG2), "virtio-pci");
        assert_link(fk, "devices/pci0000:00/" RNG2 "/iommu_group", "../../../kernel/iommu_groups/4");
        ck_assert_str_eq(fk_device_driver(fk, RNG), "vfio-pci"); /* bound: left alone */

        /* A PCI-to-PCI bridge: vfio-pci's probe refuses it (-EINVAL). */
        ck_assert_int_eq(fk_device_add(fk, &bridge), 0);
        assert_link(fk, "devices/pci0000:00/" BRIDGE "/iommu_group", "../../../kernel/iommu_groups/5");
        out = writes(fk, PCI_SYS "/devices/" BRIDGE "/driver_override", "vfio-pci", PCI_SYS "/drivers/vfio-pci/bind", BRIDGE);
        assert_contains(out, "bind -> EINVAL");
        free(out);
        ck_assert_ptr_null(fk_device_driver(fk, BRIDGE));

        /* Removed: its group links go with it. */
        ck_assert_int_eq(fk_device_remove(fk, RNG), 0);
        assert_link(fk, "kernel/iommu_groups/3/devices/" RNG, NULL);
        ck_assert_int_eq(fk_wait_output(fk, mon, "EVENT remove " RNG, T), 1);
        fk_free(fk);
}
END_TEST

/* CDX: vendor/device attributes, vfio-cdx only through the override. fsl-mc: vfio-fsl-mc takes
 * a dprc, and an object only once its container is on vfio-fsl-mc. */
START_TEST(test_cdx_fsl_mc) {
        FakeKernel *fk = new_fk();
        static const char *const cdx_attrs[] = { "vendor=0x10ee", "device=0x8084", NULL };
        FkDeviceSpec cdx = { .bus = FK_CDX, .name = "cdx-00:00", .attrs = cdx_attrs };
        FkDeviceSpec dprc = { .bus = FK_FSL_MC, .name = "dprc.2", .native = "fsl_mc_dprc" };
        FkDeviceSpec dpni = { .bus = FK_FSL_MC, .name = "dpni.0", .native = "fsl_dpaa2_eth", .container = "dprc.2" };
        char *out;

        ck_assert_int_eq(fk_driver_register(fk, FK_CDX, "vfio-cdx"), 0);
        ck_assert_int_eq(fk_device_add(fk, &cdx), 0);
        assert_file(fk, "devices/cdx/cdx-00:00/vendor", "0x10ee\n");
        assert_file(fk, "devices/cdx/cdx-00:00/device", "0x8084\n");
        assert_file(fk, "devices/cdx/cdx-00:00/modalias", "cdx:v000010EEd00008084\n");
        assert_link(fk, "bus/cdx/devices/cdx-00:00", "../../../devices/cdx/cdx-00:00");
        ck_assert_ptr_null(fk_device_driver(fk, "cdx-00:00"));
        out = writes(fk, "/sys/bus/cdx/drivers/vfio-cdx/bind", "cdx-00:00", "/sys/bus/cdx/devices/cdx-00:00/driver_override",
                     "vfio-cdx");
        assert_contains(out, "bind -> ENODEV");
        free(out);
        out = writes(fk, "/sys/bus/cdx/drivers/vfio-cdx/bind", "cdx-00:00", "/sys/bus/cdx/drivers/vfio-cdx/unbind", "x");
        assert_contains(out, "vfio-cdx/bind -> ok");
        free(out);
        ck_assert_str_eq(fk_device_driver(fk, "cdx-00:00"), "vfio-cdx");

        ck_assert_int_eq(fk_driver_register(fk, FK_FSL_MC, "fsl_mc_dprc"), 0);
        ck_assert_int_eq(fk_driver_register(fk, FK_FSL_MC, "fsl_dpaa2_eth"), 0);
        ck_assert_int_eq(fk_driver_register(fk, FK_FSL_MC, "vfio-fsl-mc"), 0);
        ck_assert_int_eq(fk_device_add(fk, &dprc), 0);
        ck_assert_int_eq(fk_device_add(fk, &dpni), 0);
        assert_file(fk, "devices/fsl-mc/dpni.0/modalias", "fsl-mc:v00001957ddpni\n");
        ck_assert_str_eq(fk_device_driver(fk, "dpni.0"), "fsl_dpaa2_eth");
        /* The object first: its container is on a host driver, vfio-fsl-mc refuses it. */
        out = writes(fk, "/sys/bus/fsl-mc/devices/dpni.0/driver_override", "vfio-fsl-mc",
                     "/sys/bus/fsl-mc/drivers/fsl_dpaa2_eth/unbind", "dpni.0");
        free(out);
        out = writes(fk, "/sys/bus/fsl-mc/drivers/vfio-fsl-mc/bind", "dpni.0", "/sys/bus/fsl-mc/devices/dprc.2/driver_override",
                     "vfio-fsl-mc");
        assert_contains(out, "vfio-fsl-mc/bind -> EINVAL");
        free(out);
        /* The container, then the object. */
        out = writes(fk, "/sys/bus/fsl-mc/drivers/fsl_mc_dprc/unbind", "dprc.2", "/sys/bus/fsl-mc/drivers_probe", "dprc.2");
        free(out);
        ck_assert_str_eq(fk_device_driver(fk, "dprc.2"), "vfio-fsl-mc");
        out = writes(fk, "/sys/bus/fsl-mc/drivers/vfio-fsl-mc/bind", "dpni.0", "/sys/bus/fsl-mc/drivers_probe", "dpni.0");
        assert_contains(out, "vfio-fsl-mc/bind -> ok");
        free(out);
        ck_assert_str_eq(fk_device_driver(fk, "dpni.0"), "vfio-fsl-mc");
        fk_free(fk);
}
END_TEST

START_TEST(test_sh_binds) {
        FakeKernel *fk = new_fk();
        const char *script = "echo vfio-platform > " SYS "/devices/" VIRTIO "/driver_override; "
                             "echo " VIRTIO " > " SYS "/drivers/virtio-mmio/unbind; "
                             "echo " VIRTIO " > " SYS "/drivers_probe; "
                             "readlink " SYS "/devices/" VIRTIO "/driver";
        char *out;

        ck_assert_int_eq(sh(fk, script, &out), 0);
        ck_assert_str_eq(out, "../../../bus/platform/drivers/vfio-platform\n"); /* synchronous */
        free(out);
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO), "vfio-platform");
        ck_assert_str_eq(fk_device_override(fk, VIRTIO), "vfio-platform");
        assert_file(fk, "devices/platform/" VIRTIO "/driver_override", "vfio-platform\n");
        ck_assert_uint_eq(fk_writes(fk, VIRTIO, FK_OVERRIDE), 1);
        ck_assert_uint_eq(fk_writes(fk, VIRTIO, FK_UNBIND), 1);
        ck_assert_uint_eq(fk_writes(fk, VIRTIO, FK_PROBE), 1);
        ck_assert_uint_eq(fk_writes(fk, NULL, FK_BIND), 0);

        /* Again: not bound to virtio-mmio any more, unbind fails (sh says so); probe: no-op. */
        fk_writes_reset(fk);
        ck_assert_int_eq(sh(fk, script, &out), 0);
        assert_contains(out, "I/O error");
        assert_contains(out, "drivers/vfio-platform\n");
        free(out);
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO), "vfio-platform");
        ck_assert_uint_eq(fk_writes(fk, NULL, FK_UNBIND), 1);

        /* Restore: clear the override, unbind, probe: the native driver is back. */
        ck_assert_int_eq(sh(fk, "echo > " SYS "/devices/" VIRTIO "/driver_override && echo " VIRTIO " > " SYS "/devices/" VIRTIO
                                "/driver/unbind && echo " VIRTIO " > " SYS "/drivers_probe",
                            NULL),
                         0);
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO), "virtio-mmio");
        ck_assert_ptr_null(fk_device_override(fk, VIRTIO));
        assert_file(fk, "devices/platform/" VIRTIO "/driver_override", "(null)\n");
        fk_free(fk);
}
END_TEST

START_TEST(test_kernel_errnos) {
        FakeKernel *fk = new_fk();
        FkDeviceSpec noiommu = virtio(VIRTIO2, "/virtio_mmio@a000200"), noreset = virtio("a000400.virtio_mmio", "/virtio_mmio@a000400");
        char *out;

        noiommu.iommu_group = FK_NO_IOMMU;
        noiommu.native = NULL;
        noreset.flags = FK_NO_RESET;
        noreset.native = NULL;
        ck_assert_int_eq(fk_device_add(fk, &noiommu), 0);
        ck_assert_int_eq(fk_device_add(fk, &noreset), 0);

        /* bind: no override, so vfio-platform does not match; unknown device; bound: EBUSY. */
        out = writes(fk, SYS "/drivers/vfio-platform/bind", VIRTIO2 "\n", SYS "/drivers/vfio-platform/bind", "nosuchdev");
        assert_contains(out, "bind -> ENODEV\n" SYS "/drivers/vfio-platform/bind -> ENODEV");
        free(out);
        out = writes(fk, SYS "/drivers/virtio-mmio/bind", VIRTIO, SYS "/drivers_probe", "nosuchdev\n");
        assert_contains(out, "virtio-mmio/bind -> EBUSY");
        assert_contains(out, "drivers_probe -> ENODEV");
        free(out);

        /* No IOMMU group: drivers_probe "succeeds" and nothing binds; bind reports -EINVAL. */
        out = writes(fk, SYS "/devices/" VIRTIO2 "/driver_override", "vfio-platform", SYS "/drivers_probe", VIRTIO2);
        assert_contains(out, "driver_override -> ok");
        assert_contains(out, "drivers_probe -> ok");
        free(out);
        ck_assert_ptr_null(fk_device_driver(fk, VIRTIO2));
        out = writes(fk, SYS "/drivers/vfio-platform/bind", VIRTIO2, SYS "/drivers/vfio-platform/unbind", VIRTIO2);
        assert_contains(out, "bind -> EINVAL");
        assert_contains(out, "unbind -> ENODEV");
        free(out);

        /* No reset handler: -ENOENT from the probe. */
        out = writes(fk, SYS "/devices/a000400.virtio_mmio/driver_override", "vfio-platform\nignored",
                     SYS "/drivers/vfio-platform/bind", "a000400.virtio_mmio");
        assert_contains(out, "bind -> ENOENT");
        free(out);
        ck_assert_str_eq(fk_device_override(fk, "a000400.virtio_mmio"), "vfio-platform"); /* up to the newline */

        /* An override naming a driver that is not registered: stays unbound. */
        out = writes(fk, SYS "/devices/" VIRTIO "/driver_override", "uio_pdrv_genirq", SYS "/drivers/virtio-mmio/unbind", VIRTIO);
        free(out);
        out = writes(fk, SYS "/drivers_probe", VIRTIO, SYS "/devices/" VIRTIO "/uevent", "bogus");
        assert_contains(out, "drivers_probe -> ok");
        assert_contains(out, "uevent -> EINVAL");
        free(out);
        ck_assert_ptr_null(fk_device_driver(fk, VIRTIO));

        /* Sizes: sysfs takes a page at most (E2BIG); driver_override less than that (EINVAL). */
        {
                char *big = malloc(5000), *almost = malloc(4096);

                memset(big, 'x', 4999);
                big[4999] = '\0';
                memset(almost, 'x', 4095);
                almost[4095] = '\0';
                out = writes(fk, SYS "/devices/" VIRTIO "/driver_override", big, SYS "/devices/" VIRTIO "/driver_override", almost);
                ck_assert_str_eq(out, SYS "/devices/" VIRTIO "/driver_override -> E2BIG\n" SYS "/devices/" VIRTIO
                                      "/driver_override -> EINVAL\n");
                free(out);
                free(big);
                free(almost);
        }
        /* writev() is one store. */
        out = run_ok(fk, (const char *const[]) { self, "--fk-helper", "writev", SYS "/devices/" VIRTIO2 "/driver_override", "uio_pdrv",
                                                 "_genirq\n", NULL });
        ck_assert_str_eq(out, "writev -> ok\n");
        free(out);
        ck_assert_str_eq(fk_device_override(fk, VIRTIO2), "uio_pdrv_genirq");

        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "uio_pdrv_genirq"), 0);
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO), "uio_pdrv_genirq"); /* driver_attach() honours it */
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO2), "uio_pdrv_genirq"); /* no IOMMU: only vfio cares */
        fk_free(fk);
}
END_TEST

START_TEST(test_faults) {
        FakeKernel *fk = new_fk();
        char *out;

        fk_fault(fk, VIRTIO, FK_UNBIND, EBUSY, 1);
        fk_fault(fk, VIRTIO, FK_OVERRIDE, EINVAL, FK_ALWAYS);
        fk_fault(fk, VIRTIO, FK_PROBE, EIO, 1);
        out = writes(fk, SYS "/drivers/virtio-mmio/unbind", VIRTIO, SYS "/devices/" VIRTIO "/driver_override", "vfio-platform");
        assert_contains(out, "unbind -> EBUSY");
        assert_contains(out, "driver_override -> EINVAL");
        free(out);
        /* A failed write changed nothing, not even the file (O_TRUNC does not truncate sysfs). */
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO), "virtio-mmio");
        assert_file(fk, "devices/platform/" VIRTIO "/driver_override", "(null)\n");

        out = writes(fk, SYS "/drivers/virtio-mmio/unbind", VIRTIO, SYS "/devices/" VIRTIO "/driver_override", "vfio-platform");
        assert_contains(out, "unbind -> ok"); /* once */
        assert_contains(out, "driver_override -> EINVAL"); /* always */
        free(out);
        out = writes(fk, SYS "/drivers_probe", VIRTIO, SYS "/drivers_probe", VIRTIO);
        ck_assert_str_eq(out, SYS "/drivers_probe -> EIO\n" SYS "/drivers_probe -> ok\n");
        free(out);
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO), "virtio-mmio");
        ck_assert_uint_eq(fk_writes(fk, VIRTIO, FK_OVERRIDE), 2);
        ck_assert_uint_eq(fk_writes(fk, VIRTIO, FK_UNBIND), 2);
        ck_assert_uint_eq(fk_writes(fk, VIRTIO, FK_PROBE), 2);

        /* sh sees the failure too. */
        fk_fault(fk, VIRTIO, FK_OVERRIDE, ENODEV, 1);
        ck_assert_int_ne(sh(fk, "echo vfio-platform > " SYS "/devices/" VIRTIO "/driver_override", &out), 0);
        assert_contains(out, "I/O error");
        free(out);
        fk_fault(fk, VIRTIO, FK_OVERRIDE, 0, 0);
        ck_assert_int_eq(sh(fk, "echo vfio-platform > " SYS "/devices/" VIRTIO "/driver_override", NULL), 0);
        ck_assert_str_eq(fk_device_override(fk, VIRTIO), "vfio-platform");
        fk_free(fk);
}
END_TEST

START_TEST(test_vanish) {
        FakeKernel *fk = new_fk();
        pid_t mon = monitor(fk, NULL);
        char *out;

        fk_fault(fk, VIRTIO, FK_UNBIND, FK_VANISH, 1);
        out = writes(fk, SYS "/devices/" VIRTIO "/driver_override", "vfio-platform", SYS "/drivers/virtio-mmio/unbind", VIRTIO);
        assert_contains(out, "unbind -> ENODEV");
        free(out);
        ck_assert(!fk_device_exists(fk, VIRTIO));
        assert_link(fk, "bus/platform/devices/" VIRTIO, NULL);
        /* The kernel's order: the driver lets go, then the device goes. */
        ck_assert_int_eq(fk_wait_output(fk, mon, "EVENT remove " VIRTIO, T), 1);
        assert_contains(fk_output(fk, mon), "EVENT unbind " VIRTIO " driver=- modalias=- compat=virtio,mmio");
        out = writes(fk, SYS "/drivers_probe", VIRTIO, SYS "/drivers_probe", VIRTIO);
        assert_contains(out, "drivers_probe -> ENODEV");
        free(out);
        fk_free(fk);
}
END_TEST

static bool hanging(FakeKernel *fk, void *userdata) {
        (void) userdata;
        return fk_hung(fk) > 0;
}

START_TEST(test_hang) {
        FakeKernel *fk = new_fk();
        FkDeviceSpec v2 = virtio(VIRTIO2, "/virtio_mmio@a000200");
        const char *argv[] = { self, "--fk-helper", "write", "-t", SYS "/drivers/virtio-mmio/unbind", VIRTIO,
                               SYS "/devices/" VIRTIO2 "/driver_override", "vfio-platform", NULL };
        pid_t pid;
        char *out;

        ck_assert_int_eq(fk_device_add(fk, &v2), 0);
        fk_fault(fk, VIRTIO, FK_UNBIND, FK_HANG, 1);
        pid = fk_spawn(fk, argv, NULL, 0);
        ck_assert_int_gt(pid, 0);
        /* The other thread goes on; so does the harness, for other programs. */
        ck_assert_int_eq(fk_wait(fk, hanging, NULL, T), 1);
        ck_assert_int_eq(fk_wait_output(fk, pid, "driver_override -> ok", T), 1);
        out = writes(fk, SYS "/drivers/virtio-mmio/unbind", VIRTIO2, SYS "/drivers_probe", VIRTIO2);
        ck_assert_str_eq(out, SYS "/drivers/virtio-mmio/unbind -> ok\n" SYS "/drivers_probe -> ok\n");
        free(out);
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO2), "vfio-platform");
        ck_assert_uint_eq(fk_hung(fk), 1);
        ck_assert_int_eq(fk_wait(fk, NULL, NULL, 200), 0);
        ck_assert_ptr_null(strstr(fk_output(fk, pid), "unbind ->"));
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO), "virtio-mmio");

        /* Released: the write completes as the kernel would have done it. */
        ck_assert_uint_eq(fk_release_hung(fk, 0), 1);
        ck_assert_int_eq(fk_wait_output(fk, pid, "unbind -> ok", T), 1);
        ck_assert_ptr_null(fk_device_driver(fk, VIRTIO));
        ck_assert_int_eq(fk_wait_exit(fk, pid, T, NULL, NULL), 1);

        /* A hung writer killed: the harness lets the request go. */
        fk_fault(fk, VIRTIO, FK_OVERRIDE, FK_HANG, FK_ALWAYS);
        pid = fk_spawn(fk, (const char *const[]) { "/bin/sh", "-c", "echo x > " SYS "/devices/" VIRTIO "/driver_override", NULL },
                       NULL, 0);
        ck_assert_int_eq(fk_wait(fk, hanging, NULL, T), 1);
        ck_assert_int_eq(fk_kill(fk, pid, SIGKILL), 0);
        ck_assert_int_eq(fk_wait_exit(fk, pid, T, NULL, NULL), 1);
        ck_assert_int_eq(fk_settle(fk, 50, T), 1);
        ck_assert_uint_eq(fk_hung(fk), 0);
        fk_free(fk);
}
END_TEST

static bool listeners(FakeKernel *fk, void *userdata) {
        return fk_uevent_listeners(fk) >= *(unsigned *) userdata;
}

START_TEST(test_uevents) {
        FakeKernel *fk = new_fk();
        const char *argv[] = { "udevadm", "monitor", "--kernel", "--property", NULL };
        pid_t um = fk_spawn(fk, argv, NULL, 0), lm = monitor(fk, NULL);
        FkDeviceSpec v2 = virtio(VIRTIO2, "/virtio_mmio@a000200");
        const char *out;

        ck_assert_int_gt(um, 0);
        ck_assert_int_eq(fk_wait(fk, listeners, (unsigned[]) { 2 }, T), 1);

        ck_assert_int_eq(fk_device_add(fk, &v2), 0); /* add, then bind by the native driver */
        ck_assert_int_eq(sh(fk, "echo vfio-platform > " SYS "/devices/" VIRTIO2 "/driver_override; echo " VIRTIO2 " > " SYS
                                "/devices/" VIRTIO2 "/driver/unbind; echo " VIRTIO2 " > " SYS "/drivers_probe; echo change > " SYS
                                "/devices/" VIRTIO2 "/uevent",
                            NULL),
                         0);
        ck_assert_int_eq(fk_uevent(fk, VIRTIO2, "change"), 0);
        ck_assert_int_eq(fk_device_remove(fk, VIRTIO2), 0);
        ck_assert_int_eq(fk_wait_output(fk, lm, "EVENT remove", T), 1);
        ck_assert_int_eq(fk_settle(fk, 100, T), 1);

        /* libudev, as the daemon sees them. */
        out = fk_output(fk, lm);
        /* The add, then the native driver's bind, back to back (the drivers' own registration
         * events, SUBSYSTEM=drivers, took the first sequence numbers). */
        {
                const char *a = strstr(out, "EVENT add " VIRTIO2 " driver=- modalias=of:Nvirtio_mmioT(null)Cvirtio,mmio compat=virtio,mmio seq=");
                char want[256];
                unsigned long long seq;

                ck_assert_msg(a, "no add event in\n%s", out);
                seq = strtoull(strstr(a, "seq=") + 4, NULL, 10);
                snprintf(want, sizeof want,
                         "seq=%llu\nEVENT bind " VIRTIO2 " driver=virtio-mmio modalias=of:Nvirtio_mmioT(null)Cvirtio,mmio compat=virtio,mmio seq=%llu\n",
                         seq, seq + 1);
                assert_contains(a, want);
        }
        assert_contains(out, "EVENT unbind " VIRTIO2 " driver=- modalias=- compat=virtio,mmio");
        assert_contains(out, "EVENT bind " VIRTIO2 " driver=vfio-platform modalias=of:Nvirtio_mmioT(null)Cvirtio,mmio");
        assert_contains(out, "EVENT change " VIRTIO2 " driver=vfio-platform");
        assert_contains(out, "EVENT unbind " VIRTIO2 " driver=- modalias=- compat=virtio,mmio");
        assert_contains(out, "EVENT remove " VIRTIO2 " driver=- modalias=of:");

        /* udevadm, with every property. */
        out = fk_output(fk, um);
        assert_contains(out, "ACTION=bind\nDEVPATH=/devices/platform/" VIRTIO2 "\nSUBSYSTEM=platform\nDRIVER=vfio-platform\n"
                             "OF_NAME=virtio_mmio\nOF_FULLNAME=/virtio_mmio@a000200\nOF_COMPATIBLE_0=virtio,mmio\n"
                             "OF_COMPATIBLE_N=1\nMODALIAS=of:Nvirtio_mmioT(null)Cvirtio,mmio\nSEQNUM=");
        assert_contains(out, "ACTION=unbind\nDEVPATH=/devices/platform/" VIRTIO2 "\nSUBSYSTEM=platform\nOF_NAME=virtio_mmio\n"
                             "OF_FULLNAME=/virtio_mmio@a000200\nOF_COMPATIBLE_0=virtio,mmio\nOF_COMPATIBLE_N=1\nSEQNUM=");
        assert_contains(out, "ACTION=change\nDEVPATH=/devices/platform/" VIRTIO2 "\nSUBSYSTEM=platform\nSYNTH_UUID=0\nDRIVER=vfio-platform\n");
        assert_contains(out, "ACTION=remove\nDEVPATH=/devices/platform/" VIRTIO2 "\nSUBSYSTEM=platform\nOF_NAME=virtio_mmio\n");
        fk_free(fk);
}
END_TEST

static bool output_lines(FakeKernel *fk, void *userdata) {
        const char *s = fk_output(fk, *(pid_t *) userdata);
        int n = 0;

        while ((s = strstr(s, "EVENT ")))
                n++, s++;
        return n >= 120;
}

START_TEST(test_queue_and_enobufs) {
        FakeKernel *fk = new_fk();
        pid_t slow = monitor(fk, "1000"); /* reads nothing for 1 s */
        FkDeviceSpec v2 = virtio(VIRTIO2, "/virtio_mmio@a000200");
        char want[64];
        const char *out, *p;

        /* 120 events at once: the kernel's socket would hold them; umockdev's socket holds 10. */
        for (int i = 0; i < 120; i++)
                ck_assert_int_eq(fk_uevent(fk, VIRTIO, "change"), 0);
        ck_assert_uint_gt(fk_uevents_queued(fk), 100);
        ck_assert_int_eq(fk_wait(fk, output_lines, &slow, T), 1);
        ck_assert_uint_eq(fk_uevents_queued(fk), 0);
        out = fk_output(fk, slow);
        p = strstr(out, "EVENT change " VIRTIO " ");
        ck_assert_msg(p && strstr(p, "seq="), "no change event in\n%s", out);
        unsigned long long first = strtoull(strstr(p, "seq=") + 4, NULL, 10);
        for (int i = 0; i < 120; i++) { /* all of them, in order */
                snprintf(want, sizeof(want), "seq=%llu\n", first + i);
                p = strstr(p, want);
                ck_assert_msg(p, "%s missing in\n%s", want, out);
        }

        /* Lost events: the listener reads ENOBUFS, then what came after. */
        fk_lose_uevents(fk, true);
        ck_assert_int_eq(fk_device_add(fk, &v2), 0);
        fk_lose_uevents(fk, false);
        ck_assert_int_eq(fk_uevent(fk, VIRTIO2, "change"), 0);
        ck_assert_int_eq(fk_wait_output(fk, slow, "EVENT change " VIRTIO2, T), 1);
        out = fk_output(fk, slow);
        ck_assert_ptr_null(strstr(out, "EVENT add " VIRTIO2));
        p = strstr(out, "ERROR ENOBUFS\n");
        ck_assert_msg(p, "no ENOBUFS in\n%s", out);
        ck_assert_ptr_nonnull(strstr(p, "EVENT change " VIRTIO2));
        fk_free(fk);
}
END_TEST

START_TEST(test_native_grab) {
        FakeKernel *fk = new_fk();
        pid_t mon = monitor(fk, NULL);
        char *out;

        out = writes(fk, SYS "/devices/" VIRTIO "/driver_override", "vfio-platform", SYS "/drivers/virtio-mmio/unbind", VIRTIO);
        free(out);
        ck_assert_ptr_null(fk_device_driver(fk, VIRTIO));
        /* The native driver wins the race despite the override. */
        ck_assert_int_eq(fk_native_grab(fk, VIRTIO), 0);
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO), "virtio-mmio");
        ck_assert_str_eq(fk_device_override(fk, VIRTIO), "vfio-platform");
        ck_assert_int_eq(fk_native_grab(fk, VIRTIO), -EBUSY);
        ck_assert_int_eq(fk_wait_output(fk, mon, "EVENT bind " VIRTIO " driver=virtio-mmio", T), 1);
        /* Taken back. */
        out = writes(fk, SYS "/drivers/virtio-mmio/unbind", VIRTIO, SYS "/drivers_probe", VIRTIO);
        free(out);
        ck_assert_str_eq(fk_device_driver(fk, VIRTIO), "vfio-platform");
        ck_assert_int_eq(fk_wait_output(fk, mon, "EVENT bind " VIRTIO " driver=vfio-platform", T), 1);
        fk_free(fk);
}
END_TEST

START_TEST(test_programs) {
        FakeKernel *fk = new_fk();
        const char *argv[] = { self, "--fk-helper", "notify", NULL };
        const char *line;
        pid_t pid = fk_spawn(fk, argv, NULL, 0), quick;
        int status;

        ck_assert_int_gt(pid, 0);
        line = fk_wait_notify(fk, "READY=1", T);
        ck_assert_ptr_nonnull(line);
        ck_assert_str_eq(fk_wait_notify(fk, "STATUS=", T), "STATUS=2 bound, 0 failed");
        ck_assert_str_eq(fk_notify_status(fk), "2 bound, 0 failed");
        ck_assert_int_eq(fk_kill(fk, pid, SIGHUP), 0);
        ck_assert_ptr_nonnull(fk_wait_notify(fk, "RELOADING=1", T));
        ck_assert_str_eq(fk_wait_notify(fk, "STATUS=", T), "STATUS=reloaded");
        ck_assert_ptr_null(fk_wait_notify(fk, "READY=1", 0)); /* it is the line before */

        /* An unexpected exit ends a wait at once; an expected one does not. */
        quick = fk_spawn(fk, (const char *const[]) { "/bin/sh", "-c", "echo bye; exit 3", NULL }, NULL, 0);
        ck_assert_int_eq(fk_wait(fk, NULL, NULL, T), -ECHILD);
        ck_assert_int_eq(fk_wait_exit(fk, quick, T, &status, NULL), 1);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
        ck_assert_str_eq(fk_output(fk, quick), "bye\n");
        quick = fk_spawn(fk, (const char *const[]) { "/bin/sh", "-c", "exit 0", NULL }, NULL, FK_SPAWN_MAY_EXIT);
        ck_assert_int_eq(fk_wait_output(fk, quick, "never printed", 300), 0);
        ck_assert_int_eq(fk_wait_exit(fk, quick, T, NULL, NULL), 1);
        ck_assert_int_eq(fk_kill(fk, quick, SIGTERM), -ESRCH);

        /* The environment: the shim first, ours overridden, extra variables. */
        quick = fk_spawn(fk, (const char *const[]) { "/bin/sh", "-c", "echo $FOO $LD_PRELOAD; test -d /sys/bus/amba/drivers", NULL },
                         (const char *const[]) { "FOO=bar", NULL }, FK_SPAWN_MAY_EXIT);
        ck_assert_int_eq(fk_wait_exit(fk, quick, T, &status, NULL), 1);
        ck_assert_int_eq(status, 0);
        assert_contains(fk_output(fk, quick), "bar /");
        assert_contains(fk_output(fk, quick), "fk-shim.so:");
        assert_contains(fk_output(fk, quick), "libumockdev-preload.so.0");

        /* SIGTERM, exit status. */
        status = fk_stop(fk, pid, T);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_contains(fk_output(fk, pid), "terminated");
        fk_free(fk);
}
END_TEST

START_TEST(test_robust_server) {
        FakeKernel *fk = new_fk();
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        FkRequest req = { .magic = 0xdead };
        FkReply rep = {};
        int fd;
        char *out;

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/fk-request.sock", fk_root(fk));
        /* Connected and gone; garbage; a truncated request. */
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        close(fd);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        ck_assert_int_eq(send(fd, &req, sizeof(req), 0), (ssize_t) sizeof(req));
        ck_assert_int_eq(fk_wait(fk, NULL, NULL, 100), 0);
        ck_assert_int_eq(recv(fd, &rep, sizeof(rep), MSG_DONTWAIT), (ssize_t) sizeof(rep));
        ck_assert_int_eq(rep.result, -EIO);
        close(fd);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        ck_assert_int_eq(send(fd, "x", 1, 0), 1);
        ck_assert_int_eq(fk_wait(fk, NULL, NULL, 100), 0);
        close(fd);

        /* Still serving. */
        out = writes(fk, SYS "/devices/" VIRTIO "/driver_override", "vfio-platform", SYS "/drivers_probe", VIRTIO);
        assert_contains(out, "driver_override -> ok");
        free(out);
        /* Writes that are not attributes, or outside the testbed, pass through. */
        ck_assert_int_eq(sh(fk, "echo hi > /dev/null && echo ok", &out), 0);
        ck_assert_str_eq(out, "ok\n");
        free(out);
        fk_free(fk);
}
END_TEST

/* A harness that dies without fk_free() (a failed check in fork mode _exit()s): its children
 * die with it, its testbed goes. */
START_TEST(test_cleanup_after_death) {
        int p[2];
        pid_t pid;
        struct {
                char root[256];
                pid_t child;
        } msg = {};
        struct stat st;
        int status;

        ck_assert_int_eq(pipe(p), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                FakeKernel *fk = fk_new();

                if (!fk)
                        _exit(2);
                snprintf(msg.root, sizeof(msg.root), "%s", fk_root(fk));
                msg.child = fk_spawn(fk, (const char *const[]) { "sleep", "1000", NULL }, NULL, 0);
                (void) !write(p[1], &msg, sizeof(msg));
                _exit(1);
        }
        close(p[1]);
        ck_assert_int_eq(read(p[0], &msg, sizeof(msg)), (ssize_t) sizeof(msg));
        close(p[0]);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_int_gt(msg.child, 0);
        for (int i = 0; i < 1000 && (stat(msg.root, &st) == 0 || kill(msg.child, 0) == 0); i++)
                usleep(10000);
        ck_assert_msg(stat(msg.root, &st) < 0 && errno == ENOENT, "%s is still there", msg.root);
        ck_assert_msg(kill(msg.child, 0) < 0 && errno == ESRCH, "child %d is still running", (int) msg.child);
}
END_TEST

START_TEST(test_many_devices) {
        FakeKernel *fk = fk_new();
        const char *argv[] = { self, "--fk-helper", "enumerate", NULL };
        const char *loop[] = { self, "--fk-helper", "write-loop", "2000", SYS "/devices/d0.virtio_mmio/driver_override", "vfio-platform", NULL };
        struct timespec a, b;
        char name[64], node[64], *out;
        double secs;

        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "virtio-mmio"), 0);
        ck_assert_int_eq(fk_driver_register(fk, FK_PLATFORM, "vfio-platform"), 0);
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < 1000; i++) {
                FkDeviceSpec s = virtio(name, node);

                snprintf(name, sizeof(name), "d%d.virtio_mmio", i);
                snprintf(node, sizeof(node), "/virtio_mmio@d%d", i);
                if (i % 2)
                        s.native = NULL;
                if (i % 4 == 0)
                        s.override = "vfio-platform";
                ck_assert_int_eq(fk_device_add(fk, &s), 0);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
        fprintf(stderr, "fake kernel: 1000 devices created in %.3f s\n", secs);
        ck_assert_double_lt(secs, 60);

        out = run_ok(fk, argv);
        fprintf(stderr, "fake kernel: libudev enumeration: %s", out);
        assert_contains(out, "1000 devices, 500 bound, 250 vfio");
        free(out);
        out = run_ok(fk, loop);
        fprintf(stderr, "fake kernel: request round trip: %s", out);
        free(out);
        ck_assert_uint_eq(fk_writes(fk, "d0.virtio_mmio", FK_OVERRIDE), 2000);
        fk_free(fk);
}
END_TEST

int main(int argc, char **argv) {
        Suite *s;
        TCase *tc;
        SRunner *sr;
        ssize_t n;
        int failed;

        if (argc > 1 && streq(argv[1], "--fk-helper"))
                return helper_main(argc - 2, argv + 2);
        if (!fk_supported())
                return 77;
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return 1;
        self[n] = '\0';

        s = suite_create("fake-kernel");
        tc = tcase_create("model");
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_layout);
        tcase_add_test(tc, test_sh_binds);
        tcase_add_test(tc, test_kernel_errnos);
        tcase_add_test(tc, test_faults);
        tcase_add_test(tc, test_vanish);
        tcase_add_test(tc, test_hang);
        tcase_add_test(tc, test_native_grab);
        tcase_add_test(tc, test_every_bus);
        tcase_add_test(tc, test_pci);
        tcase_add_test(tc, test_cdx_fsl_mc);
        suite_add_tcase(s, tc);
        tc = tcase_create("plumbing");
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_uevents);
        tcase_add_test(tc, test_queue_and_enobufs);
        tcase_add_test(tc, test_programs);
        tcase_add_test(tc, test_robust_server);
        tcase_add_test(tc, test_cleanup_after_death);
        tcase_add_test(tc, test_many_devices);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
