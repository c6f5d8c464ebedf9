/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl: the administrator's tool. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "diag.h"
#include "dtb.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "policy-load.h"
#include "report.h"
#include "rules-file.h"
#include "udev-rules.h"
#include "status.h"
#include "strv.h"
#include "validate.h"

/* Exit codes, as documented in vfio-platform-bindctl(8). */
enum {
        EXIT_FAILED = 1,        /* the policy is invalid, or an operation failed */
        EXIT_USAGE = 2,         /* bad command line, unknown device */
};

typedef struct Context {
        Root root;
        char **args;            /* the command's arguments */
        bool json, dry_run, early, persist, all, load_modules;
        const char *driver;
        const char *fdt;
        const char *by;
        const char *output;
        EngineConfig engine;
} Context;

static void help(void) {
        printf("Usage: %s [OPTIONS] COMMAND [ARGS]\n\n"
               "Bind platform devices to vfio-platform as the policy in\n"
               "/etc/vfio-platform-bind.d/*.conf says.\n\n"
               "Commands:\n"
               "  status [--json] [DEVICE...]  Devices, their drivers, and what the policy says\n"
               "  explain DEVICE               Why the policy selects DEVICE or not, and what\n"
               "                               would stop its bind\n"
               "  check [--fdt=DTB] [FILE...]  Validate the policy (or just these files) and\n"
               "                               print the effective rules with their origin;\n"
               "                               with --fdt, the devices Linux would create from\n"
               "                               DTB and what the policy decides for each\n"
               "  apply [--dry-run] [--early]  Bring every device where the policy says, once\n"
               "  bind DEVICE [--driver=NAME] [--persist]\n"
               "                               Bind DEVICE now; --persist also writes a rule\n"
               "  restore DEVICE...|--all      Give devices back to the driver they had\n"
               "  generate [--by=device|path|compatible]\n"
               "                               Print a policy selecting the devices that are\n"
               "                               on vfio-platform or vfio-amba now\n"
               "  generate-rules [--output=-]  Compile the policy into the early udev rule\n"
               "                               /run/udev/rules.d/60-vfio-platform-bind.rules\n\n"
               "Options:\n"
               "  -h --help                    Show this help\n"
               "     --version                 Show the version\n"
               "     --root=DIR                Take every path (policy, /sys, /run) under DIR\n"
               "     --no-load-modules         Never load a target driver's module\n",
               program_invocation_short_name);
}

static int load_policy(Context *c, char * const *files, Policy **ret) {
        Diagnostics d = {};
        int r;

        r = policy_load(&c->root, files, ret, &d);
        diagnostics_print(&d, stderr);
        diagnostics_clear(&d);
        if (r == -EINVAL)
                return log_error_errno(r, "The policy is invalid.");
        if (r < 0)
                return log_error_errno(r, "Failed to load the policy: %m");
        return 0;
}

static int open_engine(Context *c, Engine *e) {
        EngineConfig config = c->engine;
        int r;

        config.load_modules = c->load_modules;
        r = engine_init(e, c->root.fd, &config, true);
        if (r < 0)
                return log_error_errno(r, "Cannot open sysfs and the state directory under %s: %m", c->root.path);
        return 0;
}

/* A device by name, on the platform bus or else on the amba bus. */
static int find_device(Engine *e, const char *name, DeviceInfo **ret) {
        int r = -ENODEV;

        if (!device_name_is_valid(name)) {
                log_error("Invalid device name '%s': a device name is 1-%d printable characters without '/' and is "
                          "not '.' or '..'.", name, DEVICE_NAME_MAX);
                return -EINVAL;
        }
        for (Bus bus = 0; bus < _BUS_MAX && r == -ENODEV; bus++)
                r = sysfs_read_device(&e->sysfs, bus, name, ret);
        if (r == -ENODEV)
                log_error("No device '%s' on any bus.", name);
        else if (r < 0)
                log_error_errno(r, "Cannot read device '%s': %m", name);
        return r;
}

