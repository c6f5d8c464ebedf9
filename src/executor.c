/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "executor.h"
#include "macro.h"
#include "worker.h"

typedef struct Node {
        struct Node *next;
        void *job;
        unsigned serial;
        bool late;
} Node;

typedef struct Lane {
        struct Lane *next;
        Executor *ex;
        WriteWatch watch;
        void *job;              /* the job it runs, under ex->lock */
        bool abandoned;
} Lane;

/* Everything below is under @lock. The threads hold references: the last one out frees. */
struct Executor {
        pthread_mutex_t lock;
        pthread_cond_t work;    /* lanes wait for jobs */
        pthread_cond_t quiet;   /* executor_free() waits for lanes */
        Node *queue, **queue_tail;
        size_t n_queued;
        Node *done, **done_tail;
        Lane *lanes;            /* every live thread, abandoned ones too */
        unsigned want;          /* lanes to keep */
        unsigned active;        /* live lanes that are not abandoned */
        unsigned stuck;         /* abandoned lanes still in their job */
        unsigned abandoned;     /* abandoned so far */
        unsigned max_abandoned;
        size_t running;         /* jobs on active lanes */
        uint64_t serial_busy;   /* bit N: a job of class N runs */
        executor_run_fn run;
        int efd;
        bool quit;
        unsigned refs;
};

static void executor_destroy(Executor *ex) {
        for (Node *n = ex->done, *next; n; n = next) {
                next = n->next;
                free(n); /* a stuck lane's late job: its owner is gone */
        }
        if (ex->efd >= 0)
                close(ex->efd);
        pthread_mutex_destroy(&ex->lock);
        pthread_cond_destroy(&ex->work);
        pthread_cond_destroy(&ex->quiet);
        free(ex);
}

/* The first queued job whose serial class is free. */
static Node *queue_pick(Executor *ex) {
        for (Node **p = &ex->queue; *p; p = &(*p)->next) {
                Node *n = *p;

                if (n->serial > 0 && (ex->serial_busy & (1ULL << n->serial)))
                        continue;
                *p = n->next;
                if (ex->queue_tail == &n->next)
                        ex->queue_tail = p;
                ex->n_queued--;
                n->next = NULL;
                return n;
        }
        return NULL;
}

static void lane_unlink(Executor *ex, Lane *l) {
        for (Lane **p = &ex->lanes; *p; p = &(*p)->next)
                if (*p == l) {
                        *p = l->next;
                        return;
                }
}

/* A finished job goes back to the caller; a lane abandoned meanwhile rejoins the pool when there
 * is room, or leaves. Returns true when the lane goes on. */
static bool lane_finish(Executor *ex, Lane *l, Node *n) {
        uint64_t one = 1;

        l->job = NULL;
        if (n->serial > 0) {
                ex->serial_busy &= ~(1ULL << n->serial);
                pthread_cond_broadcast(&ex->work);
        }
        n->late = l->abandoned;
        *ex->done_tail = n;
        ex->done_tail = &n->next;
        if (!ex->quit)
                (void) !write(ex->efd, &one, sizeof one);
        if (!l->abandoned) {
                ex->running--;
                pthread_cond_broadcast(&ex->quiet);
                return true;
        }
        ex->stuck--;
        if (ex->quit || ex->active >= ex->want)
                return false;
        l->abandoned = false;
        ex->active++;
        return true;
}

static void *lane_main(void *p) {
        Lane *l = p;
        Executor *ex = l->ex;
        bool last;

        write_watch_attach(&l->watch);
        pthread_mutex_lock(&ex->lock);
        for (;;) {
                Node *n = NULL;

                while (!ex->quit && !(n = queue_pick(ex)))
                        pthread_cond_wait(&ex->work, &ex->lock);
                if (!n)
                        break;
                l->job = n->job;
                if (n->serial > 0)
                        ex->serial_busy |= 1ULL << n->serial;
                ex->running++;
                pthread_mutex_unlock(&ex->lock);

                ex->run(n->job);

                pthread_mutex_lock(&ex->lock);
                if (!lane_finish(ex, l, n))
                        goto out;
        }
        ex->active--;
out:
        lane_unlink(ex, l);
        free(l);
        pthread_cond_broadcast(&ex->quiet);
        last = --ex->refs == 0;
        pthread_mutex_unlock(&ex->lock);
        if (last)
                executor_destroy(ex);
        return NULL;
}

/* With @ex->lock held (or before any lane exists). */
static int lane_start(Executor *ex) {
        Lane *l;
        int r;

        l = calloc(1, sizeof(Lane));
        if (!l)
                return -ENOMEM;
        l->ex = ex;
        /* Detached: an abandoned lane may never come back to be joined. A device job needs
         * little stack, libkmod's module loading included. */
        r = thread_spawn(lane_main, l, 512 * 1024, true, NULL);
        if (r < 0) {
                free(l);
                return r;
        }
        l->next = ex->lanes;
        ex->lanes = l;
        ex->active++;
        ex->refs++;
        return 0;
}

