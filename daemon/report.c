/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "report.h"

static DeviceState report_bind(const char *bus, const char *name, const ApplyResult *res, bool dry_run,
                               DeviceState previous) {
        const Rule *rule = res->decision.rule;
        const char *target = res->decision.driver;
        char desc[256];

        if (res->report.record_error < 0)
                log_device_full_errno(LOG_WARNING, res->report.record_error, bus, name, rule,
                                      "its state record could not be written (%m): a restore will not know its "
                                      "previous driver");
        switch (res->report.status) {
        case BIND_ALREADY:
                log_device(LOG_DEBUG, bus, name, rule, "already on %s", target);
                return STATE_BOUND;
        case BIND_DONE:
                rule_describe(rule, desc, sizeof desc); /* here only: not for every device of a pass */
                log_device(LOG_INFO, bus, name, rule, "%s to %s by rule %s (was %s)", dry_run ? "would bind" : "bound",
                           target, desc, res->was ?: "unbound");
                return STATE_BOUND;
        case BIND_PINNED:
                rule_describe(rule, desc, sizeof desc);
                log_device(LOG_INFO, bus, name, rule, "pinned to %s by rule %s (was %s): it binds when probed", target,
                           desc, res->was ?: "unbound");
                return STATE_BOUND;
        case BIND_REFUSED:
                if (previous != STATE_REFUSED)
                        log_device(LOG_WARNING, bus, name, rule, "not bound to %s: %s", target, res->report.reason);
                return STATE_REFUSED;
        default:
                log_device_full_errno(LOG_ERR, res->report.error, bus, name, rule, "not bound to %s: %s", target,
                                      res->report.reason);
                return STATE_FAILED;
        }
}

static void report_restore(const char *bus, const char *name, const ApplyResult *res, bool dry_run) {
        /* Where it really went, read back after the restore; a dry run says where it would go. */
        const char *to = (dry_run ? res->record.previous_driver : res->device ? res->device->driver : NULL) ?: "unbound";

        if (res->action == APPLY_KEEP)
                log_device(LOG_INFO, bus, name, NULL, "no longer selected, staying on %s (kept)", res->was ?: "none");
        else if (res->report.status == BIND_DONE)
                log_device(LOG_INFO, bus, name, NULL, "no longer selected, %s %s", dry_run ? "would restore to" : "restored to", to);
        else
                log_device_full_errno(LOG_ERR, res->report.error, bus, name, NULL, "restoring to %s failed: %s", to,
                                      res->report.reason);
}

DeviceState report_apply(Bus bus, const char *name, int error, const ApplyResult *res, bool dry_run,
                         DeviceState previous) {
        const char *b = bus_to_string(bus);

        if (error < 0) {
                log_device_full_errno(LOG_ERR, error, b, name, res->decision.rule, "failed: %m");
                return STATE_FAILED;
        }
        switch (res->action) {
        case APPLY_GONE:
                log_device(LOG_DEBUG, b, name, NULL, "went away, ignoring");
                return STATE_UNSELECTED;
        case APPLY_BIND:
                if (res->guard.reasons && res->decision.rule->force && res->report.status == BIND_DONE) {
                        char why[512];

                        guard_describe(&res->guard, why, sizeof why);
                        log_device(LOG_WARNING, b, name, res->decision.rule, "host-critical, moved anyway (force = yes): %s",
                                   why);
                }
                return report_bind(b, name, res, dry_run, previous);
        case APPLY_RESTORE:
        case APPLY_KEEP:
                report_restore(b, name, res, dry_run);
                break;
        default:
                break;
        }
        return res->decision.verdict == VERDICT_IGNORE ? STATE_IGNORED : STATE_UNSELECTED;
}
