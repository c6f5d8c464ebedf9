/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf-files.h"
#include "macro.h"
#include "strv.h"

typedef struct Entry {
        char *name;
        char *path;     /* NULL when masked */
} Entry;

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n > m && streq(s + n - m, suffix);
}

static bool is_masked(int dfd, const char *name) {
        char target[PATH_MAX];
        struct stat st;
        ssize_t n;

        n = readlinkat(dfd, name, target, sizeof target - 1);
        if (n > 0) {
                target[n] = '\0';
                if (streq(target, "/dev/null"))
                        return true;
        }
        /* An empty file masks too; so does a dangling link to nothing we could read. */
        return fstatat(dfd, name, &st, 0) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

static int add_dir(int root_fd, const char *dir, const char *suffix, Entry **entries, size_t *n) {
        _cleanup_close_ int dfd = -EBADF;
        DIR *d;
        struct dirent *de;
        int r = 0;

        dfd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        d = fdopendir(dfd);
        if (!d)
                return -errno;
        TAKE_FD(dfd);

        while ((errno = 0, de = readdir(d))) {
                bool seen = false;
                Entry *e;

                if (de->d_name[0] == '.' || !has_suffix(de->d_name, suffix))
                        continue;
                for (size_t i = 0; i < *n && !seen; i++)
                        seen = streq((*entries)[i].name, de->d_name);
                if (seen) /* an earlier directory has it */
                        continue;

                e = reallocarray(*entries, *n + 1, sizeof(Entry));
                if (!e) {
                        r = -ENOMEM;
                        break;
                }
                *entries = e;
                e = &e[*n];
                *e = (Entry) { .name = strdup(de->d_name) };
                if (!e->name) {
                        r = -ENOMEM;
                        break;
                }
                if (!is_masked(dirfd(d), de->d_name) && asprintf(&e->path, "%s/%s", dir, de->d_name) < 0) {
                        free(e->name);
                        r = -ENOMEM;
                        break;
                }
                (*n)++;
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);
        return r;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const Entry *) a)->name, ((const Entry *) b)->name);
}

int conf_files_list(int root_fd, const char * const *dirs, const char *suffix, char ***ret,
                    const char **ret_bad_dir) {
        _cleanup_strv_free_ char **l = NULL;
        Entry *entries = NULL;
        size_t n = 0;
        int r = 0;

        for (const char * const *d = dirs; *d && r >= 0; d++) {
                r = add_dir(root_fd, *d, suffix, &entries, &n);
                if (r < 0 && ret_bad_dir)
                        *ret_bad_dir = *d;
        }
        if (r >= 0 && n > 0)
                qsort(entries, n, sizeof(Entry), cmp_entry);
        for (size_t i = 0; i < n; i++) {
                if (r >= 0 && entries[i].path)
                        r = strv_push(&l, TAKE_PTR(entries[i].path));
                free(entries[i].name);
                free(entries[i].path);
        }
        free(entries);
        if (r < 0)
                return r;
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}
