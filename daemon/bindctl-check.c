/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl check [--fdt=DTB] [FILE...]: validate the policy; with --fdt, the devices a device tree would give. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bindctl.h"
#include "dtb.h"
#include "match.h"
#include "strv.h"

/* The devices a kernel would create from a DTB, and what the policy says of each; what comes
 * from the DTB is escaped (escape.h). */
static int check_fdt(const Policy *p, const char *path) {
        _cleanup_free_ char *error = NULL;
        _cleanup_free_ void *blob = NULL;
        _cleanup_free_ GuardVerdict *guard = NULL;
        DeviceInfo *devs = NULL;
        size_t size, n = 0;
        unsigned refused = 0;
        int r;

        r = fdt_read_file(path, &blob, &size);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", path);
        r = fdt_list_devices_guarded(blob, size, &devs, &guard, &n, &error);
        if (r < 0) {
                if (error)
                        log_error("%s: %s", path, error);
                return log_error_errno(r, "%s: not a usable device tree.", path);
        }
        printf("\n# %zu device%s that Linux would create from ", n, n == 1 ? "" : "s");
        fputs_cescaped(path, stdout);
        printf("\n%-32s %-8s %-40s %s\n", "DEVICE", "BUS", "DT PATH", "DECISION");
        for (size_t i = 0; i < n; i++) {
                const DeviceInfo *d = &devs[i];
                _cleanup_free_ char *name = cescape(d->name), *dtpath = cescape(d->of_fullname ?: "-"), *file = NULL;
                char why[1024];
                Decision dec;

                policy_decide(p, d, &dec);
                guard_describe(&guard[i], why, sizeof why);
                printf("%-32s %-8s %-40s ", strna(name), bus_to_string(d->bus), strna(dtpath));
                if (dec.rule)
                        file = cescape(dec.rule->file);
                if (!dec.rule)
                        printf("-\n");
                else if (dec.verdict == VERDICT_BIND && guard[i].reasons && !dec.rule->force) {
                        printf("refused: host-critical (rule %s would bind it)\n", dec.rule->name);
                        refused++;
                } else if (dec.verdict == VERDICT_BIND)
                        printf("bind to %s by %s (%s:%u)%s\n", dec.driver, dec.rule->name, strna(file), dec.rule->line,
                               guard[i].reasons ? ", forced" : "");
                else
                        printf("protected by %s (%s:%u)\n", dec.rule->name, strna(file), dec.rule->line);
                if (guard[i].reasons) {
                        printf("%-32s   host-critical: ", "");
                        fputs_cescaped(why, stdout);
                        putchar('\n');
                }
        }
        fflush(stdout);
        if (refused > 0)
                log_warning("warning: the policy selects %u host-critical device%s on this board; they are refused "
                            "unless their rule says force = yes.", refused, refused == 1 ? "" : "s");
        fdt_devices_free(devs, n);
        return 0;
}

typedef struct Warn {
        Engine *e;
        bool deprecation_said;
} Warn;

static int warn_one(const DeviceInfo *d, const Decision *dec, const GuardVerdict *v, void *userdata) {
        const Rule *rule = dec->rule;
        Warn *w = userdata;
        char why[1024];

        if (!w->deprecation_said && vfio_driver_deprecated(dec->driver, w->e->kernel_release, why, sizeof why)) {
                log_warning("%s:%u: warning: rule '%s' binds %s to %s, deprecated since Linux %s (this kernel: %s).",
                            rule->file, rule->line, rule->name, d->name, dec->driver, why, w->e->kernel_release);
                w->deprecation_said = true;
        }
        if (!v->reasons)
                return 0;
        guard_describe(v, why, sizeof why);
        if (rule->force)
                log_warning("%s:%u: warning: rule '%s' forces host-critical device %s to %s (force = yes): %s",
                            rule->file, rule->line, rule->name, d->name, dec->driver, why);
        else
                log_warning("%s:%u: warning: rule '%s' selects host-critical device %s; it is refused (add force = yes "
                            "to move it anyway): %s", rule->file, rule->line, rule->name, d->name, why);
        return 0;
}

/* A bind rule whose compatible pattern fits the console's or an IOMMU's: another board, or a
 * rule meant for the second of four UARTs, takes the host's device. */
static void warn_compatibles(Engine *e, const Policy *p, char * const *devices, const char *what) {
        for (char * const *name = devices; name && *name; name++) {
                _cleanup_device_info_ DeviceInfo *d = NULL;

                for (Bus b = 0; b < _BUS_MAX && !d; b++)
                        (void) sysfs_read_device(&e->sysfs, b, *name, &d);
                for (size_t i = 0; d && i < p->n_rules; i++) {
                        const Rule *r = p->rules[i];

                        if (r->action != RULE_BIND || r->force)
                                continue;
                        for (size_t j = 0; j < r->n_patterns[MATCH_COMPATIBLE]; j++)
                                STRV_FOREACH(c, d->compatibles)
                                        if (match_pattern(MATCH_COMPATIBLE, &r->patterns[MATCH_COMPATIBLE][j], *c)) {
                                                log_warning("%s:%u: warning: rule '%s': compatible '%s' matches %s %s "
                                                            "(%s): the guard refuses it here, but check the rule",
                                                            r->file, r->patterns[MATCH_COMPATIBLE][j].line, r->name,
                                                            r->patterns[MATCH_COMPATIBLE][j].value, what, *name, *c);
                                                goto next_rule;
                                        }
                next_rule:;
                }
        }
}

/* What the policy would take on this machine that the host needs. Only warnings: the exit status
 * is for policy errors. */
static void warn_host_critical(Context *c, const Policy *p) {
        EngineConfig config = c->engine;
        const Guard *g;
        Engine e;
        Warn w = { .e = &e };

        config.load_modules = false;
        if (engine_init(&e, c->root.fd, &config, false) < 0)
                return; /* no sysfs under this root: nothing to look at */
        (void) apply_foreach_selected(&e, p, warn_one, &w);
        g = engine_guard(&e);
        warn_compatibles(&e, p, g->console_devices, "the console");
        warn_compatibles(&e, p, g->iommu_devices, "the IOMMU");
        engine_done(&e);
}

int verb_check(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        int r;

        r = load_policy(c, strv_length(c->args) > 0 ? c->args : NULL, &p);
        if (r < 0)
                return EXIT_FAILED;

        printf("# %zu rule%s from %zu file%s\n", p->n_rules, p->n_rules == 1 ? "" : "s",
               strv_length(p->files), strv_length(p->files) == 1 ? "" : "s");
        STRV_FOREACH(f, p->files) {
                fputs("#   ", stdout);
                fputs_cescaped(*f, stdout);
                putchar('\n');
        }
        if (c->fdt)
                r = check_fdt(p, c->fdt);
        else {
                if (strv_length(c->args) == 0)
                        warn_host_critical(c, p);
                if (p->n_rules > 0)
                        putchar('\n');
                policy_dump(p, stdout);
        }
        if (fflush(stdout) != 0)
                r = -EIO;
        return r < 0 ? EXIT_FAILED : EXIT_SUCCESS;
}
