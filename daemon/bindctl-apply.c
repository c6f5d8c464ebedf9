/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl apply [--dry-run] [--early]: every device where the policy says, once. */
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

int verb_apply(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        ApplyFlags flags = { .dry_run = c->dry_run, .reconcile = !c->early };
        unsigned failed = 0, bound = 0;
        Engine e;
        int r;

        if (load_policy(c, NULL, &p) < 0)
                return EXIT_FAILED;
        if (open_engine(c, &e) < 0)
                return EXIT_FAILED;
        for (Bus bus = 0; bus < _BUS_MAX; bus++) {
                _cleanup_strv_free_ char **names = NULL;

                r = sysfs_list_devices(&e.sysfs, bus, &names);
                if (r < 0) {
                        log_error_errno(r, "Cannot list %s devices: %m", bus_to_string(bus));
                        failed++;
                        continue;
                }
                STRV_FOREACH(name, names) {
                        ApplyResult res;
                        DeviceState s;

                        r = apply_device(&e, p, bus, *name, &flags, &res);
                        s = report_apply(bus, *name, r, &res, c->dry_run);
                        failed += s == STATE_FAILED;
                        bound += s == STATE_BOUND;
                        apply_result_done(&res);
                }
        }
        log_info("%u device%s %s, %u failed.", bound, bound == 1 ? "" : "s", c->dry_run ? "would be bound" : "bound",
                 failed);
        engine_done(&e);
        return failed > 0 ? EXIT_FAILED : EXIT_SUCCESS;
}
