/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Runs jobs on a few threads ("lanes") so that the caller's event loop never waits: a job is
 * queued, a lane runs it, and the finished job is handed back through an eventfd that the loop
 * watches. Each lane's writes are inline and watched (worker.h): a lane whose write has not
 * returned in time is abandoned by executor_check_stalls() and replaced while the stuck and
 * active lanes together stay within a bound (so no more threads than that can ever be stuck); the abandoned lane still finishes its job if the write ever returns, hands
 * it back late, and then rejoins the pool (or exits when the pool is full).
 *
 * Jobs of one serial class (> 0) run one at a time; class 0 runs in parallel. The executor never
 * looks inside a job. Only the caller's thread calls these functions. */

typedef struct Executor Executor;
typedef void (*executor_run_fn)(void *job);

int executor_new(unsigned lanes, unsigned max_abandoned, executor_run_fn run, Executor **ret);
/* Drops the queued jobs through @drop, waits up to @timeout_usec for running jobs, and frees
 * what no thread uses any more. Finished jobs not yet taken are passed to @drop too. Returns how
 * many lanes were still running (their jobs are left to them, and never handed back). */
unsigned executor_free(Executor *ex, uint64_t timeout_usec, void (*drop)(void *job));

/* Readable when finished jobs wait to be taken with executor_take(). */
int executor_fd(const Executor *ex);
int executor_submit(Executor *ex, void *job, unsigned serial);
/* The next finished job, or NULL. @ret_late: it ran on a lane abandoned meanwhile. */
void *executor_take(Executor *ex, bool *ret_late);
/* Calls @fn for every queued job (not started yet), e.g. to give it a new policy. */
void executor_foreach_queued(Executor *ex, void (*fn)(void *job, void *userdata), void *userdata);
/* Drops the queued jobs through @drop. */
void executor_cancel_queued(Executor *ex, void (*drop)(void *job));

/* Abandons every lane whose write started more than @timeout_usec ago, calling @fn with its job
 * (still the lane's: read only what does not change) and the attribute being written. */
void executor_check_stalls(Executor *ex, uint64_t timeout_usec,
                           void (*fn)(void *job, const char *attr, void *userdata), void *userdata);

typedef struct ExecutorStats {
        size_t queued;
        size_t running;         /* on lanes that are not abandoned */
        unsigned active;        /* lanes that take jobs */
        unsigned stuck;         /* abandoned lanes still blocked */
        unsigned abandoned;     /* lanes abandoned so far */
        bool bound_hit;         /* stuck lanes are no longer all replaced: with the active ones, they
                                 * reach the bound of threads that may be stuck */
} ExecutorStats;

void executor_stats(Executor *ex, ExecutorStats *ret);
