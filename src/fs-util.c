/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif

#include "fs-util.h"
#include "macro.h"

int mkdir_p_at(int dirfd, const char *path) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p; (s = strchr(s + 1, '/'));) {
                *s = '\0';
                if (mkdirat(dirfd, p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdirat(dirfd, p, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int write_all(int fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, data, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                data += n;
                len -= (size_t) n;
        }
        return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode) {
        static unsigned counter;
        _cleanup_close_ int fd = -EBADF;
        char tmp[NAME_MAX + 1];
        int r;

        if (strchr(name, '/') || strlen(name) > NAME_MAX - 32)
                return -EINVAL;
        for (unsigned attempt = 0; fd < 0; attempt++) {
                snprintf(tmp, sizeof tmp, ".%s.%ld-%u.tmp", name, (long) getpid(), counter++);
                fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0 && (errno != EEXIST || attempt >= 16))
                        return -errno;
        }
        r = write_all(fd, data, len);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        /* Durable before it becomes visible: after a crash the name holds the old or the new text. */
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dirfd, tmp, 0);
        return r;
}

int mkdir_p_beneath(int dirfd, const char *path) {
        _cleanup_free_ char *p = strdup(path);
        _cleanup_close_ int cur = -EBADF;

        if (!p)
                return -ENOMEM;
        cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                // cppcheck-suppress memleak ; p is freed by _cleanup_free_
                return -errno;
        /* Each prefix is created in the directory the previous one resolved to, and resolved
         * beneath @dirfd: a link inside @dirfd is fine, one leading out of it is not. */
        for (char *s = p;; s++) {
                const char *base;
                int fd;

                s = strchrnul(s, '/');
                if (s == p) /* a leading '/' */
                        continue;
                bool last = *s == '\0';
                *s = '\0';
                base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
                if (*base && mkdirat(cur, base, 0755) < 0 && errno != EEXIST)
                        return -errno;
                fd = open_dir_beneath(dirfd, p);
                if (fd < 0)
                        return fd;
                close(cur);
                cur = fd;
                if (last)
                        return 0;
                *s = '/';
        }
}

/* Without openat2(): every symlink on the way is read and followed by hand, and refused when it
 * is absolute or climbs above @dirfd. Racy against a concurrent rename, which only root could
 * do under the trees we resolve; the kernel's RESOLVE_BENEATH is the real thing. */
static int resolve_beneath(int dirfd, const char *path, char *out, size_t size) {
        char todo[PATH_MAX], link[PATH_MAX];
        size_t n = 0, links = 0;

        if (path[0] == '/' || strlen(path) >= sizeof todo)
                return -EXDEV;
        snprintf(todo, sizeof todo, "%s", path);
        out[0] = '\0';
        for (char *rest = todo; *rest;) {
                char *c = rest, *slash = strchr(rest, '/');
                ssize_t k;

                if (slash) {
                        *slash = '\0';
                        rest = slash + 1;
                } else
                        rest += strlen(rest);
                if (streq(c, "") || streq(c, "."))
                        continue;
                if (streq(c, "..")) {
                        char *up = strrchr(out, '/');

                        if (n == 0)
                                return -EXDEV; /* above @dirfd */
                        n = up ? (size_t) (up - out) : 0;
                        out[n] = '\0';
                        continue;
                }
                if (n + 1 + strlen(c) + 1 > size)
                        return -ENAMETOOLONG;
                n += snprintf(out + n, size - n, "%s%s", n > 0 ? "/" : "", c);
                k = readlinkat(dirfd, out, link, sizeof link - 1);
                if (k < 0) {
                        if (errno == EINVAL || errno == ENOENT)
                                continue; /* not a link, or not there: the open says */
                        return -errno;
                }
                link[k] = '\0';
                if (link[0] == '/')
                        return -EXDEV;
                if (++links > 40)
                        return -ELOOP;
                /* The link's target replaces it: resolve it from its directory, then the rest. */
                out[n -= strlen(c)] = '\0';
                if (n > 0)
                        out[--n] = '\0';
                if (strlen(link) + 1 + strlen(rest) + 1 > sizeof todo)
                        return -ENAMETOOLONG;
                memmove(todo + strlen(link) + 1, rest, strlen(rest) + 1);
                memcpy(todo, link, strlen(link));
                todo[strlen(link)] = '/';
                rest = todo;
        }
        if (n == 0)
                snprintf(out, size, ".");
        return 0;
}

int openat_beneath(int dirfd, const char *path, int flags, mode_t mode) {
        int fd;

#if defined(SYS_openat2) && defined(RESOLVE_BENEATH)
        struct open_how how = {
                .flags = (uint64_t) flags,
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };

        /* EAGAIN: a rename somewhere in the system while ".." was resolved; the kernel asks to
         * retry. Sysfs renames devices and drivers come and go: retry, then resolve by hand. */
        for (int i = 0; i < 16; i++) {
                fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof how);
                if (fd >= 0)
                        return fd;
                if (errno != EAGAIN)
                        break;
        }
        /* ENOSYS: a kernel before 5.6; EPERM: a seccomp filter that does not know it. */
        if (errno != ENOSYS && errno != EPERM && errno != EAGAIN)
                return -errno;
#endif
        return openat_beneath_by_hand(dirfd, path, flags, mode);
}

int openat_beneath_by_hand(int dirfd, const char *path, int flags, mode_t mode) {
        char resolved[PATH_MAX];
        int fd, r;

        r = resolve_beneath(dirfd, path, resolved, sizeof resolved);
        if (r < 0)
                return r;
        /* Every link is resolved now: one appearing meanwhile is refused, not followed. */
        fd = openat(dirfd, resolved, flags | O_NOFOLLOW, mode);
        return fd < 0 ? -errno : fd;
}

int open_dir_beneath(int dirfd, const char *path) {
        return openat_beneath(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
}
