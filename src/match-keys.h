/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "policy.h"

/* One row per key that selects devices: its name in the policy, how a value is checked, and
 * which values of a device it is compared with. The parser, the matcher, "check" and the man page
 * follow this table; the udev rule generator has its own table of how each key becomes udev
 * matches (udev-rules.c). */

typedef struct MatchKeyInfo {
        const char *name;
        const char *(*check)(const char *value);        /* NULL if fine, else why not */
        bool casefold;          /* values are compared in lower case */
        bool prefix;            /* a prefix of the device's value ("class"), never a glob */
        bool same_colons;       /* a value is compared only with device values of as many ':' */
        int fnm_flags;          /* for globs */
        /* The @i-th value of @d for this key, NULL past the last; @buf holds built values. */
        const char *(*value)(const DeviceInfo *d, size_t i, char *buf, size_t size);
} MatchKeyInfo;

extern const MatchKeyInfo match_keys[_MATCH_KEY_MAX];

MatchKey match_key_from_string(const char *s) _pure_;
/* "compatible, path, device, ..." for messages. */
const char *match_key_names(void);
