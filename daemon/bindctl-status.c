/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl status [--json] [DEVICE...]. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bindctl.h"
#include "status.h"

int verb_status(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        DeviceRecord *recs = NULL;
        IommuGroup *groups = NULL;
        GuardVerdict *guards = NULL;
        char **windows = NULL, **blocked = NULL;
        StatusRow *rows = NULL;
        char **cdi_names = NULL;
        Devices l = {};
        size_t n = 0, errors = 0;
        Engine e;
        int r;

        if (load_policy(c, NULL, &p) < 0)
                return EXIT_FAILED;
        c->load_modules = false;
        if (open_engine(c, &e) < 0)
                return EXIT_FAILED;
        r = collect_devices(c, &e, &l);
        if (r < 0) {
                engine_done(&e);
                return r == -ENODEV || r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
        }
        n = l.n;

        rows = calloc(n ?: 1, sizeof(StatusRow));
        recs = calloc(n ?: 1, sizeof(DeviceRecord));
        groups = calloc(n ?: 1, sizeof(IommuGroup));
        guards = calloc(n ?: 1, sizeof(GuardVerdict));
        windows = calloc(n ?: 1, sizeof(char *));
        blocked = calloc(n ?: 1, sizeof(char *));
        if (!rows || !recs || !groups || !guards || !windows || !blocked) {
                r = log_oom();
                goto finish;
        }
        for (size_t i = 0; i < n; i++) {
                DeviceInfo *d = l.devs[i];

                rows[i].device = d;
                rows[i].group = &groups[i];
                if (l.errors[i]) {
                        /* Its data is incomplete: no decision on it, just why. */
                        rows[i].state = "error";
                        rows[i].reason = l.errors[i];
                        errors++;
                        continue;
                }
                r = apply_decide(&e, p, d, &groups[i], &rows[i].decision);
                if (r < 0)
                        log_warning_errno(r, "Cannot read the IOMMU group of %s: %m", d->name);
                if (state_load(e.state_fd, d->bus, d->name, &recs[i]) < 0)
                        recs[i] = (DeviceRecord) {};
                if (guard_check(engine_guard(&e), &e.sysfs, d, &guards[i]) >= 0)
                        rows[i].guard = &guards[i];
                rows[i].state = status_state(d, &rows[i].decision, recs[i].status, rows[i].guard);
                windows[i] = boot_window(c, &e, d, &rows[i].decision, recs[i].previous_driver);
                rows[i].boot_window = windows[i];
                rows[i].reason = streq(rows[i].state, "failed") ? recs[i].reason : NULL;
                /* "group = strict" with members in the way: the daemon binds nothing of the group. */
                if (streq(rows[i].state, "pending") && rows[i].decision.rule->group == GROUP_STRICT &&
                    (blocked[i] = malloc(512)) &&
                    iommu_group_explain_blockers(&groups[i], rows[i].decision.rule->name, blocked[i], 512)) {
                        rows[i].state = "failed";
                        rows[i].reason = blocked[i];
                }
        }
        r = status_cdi_names(l.devs, rows, n, &cdi_names);
        if (r < 0)
                goto finish;
        if (c->json)
                status_print_json(stdout, rows, n);
        else
                status_print_table(stdout, rows, n, isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !streq_ptr(getenv("TERM"), "dumb"));
        if (errors > 0)
                log_error("%zu device%s could not be read (state \"error\").", errors, errors == 1 ? "" : "s");
        r = errors > 0 ? -EIO : 0;
finish:
        for (size_t i = 0; i < n; i++) {
                if (recs)
                        device_record_done(&recs[i]);
                if (groups)
                        iommu_group_done(&groups[i]);
                if (windows)
                        free(windows[i]);
                if (blocked)
                        free(blocked[i]);
        }
        for (size_t i = 0; cdi_names && i < n; i++)
                free(cdi_names[i]);
        free(cdi_names);
        devices_done(&l);
        free(recs);
        free(groups);
        free(guards);
        free(windows);
        free(blocked);
        free(rows);
        engine_done(&e);
        return r < 0 ? EXIT_FAILED : EXIT_SUCCESS;
}
