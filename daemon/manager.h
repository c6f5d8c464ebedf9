/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "engine.h"
#include "executor.h"
#include "hashmap.h"
#include "monitor.h"
#include "policy-load.h"
#include "publish.h"
#include "report.h"

/* The daemon's state and logic: coldplug, uevents, reload. */

typedef struct Entry {
        Bus bus;
        bool present;
        bool busy;              /* a job for it is queued or running: at most one at a time */
        bool again;             /* an event came meanwhile: run it again when the job is back */
        bool again_reconcile;
        bool stalled;           /* its job's write hangs: reported once, the device waits for it */
        bool removed;           /* removed while busy: its record goes when the job is back */
        bool waiting_reconcile; /* the flag of its job, while it waits for a place */
        unsigned seen;          /* the last coldplug that found it */
        unsigned covered;       /* a queued job already decides it under the policy of this coldplug */
        DeviceState status;
        char key[];             /* "bus/name" */
} Entry;

typedef struct EntryQueue {
        Entry **v;
        size_t head, n, allocated;
} EntryQueue;

typedef struct Manager {
        Root root;
        char **policy_files;    /* --policy=FILE: read these instead of the directories */
        Policy *policy;
        Engine engine;
        bool keep_on_reload;

        /* The device jobs run on the executor's lanes; the loop only queues them and takes the
         * results back, so it never waits for sysfs. */
        Executor *executor;
        sd_event_source *jobs_done;
        sd_event_source *stall_timer;   /* armed while jobs run: finds writes that hang */
        size_t in_flight;               /* busy devices: waiting, queued or running, stalled too */
        size_t submitted;               /* jobs handed to the executor, stalled ones included */
        size_t n_stalled;
        /* Busy devices whose job is not made yet: a burst of 10,000 costs a pointer each, not a
         * job each. [1]: buses that bind by IOMMU group, whose jobs run one at a time: they wait
         * here, not in the executor, so that one that hangs holds up only them. */
        EntryQueue waiting[2];
        size_t group_submitted;
        bool settling;                  /* a coldplug's jobs are not all back yet */
        bool ready_pending;             /* READY=1 once they are (start, reload) */
        bool stopping;
        sd_event *event;
        Monitor *monitor;
        sd_event_source *rescan;
        sd_event_source *notify;        /* STATUS= after a burst of events (a defer source) */
        Publisher *publisher;           /* CDI specs and metrics; NULL: none */

        Entry **entries;
        size_t n_entries;
        IndexMap *by_key;
        unsigned counts[_STATE_MAX];
        unsigned coldplugs;     /* how many walks over every device so far */
        char last_status[224];
} Manager;

int manager_new(const Root *root, const EngineConfig *config, bool keep_on_reload, char **policy_files,
                Manager **ret);
Manager *manager_free(Manager *m);
/* The same at the daemon's exit: true when device jobs were still running (stuck in the kernel),
 * whose engine and policy are left to them; the caller keeps holding what they rely on. */
bool manager_free_at_exit(Manager *m);

/* Loads the policy; on failure logs every FILE:LINE problem and keeps what it had. */
int manager_load_policy(Manager *m);
/* Enumerates every device and queues its job: each is brought where the policy says; devices
 * that we moved and that the policy no longer selects are restored (unless keep_on_reload).
 * READY=1 (and "Ready: …") follow when every job is back. */
void manager_coldplug(Manager *m);
/* SIGTERM: no new work; queued jobs are dropped. */
void manager_stop(Manager *m);
int manager_reload(Manager *m);
/* Starts listening to uevents; call before the first coldplug so that nothing falls between. */
int manager_start_monitor(Manager *m);
void manager_notify_status(Manager *m, const char *state);
