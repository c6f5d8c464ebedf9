/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "device.h"
#include "sysfs-attr.h"

/* All sysfs access, relative to the directory fd of <root>/sys: nothing here builds an absolute
 * path, every name is validated before it becomes part of a path, and attribute writes use
 * O_WRONLY|O_TRUNC. Returns negative errno; never logs. */

typedef struct Sysfs {
        int fd;
} Sysfs;

int sysfs_open(int root_fd, Sysfs *ret);
void sysfs_close(Sysfs *s);

/* The names of every device on @bus, sorted. A missing bus is an empty list. */
int sysfs_list_devices(const Sysfs *s, Bus bus, char ***ret);
/* Calls @cb for each device of each bus of bus_table, buses in table order, names sorted. A bus
 * that cannot be listed is passed as @name NULL with its @error. Stops at the first @cb < 0 and
 * returns it. */
typedef int (*sysfs_device_cb)(Bus bus, const char *name, int error, void *userdata);
int sysfs_foreach_device(const Sysfs *s, sysfs_device_cb cb, void *userdata);
/* A directory fd of the device (-ENODEV when it is gone). */
int sysfs_open_device(const Sysfs *s, Bus bus, const char *name);
/* The directory fd of "bus/<bus>" (drivers_probe) or of "bus/<bus>/drivers/<driver>". */
int sysfs_open_bus(const Sysfs *s, Bus bus);
int sysfs_open_driver(const Sysfs *s, Bus bus, const char *driver);
bool sysfs_driver_registered(const Sysfs *s, Bus bus, const char *driver);


/* Everything we need to know of a device: DT data, driver, override, IOMMU group. */
int sysfs_read_device(const Sysfs *s, Bus bus, const char *name, DeviceInfo **ret);
/* The same; on failure, the attribute or link that could not be read ("uevent", "driver",
 * "driver_override", ...) in @ret_what (NULL when the device itself could not be opened).
 * -EBADMSG: an attribute holds a NUL byte, or a link names something that is not a valid name. */
int sysfs_read_device_what(const Sysfs *s, Bus bus, const char *name, DeviceInfo **ret, const char **ret_what);
/* Without the IOMMU group (one readlinkat less per device: a converged pass needs it for no
 * device), unless the bus binds by group; d->iommu_group_unread says so, and
 * sysfs_read_device_group() reads it when it is needed (a bind, a diagnosis, a CDI spec). */
typedef enum SysfsReadFlags {
        SYSFS_READ_NO_GROUP = 1 << 0,
} SysfsReadFlags;
int sysfs_read_device_flags(const Sysfs *s, Bus bus, const char *name, SysfsReadFlags flags, DeviceInfo **ret,
                            const char **ret_what);
int sysfs_read_device_group(const Sysfs *s, DeviceInfo *d);
/* Refreshes what a probe changes: driver, override, IOMMU group. */
int sysfs_refresh_device(const Sysfs *s, DeviceInfo *d);

/* /sys/module/<module>/parameters/<param>; -ENOENT when the module or parameter is absent. */
int sysfs_read_module_param(const Sysfs *s, const char *module, const char *param, char **ret);
