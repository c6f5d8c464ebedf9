/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "macro.h"
#include "rules-file.h"
#include "udev-rules.h"

int udev_rules_install(int root_fd, const Policy *p, char * const *protected, Diagnostics *d) {
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_fclose_ FILE *f = NULL;
        const char *tmp = "." UDEV_RULES_FILE ".tmp";
        int fd, r;

        r = mkdir_p_at(root_fd, UDEV_RULES_DIR);
        if (r < 0)
                return r;
        dfd = openat(root_fd, UDEV_RULES_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;

        r = udev_rules_check(p, d);
        if (r < 0) {
                if (unlinkat(dfd, UDEV_RULES_FILE, 0) < 0 && errno != ENOENT)
                        return -errno;
                return r;
        }

        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                (void) unlinkat(dfd, tmp, 0);
                return r;
        }
        r = udev_rules_generate_protected(p, protected, f, d);
        if (r >= 0 && fflush(f) != 0)
                r = -errno;
        if (r >= 0 && renameat(dfd, tmp, dfd, UDEV_RULES_FILE) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dfd, tmp, 0);
        return r;
}
