/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cdi.h"
#include "log.h"
#include "manager.h"
#include "metrics.h"
#include "publish.h"

/* At most one write per interval; the first after a quiet time at once. The specs follow each
 * change closely; under a storm of events (1,000 devices flapping) one rewrite per burst would
 * cost more than the binding itself. */
#define CDI_INTERVAL_USEC 100000ULL
#define METRICS_INTERVAL_USEC 1000000ULL
/* A group node not found is looked up again at a write at most this often: every bound device
 * whose node is missing (no /dev/vfio and no class device in a sandbox or a test tree) would
 * otherwise cost four failed lookups at each write, a whole tree's worth after every event. */
#define NODE_RETRY_USEC 1000000ULL

typedef struct Throttle {
        Publisher *publisher;
        void (*run)(Publisher *p);
        uint64_t interval_usec;
        uint64_t last_usec;     /* CLOCK_MONOTONIC of the last run; 0: never */
        sd_event_source *timer; /* armed: a run is due */
} Throttle;

/* One device we published, or may: slots are never removed (like the manager's entries). */
typedef struct Slot {
        Bus bus;
        bool bound;             /* on a VFIO driver with an IOMMU group: in the spec */
        uint32_t refused;       /* the guard's reasons (1 << GuardReason) when refused, else 0 */
        char *group;
        char *cdi_name;
        CdiNode node;           /* the group's node; type 0: to look up (again) at a write */
        uint64_t node_missed_usec; /* CLOCK_MONOTONIC of the last lookup that found none; 0: none */
        char key[];             /* "bus/name" */
} Slot;

struct Publisher {
        Manager *manager;
        const char *cdi_dir;
        const char *metrics_dir;

        Slot **slots;
        size_t n_slots;
        IndexMap *by_key;
        bool cdi_dirty;
        int cdi_error;          /* of the last write, so that a failure is logged once */
        CdiNode container;      /* /dev/vfio/vfio, looked up like the group nodes */
        Throttle cdi;

        Throttle metrics;
        int metrics_error;
        Metrics counters;       /* everything but the device counts, which come from the manager */
};

static void write_cdi(Publisher *p);
static void write_metrics(Publisher *p);
static void throttle_flush(Throttle *t);

static const char * const state_table[_STATE_MAX] = {
        [STATE_UNSELECTED] = "unselected",
        [STATE_IGNORED] = "ignored",
        [STATE_BOUND] = "bound",
        [STATE_FAILED] = "failed",
        [STATE_REFUSED] = "refused",
};

static bool parent_exists(int root_fd, const char *dir) {
        const char *slash = strrchr(dir, '/');
        char parent[PATH_MAX];
        struct stat st;

        if (!slash)
                return true;
        snprintf(parent, sizeof parent, "%.*s", (int) (slash - dir), dir);
        return fstatat(root_fd, parent, &st, 0) >= 0 && S_ISDIR(st.st_mode);
}

int publisher_new(Manager *m, const PublishConfig *c, Publisher **ret) {
        Publisher *p = calloc(1, sizeof(Publisher));

        if (!p || !(p->by_key = index_map_new())) {
                free(p);
                return -ENOMEM;
        }
        p->manager = m;
        p->cdi_dir = c->cdi_dir;
        p->metrics_dir = c->metrics_dir;
        p->counters.version = PACKAGE_VERSION;
        /* The first publish writes whatever is true, so that a spec a previous run left behind for
         * devices that are not bound any more goes away. */
        p->cdi_dirty = true;
        p->cdi = (Throttle) { .publisher = p, .run = write_cdi, .interval_usec = CDI_INTERVAL_USEC };
        p->metrics = (Throttle) { .publisher = p, .run = write_metrics, .interval_usec = METRICS_INTERVAL_USEC };
        if (p->cdi_dir && !parent_exists(m->root.fd, p->cdi_dir)) {
                log_info("No parent directory for /%s: no CDI specs.", p->cdi_dir);
                p->cdi_dir = NULL;
        }
        *ret = p;
        return 0;
}

Publisher *publisher_free(Publisher *p) {
        if (!p)
                return NULL;
        /* What is due is written now: the specs must say what stays bound after we exit. */
        throttle_flush(&p->cdi);
        throttle_flush(&p->metrics);
        for (size_t i = 0; i < p->n_slots; i++) {
                free(p->slots[i]->group);
                free(p->slots[i]->cdi_name);
                free(p->slots[i]);
        }
        free(p->slots);
        index_map_free(p->by_key);
        free(p);
        return NULL;
}

