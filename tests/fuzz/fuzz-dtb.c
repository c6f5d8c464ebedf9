/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device tree reader behind "check --fdt" on arbitrary blobs: an error or a list of devices
 * with valid names, never a crash or an out-of-bounds read; the guard's phandle walk included,
 * with evidence that is a terminated string. */
#include <stdlib.h>
#include <string.h>

#include "dtb.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        GuardVerdict *guard = NULL;
        DeviceInfo *devs = NULL;
        char *error = NULL;
        size_t n = 0;

        if (fdt_list_devices_guarded(data, size, &devs, &guard, &n, &error) >= 0) {
                for (size_t i = 0; i < n; i++) {
                        if (!device_name_is_valid(devs[i].name))
                                abort();
                        for (GuardReason r = 0; r < _GUARD_REASON_MAX; r++)
                                if (strnlen(guard[i].evidence[r], sizeof guard[i].evidence[r]) == sizeof guard[i].evidence[r] ||
                                    (!(guard[i].reasons & (1u << r)) && guard[i].evidence[r][0]))
                                        abort();
                }
                fdt_devices_free(devs, n);
                free(guard);
        }
        free(error);
        return 0;
}
