/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "strv.h"
#include "validate.h"

void apply_result_done(ApplyResult *r) {
        device_info_free(r->device);
        free(r->was);
        device_record_done(&r->record);
        iommu_group_done(&r->group);
        *r = (ApplyResult) {};
}

void rule_describe(const Rule *r, char *buf, size_t size) {
        snprintf(buf, size, "%s (%s:%u)", r->name, r->file, r->line);
}

static bool binds_by_group(const DeviceInfo *d) {
        return bus_table[d->bus].unit == BIND_UNIT_IOMMU_GROUP;
}

int apply_read_group(Engine *e, const Policy *p, const DeviceInfo *d, IommuGroup *ret) {
        *ret = (IommuGroup) {};
        if (!binds_by_group(d) || !d->iommu_group)
                return 0;
        return iommu_group_read(&e->sysfs, p, d->bus, d->iommu_group, ret);
}

/* "group = strict" and members on host drivers that no rule selects: nothing of the group moves. */
static bool refuse_blocked(ApplyResult *res) {
        if (!res->group.id ||
            !iommu_group_explain_blockers(&res->group, res->decision.rule->name, res->report.reason, sizeof res->report.reason))
                return false;
        res->report.status = BIND_FAILED;
        return true;
}

/* "group = whole": the other members move too, bridges excepted, in one pass over the group:
 * every override first (with a record of what the member had), so that no host driver takes a
 * member back while the others move; then every unbind; then the probes, each member probed
 * once. The device itself is pinned and unbound with them (@with_self) and probed last by the
 * caller. */
static bool member_moves(const ApplyResult *res, const GroupMember *m) {
        return !streq(m->device->name, res->device->name) && !m->bridge && m->decision.verdict != VERDICT_IGNORE &&
               !streq_ptr(m->device->driver, res->decision.driver);
}

static void bind_members(Engine *e, ApplyResult *res, const char *rule, bool with_self, BindReport *failed) {
        const char *target = res->decision.driver;
        BindReport rep;

        for (int pass = 0; pass < 3; pass++) {
                if (with_self && pass == 0)
                        (void) engine_pin_recorded(e, res->device, target, rule, &rep);
                else if (with_self && pass == 1)
                        (void) engine_unbind(e, res->device, target);
                for (size_t i = 0; i < res->group.n; i++) {
                        GroupMember *m = &res->group.members[i];

                        if (!member_moves(res, m))
                                continue;
                        if (pass == 0)
                                (void) engine_pin_recorded(e, m->device, target, rule, &rep);
                        else if (pass == 1)
                                (void) engine_unbind(e, m->device, target);
                        else if (engine_bind(e, m->device, target, rule, &rep) >= 0 && rep.status > BIND_DONE &&
                                 failed->status <= BIND_DONE) {
                                failed->status = BIND_FAILED;
                                snprintf(failed->reason, sizeof failed->reason, "group member %.64s: %.400s",
                                         m->device->name, rep.reason);
                        }
                }
        }
}

static void report_unbind_failed(ApplyResult *res, int r) {
        res->report.status = r == -ETIME ? BIND_TIMEOUT : BIND_FAILED;
        res->report.error = r;
        snprintf(res->report.reason, sizeof res->report.reason, "unbinding it from %s failed: %s",
                 res->was ? res->was : "its driver", strerror(-r));
}

/* What the host needs stays, unless the rule says force = yes. */
static bool refuse_host_critical(Engine *e, ApplyResult *res) {
        char why[sizeof res->report.reason - 128];

        if (guard_check(engine_guard(e), &e->sysfs, res->device, &res->guard) < 0 || !res->guard.reasons ||
            res->decision.rule->force)
                return false;
        guard_describe(&res->guard, why, sizeof why);
        res->report.status = BIND_REFUSED;
        snprintf(res->report.reason, sizeof res->report.reason,
                 "host-critical, left on its driver: %s (force = yes in rule '%s' moves it anyway)", why,
                 res->decision.rule->name);
        return true;
}

static int apply_bind(Engine *e, const Policy *p, ApplyResult *res, const ApplyFlags *flags) {
        DeviceInfo *d = res->device;
        bool whole = res->decision.rule->group == GROUP_WHOLE;
        BindReport members = {};
        char rule[256];
        int r;

        res->action = APPLY_BIND;
        if (bus_device_is_bridge(d)) {
                res->report.status = BIND_FAILED;
                snprintf(res->report.reason, sizeof res->report.reason,
                         "a bridge to other devices: never moved to a VFIO driver");
                return 0;
        }
        if (streq_ptr(d->driver, res->decision.driver) && streq_ptr(d->override, res->decision.driver) &&
            (!whole || iommu_group_viable(&res->group))) {
                res->report.status = BIND_ALREADY;
                return 0;
        }
        /* Binding, and whatever diagnoses it, looks at the group. */
        r = sysfs_read_device_group(&e->sysfs, d);
        if (r < 0)
                return r;
        if (refuse_host_critical(e, res))
                return 0;
        if (!whole && refuse_blocked(res))
                return 0;
        if (flags->dry_run) {
                res->report.status = BIND_DONE;
                return 0;
        }
        rule_describe(res->decision.rule, rule, sizeof rule);
        /* At boot: the override keeps native drivers off (a built-in one that took the device
         * already is unbound), and the early rule loads the target and probes during udev's
         * coldplug. Loading modules and probing here cost the boot's critical path two thirds
         * of the early unit's time (measured in the VM). */
        if (flags->pin_only && !whole) {
                r = engine_pin_recorded(e, d, res->decision.driver, rule, &res->report);
                if (r >= 0 && res->report.status == BIND_PINNED && d->driver && !streq(d->driver, res->decision.driver) &&
                    (r = engine_unbind(e, d, res->decision.driver)) < 0) {
                        report_unbind_failed(res, r);
                        r = 0;
                }
                return r;
        }
        if (whole) {
                bind_members(e, res, rule, true, &members);
                r = engine_bind(e, d, res->decision.driver, rule, &res->report); /* unbound since it was read */
        } else /* apply_device() read the device a moment ago. */
                r = engine_bind_fresh(e, d, res->decision.driver, rule, &res->report);
        if (r >= 0 && res->report.status <= BIND_DONE && members.status > BIND_DONE)
                res->report = members;
        if (r < 0 || !binds_by_group(d) || res->group.id || !d->iommu_group || res->report.status > BIND_DONE)
                return r;

        /* Never probed before: the group appeared with this probe. Look at it now. */
        r = apply_read_group(e, p, d, &res->group);
        if (r < 0)
                return r;
        if (whole) {
                bind_members(e, res, rule, false, &members);
                if (members.status > BIND_DONE)
                        res->report = members;
        } else if (refuse_blocked(res)) {
                BindReport undo;

                (void) engine_restore(e, d, &undo);
                strncat(res->report.reason, " (bound, then given back)",
                        sizeof res->report.reason - strlen(res->report.reason) - 1);
        }
        return 0;
}

