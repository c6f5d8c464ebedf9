/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager.h"
#include "worker.h"
#include "rules-file.h"
#include "udev-rules.h"
#include "report.h"
#include "strv.h"
#include "validate.h"

/* How many device jobs run at once, and how many threads may stay stuck in sysfs writes. */
#define LANES 4
#define MAX_ABANDONED 8
/* Jobs of buses that bind by IOMMU group run one at a time: a job moves its group's members. */
#define SERIAL_GROUPS 1

typedef struct DeviceJob {
        Engine *engine;
        Policy *policy;         /* a reference: the policy it is decided under */
        ApplyFlags flags;
        Bus bus;
        Entry *entry;           /* the loop's: never read on a lane */
        int r;
        ApplyResult res;
        char name[];
} DeviceJob;

/* On a lane. */
static void job_run(void *p) {
        DeviceJob *j = p;

        j->r = apply_device(j->engine, j->policy, j->bus, j->name, &j->flags, &j->res);
}

static void job_free(void *p) {
        DeviceJob *j = p;

        apply_result_done(&j->res);
        policy_free(j->policy);
        free(j);
}

static int on_jobs_done(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static int manager_start_executor(Manager *m) {
        int r;

        r = executor_new(LANES, MAX_ABANDONED, job_run, &m->executor);
        if (r < 0)
                return r;
        return sd_event_add_io(m->event, &m->jobs_done, executor_fd(m->executor), EPOLLIN, on_jobs_done, m);
}

int manager_new(const Root *root, const EngineConfig *config, bool keep_on_reload, char **policy_files,
                Manager **ret) {
        EngineConfig c;
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
        /* The lanes write inline; the loop watches for writes that hang. */
        c = *config;
        c.writes = ENGINE_WRITES_INLINE;
        r = engine_init(&m->engine, root->fd, &c, true);
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
        r = manager_start_executor(m);
        if (r < 0) {
                manager_free(m);
                return log_error_errno(r, "Failed to start the device job threads: %m");
        }
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        (void) manager_free_at_exit(m);
        return NULL;
}

bool manager_free_at_exit(Manager *m) {
        if (!m)
                return false;
        /* In reverse order of set-up. */
        sd_event_source_disable_unref(m->rescan);
        monitor_free(m->monitor);
        sd_event_source_disable_unref(m->notify);
        publisher_free(m->publisher);
        sd_event_source_disable_unref(m->stall_timer);
        sd_event_source_disable_unref(m->jobs_done);
        /* Running jobs get a moment to finish; a thread stuck in the kernel is left to itself,
         * and so are the engine and policy it reads: the process is about to exit. */
        if (executor_free(m->executor, 300 * 1000, job_free) > 0) {
                log_debug("Exiting with device jobs stuck in sysfs writes.");
                sd_event_unref(m->event);
                return true;
        }
        sd_event_unref(m->event);
        engine_done(&m->engine);
        for (size_t i = 0; i < m->n_entries; i++)
                free(m->entries[i]);
        free(m->entries);
        free(m->waiting[0].v);
        free(m->waiting[1].v);
        index_map_free(m->by_key);
        policy_free(m->policy);
        free(m);
        return false;
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
        e->status = STATE_UNSELECTED;
        if (index_map_add(m->by_key, e->key, strlen(e->key), m->n_entries) < 0) {
                free(e);
                return NULL;
        }
        m->entries[m->n_entries++] = e;
        return e;
}

static void entry_set(Manager *m, Entry *e, bool present, DeviceState status) {
        if (e->present)
                m->counts[e->status]--;
        e->present = present;
        e->status = status;
        if (present)
                m->counts[status]++;
}

void manager_notify_status(Manager *m, const char *state) {
        ExecutorStats x = {};
        char status[224];

        /* Specs and metrics of a half-done coldplug would be rewritten at once: they wait for it. */
        if (!m->settling)
                publisher_changed(m->publisher);
        if (m->executor)
                executor_stats(m->executor, &x);
        snprintf(status, sizeof status, "%u device%s bound, %u failed, %u protected", m->counts[STATE_BOUND],
                 m->counts[STATE_BOUND] == 1 ? "" : "s", m->counts[STATE_FAILED], m->counts[STATE_IGNORED]);
        if (m->counts[STATE_REFUSED] > 0)
                snprintf(status + strlen(status), sizeof status - strlen(status), ", %u refused as host-critical",
                         m->counts[STATE_REFUSED]);
        if (x.stuck > 0)
                snprintf(status + strlen(status), sizeof status - strlen(status), ", %u write%s stuck in the kernel%s",
                         x.stuck, x.stuck == 1 ? "" : "s",
                         !x.bound_hit ? "" : x.active == 0 ? " (no threads left: binding waits for them)" :
                                                             " (no more threads are started)");
        if (!state && streq(status, m->last_status))
                return;
        snprintf(m->last_status, sizeof m->last_status, "%s", status);
        (void) sd_notifyf(false, "%s%sSTATUS=%s", strempty(state), state ? "\n" : "", status);
}

static int on_stall_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* The stall timer runs while jobs do: a write that hangs is found within half the timeout. */
static void manager_arm_stall_timer(Manager *m) {
        uint64_t period = m->engine.config.write_timeout_usec / 2;
        int enabled = SD_EVENT_OFF;

        if (m->stall_timer && sd_event_source_get_enabled(m->stall_timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
                return;
        period = period < 10000 ? 10000 : period > 1000000 ? 1000000 : period;
        if (!m->stall_timer) {
                if (sd_event_add_time_relative(m->event, &m->stall_timer, CLOCK_MONOTONIC, period, period / 10,
                                               on_stall_timer, m) < 0)
                        log_warning("Cannot watch sysfs writes for hangs: a hung write will go unreported.");
                return;
        }
        (void) sd_event_source_set_time_relative(m->stall_timer, period);
        (void) sd_event_source_set_enabled(m->stall_timer, SD_EVENT_ONESHOT);
}

/* At most this many jobs are made and handed to the executor at a time (stalled ones aside). */
#define MAX_SUBMITTED (4 * LANES)

static bool entry_binds_by_group(const Entry *e) {
        return bus_table[e->bus].unit == BIND_UNIT_IOMMU_GROUP;
}

static void manager_submit(Manager *m, Entry *e) {
        const char *name = entry_name(e);
        DeviceJob *j;

        j = calloc(1, sizeof(DeviceJob) + strlen(name) + 1);
        if (j) {
                *j = (DeviceJob) {
                        .engine = &m->engine,
                        .policy = policy_ref(m->policy),
                        .flags = { .reconcile = e->waiting_reconcile, .keep = m->keep_on_reload },
                        .bus = e->bus,
                        .entry = e,
                };
                strcpy(j->name, name);
        }
        if (!j || executor_submit(m->executor, j, bus_table[e->bus].unit == BIND_UNIT_IOMMU_GROUP ? SERIAL_GROUPS : 0) < 0) {
                if (j)
                        job_free(j);
                log_oom();
                e->busy = false;
                m->in_flight--;
                return;
        }
        m->submitted++;
        m->group_submitted += entry_binds_by_group(e);
        manager_arm_stall_timer(m);
}

static int queue_push(EntryQueue *q, Entry *e) {
        if (q->n == q->allocated) {
                size_t live = q->n - q->head;
                Entry **v;

                /* Room at the front first; grow only when the live part fills half. */
                if (q->head > 0 && live < q->allocated / 2) {
                        memmove(q->v, q->v + q->head, live * sizeof(Entry *));
                        q->head = 0;
                        q->n = live;
                } else {
                        v = reallocarray(q->v, q->allocated * 2 + 64, sizeof(Entry *));
                        if (!v)
                                return -ENOMEM;
                        q->v = v;
                        q->allocated = q->allocated * 2 + 64;
                }
        }
        q->v[q->n++] = e;
        return 0;
}

static Entry *queue_pop(EntryQueue *q) {
        Entry *e = q->head < q->n ? q->v[q->head++] : NULL;

        if (q->head == q->n)
                q->head = q->n = 0;
        return e;
}

/* Hands waiting devices to the executor while there is room; one group job at a time. */
static void manager_pump(Manager *m) {
        Entry *e;

        while (m->submitted - m->n_stalled < MAX_SUBMITTED) {
                e = m->group_submitted == 0 ? queue_pop(&m->waiting[1]) : NULL;
                if (!e && !(e = queue_pop(&m->waiting[0])))
                        break;
                manager_submit(m, e);
        }
}

static void manager_queue(Manager *m, Bus bus, const char *name, bool reconcile) {
        Entry *e;

        if (m->stopping)
                return;
        e = manager_entry(m, bus, name, true);
        if (!e) {
                log_oom();
                return;
        }
        if (e->busy) {
                e->again = true;
                e->again_reconcile |= reconcile;
                return;
        }
        if (queue_push(&m->waiting[entry_binds_by_group(e)], e) < 0) {
                log_oom();
                return;
        }
        e->busy = true;
        e->waiting_reconcile = reconcile;
        m->in_flight++;
        manager_pump(m);
}

/* Every job of the last coldplug is back (or stuck): the daemon is ready. */
static void manager_check_settled(Manager *m) {
        ExecutorStats x = {};

        if (!m->settling)
                return;
        executor_stats(m->executor, &x);
        /* Every thread stuck in the kernel: nothing moves until a write returns. Say where things
         * stand rather than hold READY=1 (and systemd's start or reload) for it. */
        if (m->in_flight > m->n_stalled && !(x.bound_hit && x.active == 0))
                return;
        m->settling = false;
        if (m->ready_pending) {
                m->ready_pending = false;
                publisher_sync(m->publisher);
                manager_notify_status(m, "READY=1");
                log_info("Ready: %s.", m->last_status);
        } else
                manager_notify_status(m, NULL);
}

static void manager_job_done(Manager *m, DeviceJob *j, bool late) {
        Entry *e = j->entry;
        DeviceState state;

        if (e->stalled) {
                e->stalled = false;
                m->n_stalled--;
                log_device(LOG_NOTICE, bus_to_string(j->bus), j->name, NULL, "the write that hung has returned%s",
                           late ? "" : " in time");
        }
        state = report_apply(j->bus, j->name, j->r, &j->res, false, e->status);
        if (e->removed) {
                /* Removed while its job ran: what the job recorded is stale. */
                if (m->engine.state_fd >= 0)
                        (void) state_remove(m->engine.state_fd, j->bus, j->name);
                e->removed = false;
        } else {
                entry_set(m, e, j->res.action != APPLY_GONE, state);
                publisher_device(m->publisher, j->bus, j->name, state, j->r, &j->res);
        }
        e->busy = false;
        m->in_flight--;
        m->submitted--;
        m->group_submitted -= entry_binds_by_group(e);
        if (e->again) {
                e->again = false;
                manager_queue(m, j->bus, j->name, e->again_reconcile);
                e->again_reconcile = false;
        }
        job_free(j);
}

static int on_jobs_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        uint64_t n;
        DeviceJob *j;
        bool late;

        /* Read first, then take: a job handed back after the read wakes us again. */
        (void) !read(fd, &n, sizeof n);
        while ((j = executor_take(m->executor, &late)))
                manager_job_done(m, j, late);
        manager_pump(m);
        manager_check_settled(m);
        (void) sd_event_source_set_enabled(m->notify, SD_EVENT_ONESHOT);
        return 0;
}

static void on_stalled(void *job, const char *attr, void *userdata) {
        Manager *m = userdata;
        DeviceJob *j = job;
        Entry *e = j->entry;

        e->stalled = true;
        m->n_stalled++;
        /* vfio-platform-bindctl writes through its worker from now on (state.h). */
        if (m->engine.state_fd >= 0)
                (void) state_mark_write_hung(m->engine.state_fd, attr);
        log_device(LOG_ERR, bus_to_string(j->bus), j->name, NULL,
                   "not bound: writing to %s did not return in %.3g s; abandoned: other devices go on, this one is "
                   "tried again when the write returns",
                   strna(attr), (double) m->engine.config.write_timeout_usec / 1e6);
        if (e->present)
                entry_set(m, e, true, STATE_FAILED);
}

static int on_stall_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        executor_check_stalls(m->executor, m->engine.config.write_timeout_usec, on_stalled, m);
        if (m->in_flight > m->n_stalled)
                manager_arm_stall_timer(m);
        manager_check_settled(m);
        manager_notify_status(m, NULL);
        return 0;
}

static void manager_forget(Manager *m, Bus bus, const char *name) {
        Entry *e = manager_entry(m, bus, name, false);

        if (e) {
                entry_set(m, e, false, STATE_UNSELECTED);
                e->again = false;
                e->removed = e->busy;
        }
        publisher_forget(m->publisher, bus, name);
        /* A device that comes back is a new device: what it had before is not ours to restore. */
        if (m->engine.state_fd >= 0)
                (void) state_remove(m->engine.state_fd, bus, name);
        log_device(LOG_DEBUG, bus_to_string(bus), name, NULL, "removed");
}

static int coldplug_one(Bus bus, const char *name, int error, void *userdata) {
        bool *unlisted = ((void **) userdata)[1];
        Manager *m = ((void **) userdata)[0];
        Entry *e;

        if (!name) {
                log_warning_errno(error, "Cannot list %s devices: %m, ignoring", bus_to_string(bus));
                unlisted[bus] = true;
                return 0;
        }
        e = manager_entry(m, bus, name, false);
        if (!e || e->covered != m->coldplugs)
                manager_queue(m, bus, name, true);
        e = e ?: manager_entry(m, bus, name, false);
        if (e)
                e->seen = m->coldplugs;
        return 0;
}

void manager_coldplug(Manager *m) {
        bool unlisted[_BUS_MAX] = {};

        m->coldplugs++;
        m->settling = true;
        (void) sysfs_foreach_device(&m->engine.sysfs, coldplug_one, (void *[]) { m, unlisted });
        /* Devices that went away while we were not listening. */
        for (size_t i = 0; i < m->n_entries; i++) {
                Entry *e = m->entries[i];
                if (e->present && e->seen != m->coldplugs && !unlisted[e->bus])
                        entry_set(m, e, false, e->status);
        }
        manager_check_settled(m);
        manager_notify_status(m, NULL);
}

void manager_stop(Manager *m) {
        m->stopping = true;
        m->waiting[0].head = m->waiting[0].n = 0;
        m->waiting[1].head = m->waiting[1].n = 0;
        if (m->executor)
                executor_cancel_queued(m->executor, job_free);
}

static int on_rescan(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        m->rescan = sd_event_source_disable_unref(m->rescan);
        log_warning("Uevents were lost (receive buffer overrun): rescanning every device.");
        manager_coldplug(m);
        return 0;
}

/* A driver registered (a module loaded): the devices that failed on this bus get another try,
 * those that waited for this very driver among them. */
static void manager_retry_failed(Manager *m, Bus bus, const char *driver) {
        log_debug("Driver %s registered on the %s bus: retrying the devices that failed.", driver, bus_to_string(bus));
        for (size_t i = 0; i < m->n_entries; i++) {
                Entry *e = m->entries[i];

                if (e->bus == bus && e->present && e->status == STATE_FAILED)
                        manager_queue(m, bus, entry_name(e), false);
        }
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
        case ACTION_DRIVER_ADD:
                manager_retry_failed(m, bus, name);
                break;
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
                manager_queue(m, bus, name, false);
                break;
        default:
                break;
        }
        /* STATUS= once per burst of events, not once per event: each sd_notify is a new socket.
         * A defer source, not a post source: post sources are marked at the dispatch of the
         * source that would enable them, so the last burst's STATUS= would wait for another event. */
        (void) sd_event_source_set_enabled(m->notify, SD_EVENT_ONESHOT);
}

