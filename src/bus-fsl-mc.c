/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fsl-mc (NXP DPAA2): objects are named "<type>.<id>" ("dprc.2", "dpni.0"); a DPRC container is
 * the unit that vfio-fsl-mc takes, with the objects inside it. Untested on real hardware: no
 * emulator offers an fsl-mc bus. */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "device.h"

int bus_fsl_mc_read_ids(DeviceInfo *d, const char *uevent, int dirfd) {
        const char *dot = strchr(d->name, '.');

        (void) uevent;
        (void) dirfd;
        free(d->type);
        d->type = dot && dot > d->name ? strndup(d->name, dot - d->name) : NULL;
        return dot && dot > d->name && !d->type ? -ENOMEM : 0;
}
