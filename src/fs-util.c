/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

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