static Slot *publisher_slot(Publisher *p, Bus bus, const char *name) {
        char key[16 + DEVICE_NAME_MAX + 2];
        IndexList l;
        Slot *s, **slots;

        snprintf(key, sizeof key, "%s/%s", bus_to_string(bus), name);
        l = index_map_get(p->by_key, key, strlen(key));
        if (l.n > 0)
                return p->slots[l.items[0]];
        s = calloc(1, sizeof(Slot) + strlen(key) + 1);
        slots = s ? reallocarray(p->slots, p->n_slots + 1, sizeof(Slot *)) : NULL;
        if (!slots) {
                free(s);
                return NULL;
        }
        p->slots = slots;
        strcpy(s->key, key);
        s->bus = bus;
        if (index_map_add(p->by_key, s->key, strlen(s->key), p->n_slots) < 0) {
                free(s);
                return NULL;
        }
        p->slots[p->n_slots++] = s;
        return s;
}

/* Replaces *@field by a copy of @value; true when it changed. */
static bool set_string(char **field, const char *value) {
        if (streq_ptr(*field, value))
                return false;
        free(*field);
        *field = value ? strdup(value) : NULL;
        return true;
}

static void slot_set(Publisher *p, Slot *s, bool bound, const char *group, const char *cdi_name) {
        bool changed = s->bound != bound;

        s->bound = bound;
        if (set_string(&s->group, bound ? group : NULL)) {
                changed = true;
                s->node.type = 0; /* a new group, a new node, looked up at the next write */
                s->node_missed_usec = 0;
        }
        changed |= set_string(&s->cdi_name, bound ? cdi_name : NULL);
        if ((bound && !s->group) || (bound && cdi_name && !s->cdi_name)) {
                log_oom();
                s->bound = false;
        }
        p->cdi_dirty |= changed;
}

void publisher_device(Publisher *p, Bus bus, const char *name, DeviceState state, int error, const ApplyResult *res) {
        CdiDevice cd;
        Slot *s;

        if (!p)
                return;
        if (state == STATE_FAILED)
                p->counters.bind_failures[failure_reason_of(error, &res->report)]++;
        s = publisher_slot(p, bus, name);
        if (!s) {
                log_oom();
                return;
        }
        s->refused = state == STATE_REFUSED ? res->guard.reasons : 0;
        if (state == STATE_BOUND && res->device && cdi_device_of(res->device, &res->decision, &cd))
                slot_set(p, s, true, cd.group, cd.cdi_name);
        else
                slot_set(p, s, false, NULL, NULL);
}

void publisher_forget(Publisher *p, Bus bus, const char *name) {
        Slot *s;

        if (!p)
                return;
        s = publisher_slot(p, bus, name);
        if (!s)
                return;
        s->refused = 0;
        slot_set(p, s, false, NULL, NULL);
}

void publisher_policy_loaded(Publisher *p, bool reload, bool success) {
        struct timespec ts;

        if (!p)
                return;
        if (reload) {
                p->counters.reloads_success += success;
                p->counters.reloads_failure += !success;
        }
        p->counters.last_reload_success = success;
        if (success && clock_gettime(CLOCK_REALTIME, &ts) >= 0)
                p->counters.last_reload_usec = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static uint64_t monotonic_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000 + 1; /* never 0 */
}

static void slot_lookup_node(Publisher *p, Slot *s, uint64_t now) {
        if (s->node.type || (s->node_missed_usec && now < s->node_missed_usec + NODE_RETRY_USEC))
                return;
        cdi_lookup_group_node(p->manager->root.fd, s->group, &s->node);
        s->node_missed_usec = s->node.type ? 0 : now;
}

