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
#include "builtin-driver.h"
#include "dtb.h"
#include "match.h"
#include "modules-builtin.h"
#include "strv.h"
#include "validate.h"

/* What check --fdt knows of each device of the DTB. */
typedef struct FdtRow {
        Decision dec;
        bool refused;           /* host-critical, and its rule does not force it */
        const char *module;     /* the built-in module that claims it, NULL when none is known */
        size_t module_len;
        const char *compatible; /* the compatible it claims it by */
        const char *initcall;   /* the module's init function, once looked up ("" when unknown) */
        char initcall_buf[128];
} FdtRow;

/* "/soc/gpio@9030000" → "gpio": the N of the kernel's "of:N<name>T<type>C<compatible>". */
static void node_name(const char *fullname, char *buf, size_t size) {
        const char *base = fullname ? strrchr(fullname, '/') : NULL;

        base = base ? base + 1 : strempty(fullname);
        snprintf(buf, size, "%.*s", (int) strcspn(base, "@"), base);
}

/* The boot window, offline: the running kernel's modules.builtin.modinfo under the root says
 * which node a built-in driver takes before the daemon can run. */
static void fdt_claims(const BuiltinModules *m, const DeviceInfo *devs, FdtRow *rows, size_t n) {
        for (size_t i = 0; i < n; i++) {
                char name[256];

                node_name(devs[i].of_fullname, name, sizeof name);
                rows[i].module = builtin_modules_claim_of(m, name, devs[i].compatibles, &rows[i].module_len,
                                                          &rows[i].compatible);
        }
}

static bool same_module(const FdtRow *a, const FdtRow *b) {
        return a->module && b->module && a->module_len == b->module_len &&
               strncmp(a->module, b->module, a->module_len) == 0;
}

/* The module also claims a node that stays on it: blacklisting its init call would take that too. */
static bool module_shared(const FdtRow *rows, size_t n, size_t self) {
        for (size_t j = 0; j < n; j++)
                if (j != self && same_module(&rows[j], &rows[self]) &&
                    (rows[j].dec.verdict != VERDICT_BIND || rows[j].refused))
                        return true;
        return false;
}

/* kallsyms is long: read once a module, not once a device. */
static const char *module_initcall(const Context *c, FdtRow *rows, size_t i, const char *module) {
        for (size_t j = 0; j < i; j++)
                if (rows[j].initcall && same_module(&rows[j], &rows[i]))
                        return rows[i].initcall = rows[j].initcall;
        builtin_initcall_find(c->root.fd, module, rows[i].initcall_buf, sizeof rows[i].initcall_buf);
        return rows[i].initcall = rows[i].initcall_buf;
}

static void print_window(const Context *c, FdtRow *rows, size_t n, size_t i) {
        BuiltinDriver b = { .builtin = true, .shared = module_shared(rows, n, i) };
        char module[DRIVER_NAME_MAX + 1], remedy[512];

        snprintf(module, sizeof module, "%.*s", (int) rows[i].module_len, rows[i].module);
        snprintf(b.initcall, sizeof b.initcall, "%s", module_initcall(c, rows, i, module));
        builtin_driver_remedy(&b, module, remedy, sizeof remedy);
        printf("%-32s   boot window: taken at boot by built-in ", "");
        fputs_cescaped(module, stdout);
        fputs(" (it claims ", stdout);
        fputs_cescaped(rows[i].compatible, stdout);
        fputs("), rebound after; remedy: ", stdout);
        fputs_cescaped(remedy, stdout);
        putchar('\n');
}

static void print_row(const DeviceInfo *d, const FdtRow *row, const GuardVerdict *guard) {
        _cleanup_free_ char *name = cescape(d->name), *dtpath = cescape(d->of_fullname ?: "-"), *file = NULL;
        const Rule *rule = row->dec.rule;

        printf("%-32s %-8s %-40s ", strna(name), bus_to_string(d->bus), strna(dtpath));
        if (rule)
                file = cescape(rule->file);
        if (!rule)
                printf("-\n");
        else if (row->refused)
                printf("refused: host-critical (rule %s would bind it)\n", rule->name);
        else if (row->dec.verdict == VERDICT_BIND)
                printf("bind to %s by %s (%s:%u)%s\n", row->dec.driver, rule->name, strna(file), rule->line,
                       guard->reasons ? ", forced" : "");
        else
                printf("protected by %s (%s:%u)\n", rule->name, strna(file), rule->line);
        if (guard->reasons) {
                char why[1024];

                guard_describe(guard, why, sizeof why);
                printf("%-32s   host-critical: ", "");
                fputs_cescaped(why, stdout);
                putchar('\n');
        }
}

/* The running kernel's built-in modules under the root; says which, or why the window is not
 * predicted. A file without any "of:" alias is a kernel from before the generated aliases (6.18):
 * saying nothing would read as "no window". */
static int load_builtin(const Context *c, BuiltinModules *ret) {
        char release[65], escaped[4 * sizeof release];
        int r;

        kernel_release_read(c->root.fd, release, sizeof release);
        cescape_buf(release, escaped, sizeof escaped);
        r = builtin_modules_load(c->root.fd, release, ret);
        if (r >= 0 && ret->n_of_aliases > 0) {
                printf("# Boot window from /lib/modules/%s/modules.builtin.modinfo (%zu of: aliases)\n", escaped,
                       ret->n_of_aliases);
                return 0;
        }
        if (r >= 0)
                printf("# /lib/modules/%s/modules.builtin.modinfo has no of: aliases (kernels before 6.18 do not "
                       "record built-in drivers' match tables): the boot window of built-in drivers is not "
                       "predicted\n", escaped);
        else
                printf("# No /lib/modules/%s/modules.builtin.modinfo%s%s: the boot window of built-in drivers is not "
                       "predicted\n", escaped, r == -ENOENT ? "" : ": ", r == -ENOENT ? "" : strerror(-r));
        return r < 0 ? r : -ENODATA;
}

/* The devices a kernel would create from a DTB, and what the policy says of each; what comes
 * from the DTB is escaped (escape.h). */
static int check_fdt(const Context *c, const Policy *p, const char *path) {
        _cleanup_free_ char *error = NULL;
        _cleanup_free_ void *blob = NULL;
        _cleanup_free_ GuardVerdict *guard = NULL;
        _cleanup_free_ FdtRow *rows = NULL;
        _cleanup_(builtin_modules_done) BuiltinModules mods = {};
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
        rows = calloc(n ?: 1, sizeof(FdtRow));
        if (!rows) {
                fdt_devices_free(devs, n);
                return log_oom();
        }
        for (size_t i = 0; i < n; i++) {
                policy_decide(p, &devs[i], &rows[i].dec);
                rows[i].refused = rows[i].dec.verdict == VERDICT_BIND && guard[i].reasons && !rows[i].dec.rule->force;
                refused += rows[i].refused;
        }
        printf("\n# %zu device%s that Linux would create from ", n, n == 1 ? "" : "s");
        fputs_cescaped(path, stdout);
        putchar('\n');
        if (load_builtin(c, &mods) >= 0)
                fdt_claims(&mods, devs, rows, n);
        printf("%-32s %-8s %-40s %s\n", "DEVICE", "BUS", "DT PATH", "DECISION");
        for (size_t i = 0; i < n; i++) {
                print_row(&devs[i], &rows[i], &guard[i]);
                if (rows[i].module && rows[i].dec.verdict == VERDICT_BIND && !rows[i].refused)
                        print_window(c, rows, n, i);
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
                r = check_fdt(c, p, c->fdt);
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
