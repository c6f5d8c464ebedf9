/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Kernel modules, through libkmod: the only file that talks to it. */
typedef struct Modules Modules;

int modules_new(Modules **ret);
Modules *modules_free(Modules *m);
/* Loads what provides @name (a driver or module name, or an alias), with its dependencies, as
 * modprobe does. *ret_module names the module (or the first one tried). -ENOENT: no module. */
int modules_load(Modules *m, const char *name, char **ret_module);
/* >0 when a module provides @alias (e.g. "vfio-reset:calxeda,hb-xgmac"), 0 when none does. */
int modules_alias_exists(Modules *m, const char *alias);
