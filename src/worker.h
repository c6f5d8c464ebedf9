/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sysfs writes that can block: an unbind whose driver's remove() hangs, a probe that never
 * returns. Each write runs on a worker thread; the caller waits at most a timeout. A write that
 * does not return in time is abandoned (its thread stays blocked in the kernel, and is left
 * alone) and a fresh thread takes the next job, so one stuck device never freezes the rest. */

typedef struct Worker Worker;

/* pthread_create() with a stack size (0: the default) and detached or not; negative errno. */
int thread_spawn(void *(*fn)(void *), void *arg, size_t stack_size, bool detached, pthread_t *ret);

int worker_new(Worker **ret);
/* Threads still blocked are not joined: they may never come back. */
Worker *worker_free(Worker *w);

/* Writes @value to @attr relative to @dirfd (dup'ed: the caller keeps its fd). Returns what
 * sysfs_write_attr() returned, or -ETIME when @timeout_usec passed first. With @w NULL, the
 * write is made inline on the calling thread, and the thread's WriteWatch (if any) shows it. */
int worker_write(Worker *w, int dirfd, const char *attr, const char *value, uint64_t timeout_usec);

/* The daemon's device jobs write inline on their own threads (one hand-off per job, not one per
 * write); another thread sees a write that hangs through the writer's watch. @attr must live
 * as long as the program (the engine passes literals). */
typedef struct WriteWatch {
        _Atomic uint64_t since_usec;            /* CLOCK_MONOTONIC; 0: no write running */
        _Atomic(const char *) attr;
} WriteWatch;

/* The watch that this thread's inline writes update (NULL: none). */
void write_watch_attach(WriteWatch *w);
uint64_t now_usec(void);

/* For a program that writes inline on its only thread: a thread that looks at @w every 100 ms
 * and calls @fn once per write that has run longer than @timeout_usec (from that thread). The
 * write itself cannot be given up: the caller learns of it, and can choose the worker next time. */
typedef struct WriteWatchdog WriteWatchdog;
typedef void (*write_hung_fn)(const char *attr, void *userdata);
int write_watchdog_new(WriteWatch *w, uint64_t timeout_usec, write_hung_fn fn, void *userdata, WriteWatchdog **ret);
WriteWatchdog *write_watchdog_free(WriteWatchdog *d);
/* How many threads were abandoned so far. */
unsigned worker_abandoned(const Worker *w);
