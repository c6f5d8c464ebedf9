/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "diag.h"
#include "policy.h"

/*
 * The early udev rule, compiled from the policy: for the platform and amba devices the policy
 * selects, udev itself writes driver_override before 80-drivers.rules loads a native driver, loads
 * the target driver and probes the device, without spawning a process per event. The rule selects
 * exactly the devices policy_decide() selects from the event's properties (KERNEL, OF_FULLNAME,
 * OF_COMPATIBLE_<i>), first match wins, ignore rules included.
 *
 * Pure: no I/O but writing to the FILE* handed in.
 */

/* Where vfio-platform-bindctl generate-rules puts it, relative to the root as in paths.h: before
 * 80-drivers.rules, and in /run because it follows the policy, not the package. */
#define UDEV_RULES_DIR "run/udev/rules.d"
#define UDEV_RULES_FILE "60-vfio-platform-bind.rules"

/* vfio_platform_bindd=0 on the kernel command line disables the rule, as it disables the units. */
#define UDEV_RULES_CMDLINE_KEY "vfio_platform_bindd"

/* The OF_COMPATIBLE_<i> the rule looks at: the daemon reads at most this many (device.c). */
#define UDEV_RULES_COMPATIBLES_MAX 32

/* Checks that every rule of @p can be written in udev's syntax so that it selects exactly what
 * policy_decide() selects. Each problem goes to @d as "FILE:LINE: rule 'NAME': ...". Returns 0,
 * -EINVAL when some rule cannot be expressed, or -ENOMEM. */
int udev_rules_check(const Policy *p, Diagnostics *d);

/* Writes the rules file for @p to @f. When udev_rules_check() fails, writes nothing and returns
 * its error; -EIO when writing to @f fails. */
int udev_rules_generate(const Policy *p, FILE *f, Diagnostics *d);
/* The same, and the devices in @protected ("bus/name", NULL-terminated, may be NULL) are never
 * selected: the daemon's guard refuses them, so the rule must leave them alone too. */
int udev_rules_generate_protected(const Policy *p, char * const *protected, FILE *f, Diagnostics *d);
