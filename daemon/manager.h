/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "engine.h"
#include "hashmap.h"
#include "monitor.h"
#include "policy-load.h"
#include "publish.h"
#include "report.h"

/* The daemon's state and logic: coldplug, uevents, reload. */

typedef struct Entry {
        Bus bus;
        bool present;
        unsigned seen;          /* the last coldplug that found it */
        DeviceState status;
        char key[];             /* "bus/name" */
} Entry;

typedef struct Manager {
        Root root;
        char **policy_files;    /* --policy=FILE: read these instead of the directories */
        Policy *policy;
        Engine engine;
        bool keep_on_reload;

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
        char last_status[160];
} Manager;

int manager_new(const Root *root, const EngineConfig *config, bool keep_on_reload, char **policy_files,
                Manager **ret);
Manager *manager_free(Manager *m);

/* Loads the policy; on failure logs every FILE:LINE problem and keeps what it had. */
int manager_load_policy(Manager *m);
/* Enumerates every device and brings it where the policy says; also restores devices that we
 * moved and that the policy no longer selects (unless keep_on_reload). */
void manager_coldplug(Manager *m);
int manager_reload(Manager *m);
/* Starts listening to uevents; call before the first coldplug so that nothing falls between. */
int manager_start_monitor(Manager *m);
void manager_notify_status(Manager *m, const char *state);
