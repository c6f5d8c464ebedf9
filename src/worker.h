/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Sysfs writes that can block: an unbind whose driver's remove() hangs, a probe that never
 * returns. Each write runs on a worker thread; the caller waits at most a timeout. A write that
 * does not return in time is abandoned (its thread stays blocked in the kernel, and is left
 * alone) and a fresh thread takes the next job, so one stuck device never freezes the rest. */

typedef struct Worker Worker;

int worker_new(Worker **ret);
/* Threads still blocked are not joined: they may never come back. */
Worker *worker_free(Worker *w);

/* Writes @value to @attr relative to @dirfd (dup'ed: the caller keeps its fd). Returns what
 * sysfs_write_attr() returned, or -ETIME when @timeout_usec passed first. */
int worker_write(Worker *w, int dirfd, const char *attr, const char *value, uint64_t timeout_usec);
/* How many threads were abandoned so far. */
unsigned worker_abandoned(const Worker *w);