static int on_notify(sd_event_source *s, void *userdata) {
        manager_notify_status(userdata, NULL);
        return 0;
}

int manager_start_monitor(Manager *m) {
        int r;

        r = sd_event_add_defer(m->event, &m->notify, on_notify, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up status notification: %m");
        (void) sd_event_source_set_enabled(m->notify, SD_EVENT_OFF);
        r = monitor_new(m->event, on_uevent, m, &m->monitor);
        if (r < 0)
                return log_error_errno(r, "Failed to listen to kernel uevents: %m");
        return 0;
}

/* The early udev rule follows the policy: hotplugged devices get their override from udev before
 * a native driver loads. Failing that, the daemon still catches them. */
static void manager_install_rules(Manager *m) {
        _cleanup_strv_free_ char **protected = NULL;
        Diagnostics d = {};
        int r;

        if (apply_protected_devices(&m->engine, m->policy, &protected) < 0)
                log_warning("Cannot list the host-critical devices for the udev rule; the daemon still refuses them.");
        r = udev_rules_install(m->root.fd, m->policy, protected, &d);
        for (size_t i = 0; i < d.n; i++)
                log_warning("%s:%u: %s", d.items[i].file, d.items[i].line, d.items[i].message);
        diagnostics_clear(&d);
        if (r == -EINVAL)
                log_warning("The policy cannot be expressed as a udev rule: no early rule is installed, the daemon "
                            "alone binds hotplugged devices.");
        else if (r < 0)
                log_warning_errno(r, "Cannot write /%s/%s: %m, ignoring", UDEV_RULES_DIR, UDEV_RULES_FILE);
}

int manager_load_policy(Manager *m) {
        Diagnostics d = {};
        bool reload = m->policy != NULL;
        Policy *p = NULL;
        int r;

        r = policy_load(&m->root, m->policy_files, &p, &d);
        publisher_policy_loaded(m->publisher, reload, r >= 0);
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
        manager_install_rules(m);
        return 0;
}

/* Queued jobs that have not started yet are decided under the new policy; the coldplug that
 * follows need not queue them again. */
static void requeue_under(void *job, void *userdata) {
        Manager *m = userdata;
        DeviceJob *j = job;

        policy_free(j->policy);
        j->policy = policy_ref(m->policy);
        j->flags.reconcile = true;
        j->entry->covered = m->coldplugs + 1;
}

int manager_reload(Manager *m) {
        int r;

        (void) sd_notify(false, "RELOADING=1\nSTATUS=Reloading the policy");
        engine_forget_guard(&m->engine);
        r = manager_load_policy(m);
        if (r < 0) {
                log_warning("Keeping the previous policy.");
                /* A coldplug whose READY=1 is still due (the start's, an earlier reload's) sends
                 * it when its jobs are back: not now, with its devices not yet where they go. */
                manager_notify_status(m, m->ready_pending ? NULL : "READY=1");
                return r;
        }
        executor_foreach_queued(m->executor, requeue_under, m);
        /* Waiting devices get their job, and with it the policy, when their turn comes. */
        for (size_t k = 0; k < ELEMENTSOF(m->waiting); k++)
                for (size_t i = m->waiting[k].head; i < m->waiting[k].n; i++) {
                        m->waiting[k].v[i]->covered = m->coldplugs + 1;
                        m->waiting[k].v[i]->waiting_reconcile = true;
                }
        /* READY=1 when the devices are where the new policy says. */
        m->ready_pending = true;
        manager_coldplug(m);
        return r;
}
