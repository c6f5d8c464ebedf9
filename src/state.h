/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "device.h"

/* What the daemon and the tool remember of a device under /run/vfio-platform-bindd/: what it had
 * before we moved it (so that restore and restarts know), and how the last bind ended. One small
 * file per device, replaced atomically. */

typedef struct DeviceRecord {
        char *previous_driver;          /* NULL: it was unbound */
        char *previous_override;        /* NULL: none */
        char *target;                   /* the driver we moved it to */
        char *rule;                     /* "NAME (FILE:LINE)" */
        char *status;                   /* "bound", "failed", "pending" */
        char *reason;                   /* why it failed */
} DeviceRecord;

void device_record_done(DeviceRecord *r);

/* The state directory under @root_fd, created when @create. */
int state_open(int root_fd, bool create, int *ret_fd);
int state_save(int state_fd, Bus bus, const char *name, const DeviceRecord *rec);
/* -ENOENT when nothing is recorded. */
int state_load(int state_fd, Bus bus, const char *name, DeviceRecord *ret);
/* False when @name surely has no record: one fstatat() where state_load() needs three system
 * calls to fail (a pass looks up every device that the policy does not select). */
bool state_maybe_exists(int state_fd, Bus bus, const char *name);
int state_remove(int state_fd, Bus bus, const char *name);
/* A sysfs write has hung since boot (the file is under /run): the programs then write through a
 * worker thread that can give up on a write, instead of inline. */
#define WRITE_HUNG_FILE "write-hung"
bool state_write_ever_hung(int state_fd);
int state_mark_write_hung(int state_fd, const char *attr);

/* Serialization, apart for tests. */
char *device_record_format(const DeviceRecord *rec);
int device_record_parse(const char *text, DeviceRecord *ret);
