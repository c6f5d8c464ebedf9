/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl generate-rules [--output=-]: the early udev rule. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bindctl.h"
#include "rules-file.h"
#include "strv.h"
#include "udev-rules.h"

/* The early udev rule, compiled from the policy: to stdout with --output=-, else installed. */
int verb_generate_rules(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        _cleanup_strv_free_ char **protected = NULL;
        EngineConfig config = c->engine;
        Diagnostics d = {};
        Engine e;
        int r;

        if (load_policy(c, NULL, &p) < 0)
                return EXIT_FAILED;
        /* The devices present now that the guard keeps: the rule must not take them either. */
        config.load_modules = false;
        if (engine_init(&e, c->root.fd, &config, false) >= 0) {
                if (apply_protected_devices(&e, p, &protected) < 0)
                        log_warning("Cannot list the host-critical devices; the daemon still refuses them.");
                engine_done(&e);
        }
        if (c->output && streq(c->output, "-"))
                r = udev_rules_generate_protected(p, protected, stdout, &d);
        else
                r = udev_rules_install(c->root.fd, p, protected, &d);
        diagnostics_print(&d, stderr);
        diagnostics_clear(&d);
        if (r == -EINVAL)
                return log_error_errno(r, "The policy cannot be expressed as a udev rule; no rule is installed."),
                       EXIT_FAILED;
        if (r < 0)
                return log_error_errno(r, "Cannot write /%s/%s: %m", UDEV_RULES_DIR, UDEV_RULES_FILE), EXIT_FAILED;
        if (!c->output)
                log_info("Wrote /%s/%s.", UDEV_RULES_DIR, UDEV_RULES_FILE);
        return EXIT_SUCCESS;
}
