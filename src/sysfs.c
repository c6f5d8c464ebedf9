/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "strv.h"
#include "sysfs.h"
#include "validate.h"


int sysfs_open(int root_fd, Sysfs *ret) {
        int fd = open_dir_beneath(root_fd, "sys");

        if (fd < 0)
                return fd;
        ret->fd = fd;
        return 0;
}

void sysfs_close(Sysfs *s) {
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -EBADF;
}

/* sysfs links are relative and stay in /sys: one that leaves it (a --root tree, a hostile
 * mount) is refused, so that no write lands elsewhere (-EXDEV). */
static int open_dir(int dirfd, const char *path) {
        return open_dir_beneath(dirfd, path);
}

int sysfs_open_bus(const Sysfs *s, Bus bus) {
        char path[64];

        if (!bus_to_string(bus))
                return -EINVAL;
        snprintf(path, sizeof path, "bus/%s", bus_to_string(bus));
        return open_dir(s->fd, path);
}

int sysfs_open_device(const Sysfs *s, Bus bus, const char *name) {
        char path[64 + DEVICE_NAME_MAX];
        int fd;

        if (!bus_to_string(bus) || !device_name_is_valid(name))
                return -EINVAL;
        snprintf(path, sizeof path, "bus/%s/devices/%s", bus_to_string(bus), name);
        fd = open_dir(s->fd, path);
        return fd == -ENOENT ? -ENODEV : fd;
}

int sysfs_open_driver(const Sysfs *s, Bus bus, const char *driver) {
        char path[64 + DRIVER_NAME_MAX];

        if (!bus_to_string(bus) || !driver_name_is_valid(driver))
                return -EINVAL;
        snprintf(path, sizeof path, "bus/%s/drivers/%s", bus_to_string(bus), driver);
        return open_dir(s->fd, path);
}

bool sysfs_driver_registered(const Sysfs *s, Bus bus, const char *driver) {
        _cleanup_close_ int fd = sysfs_open_driver(s, bus, driver);

        return fd >= 0;
}

int sysfs_list_devices(const Sysfs *s, Bus bus, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0, allocated = 0;
        char path[64];
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        if (!bus_to_string(bus))
                return -EINVAL;
        snprintf(path, sizeof path, "bus/%s/devices", bus_to_string(bus));
        fd = open_dir(s->fd, path);
        if (fd == -ENOENT) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                *ret = TAKE_PTR(l);
                return 0;
        }
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        /* Grown by doubling: strv_extend() walks the list each time, quadratic at 10,000 devices. */
        while ((errno = 0, de = readdir(d))) {
                if (!device_name_is_valid(de->d_name))
                        continue;
                if (n + 2 > allocated) {
                        size_t na = allocated ? allocated * 2 : 64;
                        char **c = reallocarray(l, na, sizeof(char *));

                        if (!c) {
                                r = -ENOMEM;
                                break;
                        }
                        l = c;
                        allocated = na;
                }
                l[n] = strdup(de->d_name);
                if (!l[n]) {
                        r = -ENOMEM;
                        break;
                }
                l[++n] = NULL;
        }
        if (r == 0 && errno)
                r = -errno;
        closedir(d);
        if (r < 0)
                return r;
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        strv_sort(l);
        *ret = TAKE_PTR(l);
        return 0;
}

int sysfs_foreach_device(const Sysfs *s, sysfs_device_cb cb, void *userdata) {
        int r = 0;

        for (Bus bus = 0; bus < _BUS_MAX && r >= 0; bus++) {
                _cleanup_strv_free_ char **names = NULL;

                r = sysfs_list_devices(s, bus, &names);
                if (r < 0) {
                        r = cb(bus, NULL, r, userdata);
                        continue;
                }
                STRV_FOREACH(n, names)
                        if ((r = cb(bus, *n, 0, userdata)) < 0)
                                break;
        }
        return r < 0 ? r : 0;
}

static bool group_name_is_valid(const char *s) {
        return !isempty(s) && strspn(s, "0123456789") == strlen(s);
}

static bool driver_link_is_valid(const char *s) {
        return driver_name_is_valid(s);
}

/* AMBA devices carry no OF_* in their uevent: take the DT node from the of_node link. */
static int read_of_node(int dirfd, DeviceInfo *d) {
        char target[PATH_MAX], buf[ATTR_SIZE_MAX];
        const char *p;
        size_t len = 0;
        ssize_t n;
        int r;

        if (!d->of_fullname) {
                n = readlinkat(dirfd, "of_node", target, sizeof target - 1);
                if (n > 0) {
                        target[n] = '\0';
                        p = strstr(target, "/devicetree/base");
                        if (p) {
                                p += strlen("/devicetree/base");
                                d->of_fullname = strdup(*p ? p : "/");
                                if (!d->of_fullname)
                                        return -ENOMEM;
                        }
                }
        }
        if (d->compatibles)
                return 0;
        r = sysfs_read_raw(dirfd, "of_node/compatible", buf, sizeof buf, &len);
        if (r < 0)
                return 0; /* no DT data: fine, it just matches no compatible */
        return device_info_set_compatibles_from_dt(d, buf, len);
}

