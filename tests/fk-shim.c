/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fk-shim.so: the part of the fake kernel that lives in the tested program. Preloaded before
 * libumockdev-preload.so.0 (LD_PRELOAD=fk-shim.so:libumockdev-preload.so.0), it turns writes
 * to the testbed's driver_override, drivers_probe, bind, unbind and uevent files into
 * synchronous requests to the harness (fake-kernel.c), and returns the harness' answer as the
 * result of the write. It also keeps such files from being truncated by open(O_TRUNC), as sysfs
 * attributes are, and turns the harness' overflow marker into ENOBUFS for recvmsg().
 *
 * Only libc calls made through the PLT are seen: write, writev, pwrite(64), open(64),
 * openat(64), their _2 fortified forms, recvmsg. stdio's internal writes are not.
 * Inactive (plain pass-through) unless both UMOCKDEV_DIR and FK_SOCKET are set. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#undef _FILE_OFFSET_BITS /* we define both open and open64 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake-kernel.h"

#define EXPORT __attribute__((visibility("default")))

/* The fortified entry points have no prototype without _FORTIFY_SOURCE. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static bool active;
static char sys_prefix[PATH_MAX]; /* realpath(UMOCKDEV_DIR) + "/sys/" */
static size_t sys_prefix_len;
static struct sockaddr_un harness_addr;

