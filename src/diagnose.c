/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"
#include "bus.h"
#include "macro.h"

bool kernel_has_reset_required_bug(const char *release) {
        unsigned major, minor;

        if (!release || sscanf(release, "%u.%u", &major, &minor) != 2)
                return false;
        return major == 6 && (minor == 1 || minor == 2);
}

bool diagnose_blocker(const BindFacts *f, char *buf, size_t size) {
        const char *compat = f->compatible ?: "(none)";

        if (!f->target_registered) {
                if (!f->module_loading)
                        snprintf(buf, size, "driver '%s' is not registered and module loading is off", f->target);
                else if (f->module_error)
                        snprintf(buf, size, "driver '%s' is not registered: loading module '%s' failed: %s", f->target,
                                 f->module ?: f->target,
                                 f->module_error == -ENOENT ? "no such module for this kernel" : strerror(-f->module_error));
                else
                        snprintf(buf, size, "driver '%s' is not registered, although module '%s' loaded",
                                 f->target, f->module ?: f->target);
                return true;
        }
        if (f->now_bound) {
                snprintf(buf, size, "driver '%s' holds the device instead of '%s'", f->now_bound, f->target);
                return true;
        }
        if (driver_is_vfio(f->target) && !f->has_iommu_group && f->noiommu != 1) {
                snprintf(buf, size,
                         "the device has no IOMMU group (no iommus= in its DT node, or no IOMMU driver) and vfio's "
                         "no-IOMMU mode is off (vfio.enable_unsafe_noiommu_mode): %s refuses it with -EINVAL",
                         f->target);
                return true;
        }
        /* reset_module unknown (no module index): with reset_required on, still the likely cause. */
        if (f->reset_by_compatible && driver_is_vfio(f->target) && f->reset_module != 1 && f->reset_required == 1) {
                snprintf(buf, size,
                         "%s has no reset handler for compatible '%s' and vfio_platform.reset_required=1 "
                         "(/sys/module/vfio_platform/parameters/reset_required): load a vfio-reset:%s module, "
                         "or set reset_required=0",
                         f->target, compat, compat);
                return true;
        }
        if (f->reset_by_compatible && driver_is_vfio(f->target) && f->reset_module != 1 && f->reset_required != 1 &&
            kernel_has_reset_required_bug(f->kernel_release)) {
                snprintf(buf, size,
                         "Linux %s bug: %s fails with error -2 (ENOENT) when no reset handler exists for "
                         "compatible '%s', even with reset_required=0; fixed in Linux 6.3 (commit 168a9c91fe0a)",
                         f->kernel_release, f->target, compat);
                return true;
        }
        return false;
}

void diagnose_bind_failure(const BindFacts *f, char *buf, size_t size) {
        if (!diagnose_blocker(f, buf, size))
                snprintf(buf, size,
                         "'%s' did not bind the device after probing; the kernel log (dmesg) has the driver's error",
                         f->target);
}
