/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "macro.h"

#define POLL_USEC 20000

static void read_holder(int fd, LockHolder *ret) {
        char buf[128];
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        long pid;
        int used = 0;

        *ret = (LockHolder) {};
        if (n <= 0)
                return;
        buf[n] = '\0';
        if (sscanf(buf, "%ld %63s%n", &pid, ret->program, &used) == 2 && pid > 0)
                ret->pid = (pid_t) pid;
        else
                ret->program[0] = '\0';
}

static int write_holder(int fd, const char *program) {
        char buf[128];
        int n = snprintf(buf, sizeof buf, "%ld %s\n", (long) getpid(), program);

        if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t) n, 0) != n)
                return -errno ?: -EIO;
        return 0;
}

static void sleep_usec(uint64_t usec) {
        struct timespec ts = { .tv_sec = usec / 1000000, .tv_nsec = (usec % 1000000) * 1000 };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int lock_take(int dir_fd, const char *program, const char *wait_for, uint64_t wait_usec, LockHolder *ret_holder) {
        _cleanup_close_ int fd = -EBADF;
        uint64_t waited = 0;
        int r;

        /* O_NOFOLLOW: the lock file must not lead anywhere else. */
        fd = openat(dir_fd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        for (LockHolder seen = {};;) {
                LockHolder h;
                bool refuse;

                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        break;
                if (errno != EWOULDBLOCK)
                        return -errno;
                read_holder(fd, &h);
                /* The file may still name the previous holder while a new one has not written
                 * itself yet: refuse only a holder seen twice, one poll apart. A holder not
                 * known yet is waited for like @wait_for. */
                refuse = h.program[0] && !streq(h.program, strempty(wait_for)) && h.pid == seen.pid &&
                         streq(h.program, seen.program);
                if (refuse || waited >= wait_usec) {
                        if (ret_holder)
                                *ret_holder = h;
                        return -EBUSY;
                }
                seen = h;
                sleep_usec(POLL_USEC);
                waited += POLL_USEC;
        }
        r = write_holder(fd, program);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}
