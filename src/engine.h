/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "diagnose.h"
#include "guard.h"
#include "modules.h"
#include "sysfs.h"
#include "worker.h"

/* The binding engine: moves one device to a driver and back, through sysfs, and says exactly
 * how that went. Does not log: the callers do, with the report. */

typedef enum EngineWrites {
        ENGINE_WRITES_WORKER,           /* through a worker thread that gives up after the timeout */
        ENGINE_WRITES_INLINE,           /* on the calling thread, watched by someone else (the
                                         * daemon's loop watches its device jobs: executor.h) */
        ENGINE_WRITES_AUTO,             /* inline, with a watchdog thread that reports a hang and
                                         * marks it (state.h); the worker once a write has hung */
} EngineWrites;

typedef struct EngineConfig {
        uint64_t write_timeout_usec;    /* a sysfs write that takes longer is abandoned */
        uint64_t verify_timeout_usec;   /* how long a probe may take to show; drivers_probe probes
                                         * synchronously, so this only covers odd drivers */
        bool load_modules;              /* load the target driver's module when needed */
        EngineWrites writes;
        const char *kernel_release;     /* NULL: uname() */
        write_hung_fn on_hung;          /* ENGINE_WRITES_AUTO: told of a write that hangs */
        void *on_hung_userdata;
} EngineConfig;

#define ENGINE_CONFIG_DEFAULT                                   \
        (EngineConfig) {                                        \
                .write_timeout_usec = 10 * 1000000ULL,          \
                .verify_timeout_usec = 100 * 1000ULL,           \
                .load_modules = true,                           \
        }

/* Device jobs may run on several threads at once (the daemon's executor): what they share
 * lazily is behind a lock, the guard behind @lock and libkmod's context behind @modules_lock
 * (a module load may take long, or hang in its init: the loop's reload must not wait for it);
 * the rest is read-only or per device. */
typedef struct Engine {
        Sysfs sysfs;
        int state_fd;           /* -EBADF: remember nothing */
        Worker *worker;         /* NULL: inline writes */
        WriteWatch watch;       /* ENGINE_WRITES_AUTO: the calling thread's writes */
        WriteWatchdog *watchdog;
        pthread_mutex_t lock;
        pthread_mutex_t modules_lock;
        Modules *modules;       /* created on first use; NULL when module loading is off */
        Guard *guard;           /* read on first use: what the host needs (engine_guard()) */
        Guard **retired;        /* forgotten guards a running job may still read: freed at the end */
        size_t n_retired;
        int root_fd;            /* borrowed: the root the programs run on */
        EngineConfig config;
        char kernel_release[65];
} Engine;

typedef enum BindStatus {
        BIND_ALREADY,           /* it was on the target; nothing written but the override */
        BIND_DONE,
        BIND_FAILED,
        BIND_GONE,              /* the device went away meanwhile */
        BIND_TIMEOUT,           /* a write did not return: abandoned */
        BIND_REFUSED,           /* the host needs it (guard.h): nothing written */
        BIND_PINNED,            /* only its override written: a probe binds it later (apply --early) */
        _BIND_STATUS_MAX,
} BindStatus;

typedef struct BindReport {
        BindStatus status;
        int error;              /* negative errno of the failing step, 0 if none */
        unsigned writes;        /* sysfs writes done */
        char reason[512];       /* why it failed, one line; empty on success */
        int record_error;       /* negative errno when the state record could not be written */
} BindReport;

const char *bind_status_to_string(BindStatus s) _pure_;

int engine_init(Engine *e, int root_fd, const EngineConfig *config, bool with_state);
void engine_done(Engine *e);

/* Moves @d to @target: override, unbind the other driver, probe, verify. @d is refreshed. @rule
 * is recorded with the state ("NAME (FILE:LINE)"). */
int engine_bind(Engine *e, DeviceInfo *d, const char *target, const char *rule, BindReport *ret);
/* The same, for a @d that was just read (sysfs_read_device()): no second read first. */
int engine_bind_fresh(Engine *e, DeviceInfo *d, const char *target, const char *rule, BindReport *ret);
/* Writes only @target into @d's driver_override (when it is not there yet): nothing binds. A
 * state record ("pending") keeps what @d had, for the bind that follows (udev's coldplug,
 * through the early rule, or the daemon) and for a restore. */
int engine_pin_recorded(Engine *e, DeviceInfo *d, const char *target, const char *rule, BindReport *ret);
/* Unbinds @d from the driver it is on unless that is @target; 0 when nothing holds it. */
int engine_unbind(Engine *e, DeviceInfo *d, const char *target);
/* Gives @d back: the override it had before (or none), unbind from the target, probe. */
int engine_restore(Engine *e, DeviceInfo *d, BindReport *ret);

/* The console and IOMMU devices, read at the first call; NULL when they cannot be read (then
 * guard_check() still sees each device's own reasons through an empty Guard). */
const Guard *engine_guard(Engine *e);
/* Drops what engine_guard() read, so that the next call reads it again (policy reload). */
void engine_forget_guard(Engine *e);

/* What the system shows about binding @d to @target: driver, module, IOMMU, reset (for explain). */
void engine_collect_facts(Engine *e, const DeviceInfo *d, const char *target, BindFacts *ret);
