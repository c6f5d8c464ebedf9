/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A device's facts from hostile uevent text and DT compatible properties: whatever comes in,
 * what we keep is bounded and printable. */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "strv.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        DeviceInfo d = {};
        char *text = malloc(size + 1);

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        (void) device_info_parse_uevent(&d, text);
        STRV_FOREACH(c, d.compatibles) {
                if (strlen(*c) == 0 || strlen(*c) > COMPATIBLE_MAX)
                        abort();
                for (const char *s = *c; *s; s++)
                        if ((unsigned char) *s <= ' ' || (unsigned char) *s >= 0x7f)
                                abort();
        }
        if (d.of_fullname && (d.of_fullname[0] != '/' || strlen(d.of_fullname) > DT_PATH_MAX))
                abort();
        if (d.driver && !driver_name_is_valid(d.driver))
                abort();
        device_info_done(&d);

        (void) device_info_set_compatibles_from_dt(&d, (const char *) data, size);
        device_info_done(&d);
        free(text);
        return 0;
}
