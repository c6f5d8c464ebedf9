/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf-files.h"
#include "paths.h"
#include "policy-load.h"
#include "strv.h"

static const char * const policy_dirs[] = { POLICY_DIRS, NULL };

/* A policy decides which devices leave the host: when we run as root, a file or directory that
 * anyone but root could change must not be able to decide that. */
static const char *unsafe_reason(const struct stat *st) {
        if (geteuid() != 0)
                return NULL;
        if (st->st_uid != 0)
                return "not owned by root";
        if (st->st_mode & S_IWGRP)
                return "writable by its group";
        if (st->st_mode & S_IWOTH)
                return "writable by others";
        return NULL;
}

static char *display_path(const Root *root, const char *rel) {
        char *s;

        if (asprintf(&s, "%s/%s", streq(root->path, "/") ? "" : root->path, rel) < 0)
                return NULL;
        return s;
}

static void check_dirs(const Root *root, Diagnostics *d) {
        for (const char * const *dir = policy_dirs; *dir; dir++) {
                _cleanup_free_ char *shown = NULL;
                struct stat st;
                const char *why;

                if (fstatat(root->fd, *dir, &st, 0) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                why = unsafe_reason(&st);
                if (!why)
                        continue;
                shown = display_path(root, *dir);
                diag_error(d, shown ?: *dir, 0, "refusing policy directory %s (uid %u, mode %04o): only root may change a policy",
                           why, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
        }
}

static int load_file(Policy *p, int dirfd, const char *path, const char *shown, Diagnostics *d) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_fclose_ FILE *f = NULL;
        struct stat st;
        const char *why;

        /* O_NONBLOCK: a FIFO in a policy directory must not hang us. */
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                diag_error(d, shown, 0, "cannot open: %s", strerror(errno));
                return 0;
        }
        if (fstat(fd, &st) < 0) {
                diag_error(d, shown, 0, "cannot stat: %s", strerror(errno));
                return 0;
        }
        if (!S_ISREG(st.st_mode)) {
                diag_error(d, shown, 0, "not a regular file");
                return 0;
        }
        why = unsafe_reason(&st);
        if (why) {
                diag_error(d, shown, 0, "refusing policy file %s (uid %u, mode %04o): only root may change a policy",
                           why, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
                return 0;
        }
        if ((uintmax_t) st.st_size > POLICY_FILE_SIZE_MAX) {
                diag_error(d, shown, 0, "file too large (%jd bytes, at most %u)", (intmax_t) st.st_size,
                           POLICY_FILE_SIZE_MAX);
                return 0;
        }
        if (fcntl(fd, F_SETFL, 0) < 0)
                return -errno;
        f = fdopen(fd, "r");
        if (!f)
                return -errno;
        TAKE_FD(fd);
        return policy_parse_file(p, f, shown, d);
}

int policy_load(const Root *root, char * const *files, Policy **ret, Diagnostics *d) {
        _cleanup_policy_ Policy *p = NULL;
        _cleanup_strv_free_ char **found = NULL;
        int r;

        p = policy_new();
        if (!p)
                return -ENOMEM;

        if (files) {
                for (char * const *f = files; *f; f++) {
                        r = load_file(p, AT_FDCWD, *f, *f, d);
                        if (r < 0)
                                return r;
                }
        } else {
                const char *bad = NULL;

                check_dirs(root, d);
                r = conf_files_list(root->fd, policy_dirs, POLICY_SUFFIX, &found, &bad);
                if (r < 0) {
                        _cleanup_free_ char *shown = display_path(root, bad ?: "");
                        if (r == -ENOMEM)
                                return r;
                        diag_error(d, shown ?: "", 0, "cannot read directory: %s", strerror(-r));
                        return -EINVAL;
                }
                STRV_FOREACH(f, found) {
                        _cleanup_free_ char *shown = display_path(root, *f);
                        if (!shown)
                                return -ENOMEM;
                        r = load_file(p, root->fd, *f, shown, d);
                        if (r < 0)
                                return r;
                }
        }

        r = policy_finalize(p, d);
        if (r < 0)
                return r;
        if (diagnostics_failed(d))
                return -EINVAL;
        *ret = TAKE_PTR(p);
        return 0;
}
