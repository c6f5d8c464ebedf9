/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "engine.h"
#include "iommu-group.h"
#include "match.h"
#include "state.h"

/* One device brought where the policy says: the step shared by the daemon (coldplug, uevents,
 * reload) and by "vfio-platform-bindctl apply". Does not log: returns what happened. */

typedef struct ApplyFlags {
        bool dry_run;           /* decide and report, write nothing */
        bool reconcile;         /* restore devices we moved that the policy no longer selects */
        bool keep;              /* ... but leave them where they are */
        bool pin_only;          /* a device no other driver holds gets its override only, and binds
                                 * when probed (apply --early: udev's coldplug probes it through the
                                 * early rule, which loads the driver); a held one is moved */
        bool lazy_group;        /* read a device's IOMMU group only to act on it, not for one already
                                 * where the policy says or not selected (nothing needs it then but
                                 * the CDI specs) */
} ApplyFlags;

typedef enum ApplyAction {
        APPLY_NONE,             /* not selected (or protected), nothing of ours to undo */
        APPLY_BIND,             /* report says how */
        APPLY_RESTORE,          /* report says how */
        APPLY_KEEP,             /* no longer selected, kept on its driver (flags.keep) */
        APPLY_GONE,             /* the device is not there */
} ApplyAction;

typedef struct ApplyResult {
        ApplyAction action;
        Decision decision;
        BindReport report;
        DeviceInfo *device;     /* as read before acting; NULL when gone */
        char *was;              /* its driver before we acted */
        DeviceRecord record;    /* what restore went back to */
        IommuGroup group;       /* buses that bind by IOMMU group: the device's group, when it has one */
        GuardVerdict guard;     /* why the host needs the device (read for selected devices only) */
} ApplyResult;

void apply_result_done(ApplyResult *r);
/* The group of @d, read when its bus binds by group and it has one; else an empty group. */
int apply_read_group(Engine *e, const Policy *p, const DeviceInfo *d, IommuGroup *ret);
/* What the policy says of @d, its IOMMU group (read into @group) in view. */
int apply_decide(Engine *e, const Policy *p, const DeviceInfo *d, IommuGroup *group, Decision *ret);
int apply_device(Engine *e, const Policy *p, Bus bus, const char *name, const ApplyFlags *flags, ApplyResult *ret);
void rule_describe(const Rule *r, char *buf, size_t size);
/* Calls @fn for every device that the policy binds (its IOMMU group in view), with what the guard
 * says of it. Stops at the first @fn < 0 and returns it. */
typedef int (*apply_selected_fn)(const DeviceInfo *d, const Decision *dec, const GuardVerdict *v, void *userdata);
int apply_foreach_selected(Engine *e, const Policy *p, apply_selected_fn fn, void *userdata);
/* The devices that the policy selects but the guard keeps ("bus/name"), for the udev rule: it
 * must not select what the daemon would refuse. Forced rules excepted. */
int apply_protected_devices(Engine *e, const Policy *p, char ***ret);