/* The devices a kernel would create from a DTB, and what the policy says of each. */
static int check_fdt(const Policy *p, const char *path) {
        _cleanup_free_ char *error = NULL;
        _cleanup_free_ void *blob = NULL;
        DeviceInfo *devs = NULL;
        size_t size, n = 0;
        int r;

        r = fdt_read_file(path, &blob, &size);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", path);
        r = fdt_list_devices(blob, size, &devs, &n, &error);
        if (r < 0) {
                if (error)
                        log_error("%s: %s", path, error);
                return log_error_errno(r, "%s: not a usable device tree.", path);
        }
        printf("\n# %zu device%s that Linux would create from %s\n", n, n == 1 ? "" : "s", path);
        printf("%-32s %-8s %-40s %s\n", "DEVICE", "BUS", "DT PATH", "DECISION");
        for (size_t i = 0; i < n; i++) {
                const DeviceInfo *d = &devs[i];
                Decision dec;

                policy_decide(p, d, &dec);
                printf("%-32s %-8s %-40s ", d->name, bus_to_string(d->bus), d->of_fullname ?: "-");
                if (!dec.rule)
                        printf("-\n");
                else if (dec.verdict == VERDICT_BIND)
                        printf("bind to %s by %s (%s:%u)\n", dec.driver, dec.rule->name, dec.rule->file, dec.rule->line);
                else
                        printf("protected by %s (%s:%u)\n", dec.rule->name, dec.rule->file, dec.rule->line);
        }
        fdt_devices_free(devs, n);
        return 0;
}

static int verb_check(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        int r;

        r = load_policy(c, strv_length(c->args) > 0 ? c->args : NULL, &p);
        if (r < 0)
                return EXIT_FAILED;

        printf("# %zu rule%s from %zu file%s\n", p->n_rules, p->n_rules == 1 ? "" : "s",
               strv_length(p->files), strv_length(p->files) == 1 ? "" : "s");
        STRV_FOREACH(f, p->files)
                printf("#   %s\n", *f);
        if (c->fdt)
                r = check_fdt(p, c->fdt);
        else {
                if (p->n_rules > 0)
                        putchar('\n');
                policy_dump(p, stdout);
        }
        if (fflush(stdout) != 0)
                r = -EIO;
        return r < 0 ? EXIT_FAILED : EXIT_SUCCESS;
}

/* Takes @d; frees it when it cannot be appended. */
static int devices_append(DeviceInfo ***devs, size_t *n, DeviceInfo *d) {
        DeviceInfo **nd = reallocarray(*devs, *n + 1, sizeof(DeviceInfo *));

        if (!nd) {
                device_info_free(d);
                return log_oom();
        }
        nd[(*n)++] = d;
        *devs = nd;
        return 0;
}

/* Every device of every bus, or just the named ones. */
static int collect_devices(Context *c, Engine *e, DeviceInfo ***ret, size_t *ret_n) {
        DeviceInfo **devs = NULL;
        size_t n = 0;
        int r = 0;

        STRV_FOREACH(a, c->args) {
                DeviceInfo *d = NULL;

                r = find_device(e, *a, &d);
                if (r >= 0)
                        r = devices_append(&devs, &n, d);
                if (r < 0)
                        break;
        }
        for (Bus bus = 0; bus < _BUS_MAX && r >= 0 && strv_length(c->args) == 0; bus++) {
                _cleanup_strv_free_ char **names = NULL;

                r = sysfs_list_devices(&e->sysfs, bus, &names);
                if (r < 0) {
                        log_error_errno(r, "Cannot list %s devices: %m", bus_to_string(bus));
                        break;
                }
                STRV_FOREACH(name, names) {
                        DeviceInfo *d = NULL;

                        if (sysfs_read_device(&e->sysfs, bus, *name, &d) < 0)
                                continue; /* gone meanwhile */
                        r = devices_append(&devs, &n, d);
                        if (r < 0)
                                break;
                }
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        device_info_free(devs[i]);
                free(devs);
                return r;
        }
        *ret = devs;
        *ret_n = n;
        return 0;
}