static void write_cdi(Publisher *p) {
        Manager *m = p->manager;
        _cleanup_free_ CdiDevice *devs = calloc(p->n_slots ?: 1, sizeof(CdiDevice));
        uint64_t now = monotonic_usec();
        size_t n = 0;
        int r;

        if (!devs) {
                log_oom();
                return;
        }
        /* Nodes are looked up once, not at every write: a storm of events rewrites the spec
         * often, and a group's node does not change while the group lives. One not found yet
         * (type 0) is looked up again at a later write, at most once a second (the spec then
         * names the path without its numbers). */
        if (!p->container.type)
                cdi_lookup_container_node(m->root.fd, &p->container);
        for (size_t i = 0; i < p->n_slots; i++) {
                Slot *s = p->slots[i];

                if (!s->bound)
                        continue;
                slot_lookup_node(p, s, now);
                devs[n++] = (CdiDevice) { .bus = s->bus, .name = strchr(s->key, '/') + 1,
                                          .cdi_name = s->cdi_name, .group = s->group, .node = s->node };
        }
        r = cdi_write_specs(m->root.fd, p->cdi_dir, devs, n, &p->container);
        if (r < 0 && r != p->cdi_error)
                log_warning_errno(r, "Cannot write the CDI specs in /%s: %m", p->cdi_dir);
        else if (r >= 0 && p->cdi_error < 0)
                log_info("CDI specs in /%s written again.", p->cdi_dir);
        p->cdi_error = r < 0 ? r : 0;
        /* Not dirty any more even on failure: the next change tries again. */
        p->cdi_dirty = false;
}

static void write_metrics(Publisher *p) {
        Manager *m = p->manager;
        unsigned devices[_BUS_MAX * _STATE_MAX] = {};
        Metrics x = p->counters;
        int r;

        for (size_t i = 0; i < m->n_entries; i++)
                if (m->entries[i]->present)
                        devices[m->entries[i]->bus * _STATE_MAX + m->entries[i]->status]++;
        for (size_t i = 0; i < p->n_slots; i++)
                for (GuardReason g = 0; g < _GUARD_REASON_MAX; g++)
                        x.refused[g] += (p->slots[i]->refused >> g) & 1;
        x.states = state_table;
        x.n_states = _STATE_MAX;
        x.devices = devices;
        if (m->executor) {
                ExecutorStats st;

                executor_stats(m->executor, &st);
                x.abandoned_writes = st.abandoned;
        }
        r = metrics_write(m->root.fd, p->metrics_dir, &x);
        /* No directory: no node_exporter to read it; say so once, quietly. */
        if (r < 0 && r != p->metrics_error)
                log_full_errno(r == -ENOENT ? LOG_DEBUG : LOG_WARNING, r, "Cannot write /%s/%s: %m", p->metrics_dir,
                               METRICS_FILE);
        p->metrics_error = r < 0 ? r : 0;
}

static bool throttle_due(Throttle *t) {
        int enabled = SD_EVENT_OFF;

        return t->timer && sd_event_source_get_enabled(t->timer, &enabled) >= 0 && enabled != SD_EVENT_OFF;
}

static int on_throttle(sd_event_source *s, uint64_t usec, void *userdata) {
        Throttle *t = userdata;

        t->last_usec = usec;
        t->run(t->publisher);
        return 0;
}

/* Runs now when the last run is an interval ago, else arms the timer for then. */
static void throttle_kick(Throttle *t, sd_event *e) {
        uint64_t now, at;
        int r;

        if (throttle_due(t) || sd_event_now(e, CLOCK_MONOTONIC, &now) < 0)
                return;
        if (t->last_usec == 0 || now >= t->last_usec + t->interval_usec) {
                t->last_usec = now;
                t->run(t->publisher);
                return;
        }
        at = t->last_usec + t->interval_usec;
        if (!t->timer)
                r = sd_event_add_time(e, &t->timer, CLOCK_MONOTONIC, at, 0, on_throttle, t);
        else {
                r = sd_event_source_set_time(t->timer, at);
                if (r >= 0)
                        r = sd_event_source_set_enabled(t->timer, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                log_warning_errno(r, "Cannot schedule a write: %m");
}

static void throttle_flush(Throttle *t) {
        if (throttle_due(t))
                t->run(t->publisher);
        t->timer = sd_event_source_disable_unref(t->timer);
}

void publisher_sync(Publisher *p) {
        uint64_t now;

        if (!p || sd_event_now(p->manager->event, CLOCK_MONOTONIC, &now) < 0)
                return;
        if (p->cdi_dir && p->cdi_dirty) {
                p->cdi.timer = sd_event_source_disable_unref(p->cdi.timer);
                p->cdi.last_usec = now;
                write_cdi(p);
        }
        if (p->metrics_dir) {
                p->metrics.timer = sd_event_source_disable_unref(p->metrics.timer);
                p->metrics.last_usec = now;
                write_metrics(p);
        }
}

void publisher_changed(Publisher *p) {
        if (!p)
                return;
        if (p->cdi_dir && p->cdi_dirty)
                throttle_kick(&p->cdi, p->manager->event);
        if (p->metrics_dir)
                throttle_kick(&p->metrics, p->manager->event);
}
