/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sysfs.h"

/* The guard: devices the host needs are never moved to another driver unless a rule says
 * "force = yes". What makes a device host-critical is read from sysfs of the running kernel: the
 * console, IOMMUs, interrupt and MSI controllers, suppliers of other devices (device links),
 * bridges to other devices (child devices, PCI bridges), the boot VGA device, the device under the
 * block device of / or /usr (from <root>/proc/self/mountinfo). Never logs. */

typedef enum GuardReason {
        GUARD_CONSOLE,
        GUARD_IOMMU,
        GUARD_INTERRUPT_CONTROLLER,
        GUARD_SUPPLIER,
        GUARD_BRIDGE,
        GUARD_BOOT_VGA,
        GUARD_ROOT_FS,
        _GUARD_REASON_MAX,
} GuardReason;

typedef struct GuardVerdict {
        uint32_t reasons;                       /* 1 << GuardReason */
        char evidence[_GUARD_REASON_MAX][192];  /* in words, per reason: "the console: /dev/ttyAMA0" */
} GuardVerdict;

/* What is read once per pass: the console's and the IOMMUs' devices. */
typedef struct Guard {
        char **console_ttys;    /* "ttyAMA0" */
        char **console_devices; /* the device behind each, same index ("9000000.pl011"), or "" */
        char **iommu_devices;   /* "9050000.smmuv3" */
        char **root_blocks;     /* "devices/platform/.../block/mmcblk0/mmcblk0p2" of / and /usr */
        char **root_mounts;     /* the mount point of each: "/", "/usr" */
} Guard;

/* @root_fd: the root the /proc of which tells where / and /usr are mounted. */
int guard_load(int root_fd, const Sysfs *s, Guard *ret);
void guard_done(Guard *g);
/* The reasons that make @d host-critical (none: ret->reasons == 0). */
int guard_check(const Guard *g, const Sysfs *s, const DeviceInfo *d, GuardVerdict *ret);
const char *guard_reason_to_string(GuardReason r) _pure_;
/* Every reason's evidence, joined with "; ". */
void guard_describe(const GuardVerdict *v, char *buf, size_t size);
