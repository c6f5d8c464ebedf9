/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "status.h"
#include "strv.h"
#include "validate.h"

#define STATUS_JSON_VERSION 1

const char *status_state(const DeviceInfo *d, const Decision *dec, const char *recorded_status,
                         const GuardVerdict *guard) {
        switch (dec->verdict) {
        case VERDICT_BIND:
                if (streq_ptr(d->driver, dec->driver))
                        return "bound";
                if (guard && guard->reasons && !dec->rule->force)
                        return "refused";
                return streq_ptr(recorded_status, "failed") ? "failed" : "pending";
        case VERDICT_IGNORE:
                return "ignored";
        default:
                return "unselected";
        }
}

static void json_kv(FILE *f, const char *key, const char *value, bool comma) {
        fprintf(f, "\"%s\": ", key);
        json_print_string(f, value);
        if (comma)
                fputs(", ", f);
}

/* Every member, or the blockers: members that stay on a host driver, no rule selecting them. */
static void print_json_names(FILE *f, const IommuGroup *g, bool blockers_only) {
        bool first = true;

        fputc('[', f);
        for (size_t i = 0; i < g->n; i++) {
                if (blockers_only && (!group_member_blocks(&g->members[i]) ||
                                      g->members[i].decision.verdict == VERDICT_BIND))
                        continue;
                fputs(first ? "" : ", ", f);
                json_print_string(f, g->members[i].device->name);
                first = false;
        }
        fputc(']', f);
}

/* "group": {"id", "members", "viable", "blockers"}, or null where the bus binds devices alone. */
static void print_json_group(FILE *f, const IommuGroup *g) {
        fputs("\"group\": ", f);
        if (!g || !g->id) {
                fputs("null, ", f);
                return;
        }
        fputs("{", f);
        json_kv(f, "id", g->id, true);
        fputs("\"members\": ", f);
        print_json_names(f, g, false);
        fprintf(f, ", \"viable\": %s, \"blockers\": ", iommu_group_viable(g) ? "true" : "false");
        print_json_names(f, g, true);
        fputs("}, ", f);
}

void status_print_group(FILE *f, const IommuGroup *g) {
        bool viable = iommu_group_viable(g), first = true;

        for (size_t i = 0; i < g->n; i++) {
                fputs(i ? " " : "", f);
                fputs_cescaped(g->members[i].device->name, f);
        }
        fputs(viable ? " (viable)" : " (not viable:", f);
        for (size_t i = 0; i < g->n && !viable; i++)
                if (group_member_blocks(&g->members[i])) {
                        fputs(first ? " " : ", ", f);
                        fputs_cescaped(g->members[i].device->name, f);
                        fputs(" on ", f);
                        fputs_cescaped(g->members[i].device->driver, f);
                        first = false;
                }
        fputs(viable ? "\n" : ")\n", f);
}

/* "host_critical": the evidence of each reason, [] when the host does not need the device. */
static void print_json_guard(FILE *f, const GuardVerdict *v) {
        bool first = true;

        fputs("\"host_critical\": [", f);
        for (GuardReason r = 0; v && r < _GUARD_REASON_MAX; r++)
                if (v->reasons & (UINT32_C(1) << r)) {
                        fputs(first ? "" : ", ", f);
                        json_print_string(f, v->evidence[r]);
                        first = false;
                }
        fputs("], ", f);
}

void status_print_json(FILE *f, const StatusRow *rows, size_t n) {
        size_t errors = 0;

        for (size_t i = 0; i < n; i++)
                errors += streq(rows[i].state, "error");
        fprintf(f, "{\n  \"version\": %d,\n  \"errors\": %zu,\n  \"devices\": [", STATUS_JSON_VERSION, errors);
        for (size_t i = 0; i < n; i++) {
                const StatusRow *r = &rows[i];
                const DeviceInfo *d = r->device;
                const Rule *rule = r->decision.rule;

                fputs(i > 0 ? ",\n    {" : "\n    {", f);
                json_kv(f, "name", d->name, true);
                json_kv(f, "bus", bus_to_string(d->bus), true);
                json_kv(f, "path", d->of_fullname, true);
                fputs("\"compatibles\": [", f);
                STRV_FOREACH(c, d->compatibles) {
                        if (c != d->compatibles)
                                fputs(", ", f);
                        json_print_string(f, *c);
                }
                fputs("], ", f);
                json_kv(f, "driver", d->driver, true);
                json_kv(f, "override", d->override, true);
                json_kv(f, "iommu_group", d->iommu_group, true);
                print_json_group(f, r->group);
                json_kv(f, "cdi", r->cdi, true);
                json_kv(f, "decision", verdict_to_string(r->decision.verdict), true);
                json_kv(f, "target", r->decision.driver, true);
                fputs("\"rule\": ", f);
                if (rule) {
                        fputs("{", f);
                        json_kv(f, "name", rule->name, true);
                        json_kv(f, "file", rule->file, true);
                        fprintf(f, "\"line\": %u}", rule->line);
                } else
                        fputs("null", f);
                fputs(", ", f);
                print_json_guard(f, r->guard);
                json_kv(f, "boot_window", r->boot_window, true);
                json_kv(f, "state", r->state, true);
                json_kv(f, "reason", r->reason, false);
                fputs("}", f);
        }
        fputs(n > 0 ? "\n  ]\n}\n" : "]\n}\n", f);
}