static int verb_status(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        DeviceInfo **devs = NULL;
        DeviceRecord *recs = NULL;
        IommuGroup *groups = NULL;
        StatusRow *rows = NULL;
        Engine e;
        size_t n = 0;
        int r;

        if (load_policy(c, NULL, &p) < 0)
                return EXIT_FAILED;
        c->load_modules = false;
        if (open_engine(c, &e) < 0)
                return EXIT_FAILED;
        r = collect_devices(c, &e, &devs, &n);
        if (r < 0) {
                engine_done(&e);
                return r == -ENODEV || r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
        }

        rows = calloc(n ?: 1, sizeof(StatusRow));
        recs = calloc(n ?: 1, sizeof(DeviceRecord));
        groups = calloc(n ?: 1, sizeof(IommuGroup));
        if (!rows || !recs || !groups) {
                r = log_oom();
                goto finish;
        }
        for (size_t i = 0; i < n; i++) {
                rows[i].device = devs[i];
                rows[i].group = &groups[i];
                r = apply_decide(&e, p, devs[i], &groups[i], &rows[i].decision);
                if (r < 0)
                        log_warning_errno(r, "Cannot read the IOMMU group of %s: %m", devs[i]->name);
                if (state_load(e.state_fd, devs[i]->bus, devs[i]->name, &recs[i]) < 0)
                        recs[i] = (DeviceRecord) {};
                rows[i].state = status_state(devs[i], &rows[i].decision, recs[i].status);
                rows[i].reason = streq(rows[i].state, "failed") ? recs[i].reason : NULL;
        }
        if (c->json)
                status_print_json(stdout, rows, n);
        else
                status_print_table(stdout, rows, n, isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !streq_ptr(getenv("TERM"), "dumb"));
        r = 0;
finish:
        for (size_t i = 0; i < n; i++) {
                device_info_free(devs[i]);
                if (recs)
                        device_record_done(&recs[i]);
                if (groups)
                        iommu_group_done(&groups[i]);
        }
        free(devs);
        free(recs);
        free(groups);
        free(rows);
        engine_done(&e);
        return r < 0 ? EXIT_FAILED : EXIT_SUCCESS;
}

static void print_fact(const char *label, const char *value) {
        printf("  %-16s %s\n", label, value);
}

static int verb_explain(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        _cleanup_device_info_ DeviceInfo *d = NULL;
        _cleanup_(iommu_group_done) IommuGroup group = {};
        Decision dec;
        Engine e;
        int r;

        if (load_policy(c, NULL, &p) < 0)
                return EXIT_FAILED;
        c->load_modules = true; /* only for looking up modules: nothing is loaded here */
        if (open_engine(c, &e) < 0)
                return EXIT_FAILED;
        r = find_device(&e, c->args[0], &d);
        if (r < 0) {
                engine_done(&e);
                return r == -ENODEV || r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
        }

        printf("Device %s (%s bus)\n", d->name, bus_to_string(d->bus));
        print_fact("DT path:", d->of_fullname ?: "(no device tree node)");
        STRV_FOREACH(s, d->compatibles)
                print_fact(s == d->compatibles ? "compatible:" : "", *s);
        if (!d->compatibles)
                print_fact("compatible:", "(none)");
        print_fact("driver:", d->driver ?: "(none)");
        print_fact("override:", d->override ?: "(none)");
        print_fact("IOMMU group:", d->iommu_group ?: "(none)");
        if (apply_decide(&e, p, d, &group, &dec) < 0)
                policy_decide(p, d, &dec);
        if (group.id) {
                printf("  %-16s ", "group members:");
                status_print_group(stdout, &group);
        }
        printf("\nRules, in order (the first that matches decides):\n");
        if (p->n_rules == 0)
                printf("  (the policy has no rules)\n");
        for (size_t i = 0; i < p->n_rules; i++) {
                const Rule *rule = p->rules[i];
                MatchKey k = rule_first_mismatch(rule, d);

                printf("  %s (%s:%u): ", rule->name, rule->file, rule->line);
                if (dec.rule && rule->index > dec.rule->index)
                        printf("not reached\n");
                else if (k == _MATCH_KEY_MAX)
                        printf("MATCHES: %s\n", rule->action == RULE_IGNORE ? "ignore" : "bind");
                else
                        printf("%s does not match\n", match_key_to_string(k));
        }

        printf("\nDecision: ");
        if (dec.verdict == VERDICT_NONE || !dec.rule)
                printf("no rule selects it: left alone\n");
        else if (dec.verdict == VERDICT_IGNORE)
                printf("protected by rule %s: left alone\n", dec.rule->name);
        else {
                char why[512];
                BindFacts f;

                printf("bind to %s by rule %s\n", dec.driver, dec.rule->name);
                engine_collect_facts(&e, d, dec.driver, &f);
                f.now_bound = NULL;
                printf("\nWhat binding it takes:\n");
                print_fact("driver:", f.target_registered ? "registered" : "not registered (the module is loaded on bind)");
                if (driver_is_vfio(dec.driver)) {
                        print_fact("IOMMU group:", f.has_iommu_group ? d->iommu_group :
                                                   f.noiommu == 1 ? "none, but no-IOMMU mode is on" :
                                                   "none yet (a device behind an IOMMU gets one at its first probe)");
                        print_fact("reset module:", f.reset_module == 1 ? "available" :
                                                    f.reset_module == 0 ? "none" : "unknown");
                        print_fact("reset_required:", f.reset_required == 1 ? "Y" : f.reset_required == 0 ? "N" : "unknown (module not loaded)");
                        print_fact("kernel:", f.kernel_release);
                }
                if (streq_ptr(d->driver, dec.driver))
                        printf("\nIt is bound to %s.\n", dec.driver);
                else if (f.target_registered && diagnose_blocker(&f, why, sizeof why))
                        printf("\nThis will stop it: %s\n", why);
                else if (!f.target_registered)
                        printf("\nNothing known stops it once %s is loaded.\n", dec.driver);
                else
                        printf("\nNothing known stops it.\n");
        }
        engine_done(&e);
        return EXIT_SUCCESS;
}

