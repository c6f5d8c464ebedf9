/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "device.h"

/* Kernel uevents of the buses of bus_table, through libudev: the only file that talks to it. */

typedef struct Monitor Monitor;

typedef enum MonitorAction {
        ACTION_ADD,
        ACTION_REMOVE,
        ACTION_CHANGE,
        ACTION_MOVE,
        ACTION_BIND,
        ACTION_UNBIND,
        ACTION_OTHER,
        ACTION_DRIVER_ADD,      /* a driver registered on @bus: @name is the driver's */
} MonitorAction;

/* @name is NULL and @action ACTION_OTHER when events were lost (ENOBUFS): rescan everything. */
typedef void (*monitor_handler_t)(Monitor *m, MonitorAction action, Bus bus, const char *name, void *userdata);

int monitor_new(sd_event *event, monitor_handler_t handler, void *userdata, Monitor **ret);
Monitor *monitor_free(Monitor *m);
