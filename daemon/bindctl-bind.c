/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl bind DEVICE [--driver=NAME] [--persist]. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bindctl.h"
#include "paths.h"
#include "validate.h"

static int persist_rule(Context *c, const DeviceInfo *d, const char *driver) {
        _cleanup_free_ char *path = NULL;
        _cleanup_policy_ Policy *p = NULL;
        _cleanup_close_ int dfd = -EBADF;
        char name[RULE_NAME_MAX + 1];
        Decision dec;
        FILE *f;
        int fd;

        if (glob_has_magic(d->name))
                return log_error_errno(-EINVAL, "Device name '%s' holds glob characters: write its rule by hand.", d->name);
        rule_name_for("bindctl-", d->name, name, sizeof name);
        if (asprintf(&path, "60-%s.conf", name) < 0)
                return log_oom();
        (void) mkdirat(c->root.fd, PERSIST_DIR, 0755);
        dfd = openat(c->root.fd, PERSIST_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return log_error_errno(errno, "Cannot open /%s: %m", PERSIST_DIR);
        fd = openat(dfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
                if (fd >= 0)
                        close(fd);
                return log_error_errno(errno, "Cannot write /%s/%s: %m", PERSIST_DIR, path);
        }
        fprintf(f, "# Written by vfio-platform-bindctl bind --persist.\n[%s]\ndevice = %s\ndriver = %s\n", name, d->name,
                driver);
        if (fclose(f) != 0)
                return log_error_errno(errno, "Cannot write /%s/%s: %m", PERSIST_DIR, path);

        /* An earlier rule may decide otherwise: then the new file would be a lie. */
        if (load_policy(c, NULL, &p) < 0) {
                (void) unlinkat(dfd, path, 0);
                return -EINVAL;
        }
        policy_decide(p, d, &dec);
        if (dec.verdict != VERDICT_BIND || !streq(dec.driver, driver)) {
                (void) unlinkat(dfd, path, 0);
                return log_error_errno(-EEXIST, "Rule %s (%s:%u) decides %s for %s before a new rule could; not persisted.",
                                       dec.rule ? dec.rule->name : "?", dec.rule ? dec.rule->file : "?",
                                       dec.rule ? dec.rule->line : 0, verdict_to_string(dec.verdict), d->name);
        }
        log_info("Wrote /%s/%s (rule %s).", PERSIST_DIR, path, name);
        return 0;
}

int verb_bind(Context *c) {
        _cleanup_device_info_ DeviceInfo *d = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        const char *driver;
        BindReport rep;
        Engine e;
        int r;

        if (c->driver && !driver_name_is_valid(c->driver)) {
                log_error("Invalid driver name '%s'.", c->driver);
                return EXIT_USAGE;
        }
        if (open_engine(c, &e) < 0)
                return EXIT_FAILED;
        lock_fd = take_lock(c, &e); /* held until the end of the verb */
        if (lock_fd < 0) {
                engine_done(&e);
                return EXIT_FAILED;
        }
        r = find_device(&e, c->args[0], &d);
        if (r < 0) {
                engine_done(&e);
                return r == -ENODEV || r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
        }
        driver = c->driver ?: bus_default_driver(d->bus);
        r = engine_bind(&e, d, driver, "manual (vfio-platform-bindctl bind)", &rep);
        engine_done(&e);
        if (r >= 0 && rep.record_error < 0)
                log_warning_errno(rep.record_error, "%s: its state record could not be written (%m): a restore will "
                                  "not know its previous driver.", d->name);
        if (r < 0)
                return log_error_errno(r, "%s: binding failed: %m", d->name), EXIT_FAILED;
        if (rep.status > BIND_DONE) {
                log_error("%s: not bound to %s: %s", d->name, driver, rep.reason);
                return EXIT_FAILED;
        }
        log_info("%s: %s %s.", d->name, rep.status == BIND_ALREADY ? "already on" : "bound to", driver);
        if (c->persist && persist_rule(c, d, driver) < 0)
                return EXIT_FAILED;
        return EXIT_SUCCESS;
}