static int apply_unselected(Engine *e, ApplyResult *res, const ApplyFlags *flags) {
        int r;

        if (!flags->reconcile || e->state_fd < 0 || !state_maybe_exists(e->state_fd, res->device->bus, res->device->name) ||
            state_load(e->state_fd, res->device->bus, res->device->name, &res->record) < 0)
                return 0; /* we never moved it */
        if (flags->keep) {
                res->action = APPLY_KEEP;
                return 0;
        }
        res->action = APPLY_RESTORE;
        if (flags->dry_run) {
                res->report.status = BIND_DONE;
                return 0;
        }
        r = sysfs_read_device_group(&e->sysfs, res->device);
        if (r < 0)
                return r;
        return engine_restore(e, res->device, &res->report);
}

int apply_decide(Engine *e, const Policy *p, const DeviceInfo *d, IommuGroup *group, Decision *ret) {
        int r;

        policy_decide(p, d, ret);
        r = apply_read_group(e, p, d, group);
        if (r < 0 && r != -ENOENT)
                return r;
        group_decide(group, d, ret);
        return 0;
}

int apply_device(Engine *e, const Policy *p, Bus bus, const char *name, const ApplyFlags *flags, ApplyResult *ret) {
        const char *what;
        int r;

        *ret = (ApplyResult) {};
        /* lazy_group: the group when the bus binds by group (the decision needs it), else only
         * to act (apply_bind(), apply_unselected()). */
        r = sysfs_read_device_flags(&e->sysfs, bus, name, flags->lazy_group ? SYSFS_READ_NO_GROUP : 0, &ret->device,
                                    &what);
        if (r == -ENODEV) {
                ret->action = APPLY_GONE;
                return 0;
        }
        if (r < 0)
                return r;
        if (ret->device->driver && !(ret->was = strdup(ret->device->driver)))
                return -ENOMEM;

        r = apply_decide(e, p, ret->device, &ret->group, &ret->decision);
        if (r < 0)
                return r;
        if (ret->decision.verdict == VERDICT_BIND)
                r = apply_bind(e, p, ret, flags);
        else
                r = apply_unselected(e, ret, flags);
        if (r >= 0 && ret->report.status == BIND_GONE)
                ret->action = APPLY_GONE;
        return r;
}

typedef struct SelectedWalk {
        Engine *e;
        const Policy *p;
        apply_selected_fn fn;
        void *userdata;
} SelectedWalk;

static int walk_one(Bus bus, const char *name, int error, void *userdata) {
        _cleanup_device_info_ DeviceInfo *d = NULL;
        _cleanup_(iommu_group_done) IommuGroup g = {};
        SelectedWalk *w = userdata;
        GuardVerdict v;
        Decision dec;

        if (!name || sysfs_read_device(&w->e->sysfs, bus, name, &d) < 0)
                return 0;
        if (apply_decide(w->e, w->p, d, &g, &dec) < 0 || dec.verdict != VERDICT_BIND)
                return 0;
        if (guard_check(engine_guard(w->e), &w->e->sysfs, d, &v) < 0)
                v = (GuardVerdict) {};
        return w->fn(d, &dec, &v, w->userdata);
}

int apply_foreach_selected(Engine *e, const Policy *p, apply_selected_fn fn, void *userdata) {
        SelectedWalk w = { e, p, fn, userdata };

        return sysfs_foreach_device(&e->sysfs, walk_one, &w);
}

static int protect_one(const DeviceInfo *d, const Decision *dec, const GuardVerdict *v, void *userdata) {
        char key[16 + DEVICE_NAME_MAX + 2];

        if (!v->reasons || dec->rule->force)
                return 0;
        snprintf(key, sizeof key, "%s/%s", bus_to_string(d->bus), d->name);
        return strv_extend(userdata, key);
}

int apply_protected_devices(Engine *e, const Policy *p, char ***ret) {
        char **list = NULL;
        int r = apply_foreach_selected(e, p, protect_one, &list);

        if (r < 0) {
                strv_free(list);
                return r;
        }
        *ret = list;
        return 0;
}
