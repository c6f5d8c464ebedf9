/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "sysfs-attr.h"

static int read_fd(int fd, char *buf, size_t size, size_t *ret_len) {
        size_t len = 0;

        while (len < size) {
                ssize_t n = read(fd, buf + len, size - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += n;
                /* A sysfs attribute (and a regular file) returns all it has in one read: a short
                 * read is the end, no second read() to see 0. */
                if ((size_t) n < size - (len - n))
                        break;
        }
        *ret_len = len;
        return 0;
}

int sysfs_read_raw(int dirfd, const char *attr, char *buf, size_t size, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;

        fd = openat(dirfd, attr, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        return read_fd(fd, buf, size, ret_len);
}

int sysfs_read_attr(int dirfd, const char *attr, char **ret) {
        char buf[ATTR_SIZE_MAX + 1];
        size_t len = 0;
        int r;

        r = sysfs_read_raw(dirfd, attr, buf, ATTR_SIZE_MAX, &len);
        if (r < 0)
                return r;
        if (memchr(buf, '\0', len))
                return -EBADMSG;
        while (len > 0 && buf[len - 1] == '\n')
                len--;
        buf[len] = '\0';
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int sysfs_read_link_name(int dirfd, const char *link, bool (*valid)(const char *), char **ret) {
        char target[PATH_MAX];
        const char *base;
        ssize_t n;

        n = readlinkat(dirfd, link, target, sizeof target - 1);
        if (n < 0)
                return errno == EINVAL ? -ENOLINK : -errno;
        target[n] = '\0';
        base = strrchr(target, '/');
        base = base ? base + 1 : target;
        if (valid && !valid(base))
                return -EBADMSG;
        *ret = strdup(base);
        return *ret ? 0 : -ENOMEM;
}

int sysfs_write_attr(int dirfd, const char *attr, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);
        ssize_t n;

        /* O_TRUNC: harmless on sysfs, and a plain file (a test's tree) then holds exactly @value. */
        fd = openat(dirfd, attr, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        do
                n = write(fd, value, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        /* A sysfs store consumes the whole buffer in one call or fails. */
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

