/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl explain DEVICE: why the policy selects it or not, and what would stop its bind. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bindctl.h"
#include "status.h"
#include "strv.h"

/* Values come from sysfs and the device tree: escaped (escape.h). */
static void print_fact(const char *label, const char *value) {
        printf("  %-16s ", label);
        fputs_cescaped(value, stdout);
        putchar('\n');
}

static void print_stop(const char *why) {
        fputs("\nThis will stop it: ", stdout);
        fputs_cescaped(why, stdout);
        putchar('\n');
}

int verb_explain(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        _cleanup_device_info_ DeviceInfo *d = NULL;
        _cleanup_(iommu_group_done) IommuGroup group = {};
        GuardVerdict guard = {};
        char why[1024];
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

        fputs("Device ", stdout);
        fputs_cescaped(d->name, stdout);
        printf(" (%s bus)\n", bus_to_string(d->bus));
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
        if (guard_check(engine_guard(&e), &e.sysfs, d, &guard) >= 0 && guard.reasons) {
                guard_describe(&guard, why, sizeof why);
                print_fact("host-critical:", why);
        }
        printf("\nRules, in order (the first that matches decides):\n");
        if (p->n_rules == 0)
                printf("  (the policy has no rules)\n");
        for (size_t i = 0; i < p->n_rules; i++) {
                const Rule *rule = p->rules[i];
                MatchKey k = rule_first_mismatch(rule, d);

                printf("  %s (", rule->name);
                fputs_cescaped(rule->file, stdout);
                printf(":%u): ", rule->line);
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
                BindFacts f;

                printf("bind to %s by rule %s\n", dec.driver, dec.rule->name);
                {
                        DeviceRecord rec = {};
                        _cleanup_free_ char *window = NULL;

                        if (state_load(e.state_fd, d->bus, d->name, &rec) < 0)
                                rec = (DeviceRecord) {};
                        window = boot_window(c, &e, d, &dec, rec.previous_driver);
                        if (window) {
                                fputs("Boot window: ", stdout);
                                fputs_cescaped_text(window, stdout);
                                putchar('\n');
                        }
                        device_record_done(&rec);
                }
                if (vfio_driver_deprecated(dec.driver, e.kernel_release, why, sizeof why)) {
                        char release[4 * sizeof e.kernel_release];

                        printf("Warning: %s is deprecated since Linux %s (this kernel: %s); it may go in a later "
                               "release.\n", dec.driver, why, cescape_buf(e.kernel_release, release, sizeof release));
                }
                engine_collect_facts(&e, d, dec.driver, &f);
                f.now_bound = NULL;
                printf("\nWhat binding it takes:\n");
                print_fact("driver:", f.target_registered ? "registered" : "not registered (the module is loaded on bind)");
                if (driver_is_vfio(dec.driver) && !bus_table[d->bus].reset_by_compatible)
                        print_fact("IOMMU group:", f.has_iommu_group ? d->iommu_group :
                                                   "none yet (a PCI device gets one at its first probe)");
                else if (driver_is_vfio(dec.driver)) {
                        print_fact("IOMMU group:", f.has_iommu_group ? d->iommu_group :
                                                   f.noiommu == 1 ? "none, but no-IOMMU mode is on" :
                                                   "none yet (a device behind an IOMMU gets one at its first probe)");
                        print_fact("reset module:", f.reset_module == 1 ? "available" :
                                                    f.reset_module == 0 ? "none" : "unknown");
                        print_fact("reset_required:", f.reset_required == 1 ? "Y" : f.reset_required == 0 ? "N" : "unknown (module not loaded)");
                        print_fact("kernel:", f.kernel_release);
                }
                if (guard.reasons && !dec.rule->force && !streq_ptr(d->driver, dec.driver))
                        printf("\nThis will stop it: host-critical, the daemon leaves it on its driver (force = yes in "
                               "rule %s would move it)\n", dec.rule->name);
                else if (group.id && dec.rule->group == GROUP_STRICT &&
                    iommu_group_explain_blockers(&group, dec.rule->name, why, sizeof why))
                        print_stop(why);
                else if (streq_ptr(d->driver, dec.driver))
                        printf("\nIt is bound to %s.\n", dec.driver);
                else if (f.target_registered && diagnose_blocker(&f, why, sizeof why))
                        print_stop(why);
                else if (!f.target_registered)
                        printf("\nNothing known stops it once %s is loaded.\n", dec.driver);
                else
                        printf("\nNothing known stops it.\n");
        }
        engine_done(&e);
        return EXIT_SUCCESS;
}
