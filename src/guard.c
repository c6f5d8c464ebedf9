/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guard.h"
#include "strv.h"
#include "validate.h"

#define NAMES_SHOWN 3

static const char * const reason_table[_GUARD_REASON_MAX] = {
        [GUARD_CONSOLE] = "console",
        [GUARD_IOMMU] = "iommu",
        [GUARD_INTERRUPT_CONTROLLER] = "interrupt-controller",
        [GUARD_SUPPLIER] = "supplier",
        [GUARD_BRIDGE] = "bridge",
        [GUARD_BOOT_VGA] = "boot-vga",
        [GUARD_ROOT_FS] = "root-fs",
};

const char *guard_reason_to_string(GuardReason r) {
        return r >= 0 && r < _GUARD_REASON_MAX ? reason_table[r] : NULL;
}

void guard_done(Guard *g) {
        strv_free(g->console_ttys);
        strv_free(g->console_devices);
        strv_free(g->iommu_devices);
        strv_free(g->root_blocks);
        strv_free(g->root_mounts);
        *g = (Guard) {};
}

/* The device a class device belongs to: the last component of its "device" link. */
static char *class_device(const Sysfs *s, const char *class, const char *name) {
        _cleanup_close_ int fd = -EBADF;
        char path[128 + DEVICE_NAME_MAX];
        char *dev = NULL;

        snprintf(path, sizeof path, "class/%s/%s", class, name);
        fd = openat(s->fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || sysfs_read_link_name(fd, "device", device_name_is_valid, &dev) < 0)
                return NULL;
        return dev;
}

static int load_console(const Sysfs *s, Guard *g) {
        _cleanup_free_ char *active = NULL;
        _cleanup_close_ int fd = openat(s->fd, "class/tty/console", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char *save = NULL;

        if (fd < 0 || sysfs_read_attr(fd, "active", &active) < 0)
                return 0; /* no console, or not readable: nothing to protect by this reason */
        for (char *t = strtok_r(active, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
                _cleanup_free_ char *dev = NULL;

                if (!device_name_is_valid(t))
                        continue;
                dev = class_device(s, "tty", t);
                if (strv_extend(&g->console_ttys, t) < 0 || strv_extend(&g->console_devices, dev ?: "") < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int load_iommus(const Sysfs *s, Guard *g) {
        _cleanup_close_ int fd = openat(s->fd, "class/iommu", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (fd < 0)
                return 0;
        d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *dev = NULL;

                if (!device_name_is_valid(de->d_name) || de->d_name[0] == '.')
                        continue;
                dev = class_device(s, "iommu", de->d_name);
                if (dev && strv_extend(&g->iommu_devices, dev) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        closedir(d);
        return r;
}

/* The sysfs path ("devices/...") behind a link, without the leading "../"s. */
static char *link_devices_path(int dirfd, const char *link) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, link, target, sizeof target - 1);
        const char *p;

        if (n <= 0)
                return NULL;
        target[n] = '\0';
        p = strstr(target, "devices/");
        return p ? strdup(p) : NULL;
}

/* The block devices of / and /usr, from mountinfo ("ID PARENT MAJ:MIN ROOT MOUNTPOINT ..."). */
static int load_root_blocks(int root_fd, const Sysfs *s, Guard *g) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        int fd = openat(root_fd, "proc/self/mountinfo", O_RDONLY | O_CLOEXEC);

        if (fd < 0 || !(f = fdopen(fd, "re"))) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        while (getline(&line, &n, f) > 0) {
                char devno[32], mnt[64], path[64];
                _cleanup_free_ char *block = NULL;
                unsigned major, minor;

                if (sscanf(line, "%*u %*u %31s %*s %63s", devno, mnt) != 2 || (!streq(mnt, "/") && !streq(mnt, "/usr")) ||
                    sscanf(devno, "%u:%u", &major, &minor) != 2 || major == 0)
                        continue;
                snprintf(path, sizeof path, "dev/block/%u:%u", major, minor);
                block = link_devices_path(s->fd, path);
                if (block && (strv_extend(&g->root_blocks, block) < 0 || strv_extend(&g->root_mounts, mnt) < 0))
                        return -ENOMEM;
        }
        return 0;
}

int guard_load(int root_fd, const Sysfs *s, Guard *ret) {
        Guard g = {};
        int r;

        r = load_console(s, &g);
        if (r >= 0)
                r = load_iommus(s, &g);
        if (r >= 0)
                r = load_root_blocks(root_fd, s, &g);
        if (r < 0) {
                guard_done(&g);
                return r;
        }
        *ret = g;
        return 0;
}

_printf_(3, 4) static void add(GuardVerdict *v, GuardReason r, const char *fmt, ...) {
        va_list ap;

        v->reasons |= UINT32_C(1) << r;
        va_start(ap, fmt);
        vsnprintf(v->evidence[r], sizeof v->evidence[r], fmt, ap);
        va_end(ap);
}

static bool exists_at(int dirfd, const char *path) {
        struct stat st;

        return fstatat(dirfd, path, &st, 0) == 0;
}

static bool skip_entry(const char *name) {
        static const char * const links[] = { "subsystem", "driver", "firmware_node", "of_node", "iommu_group",
                                               "iommu", "power", "device" };

        if (name[0] == '.' || strncmp(name, "supplier:", 9) == 0 || strncmp(name, "consumer:", 9) == 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (streq(name, links[i]))
                        return true;
        return false;
}

/* Calls @fn for each child device of the directory @dirfd: a subdirectory with a "uevent" of its
 * own (class directories such as "tty/" or "net/" have none). */
static void foreach_child(int dirfd, void (*fn)(int dirfd, const char *name, void *userdata), void *userdata) {
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d))) {
                char path[NAME_MAX + 16];

                if ((de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) || skip_entry(de->d_name))
                        continue;
                snprintf(path, sizeof path, "%s/uevent", de->d_name);
                if (exists_at(dirfd, path))
                        fn(dirfd, de->d_name, userdata);
        }
        closedir(d);
}

typedef struct Names {
        char list[NAMES_SHOWN * 80];
        unsigned n;
} Names;

static void names_add(Names *n, const char *name) {
        if (n->n++ < NAMES_SHOWN)
                snprintf(n->list + strlen(n->list), sizeof n->list - strlen(n->list), "%s%.64s", n->n > 1 ? ", " : "",
                         name);
}

static void count_child(int dirfd, const char *name, void *userdata) {
        names_add(userdata, name);
}

/* A child that has devices of its own is a bus behind this device: a PCIe host's pci0000:00, an
 * I2C adapter with clients, a USB root hub. A child without (virtio0 of a virtio-mmio slot,
 * gpiochip0) is the device's own function, not a bridge. */
static void check_grandchildren(int dirfd, const char *name, void *userdata) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        Names grandchildren = {};

        if (fd < 0)
                return;
        foreach_child(fd, count_child, &grandchildren);
        if (grandchildren.n > 0)
                names_add(userdata, name);
}

/* Consumers from the device links ("consumer:<bus>:<name>", fw_devlink) and buses behind it,
 * in one listing of the directory (this runs for every device about to be moved). */
static void check_dependents(int dirfd, GuardVerdict *v) {
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        Names consumers = {}, buses = {};
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d))) {
                char path[NAME_MAX + 16];

                if (strncmp(de->d_name, "consumer:", 9) == 0) {
                        const char *colon = strchr(de->d_name + 9, ':');
                        names_add(&consumers, colon ? colon + 1 : de->d_name + 9);
                        continue;
                }
                /* A child device, as foreach_child() sees it. */
                if ((de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) || skip_entry(de->d_name))
                        continue;
                snprintf(path, sizeof path, "%s/uevent", de->d_name);
                if (exists_at(dirfd, path))
                        check_grandchildren(dirfd, de->d_name, &buses);
        }
        closedir(d);
        if (consumers.n > 0)
                add(v, GUARD_SUPPLIER, "supplier of %u device%s: %s%s", consumers.n, consumers.n == 1 ? "" : "s",
                    consumers.list, consumers.n > NAMES_SHOWN ? ", ..." : "");
        if (buses.n > 0)
                add(v, GUARD_BRIDGE, "a bridge to the devices behind %s%s", buses.list, buses.n > NAMES_SHOWN ? ", ..." : "");
}

