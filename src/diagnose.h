/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "device.h"

/* Why a device did not end on its target driver, from what the system shows. Pure. */

typedef struct BindFacts {
        const char *device;
        Bus bus;
        const char *target;
        bool target_registered;
        const char *module;             /* the module we tried to load for the target, if any */
        int module_error;               /* its negative errno; 0 when loaded or not tried */
        bool module_loading;            /* false: module loading is turned off */
        const char *now_bound;          /* the driver after probing, NULL: unbound */
        bool has_iommu_group;
        int noiommu;                    /* vfio.enable_unsafe_noiommu_mode: 1, 0, -1 unknown */
        int reset_required;             /* vfio_platform.reset_required: 1, 0, -1 unknown */
        const char *compatible;         /* the first one: what vfio-platform looks a reset up by */
        bool reset_by_compatible;       /* the bus's VFIO driver looks a reset up (bus_table) */
        int reset_module;               /* a vfio-reset:<compatible> module exists: 1, 0, -1 unknown */
        const char *kernel_release;     /* uname -r */
} BindFacts;

/* Linux 6.1 and 6.2 fail vfio-platform's probe with -ENOENT when a device has no reset handler,
 * even with reset_required=0; fixed in 6.3 by commit 168a9c91fe0a. */
bool kernel_has_reset_required_bug(const char *release);

/* The first known cause that stops a bind, as one line; false when none is known. */
bool diagnose_blocker(const BindFacts *f, char *buf, size_t size);
/* One line, without the device name. */
void diagnose_bind_failure(const BindFacts *f, char *buf, size_t size);