/* What a probe changes: the driver, the override, and the IOMMU group, which a platform device
 * only gets at its first probe (of_dma_configure), not when it is added. */
static int read_group(int dirfd, DeviceInfo *d) {
        int r;

        free(d->iommu_group);
        d->iommu_group = NULL;
        d->iommu_group_unread = false;
        r = sysfs_read_link_name(dirfd, "iommu_group", group_name_is_valid, &d->iommu_group);
        return r == -ENOENT ? 0 : r;
}

static int read_volatile(int dirfd, DeviceInfo *d, bool group, const char **what) {
        _cleanup_free_ char *override = NULL;
        int r;

        free(d->driver);
        d->driver = NULL;
        *what = "driver";
        r = sysfs_read_link_name(dirfd, "driver", driver_link_is_valid, &d->driver);
        if (r < 0 && r != -ENOENT)
                return r;
        *what = "iommu_group";
        if (group) {
                r = read_group(dirfd, d);
                if (r < 0)
                        return r;
        } else {
                free(d->iommu_group);
                d->iommu_group = NULL;
                d->iommu_group_unread = true;
        }

        *what = "driver_override";
        r = sysfs_read_attr(dirfd, "driver_override", &override);
        if (r == -ENOENT)
                return device_info_set_override(d, NULL);
        if (r < 0)
                return r;
        return device_info_set_override(d, override);
}

int sysfs_read_device(const Sysfs *s, Bus bus, const char *name, DeviceInfo **ret) {
        const char *what;

        return sysfs_read_device_what(s, bus, name, ret, &what);
}

int sysfs_read_device_what(const Sysfs *s, Bus bus, const char *name, DeviceInfo **ret, const char **ret_what) {
        return sysfs_read_device_flags(s, bus, name, 0, ret, ret_what);
}

int sysfs_read_device_flags(const Sysfs *s, Bus bus, const char *name, SysfsReadFlags flags, DeviceInfo **ret,
                            const char **ret_what) {
        _cleanup_device_info_ DeviceInfo *d = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *uevent = NULL;
        int r;

        *ret_what = NULL;
        fd = sysfs_open_device(s, bus, name);
        if (fd < 0)
                return fd;
        d = calloc(1, sizeof(DeviceInfo));
        if (!d || !(d->name = strdup(name)))
                return -ENOMEM;
        d->bus = bus;

        *ret_what = "uevent";
        r = sysfs_read_attr(fd, "uevent", &uevent);
        if (r >= 0)
                r = device_info_parse_uevent(d, uevent);
        if (r < 0 && r != -ENOENT)
                return r;
        /* DRIVER= in the uevent file is what was bound at the last event: the link decides. */
        free(d->driver);
        d->driver = NULL;

        *ret_what = "device IDs";
        if (bus_table[bus].read_ids) {
                r = bus_table[bus].read_ids(d, strempty(uevent), fd);
                if (r < 0)
                        return r;
        }
        *ret_what = "of_node";
        r = read_of_node(fd, d);
        if (r < 0)
                return r;
        r = read_volatile(fd, d, !(flags & SYSFS_READ_NO_GROUP) || bus_table[bus].unit == BIND_UNIT_IOMMU_GROUP,
                          ret_what);
        if (r < 0)
                return r;
        *ret_what = NULL;
        *ret = TAKE_PTR(d);
        return 0;
}

int sysfs_refresh_device(const Sysfs *s, DeviceInfo *d) {
        _cleanup_close_ int fd = sysfs_open_device(s, d->bus, d->name);
        const char *what;

        if (fd < 0)
                return fd;
        return read_volatile(fd, d, true, &what);
}

int sysfs_read_device_group(const Sysfs *s, DeviceInfo *d) {
        _cleanup_close_ int fd = -EBADF;

        if (!d->iommu_group_unread)
                return 0;
        fd = sysfs_open_device(s, d->bus, d->name);
        if (fd < 0)
                return fd;
        return read_group(fd, d);
}

int sysfs_read_module_param(const Sysfs *s, const char *module, const char *param, char **ret) {
        char path[256];

        if (!driver_name_is_valid(module) || !driver_name_is_valid(param))
                return -EINVAL;
        snprintf(path, sizeof path, "module/%s/parameters/%s", module, param);
        return sysfs_read_attr(s->fd, path, ret);
}
