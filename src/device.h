/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bus.h"
#include "macro.h"

/* What we know of one device: from its uevent properties, from sysfs, or from a device tree.
 * Pure data; device.c only fills it from strings. */

typedef struct DeviceInfo {
        char *name;             /* sysfs name: "a003e00.virtio_mmio", "soc:gpio-keys" */
        Bus bus;
        char *of_fullname;      /* "/soc/i2c@12ce0000"; NULL without a DT node */
        char **compatibles;     /* NULL-terminated, most specific first; NULL without DT data */
        char *modalias;
        char *driver;           /* bound driver; NULL when unbound */
        char *override;         /* driver_override; NULL when none ("(null)" in sysfs) */
        char *iommu_group;      /* group number; NULL when the device has none */
        bool iommu_group_unread; /* read without it (SYSFS_READ_NO_GROUP): NULL says nothing yet */
        /* The bus's own keys (bus_table[].read_ids), NULL where the bus has none: */
        char *id;               /* "vvvv:dddd", lower case (PCI_ID; CDX vendor/device) */
        char *subsys_id;        /* "ssss:ssss", lower case (PCI_SUBSYS_ID) */
        char *class;            /* six hex digits, lower case: "030000" (PCI_CLASS "30000") */
        char *type;             /* fsl-mc object type: "dprc", "dpni", ... */
} DeviceInfo;

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
/* The value of @key in a "KEY=VALUE\n..." uevent text, newly allocated; NULL when absent (or
 * out of memory: the callers treat both as "no value"). */
char *uevent_get_value(const char *text, const char *key);
/* A hex number of at most @digits digits (an optional "0x" first) as exactly @digits lower-case
 * digits into @buf; -EINVAL when it is not one. */
int hex_normalize(const char *s, unsigned digits, char *buf, size_t size);

/* "(null)" and "" in sysfs mean "no override". */
int device_info_set_override(DeviceInfo *d, const char *sysfs_value);