int guard_check(const Guard *g, const Sysfs *s, const DeviceInfo *d, GuardVerdict *ret) {
        _cleanup_close_ int fd = sysfs_open_device(s, d->bus, d->name);
        _cleanup_free_ char *boot_vga = NULL;

        *ret = (GuardVerdict) {};
        if (fd < 0)
                return fd;
        for (size_t i = 0; g->console_devices && g->console_devices[i]; i++)
                if (streq(g->console_devices[i], d->name)) {
                        add(ret, GUARD_CONSOLE, "the console: /dev/%s", g->console_ttys[i]);
                        break;
                }
        if (strv_contains(g->iommu_devices, d->name))
                add(ret, GUARD_IOMMU, "an IOMMU: other devices' DMA goes through it");
        if (exists_at(fd, "of_node/interrupt-controller"))
                add(ret, GUARD_INTERRUPT_CONTROLLER, "an interrupt controller (interrupt-controller in its DT node)");
        else if (exists_at(fd, "of_node/msi-controller"))
                add(ret, GUARD_INTERRUPT_CONTROLLER, "an MSI controller (msi-controller in its DT node)");
        check_dependents(fd, ret);
        if (bus_device_is_bridge(d))
                add(ret, GUARD_BRIDGE, "a %s bridge (class 0x%s)", bus_to_string(d->bus), strna(d->class));
        if (g->root_blocks) {
                char link[64 + DEVICE_NAME_MAX];
                _cleanup_free_ char *self = NULL;

                snprintf(link, sizeof link, "bus/%s/devices/%s", bus_to_string(d->bus), d->name);
                self = link_devices_path(s->fd, link);
                for (size_t i = 0; self && g->root_blocks[i]; i++)
                        if (strncmp(g->root_blocks[i], self, strlen(self)) == 0 && g->root_blocks[i][strlen(self)] == '/') {
                                add(ret, GUARD_ROOT_FS, "holds the file system of %s (%s)", g->root_mounts[i],
                                    strrchr(g->root_blocks[i], '/') + 1);
                                break;
                        }
        }
        if (sysfs_read_attr(fd, "boot_vga", &boot_vga) >= 0 && streq(boot_vga, "1"))
                add(ret, GUARD_BOOT_VGA, "the boot VGA device (the firmware's console)");
        return 0;
}

void guard_describe(const GuardVerdict *v, char *buf, size_t size) {
        buf[0] = '\0';
        for (GuardReason r = 0; r < _GUARD_REASON_MAX; r++)
                if (v->reasons & (UINT32_C(1) << r))
                        snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? "; " : "", v->evidence[r]);
}