static int verb_apply(Context *c) {
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

/* "a003e00.virtio_mmio" → a rule name; device names may hold characters rule names may not. */
static void rule_name_for(const char *prefix, const char *s, char *buf, size_t size) {
        size_t n = snprintf(buf, size, "%s", prefix);

        for (; *s && n + 1 < size && n < RULE_NAME_MAX; s++)
                buf[n++] = strchr("_.:@+-", *s) || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                                           (*s >= '0' && *s <= '9') ? *s : '_';
        buf[n] = '\0';
}

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

static int verb_bind(Context *c) {
        _cleanup_device_info_ DeviceInfo *d = NULL;
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
        r = find_device(&e, c->args[0], &d);
        if (r < 0) {
                engine_done(&e);
                return r == -ENODEV || r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
        }
        driver = c->driver ?: bus_default_driver(d->bus);
        r = engine_bind(&e, d, driver, "manual (vfio-platform-bindctl bind)", &rep);
        engine_done(&e);
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

static int verb_restore(Context *c) {
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

        for (Bus bus = 0; bus < _BUS_MAX && c->all; bus++) {
                _cleanup_strv_free_ char **names = NULL;

                if (sysfs_list_devices(&e.sysfs, bus, &names) < 0)
                        continue;
                STRV_FOREACH(name, names) {
                        _cleanup_device_info_ DeviceInfo *d = NULL;
                        DeviceRecord rec = {};

                        if (state_load(e.state_fd, bus, *name, &rec) < 0)
                                continue; /* not one of ours */
                        device_record_done(&rec);
                        if (sysfs_read_device(&e.sysfs, bus, *name, &d) >= 0)
                                failed += restore_one(c, &e, p, d) < 0;
                }
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

static int verb_generate(Context *c) {
        _cleanup_strv_free_ char **seen = NULL;
        DeviceInfo **devs = NULL;
        size_t n = 0;
        Engine e;
        int r;

        if (!streq(c->by, "device") && !streq(c->by, "path") && !streq(c->by, "compatible")) {
                log_error("--by= takes device, path or compatible.");
                return EXIT_USAGE;
        }
        c->load_modules = false;
        if (open_engine(c, &e) < 0)
                return EXIT_FAILED;
        r = collect_devices(c, &e, &devs, &n);
        if (r < 0) {
                engine_done(&e);
                return EXIT_FAILED;
        }
        printf("# Generated by vfio-platform-bindctl generate --by=%s: the devices on\n"
               "# vfio-platform or vfio-amba now. Review, then save as\n"
               "# /etc/vfio-platform-bind.d/50-generated.conf\n", c->by);
        for (size_t i = 0; i < n; i++) {
                const DeviceInfo *d = devs[i];
                const char *key = c->by, *value = streq(c->by, "device") ? d->name :
                                                  streq(c->by, "path") ? d->of_fullname :
                                                  d->compatibles ? d->compatibles[0] : NULL;
                char name[RULE_NAME_MAX + 1];

                if (!driver_is_vfio(d->driver))
                        continue;
                if (!value || glob_has_magic(value) ||
                    (streq(key, "compatible") ? compatible_check(value) : streq(key, "path") ? dt_path_check(value) : NULL)) {
                        printf("\n# %s: no usable %s, skipped\n", d->name, key);
                        continue;
                }
                if (strv_contains(seen, value))
                        continue;
                if (strv_extend(&seen, value) < 0) {
                        r = log_oom();
                        break;
                }
                rule_name_for("", streq(key, "device") ? d->name : value, name, sizeof name);
                printf("\n[%s]\n%s = %s\ndriver = %s\n", name, key, value, d->driver);
        }
        for (size_t i = 0; i < n; i++)
                device_info_free(devs[i]);
        free(devs);
        engine_done(&e);
        return r < 0 ? EXIT_FAILED : EXIT_SUCCESS;
}

/* The early udev rule, compiled from the policy: to stdout with --output=-, else installed. */
static int verb_generate_rules(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        Diagnostics d = {};
        int r;

        if (load_policy(c, NULL, &p) < 0)
                return EXIT_FAILED;
        if (c->output && streq(c->output, "-"))
                r = udev_rules_generate(p, stdout, &d);
        else
                r = udev_rules_install(c->root.fd, p, &d);
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

static const struct {
        const char *name;
        int (*run)(Context *c);
        size_t min_args, max_args;
} verbs[] = {
        { "check", verb_check, 0, SIZE_MAX },
        { "status", verb_status, 0, SIZE_MAX },
        { "explain", verb_explain, 1, 1 },
        { "apply", verb_apply, 0, 0 },
        { "bind", verb_bind, 1, 1 },
        { "restore", verb_restore, 0, SIZE_MAX },
        { "generate", verb_generate, 0, 0 },
        { "generate-rules", verb_generate_rules, 0, 0 },
};

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_ROOT, ARG_JSON, ARG_DRY_RUN, ARG_EARLY, ARG_DRIVER, ARG_PERSIST, ARG_ALL,
               ARG_BY, ARG_NO_LOAD, ARG_FDT, ARG_OUTPUT };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "root", required_argument, NULL, ARG_ROOT },
                { "json", no_argument, NULL, ARG_JSON },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "early", no_argument, NULL, ARG_EARLY },
                { "driver", required_argument, NULL, ARG_DRIVER },
                { "persist", no_argument, NULL, ARG_PERSIST },
                { "all", no_argument, NULL, ARG_ALL },
                { "by", required_argument, NULL, ARG_BY },
                { "no-load-modules", no_argument, NULL, ARG_NO_LOAD },
                { "fdt", required_argument, NULL, ARG_FDT },
                { "output", required_argument, NULL, ARG_OUTPUT },
                {}
        };
        Context c = {
                .root = { .fd = -EBADF, .path = "/" },
                .load_modules = true,
                .by = "device",
                .engine = ENGINE_CONFIG_DEFAULT,
        };
        const char *verb;
        int opt, r;

        log_setup();
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_VERSION:
                        puts(PACKAGE_STRING);
                        return EXIT_SUCCESS;
                case ARG_ROOT:
                        c.root.path = optarg;
                        break;
                case ARG_JSON:
                        c.json = true;
                        break;
                case ARG_DRY_RUN:
                        c.dry_run = true;
                        break;
                case ARG_EARLY:
                        c.early = true;
                        break;
                case ARG_DRIVER:
                        c.driver = optarg;
                        break;
                case ARG_PERSIST:
                        c.persist = true;
                        break;
                case ARG_ALL:
                        c.all = true;
                        break;
                case ARG_BY:
                        c.by = optarg;
                        break;
                case ARG_NO_LOAD:
                        c.load_modules = false;
                        break;
                case ARG_FDT:
                        c.fdt = optarg;
                        break;
                case ARG_OUTPUT:
                        if (!streq(optarg, "-")) {
                                log_error("--output= takes only '-' (standard output).");
                                return EXIT_USAGE;
                        }
                        c.output = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }

        if (optind >= argc) {
                log_error("A command is needed; see --help.");
                return EXIT_USAGE;
        }
        verb = argv[optind];

        c.root.fd = open(c.root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c.root.fd < 0) {
                log_error_errno(errno, "Cannot open root directory %s: %m", c.root.path);
                return EXIT_USAGE;
        }

        r = -1;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                size_t n = (size_t) (argc - optind - 1);

                if (!streq(verb, verbs[i].name))
                        continue;
                if (n < verbs[i].min_args || n > verbs[i].max_args) {
                        log_error("Wrong number of arguments for '%s'; see --help.", verbs[i].name);
                        r = EXIT_USAGE;
                        break;
                }
                c.args = argv + optind + 1;
                r = verbs[i].run(&c);
                break;
        }
        if (r < 0) {
                log_error("Unknown command '%s'; see --help.", verb);
                r = EXIT_USAGE;
        }
        close(c.root.fd);
        return r;
}
