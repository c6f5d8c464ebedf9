/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* vfio-platform-bindctl: what the verbs (bindctl-<verb>.c, one file each) share. The helpers log
 * their errors; a verb returns an exit code. */

#include "apply.h"
#include "cdi.h"
#include "escape.h"
#include "log.h"
#include "macro.h"
#include "policy-load.h"
#include "status.h"

/* Exit codes, as documented in vfio-platform-bindctl(8). */
enum {
        EXIT_FAILED = 1,        /* the policy is invalid, or an operation failed */
        EXIT_USAGE = 2,         /* bad command line, unknown device */
};

typedef struct Context {
        Root root;
        char **args;            /* the command's arguments */
        bool json, dry_run, early, persist, all, load_modules;
        const char *driver;
        const char *fdt;
        const char *by;
        const char *output;
        const char *cdi_dir;    /* where apply writes the CDI specs; NULL: --no-cdi */
        EngineConfig engine;
} Context;

int load_policy(Context *c, char * const *files, Policy **ret);
int open_engine(Context *c, Engine *e);
/* apply, bind and restore write what the daemon writes: they take its lock (src/lock.h) and are
 * refused while it runs; another bindctl holding it is waited for. Returns the lock's fd. */
int take_lock(Context *c, Engine *e);
/* A device by name, on the first bus of the table that has it. */
int find_device(Engine *e, const char *name, DeviceInfo **ret);
/* What status and generate look at: the devices, and why each could not be read (NULL: it
 * could; then only its name and bus are known). */
typedef struct Devices {
        DeviceInfo **devs;
        char **errors;
        size_t n;
} Devices;
void devices_done(Devices *l);
/* Every device of every bus, or just those named in c->args; a device that exists but cannot be
 * read is there too, with its error. */
int collect_devices(Context *c, Engine *e, Devices *ret);
/* "a003e00.virtio_mmio" → a rule name; device names may hold characters rule names may not. */
void rule_name_for(const char *prefix, const char *s, char *buf, size_t size);

/* For a device the policy binds: "taken at boot by the built-in driver X, rebound after; remedy:
 * ..." when its native driver (now, or as recorded) is built in; NULL otherwise. */
char *boot_window(Context *c, Engine *e, const DeviceInfo *d, const Decision *dec, const char *recorded_driver);
/* The CDI specs of the devices bound now, as the daemon writes them (bindctl-cdi.c). */
int write_cdi_specs(Context *c, Engine *e, const Policy *p);
/* The same from the devices that an apply pass found or left bound (no second walk). */
int write_cdi_specs_of(Context *c, CdiDevice *cds, size_t n);
/* The early udev rule for @p installed under the root, as generate-rules installs it, leaving out
 * the devices the guard keeps among those @e reads (bindctl-generate-rules.c). Logs. */
int install_udev_rule(Context *c, Engine *e, const Policy *p);
/* The qualified CDI name of each row (NULL when not in a spec), as the specs name them; @ret
 * holds them for freeing (n entries). */
int status_cdi_names(DeviceInfo **devs, StatusRow *rows, size_t n, char ***ret);

int verb_check(Context *c);
int verb_status(Context *c);
int verb_explain(Context *c);
int verb_apply(Context *c);
int verb_bind(Context *c);
int verb_restore(Context *c);
int verb_generate(Context *c);
int verb_generate_rules(Context *c);
int verb_cdi(Context *c);
