/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lat-probe.so: a latency probe preloaded first into the daemon by bench/bench.c
 * (LD_PRELOAD=lat-probe.so:fk-shim.so:libumockdev-preload.so.0). It timestamps, with
 * CLOCK_MONOTONIC and no system call of its own:
 *   - the return of a recvmsg() that delivered an "add@..." uevent (the daemon has the event);
 *   - the entry of the first write() after it to a file opened as ".../driver_override" (the
 *     daemon writes the override; the fake kernel's shim and the harness come after);
 *   - and it counts the processes that load it (the daemon, and anything the daemon starts,
 *     which inherits LD_PRELOAD) and the fork() children of the daemon.
 * Records go to a shared file ($BENCH_PROBE_FILE, created by the harness, ProbeLog below);
 * event k (0-based, in order of arrival) fills slot k. The harness sends one event at a time
 * and waits for the daemon to be idle, so the k-th write belongs to the k-th event.
 * Inactive without $BENCH_PROBE_FILE. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lat-probe.h"

#define EXPORT __attribute__((visibility("default")))
#define FD_MAX 65536

static ProbeLog *plog;
static atomic_uchar override_fd[FD_MAX];
static atomic_int pending = -1; /* slot waiting for its write, -1: none */

static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_close)(int);

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void count_fork(void) {
        atomic_fetch_add((_Atomic uint32_t *) &plog->n_forks, 1);
}

__attribute__((constructor)) static void probe_init(void) {
        const char *path = getenv("BENCH_PROBE_FILE");
        int fd;
        void *p;

        real_recvmsg = dlsym(RTLD_NEXT, "recvmsg");
        real_write = dlsym(RTLD_NEXT, "write");
        real_openat = dlsym(RTLD_NEXT, "openat");
        real_openat64 = dlsym(RTLD_NEXT, "openat64");
        real_close = dlsym(RTLD_NEXT, "close");
        if (!path)
                return;
        /* Raw system calls: the other preloads may not be initialised yet. */
        fd = (int) syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return;
        p = mmap(NULL, sizeof(ProbeLog), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        (void) syscall(SYS_close, fd);
        if (p != MAP_FAILED && ((ProbeLog *) p)->magic == PROBE_MAGIC) {
                plog = p;
                /* Every process started from the daemon inherits LD_PRELOAD and lands here. */
                atomic_fetch_add((_Atomic uint32_t *) &plog->n_execs, 1);
                pthread_atfork(NULL, NULL, count_fork);
        }
}

static bool is_override(const char *path) {
        size_t n = path ? strlen(path) : 0;

        return n >= 15 && strcmp(path + n - 15, "driver_override") == 0 && (n == 15 || path[n - 16] == '/');
}

static int track(int fd, const char *path, int flags) {
        if (plog && fd >= 0 && fd < FD_MAX)
                atomic_store(&override_fd[fd], (flags & O_ACCMODE) != O_RDONLY && is_override(path));
        return fd;
}

static mode_t mode_arg(int flags, va_list ap) {
        return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t) va_arg(ap, int) : 0;
}

EXPORT int openat(int dirfd, const char *path, int flags, ...) {
        va_list ap;
        mode_t m;

        va_start(ap, flags);
        m = mode_arg(flags, ap);
        va_end(ap);
        return track(real_openat(dirfd, path, flags, m), path, flags);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...) {
        va_list ap;
        mode_t m;

        va_start(ap, flags);
        m = mode_arg(flags, ap);
        va_end(ap);
        return track(real_openat64(dirfd, path, flags, m), path, flags);
}

EXPORT int close(int fd) {
        if (fd >= 0 && fd < FD_MAX)
                atomic_store(&override_fd[fd], 0);
        return real_close(fd);
}

EXPORT ssize_t write(int fd, const void *buf, size_t n) {
        if (plog && fd >= 0 && fd < FD_MAX && atomic_load(&override_fd[fd])) {
                uint64_t t = now_ns();
                int k = atomic_exchange(&pending, -1);

                if (k >= 0 && k < PROBE_SLOTS)
                        plog->write_ns[k] = t;
                atomic_fetch_add((_Atomic uint32_t *) &plog->n_writes, 1);
        }
        return real_write(fd, buf, n);
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
        ssize_t r = real_recvmsg(fd, msg, flags);

        if (plog && r > 4 && msg && msg->msg_iovlen > 0 && msg->msg_iov[0].iov_len >= 4 &&
            memcmp(msg->msg_iov[0].iov_base, "add@", 4) == 0 && !(flags & MSG_PEEK)) {
                uint64_t t = now_ns();
                unsigned k = atomic_fetch_add((_Atomic uint32_t *) &plog->n_events, 1);

                if (k < PROBE_SLOTS) {
                        plog->recv_ns[k] = t;
                        atomic_store(&pending, (int) k);
                }
        }
        return r;
}
