/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager.h"
#include "match.h"
#include "state.h"
#include "strv.h"
#include "validate.h"

int manager_new(const Root *root, const EngineConfig *config, bool keep_on_reload, char **policy_files,
                Manager **ret) {
        Manager *m;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        m->root = *root;
        m->keep_on_reload = keep_on_reload;
        m->policy_files = policy_files;
        m->engine = (Engine) { .sysfs.fd = -EBADF, .state_fd = -EBADF };
        m->by_key = index_map_new();
        if (!m->by_key) {
                free(m);
                return -ENOMEM;
        }
        r = engine_init(&m->engine, root->fd, config, true);
        if (r < 0) {
                manager_free(m);
                return log_error_errno(r, "Failed to set up sysfs and %s under %s: %m",
                                       "/run/vfio-platform-bindd", root->path);
        }
        r = sd_event_default(&m->event);
        if (r < 0) {
                manager_free(m);
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        }
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* In reverse order of set-up. */
        sd_event_source_disable_unref(m->rescan);
        monitor_free(m->monitor);
        sd_event_unref(m->event);
        engine_done(&m->engine);
        for (size_t i = 0; i < m->n_entries; i++)
                free(m->entries[i]);
        free(m->entries);
        index_map_free(m->by_key);
        policy_free(m->policy);
        free(m);
        return NULL;
}

static const char *entry_name(const Entry *e) {
        return strchr(e->key, '/') + 1;
}

static Entry *manager_entry(Manager *m, Bus bus, const char *name, bool create) {
        char key[16 + DEVICE_NAME_MAX + 2];
        IndexList l;
        Entry *e, **entries;

        snprintf(key, sizeof key, "%s/%s", bus_to_string(bus), name);
        l = index_map_get(m->by_key, key, strlen(key));
        if (l.n > 0)
                return m->entries[l.items[0]];
        if (!create)
                return NULL;

        e = calloc(1, sizeof(Entry) + strlen(key) + 1);
        entries = e ? reallocarray(m->entries, m->n_entries + 1, sizeof(Entry *)) : NULL;
        if (!entries) {
                free(e);
                return NULL;
        }
        m->entries = entries;
        strcpy(e->key, key);
        e->bus = bus;
        e->status = ENTRY_UNSELECTED;
        if (index_map_add(m->by_key, e->key, strlen(e->key), m->n_entries) < 0) {
                free(e);
                return NULL;
        }
        m->entries[m->n_entries++] = e;
        m->counts[ENTRY_UNSELECTED]++;
        return e;
}

static void entry_set(Manager *m, Entry *e, bool present, EntryStatus status) {
        if (e->present)
                m->counts[e->status]--;
        e->present = present;
        e->status = status;
        if (present)
                m->counts[status]++;
}

void manager_notify_status(Manager *m, const char *state) {
        char status[128];

        snprintf(status, sizeof status, "%u device%s bound, %u failed, %u protected",
                 m->counts[ENTRY_BOUND], m->counts[ENTRY_BOUND] == 1 ? "" : "s", m->counts[ENTRY_FAILED],
                 m->counts[ENTRY_IGNORED]);
        if (!state && streq(status, m->last_status))
                return;
        snprintf(m->last_status, sizeof m->last_status, "%s", status);
        (void) sd_notifyf(false, "%s%sSTATUS=%s", strempty(state), state ? "\n" : "", status);
}

static void rule_describe(const Rule *r, char *buf, size_t size) {
        snprintf(buf, size, "%s (%s:%u)", r->name, r->file, r->line);
}

static EntryStatus bind_device(Manager *m, DeviceInfo *d, const Decision *dec) {
        const char *bus = bus_to_string(d->bus);
        _cleanup_free_ char *was = d->driver ? strdup(d->driver) : NULL;
        char rule[256];
        BindReport rep;
        int r;

        rule_describe(dec->rule, rule, sizeof rule);
        r = engine_bind(&m->engine, d, dec->driver, rule, &rep);
        if (r < 0) {
                log_device_full_errno(LOG_ERR, r, bus, d->name, dec->rule, "binding to %s failed: %m", dec->driver);
                return ENTRY_FAILED;
        }
        switch (rep.status) {
        case BIND_ALREADY:
                log_device(LOG_DEBUG, bus, d->name, dec->rule, "already on %s", dec->driver);
                return ENTRY_BOUND;
        case BIND_DONE:
                log_device(LOG_INFO, bus, d->name, dec->rule, "bound to %s by rule %s (was %s)", dec->driver, rule,
                           was ?: "unbound");
                return ENTRY_BOUND;
        case BIND_GONE:
                log_device(LOG_DEBUG, bus, d->name, dec->rule, "went away while binding, ignoring");
                return ENTRY_UNSELECTED;
        default:
                log_device_full_errno(LOG_ERR, rep.error, bus, d->name, dec->rule, "not bound to %s: %s",
                                      dec->driver, rep.reason);
                return ENTRY_FAILED;
        }
}

/* A device we moved that the policy no longer selects goes back where it was. */
static void maybe_restore(Manager *m, DeviceInfo *d) {
        const char *bus = bus_to_string(d->bus);
        DeviceRecord rec = {};
        BindReport rep;
        int r;

        if (m->engine.state_fd < 0 || state_load(m->engine.state_fd, d->bus, d->name, &rec) < 0)
                return;
        if (m->keep_on_reload) {
                log_device(LOG_INFO, bus, d->name, NULL, "no longer selected, staying on %s (--keep-on-reload)",
                           strna(d->driver));
                device_record_done(&rec);
                return;
        }
        r = engine_restore(&m->engine, d, &rep);
        if (r < 0)
                log_device_full_errno(LOG_ERR, r, bus, d->name, NULL, "restoring failed: %m");
        else if (rep.status == BIND_DONE)
                log_device(LOG_INFO, bus, d->name, NULL, "no longer selected, restored to %s",
                           rec.previous_driver ?: "unbound");
        else if (rep.status != BIND_GONE)
                log_device_full_errno(LOG_ERR, rep.error, bus, d->name, NULL, "restoring failed: %s", rep.reason);
        device_record_done(&rec);
}

