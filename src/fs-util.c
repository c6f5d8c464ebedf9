/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
