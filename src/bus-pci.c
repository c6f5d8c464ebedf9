/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI: the IDs and the class come from the uevent (PCI_ID "1AF4:1005", PCI_SUBSYS_ID, PCI_CLASS
 * "FF00": hex without leading zeros), as the kernel's pci_uevent() writes them. */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "device.h"

/* "VVVV:DDDD" in any case → "vvvv:dddd"; NULL when malformed. */
static char *id_pair(const char *v) {
        char a[5], b[5], out[10];

        if (!v || strlen(v) != 9 || v[4] != ':')
                return NULL;
        memcpy(a, v, 4);
        a[4] = '\0';
        if (hex_normalize(a, 4, a, sizeof a) < 0 || hex_normalize(v + 5, 4, b, sizeof b) < 0)
                return NULL;
        snprintf(out, sizeof out, "%s:%s", a, b);
        return strdup(out);
}

static void replace(char **dst, char *v) {
        free(*dst);
        *dst = v;
}

int bus_pci_read_ids(DeviceInfo *d, const char *uevent, int dirfd) {
        _cleanup_free_ char *id = uevent_get_value(uevent, "PCI_ID"),
                            *subsys = uevent_get_value(uevent, "PCI_SUBSYS_ID"),
                            *class = uevent_get_value(uevent, "PCI_CLASS");
        char buf[7];

        (void) dirfd;
        replace(&d->id, id_pair(id));
        replace(&d->subsys_id, id_pair(subsys));
        replace(&d->class, class && hex_normalize(class, 6, buf, sizeof buf) >= 0 ? strdup(buf) : NULL);
        return 0;
}

/* Base class 0x06: host, ISA, PCI-to-PCI, CardBus and other bridges. Devices behind a bridge
 * depend on it, and vfio-pci refuses bridges anyway. */
bool bus_pci_is_bridge(const DeviceInfo *d) {
        return d->class && strncmp(d->class, "06", 2) == 0;
}
