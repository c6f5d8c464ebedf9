/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The executor's lanes (src/executor.c) with real threads and real files: jobs come back through
 * the eventfd, a write that blocks is abandoned and comes back late, and a write that has just
 * started is never taken for one that hangs. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "executor.h"
#include "macro.h"
#include "testutil.h"
#include "worker.h"

static char *dir;
static int dir_fd = -EBADF;

static void setup(void) {
        _cleanup_close_ int fd = -EBADF;

        dir = tu_mkdtemp();
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(dir_fd, 0);
        fd = openat(dir_fd, "attr", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        /* Opening a FIFO for writing blocks until a reader comes: a write that hangs. Its reader
         * may be gone when the write comes: EPIPE, not the signal. */
        signal(SIGPIPE, SIG_IGN);
        ck_assert_int_eq(mkfifoat(dir_fd, "hang", 0600), 0);
}

static void teardown(void) {
        if (dir_fd >= 0)
                close(dir_fd);
        dir_fd = -EBADF;
        tu_rm_rf(dir);
        free(dir);
}

/* Waits (at most a minute) for the executor's fd, then takes every finished job. */
static size_t take_all(Executor *ex, void **jobs, size_t max, bool *late) {
        struct pollfd p = { .fd = executor_fd(ex), .events = POLLIN };
        uint64_t n;
        size_t k = 0;
        void *j;

        ck_assert_int_eq(poll(&p, 1, 60000), 1);
        ck_assert_int_eq(read(p.fd, &n, sizeof n), (ssize_t) sizeof n);
        while ((j = executor_take(ex, late ? &late[k] : NULL))) {
                ck_assert_uint_lt(k, max);
                jobs[k++] = j;
        }
        return k;
}

/* Job i writes "attr" (many times); job HANG opens the FIFO instead. */
#define WRITES 2000
#define HANG 100L
static atomic_uint runs, hangs_over;

static void run_writes(void *job) {
        long id = (long) job;

        atomic_fetch_add(&runs, 1);
        if (id == HANG) {
                (void) worker_write(NULL, dir_fd, "hang", "x", 0);
                atomic_fetch_add(&hangs_over, 1);
                return;
        }
        for (unsigned i = 0; i < WRITES; i++)
                ck_assert_int_eq(worker_write(NULL, dir_fd, "attr", "x", 0), 0);
}

START_TEST(test_jobs_come_back) {
        Executor *ex = NULL;
        void *jobs[64];
        bool seen[33] = {};
        size_t n = 0;

        atomic_store(&runs, 0);
        ck_assert_int_eq(executor_new(4, 8, run_writes, &ex), 0);
        for (long i = 1; i <= 32; i++)
                ck_assert_int_eq(executor_submit(ex, (void *) i, i % 2), 0);
        while (n < 32)
                n += take_all(ex, jobs + n, ELEMENTSOF(jobs) - n, NULL);
        ck_assert_uint_eq(n, 32);
        for (size_t i = 0; i < n; i++) {
                long id = (long) jobs[i];

                ck_assert(id >= 1 && id <= 32 && !seen[id]);
                seen[id] = true;
        }
        ck_assert_uint_eq(atomic_load(&runs), 32);
        ck_assert_uint_eq(executor_free(ex, 60 * 1000000ULL, NULL), 0);
}
END_TEST

static unsigned n_stalls;
static void *stalled_job;

static void on_stall(void *job, const char *attr, void *userdata) {
        n_stalls++;
        stalled_job = job;
        ck_assert_str_eq(attr, userdata);
}

/* A lane starts its writes without the executor's lock: a write that begins while the stall
 * check runs is seconds away from the timeout, not hung (the check once read the clock first,
 * and now - since wrapped around for such a write). */
START_TEST(test_fresh_write_not_stalled) {
        Executor *ex = NULL;
        void *jobs[8];
        size_t n = 0;

        ck_assert_int_eq(executor_new(4, 8, run_writes, &ex), 0);
        for (long i = 1; i <= 4; i++)
                ck_assert_int_eq(executor_submit(ex, (void *) i, 0), 0);
        n_stalls = 0;
        while (n < 4) {
                struct pollfd p = { .fd = executor_fd(ex), .events = POLLIN };

                executor_check_stalls(ex, 3600 * 1000000ULL, on_stall, (void *) "attr");
                if (poll(&p, 1, 0) == 1)
                        n += take_all(ex, jobs + n, ELEMENTSOF(jobs) - n, NULL);
        }
        ck_assert_uint_eq(n_stalls, 0);
        ck_assert_uint_eq(executor_free(ex, 60 * 1000000ULL, NULL), 0);
}
END_TEST

/* A job stuck in a write is abandoned (once), a new lane takes the other jobs, and the stuck job
 * comes back late when the write returns. */
START_TEST(test_stuck_lane_abandoned) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int reader = -EBADF;
        Executor *ex = NULL;
        ExecutorStats st;
        void *jobs[8];
        bool late[8] = {};
        size_t n = 0;

        ck_assert_int_eq(executor_new(1, 8, run_writes, &ex), 0);
        ck_assert_int_eq(executor_submit(ex, (void *) HANG, 0), 0);
        n_stalls = 0;
        stalled_job = (void *) -1L;
        for (unsigned i = 0; n_stalls == 0 && i < 60000; i++) {
                executor_check_stalls(ex, 0, on_stall, (void *) "hang");
                usleep(1000);
        }
        ck_assert_uint_eq(n_stalls, 1);
        ck_assert_ptr_eq(stalled_job, (void *) HANG);
        executor_stats(ex, &st);
        ck_assert_uint_eq(st.stuck, 1);
        ck_assert_uint_eq(st.active, 1);
        ck_assert_uint_eq(st.abandoned, 1);

        /* The replacement runs the next job while the first still hangs. */
        ck_assert_int_eq(executor_submit(ex, (void *) 5L, 0), 0);
        n = take_all(ex, jobs, ELEMENTSOF(jobs), late);
        ck_assert_uint_eq(n, 1);
        ck_assert_ptr_eq(jobs[0], (void *) 5L);
        ck_assert(!late[0]);
        executor_check_stalls(ex, 0, on_stall, (void *) "hang");
        ck_assert_uint_eq(n_stalls, 1); /* reported once */

        ck_assert_int_ge(asprintf(&p, "%s/hang", dir), 0);
        reader = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        ck_assert_int_ge(reader, 0);
        n = take_all(ex, jobs, ELEMENTSOF(jobs), late);
        ck_assert_uint_eq(n, 1);
        ck_assert_ptr_eq(jobs[0], (void *) HANG);
        ck_assert(late[0]);
        executor_stats(ex, &st);
        ck_assert_uint_eq(st.stuck, 0);
        ck_assert_uint_eq(executor_free(ex, 60 * 1000000ULL, NULL), 0);
}
END_TEST

