/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "apply.h"
#include "report.h"

/* What the daemon publishes for others: the CDI specs of the devices on VFIO drivers (for
 * container runtimes) and the metrics file (for node_exporter). The manager tells it each
 * outcome; it writes the specs after each burst of events when they changed, and the metrics
 * at most once a second. */

typedef struct Manager Manager;
typedef struct Publisher Publisher;

typedef struct PublishConfig {
        const char *cdi_dir;            /* relative to the root; NULL: no specs */
        const char *metrics_dir;        /* relative to the root; NULL: no metrics */
} PublishConfig;

/* The CDI specs are on when the parent of cdi_dir exists; the metrics whenever their
 * directory exists at the time of a write. */
int publisher_new(Manager *m, const PublishConfig *c, Publisher **ret);
Publisher *publisher_free(Publisher *p);

/* Every function below is a no-op on NULL. */
void publisher_device(Publisher *p, Bus bus, const char *name, DeviceState state, int error, const ApplyResult *res);
void publisher_forget(Publisher *p, Bus bus, const char *name);
void publisher_policy_loaded(Publisher *p, bool reload, bool success);
/* After a burst of events: specs now, metrics within a second. */
void publisher_changed(Publisher *p);
/* Writes what changed now, throttle or not: before READY=1, so that a unit ordered after the
 * daemon finds the specs of the devices bound at start. */
void publisher_sync(Publisher *p);
