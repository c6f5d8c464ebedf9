/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Every bus whose devices have a driver_override, as one row of data each: where it lives in
 * sysfs, which VFIO driver takes its devices, which policy keys its devices offer and how they
 * are read, what is bound as one unit, and its quirks. Everything else asks the table; adding a
 * bus touches this table and that bus's own file (bus-<name>.c) only. */

typedef enum Bus {
        BUS_PLATFORM,
        BUS_AMBA,
        BUS_PCI,
        BUS_CDX,
        BUS_FSL_MC,
        _BUS_MAX,
        _BUS_INVALID = -EINVAL,
} Bus;

/* What must move together for VFIO to hand it out. */
typedef enum BindUnit {
        BIND_UNIT_DEVICE,       /* the device alone (platform, AMBA, CDX) */
        BIND_UNIT_IOMMU_GROUP,  /* every member of its IOMMU group (PCI) */
        BIND_UNIT_CONTAINER,    /* a DPRC container with its objects (fsl-mc) */
} BindUnit;

struct DeviceInfo;

typedef struct BusInfo {
        const char *name;               /* /sys/bus/<name>, and the uevent SUBSYSTEM */
        const char *vfio_driver;        /* the default target of a bind rule */
        const char *vfio_module;        /* the module that registers it */
        uint32_t keys;                  /* MatchKey bit mask: the policy keys its devices offer */
        bool dt_nodes;                  /* devices come from device-tree nodes (OF_* keys, of_node) */
        BindUnit unit;
        /* Its VFIO driver looks a reset handler up by compatible (vfio_platform_init_common(): the
         * vfio-reset:<compatible> modules, and the Linux 6.1 reset_required bug). */
        bool reset_by_compatible;
        /* The module whose "reset_required" parameter applies, or NULL */
        const char *reset_param_module;
        /* Fills the bus's own keys (IDs, class, type) from the device's uevent file and its sysfs
         * directory; NULL when the bus has none. */
        int (*read_ids)(struct DeviceInfo *d, const char *uevent, int dirfd);
        /* The device is a bridge to other devices of the bus: a VFIO driver never takes it. */
        bool (*is_bridge)(const struct DeviceInfo *d);
        /* Linux version (major * 100 + minor) that deprecated the VFIO driver, or 0. */
        unsigned vfio_deprecated_since;
        /* The same test as a udev match on the uevent, for the early rule; NULL: no bridges. */
        const char *udev_bridge_match;
} BusInfo;

extern const BusInfo bus_table[_BUS_MAX];

static inline const BusInfo *bus_info(Bus b) {
        return b >= 0 && b < _BUS_MAX ? &bus_table[b] : NULL;
}

const char *bus_to_string(Bus b) _pure_;
Bus bus_from_string(const char *s) _pure_;
/* The driver a bind rule without driver= means on this bus. */
const char *bus_default_driver(Bus b) _pure_;
/* A bridge to other devices of its bus (bus_table[].is_bridge): never moved to a VFIO driver. */
bool bus_device_is_bridge(const struct DeviceInfo *d);
/* The bus whose VFIO driver @driver is, or _BUS_INVALID. */
Bus bus_of_vfio_driver(const char *driver) _pure_;
/* "6.18" when @release (uname -r) is a kernel that deprecates @driver (a VFIO driver of the
 * table), else NULL. */
const char *vfio_driver_deprecated(const char *driver, const char *release, char *buf, size_t size);
/* One of the VFIO drivers of the table (vfio-platform, vfio-pci, ...). */
bool driver_is_vfio(const char *driver) _pure_;

/* The per-bus readers, each in its own file. */
int bus_pci_read_ids(struct DeviceInfo *d, const char *uevent, int dirfd);
bool bus_pci_is_bridge(const struct DeviceInfo *d);
int bus_cdx_read_ids(struct DeviceInfo *d, const char *uevent, int dirfd);
int bus_fsl_mc_read_ids(struct DeviceInfo *d, const char *uevent, int dirfd);