/* Freed while a lane hangs: the lane is counted, and left to itself (it frees what is left). */
START_TEST(test_free_with_stuck_lane) {
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int reader = -EBADF;
        Executor *ex = NULL;

        atomic_store(&runs, 0);
        atomic_store(&hangs_over, 0);
        ck_assert_int_eq(executor_new(2, 8, run_writes, &ex), 0);
        ck_assert_int_eq(executor_submit(ex, (void *) HANG, 0), 0);
        while (atomic_load(&runs) == 0)
                usleep(1000);
        ck_assert_uint_eq(executor_free(ex, 1000, NULL), 1);
        /* Release it: it hands its job back to nobody, and the last one out frees. */
        ck_assert_int_ge(asprintf(&p, "%s/hang", dir), 0);
        reader = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        ck_assert_int_ge(reader, 0);
        /* Not past its write, the lane would read dir_fd while teardown() closes it. */
        for (unsigned i = 0; atomic_load(&hangs_over) == 0 && i < 60000; i++)
                usleep(1000);
        ck_assert_uint_eq(atomic_load(&hangs_over), 1);
}
END_TEST

static Suite *executor_suite(void) {
        Suite *s = suite_create("executor");
        TCase *tc = tcase_create("lanes");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_jobs_come_back);
        tcase_add_test(tc, test_fresh_write_not_stalled);
        tcase_add_test(tc, test_stuck_lane_abandoned);
        tcase_add_test(tc, test_free_with_stuck_lane);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(executor_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
