/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl restore DEVICE...|--all: give devices back to the driver they had. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bindctl.h"
#include "strv.h"

static int restore_one(Context *c, Engine *e, const Policy *p, DeviceInfo *d) {
        BindReport rep;
        Decision dec;
        int r;

        if (p) {
                policy_decide(p, d, &dec);
                if (dec.verdict == VERDICT_BIND)
                        log_warning("%s: the policy still selects it (rule %s at %s:%u): the daemon will take it back.",
                                    d->name, dec.rule->name, dec.rule->file, dec.rule->line);
        }
        r = engine_restore(e, d, &rep);
        if (r < 0)
                return log_error_errno(r, "%s: restoring failed: %m", d->name);
        if (rep.status == BIND_DONE) {
                log_info("%s: restored (now %s).", d->name, d->driver ?: "unbound");
                return 0;
        }
        log_error("%s: restoring failed: %s", d->name, rep.reason);
        return -EIO;
}

typedef struct RestoreRun {
        Context *c;
        Engine *e;
        const Policy *p;
        int failed;
} RestoreRun;

/* The devices we moved: those with a record. */
static int restore_recorded(Bus bus, const char *name, int error, void *userdata) {
        _cleanup_device_info_ DeviceInfo *d = NULL;
        RestoreRun *run = userdata;
        DeviceRecord rec = {};

        if (!name || state_load(run->e->state_fd, bus, name, &rec) < 0)
                return 0; /* not one of ours */
        device_record_done(&rec);
        if (sysfs_read_device(&run->e->sysfs, bus, name, &d) >= 0)
                run->failed += restore_one(run->c, run->e, run->p, d) < 0;
        return 0;
}

int verb_restore(Context *c) {
        _cleanup_close_ int lock_fd = -EBADF;
        _cleanup_policy_ Policy *p = NULL;
        int failed = 0, r;
        Engine e;

        if (c->all == (strv_length(c->args) > 0)) {
                log_error("Name the devices to restore, or give --all.");
                return EXIT_USAGE;
        }
        /* A broken policy does not stop a restore: it only informs the warning. */
        if (load_policy(c, NULL, &p) < 0)
                p = NULL;
        if (open_engine(c, &e) < 0)
                return EXIT_FAILED;
        lock_fd = take_lock(c, &e); /* held until the end of the verb */
        if (lock_fd < 0) {
                engine_done(&e);
                return EXIT_FAILED;
        }

        if (c->all) {
                RestoreRun run = { c, &e, p, 0 };

                (void) sysfs_foreach_device(&e.sysfs, restore_recorded, &run);
                failed += run.failed;
        }
        STRV_FOREACH(a, c->args) {
                _cleanup_device_info_ DeviceInfo *d = NULL;

                r = find_device(&e, *a, &d);
                if (r < 0) {
                        engine_done(&e);
                        return r == -ENODEV || r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
                }
                failed += restore_one(c, &e, p, d) < 0;
        }
        engine_done(&e);
        return failed ? EXIT_FAILED : EXIT_SUCCESS;
}
