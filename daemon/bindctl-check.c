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
        size_t n_claims;        /* the built-in modules that claim it */
        BuiltinClaim claims[BUILTIN_CLAIMS_MAX];
        size_t module[BUILTIN_CLAIMS_MAX]; /* their index in FdtModules */
} FdtRow;

/* Each built-in module that claims a node of the board, once. */
typedef struct FdtModule {
        char name[DRIVER_NAME_MAX + 1];
        bool keeps_one;         /* it claims a node that stays on it */
        bool looked_up;         /* initcall is known (kallsyms is long: read once a module) */
        char initcall[128];
} FdtModule;

typedef struct FdtModules {
        FdtModule *modules;
        size_t n;
} FdtModules;

/* "/soc/gpio@9030000" → "gpio": the N of the kernel's "of:N<name>T<type>C<compatible>". */
static void node_name(const char *fullname, char *buf, size_t size) {
        const char *base = fullname ? strrchr(fullname, '/') : NULL;

        base = base ? base + 1 : strempty(fullname);
        snprintf(buf, size, "%.*s", (int) strcspn(base, "@"), base);
}

static size_t module_index(FdtModules *mods, const BuiltinClaim *claim) {
        char name[DRIVER_NAME_MAX + 1];
        size_t i;

        snprintf(name, sizeof name, "%.*s", (int) claim->module_len, claim->module);
        for (i = 0; i < mods->n && !streq(mods->modules[i].name, name); i++)
                ;
        if (i == mods->n)
                snprintf(mods->modules[mods->n++].name, sizeof mods->modules[i].name, "%s", name);
        return i;
}

/* The boot window, offline: the running kernel's modules.builtin.modinfo under the root says
 * which built-in drivers take a node before the daemon can run, and which of them also claim a
 * node that stays, so that blacklisting their init call would take that too. */
static int fdt_claims(const BuiltinModules *m, const DeviceInfo *devs, FdtRow *rows, size_t n, FdtModules *ret) {
        FdtModules mods = { .modules = calloc(n * BUILTIN_CLAIMS_MAX + 1, sizeof(FdtModule)) };

        if (!mods.modules)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char name[256];

                node_name(devs[i].of_fullname, name, sizeof name);
                rows[i].n_claims = builtin_modules_claim_of(m, name, devs[i].compatibles, rows[i].claims,
                                                            BUILTIN_CLAIMS_MAX);
                for (size_t k = 0; k < rows[i].n_claims; k++) {
                        rows[i].module[k] = module_index(&mods, &rows[i].claims[k]);
                        if (rows[i].dec.verdict != VERDICT_BIND || rows[i].refused)
                                mods.modules[rows[i].module[k]].keeps_one = true;
                }
        }
        *ret = mods;
        return 0;
}

static void fdt_modules_done(FdtModules *m) {
        free(m->modules);
}

static void print_window(const Context *c, const FdtRow *row, FdtModules *mods) {
        for (size_t k = 0; mods->modules && k < row->n_claims; k++) {
                FdtModule *mod = &mods->modules[row->module[k]];
                BuiltinDriver b = { .builtin = true, .shared = mod->keeps_one };
                char remedy[512];

                if (!mod->looked_up)
                        builtin_initcall_find(c->root.fd, mod->name, mod->initcall, sizeof mod->initcall);
                mod->looked_up = true;
                snprintf(b.initcall, sizeof b.initcall, "%s", mod->initcall);
                builtin_driver_remedy(&b, mod->name, remedy, sizeof remedy);
                printf("%-32s   boot window: %s ", "", k == 0 ? "taken at boot by built-in" : "or by built-in");
                fputs_cescaped(mod->name, stdout);
                fputs(" (it claims ", stdout);
                fputs_cescaped(row->claims[k].compatible, stdout);
                fputs(k == 0 ? "), rebound after; remedy: " : "), whichever registers first; remedy: ", stdout);
                fputs_cescaped(remedy, stdout);
                putchar('\n');
        }
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
        _cleanup_(builtin_modules_done) BuiltinModules builtin = {};
        _cleanup_(fdt_modules_done) FdtModules mods = {};
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
        if (load_builtin(c, &builtin) >= 0 && fdt_claims(&builtin, devs, rows, n, &mods) < 0) {
                fdt_devices_free(devs, n);
                return log_oom();
        }
        printf("%-32s %-8s %-40s %s\n", "DEVICE", "BUS", "DT PATH", "DECISION");
        for (size_t i = 0; i < n; i++) {
                print_row(&devs[i], &rows[i], &guard[i]);
                if (rows[i].dec.verdict == VERDICT_BIND && !rows[i].refused)
                        print_window(c, &rows[i], &mods);
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

/* Above this many rules that the index cannot anchor, every device costs that many matches. */
#define UNINDEXED_WARN 256

/* Rules with no literal start or end on any indexed key (only "*"-ended globs, or only keys that
 * are not indexed such as bus =): each one is tried on every device, at every event. */
static void warn_unindexed(const Policy *p) {
        size_t n = match_index_unindexed(p->index);

        if (n > UNINDEXED_WARN)
                log_warning("warning: %zu rules have no literal start or end in any device, compatible, path or "
                            "pci-id value (e.g. only \"vendor*\" patterns, or only bus =): each of them is tried on "
                            "every device. Above %d, give them an exact value or a literal prefix or suffix.",
                            n, UNINDEXED_WARN);
}

int verb_check(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        int r;

        r = load_policy(c, strv_length(c->args) > 0 ? c->args : NULL, &p);
        if (r < 0)
                return EXIT_FAILED;

        printf("# %zu rule%s from %zu file%s\n", p->n_rules, p->n_rules == 1 ? "" : "s",
               strv_length(p->files), strv_length(p->files) == 1 ? "" : "s");
        warn_unindexed(p);
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
