/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "device.h"
#include "guard.h"

/* The offline device tree reader behind `vfio-platform-bindctl check --fdt FILE.dtb`: from a
 * flattened device tree (DTB), the platform and AMBA devices Linux would create at boot, named as
 * the kernel names them. The rules are those of Linux 6.1 with Debian 12's arm64 configuration;
 * dtb.c says which and where they come from. This is the only module that talks to libfdt. */

/* Refuse blobs larger than this: real ones are well under a megabyte. */
#define FDT_BLOB_MAX (64u * 1024u * 1024u)

/* Validates @blob (@size bytes, any alignment; the header's totalsize may be smaller than @size)
 * and lists the devices in the order the kernel creates them. Each DeviceInfo has name, bus,
 * of_fullname (NULL when longer than DT_PATH_MAX) and compatibles set; the other fields are NULL.
 * A device whose kernel name is not a valid device name for this project (control characters,
 * longer than NAME_MAX) is left out.
 *
 * Returns 0; -EINVAL when @blob is not a device tree (bad magic) or larger than FDT_BLOB_MAX;
 * -EBADMSG when it is truncated or corrupt; -ENOMEM. On -EINVAL and -EBADMSG, *ret_error (when
 * @ret_error is not NULL) receives a malloc'd one-line description of what is wrong. */
int fdt_list_devices(const void *blob, size_t size, DeviceInfo **ret, size_t *ret_n, char **ret_error);

/* The same, and for each device (when @ret_guard is not NULL) why the host needs it, from the
 * device tree alone: the console (/chosen/stdout-path), an IOMMU (iommus, iommu-map), an interrupt
 * or MSI controller, a supplier (phandles of clocks, resets, power-domains, phys, dmas,
 * interconnects, gpios and *-gpios, pinctrl-N and *-supply of other enabled nodes, naming them).
 * Bridges and the boot VGA device are not found offline. *ret_guard has one entry per device. */
int fdt_list_devices_guarded(const void *blob, size_t size, DeviceInfo **ret, GuardVerdict **ret_guard, size_t *ret_n,
                             char **ret_error);

/* Frees an array returned by fdt_list_devices(). */
void fdt_devices_free(DeviceInfo *devices, size_t n);

/* Reads a whole DTB file. -EFBIG when larger than FDT_BLOB_MAX (or growing while read), -EINVAL
 * when not a regular file, else the errno of open() or read(). */
int fdt_read_file(const char *path, void **ret_blob, size_t *ret_size);

