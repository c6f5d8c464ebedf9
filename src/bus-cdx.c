/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CDX (AMD): vendor and device IDs are sysfs attributes ("0x10ee"); the uevent has only a
 * MODALIAS. Untested on real hardware: no emulator offers a CDX bus. */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "sysfs-attr.h"

static int read_hex_attr(int dirfd, const char *attr, char buf[static 5]) {
        _cleanup_free_ char *v = NULL;
        int r = sysfs_read_attr(dirfd, attr, &v);

        return r < 0 ? r : hex_normalize(v, 4, buf, 5);
}

int bus_cdx_read_ids(DeviceInfo *d, const char *uevent, int dirfd) {
        char vendor[5], device[5], id[10];

        (void) uevent;
        free(d->id);
        d->id = NULL;
        if (dirfd < 0 || read_hex_attr(dirfd, "vendor", vendor) < 0 || read_hex_attr(dirfd, "device", device) < 0)
                return 0; /* no IDs: the device matches no cdx-id= */
        snprintf(id, sizeof id, "%s:%s", vendor, device);
        d->id = strdup(id);
        return d->id ? 0 : -ENOMEM;
}
