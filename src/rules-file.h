/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "diag.h"
#include "policy.h"

/* Writes the early udev rule for @p to <root>/run/udev/rules.d/60-vfio-platform-bind.rules,
 * atomically (udevd notices the directory's new timestamp on its next event and reloads).
 * When the policy cannot be expressed as a rule, the old file is removed, so that no rule of a
 * previous policy stays in force, and -EINVAL is returned with the reasons in @d. */
int udev_rules_install(int root_fd, const Policy *p, char * const *protected, Diagnostics *d);
