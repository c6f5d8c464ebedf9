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

/* A built-in module that claims a device-tree node, and the compatible it claims it by. */
typedef struct BuiltinClaim {
        const char *module;     /* points into the file: module_len bytes, not NUL-terminated */
        size_t module_len;
        const char *compatible;
} BuiltinClaim;

#define BUILTIN_CLAIMS_MAX 4

/* The built-in modules that claim a device-tree node named @node_name (without its unit address)
 * with @compatibles (most specific first), as the driver core matches its modalias
 * "of:N<name>T<type>C<compatible>...": each module once, the one that claims the most specific
 * compatible first. Any of them can take the device at boot (the first driver to register that
 * matches binds, whatever the compatible), so a remedy must keep out all of them. Returns how
 * many, at most @max. */
size_t builtin_modules_claim_of(const BuiltinModules *m, const char *node_name, char * const *compatibles,
                                BuiltinClaim *ret, size_t max);
