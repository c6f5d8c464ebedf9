/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* "0.5", "10": seconds (0 to 3600, fractions allowed) into microseconds; -EINVAL otherwise. */
int parse_seconds(const char *s, uint64_t *ret);
