/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* What a kernel has built in, as its build recorded it: <root>/lib/modules/<release>/
 * modules.builtin.modinfo, the .modinfo section of vmlinux, NUL-separated "module.key=value"
 * records ("gpio_pl061.alias=of:N*T*Carm,pl061"). kmod reads the same file. Only kernels that put
 * the modpost-generated aliases there (Linux 6.18 and later) list the device tables of built-in
 * drivers; older ones list only what a driver spells out with MODULE_ALIAS(), so a built-in driver
 * found nowhere here may still claim the device. Never logs. */

typedef struct BuiltinModules {
        char *data;             /* the file, with a NUL after the last record */
        size_t size;
        const char **of_aliases; /* the "module.alias=of:..." records, pointing into data */
        size_t n_of_aliases;
} BuiltinModules;

/* <root>/proc/sys/kernel/osrelease, which is uname's for "/"; uname's when the root has none. */
void kernel_release_read(int root_fd, char *buf, size_t size);

/* Loads lib/modules/@release/modules.builtin.modinfo under @root_fd. -ENOENT when there is none,
 * -EFBIG when larger than 64 MiB. */
int builtin_modules_load(int root_fd, const char *release, BuiltinModules *ret);
void builtin_modules_done(BuiltinModules *m);

/* The built-in module that claims a device-tree node named @node_name (without its unit address)
 * with @compatibles (most specific first), as the driver core would match its modalias
 * "of:N<name>T<type>C<compatible>": the first compatible an "of:" alias matches wins, as
 * of_match_device() prefers the most specific. Returns the module name (its length in
 * *ret_len; it is not NUL-terminated) and the compatible in *ret_compatible, or NULL. */
const char *builtin_modules_claim_of(const BuiltinModules *m, const char *node_name, char * const *compatibles,
                                     size_t *ret_len, const char **ret_compatible);
