/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bus.h"
#include "device.h"
#include "policy.h"

#define KEY(k) (UINT32_C(1) << (k))
#define DT_KEYS (KEY(MATCH_COMPATIBLE) | KEY(MATCH_PATH))
#define COMMON_KEYS (KEY(MATCH_DEVICE) | KEY(MATCH_BUS))

const BusInfo bus_table[_BUS_MAX] = {
        [BUS_PLATFORM] = {
                .name = "platform",
                .vfio_driver = "vfio-platform",
                .vfio_module = "vfio-platform",
                .keys = COMMON_KEYS | DT_KEYS,
                .dt_nodes = true,
                .unit = BIND_UNIT_DEVICE,
                .reset_by_compatible = true,
                .reset_param_module = "vfio_platform",
        },
        [BUS_AMBA] = {
                .name = "amba",
                .vfio_driver = "vfio-amba",
                .vfio_module = "vfio-amba",
                .keys = COMMON_KEYS | DT_KEYS,
                .dt_nodes = true,
                .unit = BIND_UNIT_DEVICE,
                /* vfio-amba shares vfio-platform's probe, but has no reset_required parameter. */
                .reset_by_compatible = true,
                .vfio_deprecated_since = 618,
        },
        [BUS_PCI] = {
                .name = "pci",
                .vfio_driver = "vfio-pci",
                .vfio_module = "vfio-pci",
                /* A PCI device described in the DT (of_node) offers path= and compatible= too. */
                .keys = COMMON_KEYS | DT_KEYS | KEY(MATCH_PCI_ID) | KEY(MATCH_CLASS),
                .unit = BIND_UNIT_IOMMU_GROUP,
                .read_ids = bus_pci_read_ids,
                .is_bridge = bus_pci_is_bridge,
                /* bus_pci_is_bridge(): base class 0x06, which PCI_CLASS ("%04X") writes as 6XXXX */
                .udev_bridge_match = "ENV{PCI_CLASS}==\"6????\"",
        },
        [BUS_CDX] = {
                .name = "cdx",
                .vfio_driver = "vfio-cdx",
                .vfio_module = "vfio-cdx",
                .keys = COMMON_KEYS | KEY(MATCH_CDX_ID),
                .unit = BIND_UNIT_DEVICE,
                .read_ids = bus_cdx_read_ids,
        },
        [BUS_FSL_MC] = {
                .name = "fsl-mc",
                .vfio_driver = "vfio-fsl-mc",
                .vfio_module = "vfio-fsl-mc",
                .keys = COMMON_KEYS | KEY(MATCH_MC_TYPE),
                .unit = BIND_UNIT_CONTAINER,
                .read_ids = bus_fsl_mc_read_ids,
        },
};

const char *bus_to_string(Bus b) {
        return bus_info(b) ? bus_table[b].name : NULL;
}

Bus bus_from_string(const char *s) {
        for (Bus b = 0; s && b < _BUS_MAX; b++)
                if (streq(s, bus_table[b].name))
                        return b;
        return _BUS_INVALID;
}

const char *bus_default_driver(Bus b) {
        return bus_info(b) ? bus_table[b].vfio_driver : NULL;
}

bool driver_is_vfio(const char *driver) {
        for (Bus b = 0; driver && b < _BUS_MAX; b++)
                if (streq(driver, bus_table[b].vfio_driver))
                        return true;
        return false;
}

bool bus_device_is_bridge(const DeviceInfo *d) {
        return bus_info(d->bus) && bus_table[d->bus].is_bridge && bus_table[d->bus].is_bridge(d);
}

Bus bus_of_vfio_driver(const char *driver) {
        for (Bus b = 0; driver && b < _BUS_MAX; b++)
                if (streq(driver, bus_table[b].vfio_driver))
                        return b;
        return _BUS_INVALID;
}

const char *vfio_driver_deprecated(const char *driver, const char *release, char *buf, size_t size) {
        Bus b = bus_of_vfio_driver(driver);
        unsigned major, minor, since;

        if (b < 0 || !(since = bus_table[b].vfio_deprecated_since) || !release ||
            sscanf(release, "%u.%u", &major, &minor) != 2 || major * 100 + minor < since)
                return NULL;
        snprintf(buf, size, "%u.%u", since / 100, since % 100);
        return buf;
}
