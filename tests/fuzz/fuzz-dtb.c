/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device tree reader behind "check --fdt" on arbitrary blobs: an error or a list of devices
 * with valid names, never a crash or an out-of-bounds read. */
#include <stdlib.h>
#include <string.h>

#include "dtb.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        DeviceInfo *devs = NULL;
        char *error = NULL;
        size_t n = 0;

        if (fdt_list_devices(data, size, &devs, &n, &error) >= 0) {
                for (size_t i = 0; i < n; i++)
                        if (!device_name_is_valid(devs[i].name))
                                abort();
                fdt_devices_free(devs, n);
        }
        free(error);
        return 0;
}
