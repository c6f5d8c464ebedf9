/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"

void apply_result_done(ApplyResult *r) {
        device_info_free(r->device);
        free(r->was);
        device_record_done(&r->record);
        *r = (ApplyResult) {};
}

void rule_describe(const Rule *r, char *buf, size_t size) {
        snprintf(buf, size, "%s (%s:%u)", r->name, r->file, r->line);
}

static int apply_bind(Engine *e, ApplyResult *res, const ApplyFlags *flags) {
        DeviceInfo *d = res->device;
        char rule[256];

        res->action = APPLY_BIND;
        if (streq_ptr(d->driver, res->decision.driver) && streq_ptr(d->override, res->decision.driver)) {
                res->report.status = BIND_ALREADY;
                return 0;
        }
        if (flags->dry_run) {
                res->report.status = BIND_DONE;
                return 0;
        }
        rule_describe(res->decision.rule, rule, sizeof rule);
        /* apply_device() read the device a moment ago. */
        return engine_bind_fresh(e, d, res->decision.driver, rule, &res->report);
}

static int apply_unselected(Engine *e, ApplyResult *res, const ApplyFlags *flags) {
        if (!flags->reconcile || e->state_fd < 0 ||
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
        return engine_restore(e, res->device, &res->report);
}

int apply_device(Engine *e, const Policy *p, Bus bus, const char *name, const ApplyFlags *flags, ApplyResult *ret) {
        int r;

        *ret = (ApplyResult) {};
        r = sysfs_read_device(&e->sysfs, bus, name, &ret->device);
        if (r == -ENODEV) {
                ret->action = APPLY_GONE;
                return 0;
        }
        if (r < 0)
                return r;
        if (ret->device->driver && !(ret->was = strdup(ret->device->driver)))
                return -ENOMEM;

        policy_decide(p, ret->device, &ret->decision);
        if (ret->decision.verdict == VERDICT_BIND)
                r = apply_bind(e, ret, flags);
        else
                r = apply_unselected(e, ret, flags);
        if (r >= 0 && ret->report.status == BIND_GONE)
                ret->action = APPLY_GONE;
        return r;
}
