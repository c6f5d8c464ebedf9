/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl generate-rules [--output=-]: the early udev rule. apply --early writes the
 * same rule (install_udev_rule()), in the same process that sets the overrides. */
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

/* The rule for @p, to @out or (NULL) installed under the root, without the devices present now
 * that the guard keeps among those @e reads (@e NULL: none left out; the daemon still refuses
 * them). Logs; returns 0 or a negative errno. */
static int emit_rule(Context *c, Engine *e, const Policy *p, FILE *out) {
        _cleanup_strv_free_ char **protected = NULL;
        Diagnostics d = {};
        int r;

        if (e && apply_protected_devices(e, p, &protected) < 0)
                log_warning("Cannot list the host-critical devices; the daemon still refuses them.");
        if (out)
                r = udev_rules_generate_protected(p, protected, out, &d);
        else
                r = udev_rules_install(c->root.fd, p, protected, &d);
        diagnostics_print(&d, stderr);
        diagnostics_clear(&d);
        if (r == -EINVAL)
                return log_error_errno(r, "The policy cannot be expressed as a udev rule; no rule is installed.");
        if (r < 0)
                return log_error_errno(r, "Cannot write /%s/%s: %m", UDEV_RULES_DIR, UDEV_RULES_FILE);
        if (!out)
                log_info("Wrote /%s/%s.", UDEV_RULES_DIR, UDEV_RULES_FILE);
        return 0;
}

int install_udev_rule(Context *c, Engine *e, const Policy *p) {
        return emit_rule(c, e, p, NULL);
}

int verb_generate_rules(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        EngineConfig config = c->engine;
        Engine e;
        bool have_engine;
        int r;

        if (load_policy(c, NULL, &p) < 0)
                return EXIT_FAILED;
        /* Only to read the devices present: no module loading, no state directory. */
        config.load_modules = false;
        have_engine = engine_init(&e, c->root.fd, &config, false) >= 0;
        r = emit_rule(c, have_engine ? &e : NULL, p, c->output && streq(c->output, "-") ? stdout : NULL);
        if (have_engine)
                engine_done(&e);
        return r < 0 ? EXIT_FAILED : EXIT_SUCCESS;
}
