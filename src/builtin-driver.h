/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "sysfs.h"

/* The boot window of built-in drivers: no kernel mechanism sets driver_override before a built-in
 * driver probes, so a device whose native driver is built in is taken at boot and rebound after.
 * What can be done about it: initcall_blacklist=<the driver's init function> on the kernel command
 * line (when the driver has no other device on this host), else building the driver as a module.
 * Read from sysfs and /proc/kallsyms under the root. Never logs. */

typedef struct BuiltinDriver {
        bool builtin;           /* the driver is built into the kernel (no loadable module) */
        bool shared;            /* it also drives other devices of this host */
        char initcall[128];     /* its init function, "" when it cannot be found */
} BuiltinDriver;

/* Facts about @driver on @bus for @device. ret->builtin is false when it is a module or cannot be
 * told. */
int builtin_driver_facts(int root_fd, const Sysfs *s, Bus bus, const char *driver, const char *device,
                         BuiltinDriver *ret);
/* The init function of a built-in driver or module @name, from <root>/proc/kallsyms: its initcall
 * record where the kernel lists data symbols, else <name>_driver_init, <name>_init,
 * <name>_drv_init, else a <words>_driver_init with @name's words in another order (module
 * gpio_pl061, pl061_gpio_driver_init). "" when none is found. */
void builtin_initcall_find(int root_fd, const char *name, char *buf, size_t size);
/* The remedy in words: "initcall_blacklist=pl061_gpio_driver_init on the kernel command line", or
 * "build DRIVER as a module" (shared, or no init function found). */
void builtin_driver_remedy(const BuiltinDriver *b, const char *driver, char *buf, size_t size);
