/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* What we know of one device: from its uevent properties, from sysfs, or from a device tree.
 * Pure data; device.c only fills it from strings. */

typedef enum Bus {
        BUS_PLATFORM,
        BUS_AMBA,
        _BUS_MAX,
        _BUS_INVALID = -EINVAL,
} Bus;

typedef struct DeviceInfo {
        char *name;             /* sysfs name: "a003e00.virtio_mmio", "soc:gpio-keys" */
        Bus bus;
        char *of_fullname;      /* "/soc/i2c@12ce0000"; NULL without a DT node */
        char **compatibles;     /* NULL-terminated, most specific first; NULL without DT data */
        char *modalias;
        char *driver;           /* bound driver; NULL when unbound */
        char *override;         /* driver_override; NULL when none ("(null)" in sysfs) */
        char *iommu_group;      /* group number; NULL when the device has none */
} DeviceInfo;

const char *bus_to_string(Bus b) _pure_;
Bus bus_from_string(const char *s) _pure_;
/* The driver a bind rule without driver= means on this bus. */
const char *bus_default_driver(Bus b) _pure_;

void device_info_done(DeviceInfo *d);
void device_info_free(DeviceInfo *d);
static inline void device_info_freep(DeviceInfo **d) {
        device_info_free(*d);
}
#define _cleanup_device_info_ _cleanup_(device_info_freep)

/* Fills compatibles from OF_COMPATIBLE_N / OF_COMPATIBLE_<i> uevent properties; @get returns the
 * value of a property or NULL. Invalid or inconsistent entries are skipped. */
int device_info_set_compatibles_from_uevent(DeviceInfo *d, const char *(*get)(void *userdata, const char *key),
                                            void *userdata);
/* Fills compatibles from the raw of_node/compatible property: NUL-separated strings. */
int device_info_set_compatibles_from_dt(DeviceInfo *d, const char *data, size_t size);
/* Parses one "KEY=VALUE\n..." uevent file (as in sysfs) into @d's DT fields and modalias. */
int device_info_parse_uevent(DeviceInfo *d, const char *text);
/* "(null)" and "" in sysfs mean "no override". */
int device_info_set_override(DeviceInfo *d, const char *sysfs_value);
