/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "sysfs.h"
#include "worker.h"

/* One job, shared by the caller and the thread; whoever lets go last frees it. */
typedef struct Job {
        int dirfd;
        char *attr;
        char *value;
        int result;
        bool started;
        bool done;
        unsigned refs;
} Job;

/* A thread and its mailbox. Abandoned with its job when the job times out. */
typedef struct Thread {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        Job *job;               /* the job to run, or the one running */
        bool quit;
        unsigned refs;          /* the Worker's, and the thread's own */
} Thread;

struct Worker {
        Thread *thread;
        pthread_t tid;
        unsigned abandoned;
};

static void job_unref(Job *j) {
        if (--j->refs > 0)
                return;
        if (j->dirfd >= 0)
                close(j->dirfd);
        free(j->attr);
        free(j->value);
        free(j);
}

static void thread_unref_locked(Thread *t) {
        bool last = --t->refs == 0;

        pthread_mutex_unlock(&t->lock);
        if (last) {
                pthread_mutex_destroy(&t->lock);
                pthread_cond_destroy(&t->cond);
                free(t);
        }
}

static void *thread_main(void *p) {
        Thread *t = p;

        pthread_mutex_lock(&t->lock);
        for (;;) {
                Job *j;
                int r;

                while (!t->quit && !t->job)
                        pthread_cond_wait(&t->cond, &t->lock);
                if (t->quit)
                        break;
                j = t->job;
                j->started = true;
                pthread_mutex_unlock(&t->lock);

                r = sysfs_write_attr(j->dirfd, j->attr, j->value);

                pthread_mutex_lock(&t->lock);
                j->result = r;
                j->done = true;
                if (t->job == j)
                        t->job = NULL;
                else    /* abandoned: nobody waits for us any more */
                        t->quit = true;
                job_unref(j);
                /* Wake the caller with the mutex released, or it wakes only to block on it. */
                pthread_mutex_unlock(&t->lock);
                pthread_cond_broadcast(&t->cond);
                pthread_mutex_lock(&t->lock);
        }
        thread_unref_locked(t);
        return NULL;
}

static void cond_init_monotonic(pthread_cond_t *c) {
        pthread_condattr_t ca;

        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(c, &ca);
        pthread_condattr_destroy(&ca);
}

int thread_spawn(void *(*fn)(void *), void *arg, size_t stack_size, bool detached, pthread_t *ret) {
        pthread_attr_t attr;
        pthread_t tid;
        int r;

        pthread_attr_init(&attr);
        if (stack_size > 0)
                pthread_attr_setstacksize(&attr, stack_size);
        if (detached)
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        r = pthread_create(&tid, &attr, fn, arg);
        pthread_attr_destroy(&attr);
        if (r != 0)
                return -r;
        if (ret)
                *ret = tid;
        return 0;
}

static int thread_start(Worker *w) {
        Thread *t;
        int r;

        t = calloc(1, sizeof(Thread));
        if (!t)
                return -ENOMEM;
        pthread_mutex_init(&t->lock, NULL);
        cond_init_monotonic(&t->cond);
        t->refs = 2;

        /* Small stacks: a worker only opens and writes one file. */
        r = thread_spawn(thread_main, t, 64 * 1024, false, &w->tid);
        if (r < 0) {
                pthread_mutex_destroy(&t->lock);
                pthread_cond_destroy(&t->cond);
                free(t);
                return r;
        }
        w->thread = t;
        return 0;
}

int worker_new(Worker **ret) {
        Worker *w = calloc(1, sizeof(Worker));
        int r;

        if (!w)
                return -ENOMEM;
        r = thread_start(w);
        if (r < 0) {
                free(w);
                return r;
        }
        *ret = w;
        return 0;
}

Worker *worker_free(Worker *w) {
        Thread *t;

        if (!w)
                return NULL;
        t = w->thread;
        if (t) {
                /* Idle: worker_write() never returns while its job runs. */
                pthread_mutex_lock(&t->lock);
                t->quit = true;
                pthread_cond_broadcast(&t->cond);
                thread_unref_locked(t);
                pthread_join(w->tid, NULL);
        }
        free(w);
        return NULL;
}

static void deadline(struct timespec *ts, uint64_t usec) {
        clock_gettime(CLOCK_MONOTONIC, ts);
        ts->tv_sec += usec / 1000000;
        ts->tv_nsec += (usec % 1000000) * 1000;
        if (ts->tv_nsec >= 1000000000) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000;
        }
}

static _Thread_local WriteWatch *thread_watch;

void write_watch_attach(WriteWatch *w) {
        thread_watch = w;
}

uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int write_inline(int dirfd, const char *attr, const char *value) {
        WriteWatch *w = thread_watch;
        int r;

        if (!w)
                return sysfs_write_attr(dirfd, attr, value);
        atomic_store(&w->attr, attr);
        atomic_store(&w->since_usec, now_usec() ?: 1);
        r = sysfs_write_attr(dirfd, attr, value);
        atomic_store(&w->since_usec, 0);
        return r;
}

int worker_write(Worker *w, int dirfd, const char *attr, const char *value, uint64_t timeout_usec) {
        struct timespec ts;
        Thread *t;
        Job *j;
        int r = 0;

        if (!w)
                return write_inline(dirfd, attr, value);
        if (!w->thread) {
                r = thread_start(w);
                if (r < 0)
                        return r;
        }
        t = w->thread;

        j = calloc(1, sizeof(Job));
        if (!j)
                return -ENOMEM;
        j->refs = 2; /* ours and the thread's */
        j->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        j->attr = strdup(attr);
        j->value = strdup(value);
        if (j->dirfd < 0 || !j->attr || !j->value) {
                r = j->dirfd < 0 ? -errno : -ENOMEM;
                j->refs = 1;
                job_unref(j);
                return r;
        }

        deadline(&ts, timeout_usec);
        pthread_mutex_lock(&t->lock);
        t->job = j;
        /* Wake the thread with the mutex released, or it wakes only to block on it. */
        pthread_mutex_unlock(&t->lock);
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_lock(&t->lock);
        while (!j->done && r == 0)
                r = pthread_cond_timedwait(&t->cond, &t->lock, &ts);
        if (j->done) {
                r = j->result;
                job_unref(j);
                pthread_mutex_unlock(&t->lock);
                return r;
        }

        t->job = NULL;
        if (!j->started) { /* the thread never got to it: it is not stuck */
                j->refs = 1;
                job_unref(j);
                pthread_mutex_unlock(&t->lock);
                return -ETIME;
        }

        /* Timed out: leave the job to the thread, and the thread to itself. */
        job_unref(j);
        thread_unref_locked(t);
        pthread_detach(w->tid);
        w->thread = NULL;
        w->abandoned++;
        return -ETIME;
}

unsigned worker_abandoned(const Worker *w) {
        return w ? w->abandoned : 0;
}

struct WriteWatchdog {
        WriteWatch *watch;
        uint64_t timeout_usec;
        write_hung_fn fn;
        void *userdata;
        pthread_t tid;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool quit;
};

static void *watchdog_main(void *p) {
        WriteWatchdog *d = p;
        uint64_t reported = 0;
        struct timespec ts;

        pthread_mutex_lock(&d->lock);
        while (!d->quit) {
                uint64_t since = atomic_load(&d->watch->since_usec);

                if (since != 0 && since != reported && now_usec() - since > d->timeout_usec) {
                        reported = since;
                        pthread_mutex_unlock(&d->lock);
                        d->fn(atomic_load(&d->watch->attr), d->userdata);
                        pthread_mutex_lock(&d->lock);
                        continue;
                }
                deadline(&ts, 100 * 1000);
                (void) pthread_cond_timedwait(&d->cond, &d->lock, &ts);
        }
        pthread_mutex_unlock(&d->lock);
        return NULL;
}

int write_watchdog_new(WriteWatch *w, uint64_t timeout_usec, write_hung_fn fn, void *userdata, WriteWatchdog **ret) {
        WriteWatchdog *d;
        int r;

        d = calloc(1, sizeof(WriteWatchdog));
        if (!d)
                return -ENOMEM;
        *d = (WriteWatchdog) { .watch = w, .timeout_usec = timeout_usec, .fn = fn, .userdata = userdata };
        pthread_mutex_init(&d->lock, NULL);
        cond_init_monotonic(&d->cond);
        r = thread_spawn(watchdog_main, d, 64 * 1024, false, &d->tid);
        if (r < 0) {
                pthread_mutex_destroy(&d->lock);
                pthread_cond_destroy(&d->cond);
                free(d);
                return r;
        }
        *ret = d;
        return 0;
}

WriteWatchdog *write_watchdog_free(WriteWatchdog *d) {
        if (!d)
                return NULL;
        pthread_mutex_lock(&d->lock);
        d->quit = true;
        pthread_mutex_unlock(&d->lock);
        pthread_cond_signal(&d->cond);
        pthread_join(d->tid, NULL);
        pthread_mutex_destroy(&d->lock);
        pthread_cond_destroy(&d->cond);
        free(d);
        return NULL;
}
