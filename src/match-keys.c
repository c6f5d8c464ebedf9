/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "match-keys.h"
#include "validate.h"

static const char *value_compatible(const DeviceInfo *d, size_t i, char *buf, size_t size) {
        for (size_t j = 0; d->compatibles && d->compatibles[j]; j++)
                if (j == i)
                        return d->compatibles[j];
        return NULL;
}

static const char *value_path(const DeviceInfo *d, size_t i, char *buf, size_t size) {
        return i == 0 ? d->of_fullname : NULL;
}

static const char *value_name(const DeviceInfo *d, size_t i, char *buf, size_t size) {
        return i == 0 ? d->name : NULL;
}

static const char *value_bus(const DeviceInfo *d, size_t i, char *buf, size_t size) {
        return i == 0 ? bus_to_string(d->bus) : NULL;
}

/* "vvvv:dddd", then "vvvv:dddd:ssss:ssss" when the subsystem IDs are known. */
static const char *value_pci_id(const DeviceInfo *d, size_t i, char *buf, size_t size) {
        if (d->bus != BUS_PCI || !d->id)
                return NULL;
        if (i == 0)
                return d->id;
        if (i == 1 && d->subsys_id) {
                snprintf(buf, size, "%s:%s", d->id, d->subsys_id);
                return buf;
        }
        return NULL;
}

static const char *value_class(const DeviceInfo *d, size_t i, char *buf, size_t size) {
        return i == 0 ? d->class : NULL;
}

static const char *value_cdx_id(const DeviceInfo *d, size_t i, char *buf, size_t size) {
        return i == 0 && d->bus == BUS_CDX ? d->id : NULL;
}

static const char *value_mc_type(const DeviceInfo *d, size_t i, char *buf, size_t size) {
        return i == 0 ? d->type : NULL;
}

static const char *bus_name_check(const char *s) {
        return bus_from_string(s) >= 0 ? NULL : "not a bus that vfio-platform-bindd knows (see bus= in vfio-platform-bind.d(5))";
}

const MatchKeyInfo match_keys[_MATCH_KEY_MAX] = {
        /* In a DT path, '*' stays within one node name, as in a file name. */
        [MATCH_COMPATIBLE] = { "compatible", compatible_check, .value = value_compatible },
        [MATCH_PATH] = { "path", dt_path_check, .fnm_flags = FNM_PATHNAME, .value = value_path },
        [MATCH_DEVICE] = { "device", device_pattern_check, .value = value_name },
        [MATCH_BUS] = { "bus", bus_name_check, .value = value_bus },
        [MATCH_PCI_ID] = { "pci-id", pci_id_check, .casefold = true, .same_colons = true, .value = value_pci_id },
        [MATCH_CLASS] = { "class", pci_class_check, .casefold = true, .prefix = true, .value = value_class },
        [MATCH_CDX_ID] = { "cdx-id", pci_id_check, .casefold = true, .same_colons = true, .value = value_cdx_id },
        [MATCH_MC_TYPE] = { "mc-type", mc_type_check, .value = value_mc_type },
};

MatchKey match_key_from_string(const char *s) {
        for (MatchKey k = 0; s && k < _MATCH_KEY_MAX; k++)
                if (streq(s, match_keys[k].name))
                        return k;
        return _MATCH_KEY_MAX;
}

const char *match_key_names(void) {
        static char names[256];

        if (!names[0])
                for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? ", " : "",
                                 match_keys[k].name);
        return names;
}