static const char *state_color(const char *state) {
        if (streq(state, "bound"))
                return "\033[32m";
        if (streq(state, "failed") || streq(state, "refused") || streq(state, "error"))
                return "\033[31m";
        if (streq(state, "pending"))
                return "\033[33m";
        return "";
}

/* Every value is escaped (escape.h): device data and file names are not ours. */
static void print_row(FILE *f, const StatusRow *r, bool paint) {
        const DeviceInfo *d = r->device;
        const Rule *rule = r->decision.rule;
        char name[4 * DEVICE_NAME_MAX + 1], drv[256], ovr[256], grp[64];

        fprintf(f, "%-28s %-8s %-16s %-16s %-5s %s%-10s%s ", cescape_buf(d->name, name, sizeof name),
                bus_to_string(d->bus), cescape_buf(d->driver ?: "-", drv, sizeof drv),
                cescape_buf(d->override ?: "-", ovr, sizeof ovr), cescape_buf(d->iommu_group ?: "-", grp, sizeof grp),
                paint ? state_color(r->state) : "", r->state, paint ? "\033[0m" : "");
        if (rule) {
                fprintf(f, "%s (", rule->name);
                fputs_cescaped(rule->file, f);
                fprintf(f, ":%u)", rule->line);
        } else
                fputs("-", f);
        fputc('\n', f);
        if (r->reason) {
                fprintf(f, "%-28s   reason: ", "");
                fputs_cescaped(r->reason, f);
                fputc('\n', f);
        }
        if (r->boot_window) {
                fprintf(f, "%-28s   boot: ", "");
                fputs_cescaped(r->boot_window, f);
                fputc('\n', f);
        }
        if (r->guard && r->guard->reasons) {
                char why[1024];

                guard_describe(r->guard, why, sizeof why);
                fprintf(f, "%-28s   host-critical: ", "");
                fputs_cescaped_text(why, f);
                fputc('\n', f);
        }
        if (r->group && r->group->n > 1) {
                fprintf(f, "%-28s   group ", "");
                fputs_cescaped(r->group->id, f);
                fputs(": ", f);
                status_print_group(f, r->group);
        }
}

typedef enum Group { GROUP_ERROR, GROUP_TARGET, GROUP_NATIVE, GROUP_UNBOUND, _GROUP_MAX } Group;

static Group row_group(const StatusRow *r) {
        const char *drv = r->device->driver;

        if (streq(r->state, "error"))
                return GROUP_ERROR;
        if (!drv)
                return GROUP_UNBOUND;
        if (driver_is_vfio(drv) || streq_ptr(drv, r->decision.driver) || streq_ptr(drv, r->device->override))
                return GROUP_TARGET;
        return GROUP_NATIVE;
}

void status_print_table(FILE *f, const StatusRow *rows, size_t n, bool color) {
        static const char * const titles[_GROUP_MAX] = {
                [GROUP_ERROR] = "Devices that cannot be read",
                [GROUP_TARGET] = "Devices on a user space driver (vfio-platform, vfio-amba, ...)",
                [GROUP_NATIVE] = "Devices on a native driver",
                [GROUP_UNBOUND] = "Devices without a driver",
        };
        bool first = true;

        for (Group g = 0; g < _GROUP_MAX; g++) {
                size_t count = 0;

                for (size_t i = 0; i < n; i++)
                        count += row_group(&rows[i]) == g;
                if (count == 0)
                        continue;
                fprintf(f, "%s%s%s%s\n", first ? "" : "\n", color ? "\033[1m" : "", titles[g], color ? "\033[0m" : "");
                fprintf(f, "%-28s %-8s %-16s %-16s %-5s %-10s %s\n", "DEVICE", "BUS", "DRIVER", "OVERRIDE", "GROUP",
                        "STATE", "RULE");
                first = false;
                for (size_t i = 0; i < n; i++) {
                        const StatusRow *r = &rows[i];
                        bool paint;

                        if (row_group(r) != g)
                                continue;
                        paint = color && *state_color(r->state);

                        print_row(f, r, paint);
                }
        }
        if (first)
                fputs("No devices.\n", f);
}