static void manager_process(Manager *m, Bus bus, const char *name, bool reconcile) {
        _cleanup_device_info_ DeviceInfo *d = NULL;
        EntryStatus status;
        Decision dec;
        Entry *e;
        int r;

        e = manager_entry(m, bus, name, true);
        r = sysfs_read_device(&m->engine.sysfs, bus, name, &d);
        if (r == -ENODEV) {
                if (e)
                        entry_set(m, e, false, e->status);
                return;
        }
        if (r < 0) {
                log_device_full_errno(LOG_WARNING, r, bus_to_string(bus), name, NULL,
                                      "cannot read the device: %m, ignoring");
                return;
        }

        policy_decide(m->policy, d, &dec);
        switch (dec.verdict) {
        case VERDICT_BIND:
                status = bind_device(m, d, &dec);
                break;
        case VERDICT_IGNORE:
                if (reconcile)
                        maybe_restore(m, d);
                status = ENTRY_IGNORED;
                break;
        default:
                if (reconcile)
                        maybe_restore(m, d);
                status = ENTRY_UNSELECTED;
        }
        if (e)
                entry_set(m, e, true, status);
        else
                log_oom();
}

static void manager_forget(Manager *m, Bus bus, const char *name) {
        Entry *e = manager_entry(m, bus, name, false);

        if (e)
                entry_set(m, e, false, ENTRY_UNSELECTED);
        /* A device that comes back is a new device: what it had before is not ours to restore. */
        if (m->engine.state_fd >= 0)
                (void) state_remove(m->engine.state_fd, bus, name);
        log_device(LOG_DEBUG, bus_to_string(bus), name, NULL, "removed");
}

void manager_coldplug(Manager *m) {
        for (Bus bus = 0; bus < _BUS_MAX; bus++) {
                _cleanup_strv_free_ char **names = NULL;
                int r;

                r = sysfs_list_devices(&m->engine.sysfs, bus, &names);
                if (r < 0) {
                        log_warning_errno(r, "Cannot list %s devices: %m, ignoring", bus_to_string(bus));
                        continue;
                }
                /* Devices that went away while we were not listening. */
                for (size_t i = 0; i < m->n_entries; i++) {
                        Entry *e = m->entries[i];
                        if (e->bus == bus && e->present && !strv_contains(names, entry_name(e)))
                                entry_set(m, e, false, e->status);
                }
                STRV_FOREACH(n, names)
                        manager_process(m, bus, *n, true);
        }
        manager_notify_status(m, NULL);
}

static int on_rescan(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        m->rescan = sd_event_source_disable_unref(m->rescan);
        log_warning("Uevents were lost (receive buffer overrun): rescanning every device.");
        manager_coldplug(m);
        return 0;
}

static void on_uevent(Monitor *mon, MonitorAction action, Bus bus, const char *name, void *userdata) {
        Manager *m = userdata;
        int r;

        if (!name) {
                if (m->rescan)
                        return;
                r = sd_event_add_defer(m->event, &m->rescan, on_rescan, m);
                if (r < 0)
                        log_error_errno(r, "Cannot schedule a rescan after lost uevents: %m");
                return;
        }
        switch (action) {
        case ACTION_REMOVE:
                manager_forget(m, bus, name);
                break;
        case ACTION_UNBIND:
                /* Someone unbound it; the override keeps native drivers off. Nothing to do. */
                break;
        case ACTION_ADD:
        case ACTION_CHANGE:
        case ACTION_MOVE:
        case ACTION_BIND: /* a native driver may have won a race: take the device back */
                manager_process(m, bus, name, false);
                break;
        default:
                break;
        }
        manager_notify_status(m, NULL);
}

int manager_start_monitor(Manager *m) {
        int r = monitor_new(m->event, on_uevent, m, &m->monitor);

        if (r < 0)
                return log_error_errno(r, "Failed to listen to kernel uevents: %m");
        return 0;
}

int manager_load_policy(Manager *m) {
        Diagnostics d = {};
        Policy *p = NULL;
        int r;

        r = policy_load(&m->root, m->policy_files, &p, &d);
        for (size_t i = 0; i < d.n; i++) {
                const Diagnostic *e = &d.items[i];
                if (e->line > 0)
                        log_full(e->warning ? LOG_WARNING : LOG_ERR, "%s:%u: %s%s", e->file, e->line,
                                 e->warning ? "warning: " : "", e->message);
                else
                        log_full(e->warning ? LOG_WARNING : LOG_ERR, "%s: %s", e->file, e->message);
        }
        diagnostics_clear(&d);
        if (r < 0)
                return r == -EINVAL ? log_error_errno(r, "The policy is invalid.") :
                                      log_error_errno(r, "Failed to load the policy: %m");
        policy_free(m->policy);
        m->policy = p;
        log_info("Policy loaded: %zu rule%s from %zu file%s.", p->n_rules, p->n_rules == 1 ? "" : "s",
                 strv_length(p->files), strv_length(p->files) == 1 ? "" : "s");
        return 0;
}

int manager_reload(Manager *m) {
        int r;

        (void) sd_notify(false, "RELOADING=1\nSTATUS=Reloading the policy");
        r = manager_load_policy(m);
        if (r < 0)
                log_warning("Keeping the previous policy.");
        else
                manager_coldplug(m);
        manager_notify_status(m, "READY=1");
        return r;
}