int executor_new(unsigned lanes, unsigned max_abandoned, executor_run_fn run, Executor **ret) {
        Executor *ex;
        int r = 0;

        ex = calloc(1, sizeof(Executor));
        if (!ex)
                return -ENOMEM;
        pthread_mutex_init(&ex->lock, NULL);
        pthread_cond_init(&ex->work, NULL);
        pthread_cond_init(&ex->quiet, NULL);
        ex->queue_tail = &ex->queue;
        ex->done_tail = &ex->done;
        ex->want = lanes ?: 1;
        ex->max_abandoned = max_abandoned;
        ex->run = run;
        ex->refs = 1;
        ex->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (ex->efd < 0)
                r = -errno;
        pthread_mutex_lock(&ex->lock);
        for (unsigned i = 0; r >= 0 && i < ex->want; i++)
                r = lane_start(ex);
        pthread_mutex_unlock(&ex->lock);
        if (r < 0) {
                executor_free(ex, 0, NULL);
                return r;
        }
        *ret = ex;
        return 0;
}

static void drop_list(Node **list, Node ***tail, void (*drop)(void *job)) {
        for (Node *n = *list, *next; n; n = next) {
                next = n->next;
                if (drop)
                        drop(n->job);
                free(n);
        }
        *list = NULL;
        *tail = list;
}

unsigned executor_free(Executor *ex, uint64_t timeout_usec, void (*drop)(void *job)) {
        struct timespec deadline;
        unsigned left;
        bool last;

        if (!ex)
                return 0;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += timeout_usec / 1000000;
        deadline.tv_nsec += (timeout_usec % 1000000) * 1000;
        if (deadline.tv_nsec >= 1000000000) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000;
        }

        pthread_mutex_lock(&ex->lock);
        ex->quit = true;
        drop_list(&ex->queue, &ex->queue_tail, drop);
        ex->n_queued = 0;
        pthread_cond_broadcast(&ex->work);
        /* Idle lanes leave at once; running jobs get until the deadline. */
        while (ex->active > 0 && pthread_cond_timedwait(&ex->quiet, &ex->lock, &deadline) == 0)
                ;
        drop_list(&ex->done, &ex->done_tail, drop);
        left = ex->running + ex->stuck;
        last = --ex->refs == 0;
        pthread_mutex_unlock(&ex->lock);
        if (last)
                executor_destroy(ex);
        return left;
}

int executor_fd(const Executor *ex) {
        return ex->efd;
}

int executor_submit(Executor *ex, void *job, unsigned serial) {
        Node *n;

        if (serial >= 64)
                return -EINVAL;
        n = calloc(1, sizeof(Node));
        if (!n)
                return -ENOMEM;
        n->job = job;
        n->serial = serial;
        pthread_mutex_lock(&ex->lock);
        *ex->queue_tail = n;
        ex->queue_tail = &n->next;
        ex->n_queued++;
        pthread_cond_signal(&ex->work);
        pthread_mutex_unlock(&ex->lock);
        return 0;
}

void *executor_take(Executor *ex, bool *ret_late) {
        void *job = NULL;
        Node *n;

        pthread_mutex_lock(&ex->lock);
        n = ex->done;
        if (n) {
                ex->done = n->next;
                if (!ex->done)
                        ex->done_tail = &ex->done;
        }
        pthread_mutex_unlock(&ex->lock);
        if (n) {
                job = n->job;
                if (ret_late)
                        *ret_late = n->late;
                free(n);
        }
        return job;
}

void executor_foreach_queued(Executor *ex, void (*fn)(void *job, void *userdata), void *userdata) {
        pthread_mutex_lock(&ex->lock);
        for (Node *n = ex->queue; n; n = n->next)
                fn(n->job, userdata);
        pthread_mutex_unlock(&ex->lock);
}

void executor_cancel_queued(Executor *ex, void (*drop)(void *job)) {
        pthread_mutex_lock(&ex->lock);
        drop_list(&ex->queue, &ex->queue_tail, drop);
        ex->n_queued = 0;
        pthread_mutex_unlock(&ex->lock);
}

typedef struct Stall {
        void *job;
        const char *attr;
} Stall;

void executor_check_stalls(Executor *ex, uint64_t timeout_usec,
                           void (*fn)(void *job, const char *attr, void *userdata), void *userdata) {
        Stall stalls[64];
        size_t n = 0;

        pthread_mutex_lock(&ex->lock);
        for (Lane *l = ex->lanes; l && n < ELEMENTSOF(stalls); l = l->next) {
                /* The clock after the watch: a lane starts its writes without the lock, so a
                 * write may begin after any earlier reading of the clock (now - since would wrap). */
                uint64_t since = atomic_load(&l->watch.since_usec), now = now_usec();

                if (l->abandoned || !l->job || since == 0 || now < since || now - since <= timeout_usec)
                        continue;
                l->abandoned = true;
                ex->active--;
                ex->running--;
                ex->stuck++;
                ex->abandoned++;
                stalls[n++] = (Stall) { l->job, atomic_load(&l->watch.attr) };
        }
        /* Replace them, as long as the threads that may get stuck stay within the bound: every
         * active lane may be the next. */
        while (ex->active < ex->want && ex->active + ex->stuck < ex->max_abandoned && !ex->quit && lane_start(ex) >= 0)
                ;
        pthread_mutex_unlock(&ex->lock);
        for (size_t i = 0; i < n; i++)
                fn(stalls[i].job, stalls[i].attr, userdata);
}

void executor_stats(Executor *ex, ExecutorStats *ret) {
        pthread_mutex_lock(&ex->lock);
        *ret = (ExecutorStats) {
                .queued = ex->n_queued,
                .running = ex->running,
                .stuck = ex->stuck,
                .abandoned = ex->abandoned,
                .active = ex->active,
                .bound_hit = ex->stuck > 0 && ex->active < ex->want && ex->active + ex->stuck >= ex->max_abandoned,
        };
        pthread_mutex_unlock(&ex->lock);
}
