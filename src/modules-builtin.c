/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"
#include "modules-builtin.h"
#include "sysfs-attr.h"

#define MODINFO_MAX (64u << 20)
#define OF_ALIAS ".alias=of:"

void kernel_release_read(int root_fd, char *buf, size_t size) {
        _cleanup_free_ char *v = NULL;
        _cleanup_close_ int fd = openat(root_fd, "proc/sys/kernel", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct utsname u;

        buf[0] = '\0';
        if (fd >= 0 && sysfs_read_attr(fd, "osrelease", &v) >= 0 && strlen(v) < size) {
                snprintf(buf, size, "%s", v);
                return;
        }
        if (uname(&u) == 0)
                snprintf(buf, size, "%s", u.release);
}

static int read_all(int fd, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;

        for (;;) {
                ssize_t k;

                if (n + 1 >= allocated) {
                        size_t a = allocated ? allocated * 2 : 64 * 1024;
                        char *b;

                        if (allocated >= MODINFO_MAX + 1)
                                return -EFBIG;
                        if (a > MODINFO_MAX + 1)
                                a = MODINFO_MAX + 1;
                        b = realloc(buf, a);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        allocated = a;
                }
                k = read(fd, buf + n, allocated - n - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > MODINFO_MAX)
                        return -EFBIG;
        }
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

/* The records are NUL-separated; the sections of vmlinux may pad them with extra NULs. */
static int index_of_aliases(BuiltinModules *m) {
        size_t allocated = 0;

        for (size_t i = 0; i < m->size; i += strlen(m->data + i) + 1) {
                const char *rec = m->data + i, *dot = strstr(rec, OF_ALIAS);

                /* "module.alias=of:": a dot before the key, and no other dot in the module name */
                if (!dot || dot == rec || memchr(rec, '.', (size_t) (dot - rec)))
                        continue;
                if (m->n_of_aliases == allocated) {
                        size_t a = allocated ? allocated * 2 : 256;
                        const char **p = reallocarray(m->of_aliases, a, sizeof(char *));

                        if (!p)
                                return -ENOMEM;
                        m->of_aliases = p;
                        allocated = a;
                }
                m->of_aliases[m->n_of_aliases++] = rec;
        }
        return 0;
}

int builtin_modules_load(int root_fd, const char *release, BuiltinModules *ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *path = NULL;
        BuiltinModules m = {};
        int r;

        *ret = (BuiltinModules) {};
        if (isempty(release) || strchr(release, '/') || streq(release, ".."))
                return -ENOENT; /* not a release name: no such directory */
        if (asprintf(&path, "lib/modules/%s/modules.builtin.modinfo", release) < 0)
                return -ENOMEM;
        fd = openat_beneath(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
        if (fd < 0)
                return fd == -ENOTDIR ? -ENOENT : fd;
        r = read_all(fd, &m.data, &m.size);
        if (r >= 0)
                r = index_of_aliases(&m);
        if (r < 0) {
                builtin_modules_done(&m);
                return r;
        }
        *ret = m;
        return 0;
}

void builtin_modules_done(BuiltinModules *m) {
        free(m->data);
        free(m->of_aliases);
        *m = (BuiltinModules) {};
}

static bool claimed(const BuiltinClaim *claims, size_t n, const char *module, size_t len) {
        for (size_t i = 0; i < n; i++)
                if (claims[i].module_len == len && strncmp(claims[i].module, module, len) == 0)
                        return true;
        return false;
}

/* The kernel's of_device_get_modalias(): "of:N<name>T<type>C<compatible>..." with "<NULL>" for a
 * node without device_type (as the nodes that become platform devices are). One compatible at a
 * time, so that the modules come in the order of the compatibles they claim; the generated
 * aliases come in pairs, "...C<compatible>" and "...C<compatible>C*", so one of them fits. */
size_t builtin_modules_claim_of(const BuiltinModules *m, const char *node_name, char * const *compatibles,
                                BuiltinClaim *ret, size_t max) {
        size_t n = 0;

        for (char * const *c = compatibles; c && *c && n < max; c++) {
                _cleanup_free_ char *modalias = NULL;

                if (asprintf(&modalias, "of:N%sT<NULL>C%s", node_name, *c) < 0)
                        break;
                for (char *p = modalias; (p = strchr(p, ' ')); p++)
                        *p = '_'; /* as of_device_get_modalias() and modpost both write them */
                for (size_t i = 0; i < m->n_of_aliases && n < max; i++) {
                        const char *rec = m->of_aliases[i], *dot = strstr(rec, OF_ALIAS);
                        size_t len = (size_t) (dot - rec);

                        if (fnmatch(dot + strlen(".alias="), modalias, 0) != 0 || claimed(ret, n, rec, len))
                                continue;
                        ret[n++] = (BuiltinClaim) { .module = rec, .module_len = len, .compatible = *c };
                }
        }
        return n;
}
