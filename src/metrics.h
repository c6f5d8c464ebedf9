/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "guard.h"

/* The daemon's metrics in Prometheus' text format, for node_exporter's textfile collector:
 * formatting is pure, the file is replaced atomically. Names and labels are documented in
 * vfio-platform-bindd(8); no series carries a device name (the journal and "bindctl status"
 * name the devices, the metrics count them). Never logs. */

#define METRICS_DIR "var/lib/prometheus/node-exporter" /* Debian's, relative to the root */
#define METRICS_FILE "vfio_platform_bindd.prom"

typedef enum FailureReason {
        FAILURE_PROBE,          /* the probe ran, the target did not take the device (or is missing) */
        FAILURE_WRITE,          /* sysfs refused a write or a read */
        FAILURE_TIMEOUT,        /* a write did not return in time and was abandoned */
        FAILURE_ERROR,          /* anything else: the device could not be read, no memory */
        _FAILURE_REASON_MAX,
} FailureReason;

const char *failure_reason_to_string(FailureReason r) _pure_;
/* The reason of a failed bind: @error is what apply_device() returned, @rep its report. */
FailureReason failure_reason_of(int error, const BindReport *rep) _pure_;

typedef struct Metrics {
        const char *version;
        const char * const *states;     /* the values of the "state" label, _STATE_MAX of them */
        unsigned n_states;
        const unsigned *devices;        /* devices present: [bus * n_states + state] */
        uint64_t bind_failures[_FAILURE_REASON_MAX];
        unsigned refused[_GUARD_REASON_MAX];    /* devices present that the guard keeps, by reason */
        uint64_t abandoned_writes;
        uint64_t reloads_success, reloads_failure;
        bool last_reload_success;
        uint64_t last_reload_usec;      /* CLOCK_REALTIME of the last successful load; 0: none */
} Metrics;

/* The text of the .prom file. NULL on allocation failure. */
char *metrics_format(const Metrics *m);
/* Writes <root>/@dir/vfio_platform_bindd.prom atomically (0644: node_exporter reads it as its
 * own user). The directory is not created: -ENOENT when it is missing. */
int metrics_write(int root_fd, const char *dir, const Metrics *m);
