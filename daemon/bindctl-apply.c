/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl apply [--dry-run] [--early]: every device where the policy says, once.
 * --early (boot, before udev's coldplug) also installs the early udev rule: one process and one
 * policy load on the boot's critical path instead of two. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bindctl.h"
#include "report.h"
#include "strv.h"

typedef struct ApplyRun {
        Context *c;
        Engine *e;
        const Policy *p;
        ApplyFlags flags;
        unsigned failed, bound, pinned, refused;
        /* The CDI specs from the pass itself: the devices it found or left bound (names and
         * groups owned here). A pass that moved whole groups walks again: a member bound by a
         * later device's rule was seen before it moved. */
        CdiDevice *cdi;
        size_t n_cdi;
        bool cdi_walk_again;
} ApplyRun;

static void cdi_collect(ApplyRun *run, Bus bus, const char *name, ApplyResult *res) {
        DeviceInfo *d = res->device;
        CdiDevice *cds;

        if (res->decision.rule->group == GROUP_WHOLE)
                run->cdi_walk_again = true;
        /* A platform device gets its group at its first probe: read it again after ours. */
        if (!d->iommu_group && res->report.status == BIND_DONE)
                (void) sysfs_refresh_device(&run->e->sysfs, d);
        if (!driver_is_vfio(res->decision.driver) || !d->iommu_group)
                return;
        cds = reallocarray(run->cdi, run->n_cdi + 1, sizeof(CdiDevice));
        if (!cds) {
                run->cdi_walk_again = true;
                return;
        }
        run->cdi = cds;
        cds[run->n_cdi] = (CdiDevice) {
                .bus = bus, .name = strdup(name), .group = strdup(d->iommu_group),
                .cdi_name = res->decision.rule->cdi_name,
        };
        if (!cds[run->n_cdi].name || !cds[run->n_cdi].group)
                run->cdi_walk_again = true;
        run->n_cdi++;
}

static void cdi_done(ApplyRun *run) {
        for (size_t i = 0; i < run->n_cdi; i++) {
                free((char *) run->cdi[i].name);
                free((char *) run->cdi[i].group);
        }
        free(run->cdi);
}

static int apply_one(Bus bus, const char *name, int error, void *userdata) {
        ApplyRun *run = userdata;
        ApplyResult res;
        DeviceState s;
        int r;

        if (!name) {
                log_error_errno(error, "Cannot list %s devices: %m", bus_to_string(bus));
                run->failed++;
                return 0;
        }
        r = apply_device(run->e, run->p, bus, name, &run->flags, &res);
        s = report_apply(bus, name, r, &res, run->c->dry_run, STATE_UNSELECTED);
        /* Pinned (apply --early): on no VFIO driver yet, in no spec until it is bound. */
        if (s == STATE_BOUND && res.report.status != BIND_PINNED && !run->c->dry_run && run->c->cdi_dir && res.device &&
            res.decision.rule)
                cdi_collect(run, bus, name, &res);
        run->failed += s == STATE_FAILED;
        run->refused += s == STATE_REFUSED;
        run->pinned += s == STATE_BOUND && res.report.status == BIND_PINNED;
        run->bound += s == STATE_BOUND && res.report.status != BIND_PINNED;
        apply_result_done(&res);
        return 0;
}

int verb_apply(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        Engine e;
        bool rule_failed;
        /* The CDI specs need the group of every device bound: read with the device then. */
        ApplyRun run = { .c = c, .e = &e,
                         .flags = { .dry_run = c->dry_run, .reconcile = !c->early, .pin_only = c->early,
                                    .lazy_group = c->dry_run || !c->cdi_dir } };

        if (load_policy(c, NULL, &p) < 0)
                return EXIT_FAILED;
        if (open_engine(c, &e) < 0)
                return EXIT_FAILED;
        if (!c->dry_run)
                lock_fd = take_lock(c, &e); /* held until the end of the verb */
        if (!c->dry_run && lock_fd < 0) {
                engine_done(&e);
                return EXIT_FAILED;
        }
        run.p = p;
        /* The rule first: it only depends on the policy, and the devices that appear later need
         * it even when one present now cannot be moved. Its failure fails the verb, after the pass. */
        rule_failed = c->early && !c->dry_run && install_udev_rule(c, &e, p) < 0;
        (void) sysfs_foreach_device(&e.sysfs, apply_one, &run);
        if (run.pinned > 0)
                log_info("%u device%s pinned to %s target (bound when udev's coldplug probes them).", run.pinned,
                         run.pinned == 1 ? "" : "s", run.pinned == 1 ? "its" : "their");
        log_info("%u device%s %s, %u failed%s.", run.bound, run.bound == 1 ? "" : "s",
                 c->dry_run ? "would be bound" : "bound", run.failed,
                 run.refused ? ", some refused as host-critical" : "");
        if (!c->dry_run && c->cdi_dir &&
            (run.cdi_walk_again ? write_cdi_specs(c, &e, p) : write_cdi_specs_of(c, run.cdi, run.n_cdi)) < 0)
                run.failed++;
        cdi_done(&run);
        engine_done(&e);
        return run.failed > 0 || rule_failed ? EXIT_FAILED : EXIT_SUCCESS;
}