#define REAL(name, ret, ...)                                                    \
        static ret (*real_##name)(__VA_ARGS__);                                 \
        static ret (*get_##name(void))(__VA_ARGS__) {                           \
                if (!real_##name)                                               \
                        real_##name = (ret(*)(__VA_ARGS__)) dlsym(RTLD_NEXT, #name); \
                return real_##name;                                             \
        }

REAL(write, ssize_t, int, const void *, size_t)
REAL(writev, ssize_t, int, const struct iovec *, int)
REAL(pwrite, ssize_t, int, const void *, size_t, off_t)
REAL(pwrite64, ssize_t, int, const void *, size_t, off64_t)
REAL(open, int, const char *, int, ...)
REAL(open64, int, const char *, int, ...)
REAL(openat, int, int, const char *, int, ...)
REAL(openat64, int, int, const char *, int, ...)
REAL(__open_2, int, const char *, int)
REAL(__open64_2, int, const char *, int)
REAL(__openat_2, int, int, const char *, int)
REAL(__openat64_2, int, int, const char *, int)
REAL(recvmsg, ssize_t, int, struct msghdr *, int)

static int find_umockdev(struct dl_phdr_info *info, size_t size, void *data) {
        (void) size;
        (void) data;
        return info->dlpi_name && strstr(info->dlpi_name, "libumockdev-preload") ? 1 : 0;
}

__attribute__((constructor)) static void fk_shim_init(void) {
        const char *dir = getenv("UMOCKDEV_DIR"), *sock = getenv("FK_SOCKET");
        char *real;

        if (!dir || !sock)
                return;
        /* Without umockdev's preload, /sys would be the real one: never run like that. */
        if (!dl_iterate_phdr(find_umockdev, NULL)) {
                fprintf(stderr, "fk-shim: libumockdev-preload.so.0 is not loaded; refusing to run against the real /sys\n");
                _exit(127);
        }
        real = realpath(dir, NULL);
        if (!real || strlen(real) + 6 >= sizeof(sys_prefix) || strlen(sock) >= sizeof(harness_addr.sun_path)) {
                fprintf(stderr, "fk-shim: bad UMOCKDEV_DIR or FK_SOCKET\n");
                _exit(127);
        }
        snprintf(sys_prefix, sizeof(sys_prefix), "%s/sys/", real);
        free(real);
        sys_prefix_len = strlen(sys_prefix);
        harness_addr.sun_family = AF_UNIX;
        strcpy(harness_addr.sun_path, sock);
        active = true;
}

static bool attr_name(const char *base) {
        return strcmp(base, "driver_override") == 0 || strcmp(base, "drivers_probe") == 0 ||
               strcmp(base, "bind") == 0 || strcmp(base, "unbind") == 0 || strcmp(base, "uevent") == 0;
}

static const char *base_name(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

/* The path of FD relative to the testbed's sys/ if FD is one of the attributes, else NULL. */
static const char *fd_attr(int fd, char *buf, size_t size) {
        char proc[64];
        long n;
        size_t len;

        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        /* A raw syscall: neither umockdev's readlink wrapper nor errno noise. */
        n = syscall(SYS_readlinkat, AT_FDCWD, proc, buf, size - 1);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        len = (size_t) n;
        if (len > 10 && strcmp(buf + len - 10, " (deleted)") == 0)
                buf[len - 10] = '\0';
        if (strncmp(buf, sys_prefix, sys_prefix_len) != 0)
                return NULL;
        return attr_name(base_name(buf)) ? buf + sys_prefix_len : NULL;
}

static long sys_ret(long r) {
        return r < 0 ? -errno : r;
}

/* Sends the request, waits for the answer: the byte count or -errno. */
static ssize_t ask_harness(const char *rel, const void *data, size_t len) {
        FkRequest req = {
                .magic = FK_PROTO_MAGIC,
                .pid = getpid(),
                .tid = (int32_t) syscall(SYS_gettid),
                .path_len = (uint32_t) strlen(rel),
                .data_len = (uint32_t) len,
        };
        struct iovec iov[3] = {
                { &req, sizeof(req) },
                { (void *) rel, req.path_len },
                { (void *) data, len },
        };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };
        FkReply rep;
        long fd, r;

        fd = syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (syscall(SYS_connect, fd, &harness_addr, sizeof(harness_addr)) < 0 ||
            syscall(SYS_sendmsg, fd, &mh, MSG_NOSIGNAL) < 0) {
                r = -errno;
                fprintf(stderr, "fk-shim: cannot reach the harness at %s: %s\n", harness_addr.sun_path, strerror(errno));
                close((int) fd);
                return r == 0 ? -EIO : r;
        }
        for (;;) {
                struct pollfd p = { .fd = (int) fd, .events = POLLIN };

                /* poll() is a cancellation point and leaves signals alone: a hanging write blocks
                 * this thread only, as a driver stuck in remove() would. */
                if (poll(&p, 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                r = sys_ret(syscall(SYS_recvfrom, fd, &rep, sizeof(rep), 0, NULL, NULL));
                if (r == -EINTR || r == -EAGAIN)
                        continue;
                if (r == (long) sizeof(rep) && rep.magic == FK_PROTO_MAGIC)
                        r = rep.result;
                else {
                        fprintf(stderr, "fk-shim: no answer from the harness for %s\n", rel);
                        r = -EIO;
                }
                break;
        }
        close((int) fd);
        return r;
}

/* true if FD is an attribute: *ret is then the result of the write. */
static bool intercept(int fd, const void *data, size_t len, ssize_t *ret) {
        char buf[PATH_MAX];
        const char *rel;
        int saved = errno;
        ssize_t r;

        if (!active || !(rel = fd_attr(fd, buf, sizeof(buf)))) {
                errno = saved;
                return false;
        }
        if (len > FK_ATTR_MAX)
                r = -E2BIG;
        else if (len == 0)
                r = 0; /* sysfs: a zero-length write does not reach the store method */
        else
                r = ask_harness(rel, data, len);
        if (r < 0) {
                errno = (int) -r;
                *ret = -1;
        } else {
                errno = saved;
                *ret = r;
        }
        return true;
}

EXPORT ssize_t write(int fd, const void *buf, size_t n) {
        ssize_t r;

        if (intercept(fd, buf, n, &r))
                return r;
        return get_write()(fd, buf, n);
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
        ssize_t r;

        if (intercept(fd, buf, n, &r)) /* sysfs stores ignore the offset */
                return r;
        return get_pwrite()(fd, buf, n, off);
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
        ssize_t r;

        if (intercept(fd, buf, n, &r))
                return r;
        return get_pwrite64()(fd, buf, n, off);
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt) {
        char buf[FK_ATTR_MAX + 1], path[PATH_MAX];
        size_t len = 0;
        ssize_t r;
        int saved = errno;

        if (!active || cnt < 0 || !fd_attr(fd, path, sizeof(path))) {
                errno = saved;
                return get_writev()(fd, iov, cnt);
        }
        for (int i = 0; i < cnt; i++) {
                size_t k = iov[i].iov_len;

                if (len + k > sizeof(buf))
                        k = sizeof(buf) - len; /* longer than a page: E2BIG anyway */
                memcpy(buf + len, iov[i].iov_base, k);
                len += k;
        }
        if (!intercept(fd, buf, len, &r)) /* not an attribute any more (another thread's dup2) */
                return get_writev()(fd, iov, cnt);
        return r;
}

/* sysfs attributes are not truncated by O_TRUNC: keep the testbed's files as the kernel shows
 * them (driver_override stays "(null)" until a write succeeds). O_TRUNC is emulated with
 * ftruncate() for any other file with such a name. */
static bool strip_trunc(const char *path, int flags) {
        return active && path && (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && attr_name(base_name(path));
}

static int after_open(int fd, bool stripped) {
        char buf[PATH_MAX];
        int saved = errno;

        if (fd >= 0 && stripped && !fd_attr(fd, buf, sizeof(buf)))
                (void) ftruncate(fd, 0);
        errno = saved;
        return fd;
}

static mode_t open_mode(int flags, va_list ap) {
        return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t) va_arg(ap, int) : 0;
}

EXPORT int open(const char *path, int flags, ...) {
        bool s = strip_trunc(path, flags);
        va_list ap;
        mode_t mode;

        va_start(ap, flags);
        mode = open_mode(flags, ap);
        va_end(ap);
        return after_open(get_open()(path, s ? flags & ~O_TRUNC : flags, mode), s);
}

EXPORT int open64(const char *path, int flags, ...) {
        bool s = strip_trunc(path, flags);
        va_list ap;
        mode_t mode;

        va_start(ap, flags);
        mode = open_mode(flags, ap);
        va_end(ap);
        return after_open(get_open64()(path, s ? flags & ~O_TRUNC : flags, mode), s);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...) {
        bool s = strip_trunc(path, flags);
        va_list ap;
        mode_t mode;

        va_start(ap, flags);
        mode = open_mode(flags, ap);
        va_end(ap);
        return after_open(get_openat()(dirfd, path, s ? flags & ~O_TRUNC : flags, mode), s);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...) {
        bool s = strip_trunc(path, flags);
        va_list ap;
        mode_t mode;

        va_start(ap, flags);
        mode = open_mode(flags, ap);
        va_end(ap);
        return after_open(get_openat64()(dirfd, path, s ? flags & ~O_TRUNC : flags, mode), s);
}

EXPORT int __open_2(const char *path, int flags) {
        bool s = strip_trunc(path, flags);

        return after_open(get___open_2()(path, s ? flags & ~O_TRUNC : flags), s);
}

EXPORT int __open64_2(const char *path, int flags) {
        bool s = strip_trunc(path, flags);

        return after_open(get___open64_2()(path, s ? flags & ~O_TRUNC : flags), s);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags) {
        bool s = strip_trunc(path, flags);

        return after_open(get___openat_2()(dirfd, path, s ? flags & ~O_TRUNC : flags), s);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags) {
        bool s = strip_trunc(path, flags);

        return after_open(get___openat64_2()(dirfd, path, s ? flags & ~O_TRUNC : flags), s);
}

/* The harness queues FK_ENOBUFS_MARKER to a uevent socket whose events it had to drop: like
 * a netlink socket after an overrun, the next recvmsg() fails with ENOBUFS, then the events
 * queued after the loss arrive. */
EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
        ssize_t r = get_recvmsg()(fd, msg, flags);
        const size_t mlen = sizeof(FK_ENOBUFS_MARKER) - 1;

        if (!active || r < (ssize_t) mlen || !msg || msg->msg_iovlen < 1 || msg->msg_iov[0].iov_len < mlen ||
            memcmp(msg->msg_iov[0].iov_base, FK_ENOBUFS_MARKER, mlen) != 0)
                return r;
        if (flags & MSG_PEEK) { /* consume it, or the next read would see it again */
                char scratch[64];
                struct iovec iov = { scratch, sizeof(scratch) };
                struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

                (void) get_recvmsg()(fd, &m, (flags & ~MSG_PEEK) | MSG_DONTWAIT);
        }
        errno = ENOBUFS;
        return -1;
}
