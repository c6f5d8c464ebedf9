/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cdi.h"
#include "diagnose.h"
#include "fs-util.h"
#include "hashmap.h"
#include "strbuf.h"
#include "strv.h"
#include "sysfs.h"

static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c) {
        return is_alpha(c) || (c >= '0' && c <= '9');
}

int cdi_name_from_sysfs(const char *name, char **ret) {
        size_t n = strlen(name), k = 0;
        char *s;

        /* No bound on the length: CDI has none, and sysfs names stop at 255 bytes anyway. */
        if (n == 0)
                return -EINVAL;
        s = malloc(n + 3);
        if (!s)
                return -ENOMEM;
        if (!is_alnum(name[0]))
                s[k++] = 'x';
        for (size_t i = 0; i < n; i++)
                s[k++] = is_alnum(name[i]) || strchr("_.:-", name[i]) ? name[i] : '_';
        if (!is_alnum(name[n - 1]))
                s[k++] = 'x';
        s[k] = '\0';
        *ret = s;
        return 0;
}

void cdi_env_id(const char *cdi_name, char *buf, size_t size) {
        size_t k = 0;

        for (const char *c = cdi_name; *c && k + 1 < size; c++)
                buf[k++] = *c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : is_alnum(*c) ? *c : '_';
        buf[k] = '\0';
}

bool cdi_device_of(const DeviceInfo *d, const Decision *dec, CdiDevice *ret) {
        if (dec->verdict != VERDICT_BIND || !streq_ptr(d->driver, dec->driver) || !driver_is_vfio(d->driver) ||
            !d->iommu_group)
                return false;
        *ret = (CdiDevice) {
                .bus = d->bus,
                .name = d->name,
                .cdi_name = dec->rule ? dec->rule->cdi_name : NULL,
                .group = d->iommu_group,
        };
        return true;
}

int cdi_kind(Bus bus, char *buf, size_t size) {
        const char *b = bus_to_string(bus);

        if (!b || !cdi_vendor_or_class_is_valid(b))
                return -EINVAL;
        if ((size_t) snprintf(buf, size, "%s/%s", CDI_VENDOR, b) >= size)
                return -ENOBUFS;
        return 0;
}

int cdi_spec_filename(Bus bus, char *buf, size_t size) {
        const char *b = bus_to_string(bus);

        if (!b || !cdi_vendor_or_class_is_valid(b))
                return -EINVAL;
        if ((size_t) snprintf(buf, size, "%s-%s.json", CDI_VENDOR, b) >= size)
                return -ENOBUFS;
        return 0;
}

static int cmp_index(const void *a, const void *b, void *userdata) {
        const CdiDevice *devs = userdata;

        return strcmp(devs[*(const size_t *) a].name, devs[*(const size_t *) b].name);
}

static size_t *sorted_indices(const CdiDevice *devs, size_t n) {
        size_t *idx = calloc(n ?: 1, sizeof(size_t));

        if (!idx)
                return NULL;
        for (size_t i = 0; i < n; i++)
                idx[i] = i;
        qsort_r(idx, n, sizeof(size_t), cmp_index, (void *) devs);
        return idx;
}

/* The names given so far, in a hash: a spec of thousands of devices. */
static bool name_taken(const IndexMap *taken, const char *s) {
        return index_map_get(taken, s, strlen(s)).n > 0;
}

/* The sysfs-derived name, with "-N" until it is free. */
static int derive_free_name(const CdiDevice *d, const IndexMap *taken, char **ret) {
        _cleanup_free_ char *base = NULL;
        char *s;
        int r;

        r = cdi_name_from_sysfs(d->name, &base);
        if (r < 0)
                return r;
        if (!name_taken(taken, base)) {
                *ret = TAKE_PTR(base);
                return 0;
        }
        for (unsigned k = 2;; k++) {
                if (asprintf(&s, "%s-%u", base, k) < 0)
                        return -ENOMEM;
                if (!name_taken(taken, s)) {
                        *ret = s;
                        return 0;
                }
                free(s);
        }
}

int cdi_assign_names(const CdiDevice *devs, size_t n, char ***ret) {
        _cleanup_free_ size_t *idx = sorted_indices(devs, n);
        char **names = calloc(n + 1, sizeof(char *));
        IndexMap *taken = index_map_new(); /* borrows the keys from names[] */
        int r = 0;

        if (!idx || !names || !taken) {
                free(names);
                index_map_free(taken);
                return -ENOMEM;
        }
        /* Explicit names first, so that no derived name takes one away. */
        for (size_t k = 0; k < n && r >= 0; k++) {
                const CdiDevice *d = &devs[idx[k]];

                if (!cdi_device_name_is_valid(d->cdi_name) || name_taken(taken, d->cdi_name))
                        continue;
                names[idx[k]] = strdup(d->cdi_name);
                r = names[idx[k]] ? index_map_add(taken, names[idx[k]], strlen(names[idx[k]]), (uint32_t) idx[k]) : -ENOMEM;
        }
        for (size_t k = 0; k < n && r >= 0; k++)
                if (!names[idx[k]]) {
                        r = derive_free_name(&devs[idx[k]], taken, &names[idx[k]]);
                        if (r >= 0)
                                r = index_map_add(taken, names[idx[k]], strlen(names[idx[k]]), (uint32_t) idx[k]);
                }
        index_map_free(taken);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(names[i]);
                free(names);
                return r;
        }
        *ret = names;
        return 0;
}

int cdi_qualified_names(const CdiDevice *devs, size_t n, char ***ret) {
        _cleanup_free_ CdiDevice *sub = calloc(n ?: 1, sizeof(CdiDevice));
        _cleanup_free_ size_t *where = calloc(n ?: 1, sizeof(size_t));
        char **q = calloc(n + 1, sizeof(char *));
        int r = 0;

        if (!sub || !where || !q) {
                free(q);
                return -ENOMEM;
        }
        for (Bus bus = 0; bus < _BUS_MAX && r >= 0; bus++) {
                _cleanup_strv_free_ char **names = NULL;
                char kind[128];
                size_t m = 0;

                for (size_t i = 0; i < n; i++)
                        if (devs[i].bus == bus) {
                                where[m] = i;
                                sub[m++] = devs[i];
                        }
                if (m == 0)
                        continue;
                r = cdi_kind(bus, kind, sizeof kind);
                if (r >= 0)
                        r = cdi_assign_names(sub, m, &names);
                for (size_t k = 0; k < m && r >= 0; k++)
                        if (asprintf(&q[where[k]], "%s=%s", kind, names[k]) < 0) {
                                q[where[k]] = NULL;
                                r = -ENOMEM;
                        }
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(q[i]);
                free(q);
                return r;
        }
        *ret = q;
        return 0;
}

static void format_node(StrBuf *b, const CdiNode *node, bool last) {
        strbuf_puts(b, "          { \"path\": ");
        strbuf_json_string(b, node->path);
        if (node->type)
                strbuf_printf(b, ", \"type\": \"%c\", \"major\": %u, \"minor\": %u", node->type, node->major,
                              node->minor);
        strbuf_puts(b, last ? " }\n" : " },\n");
}

static void format_device(StrBuf *b, const CdiDevice *d, const char *name, const CdiNode *container, bool last) {
        char id[DEVICE_NAME_MAX + 3], value[sizeof id + 64 + DEVICE_NAME_MAX];

        cdi_env_id(name, id, sizeof id);
        snprintf(value, sizeof value, "%s%s=/sys/bus/%s/devices/%s", CDI_ENV_PREFIX, id, bus_to_string(d->bus),
                 d->name);
        strbuf_puts(b, "    {\n      \"name\": ");
        strbuf_json_string(b, name);
        strbuf_puts(b, ",\n      \"containerEdits\": {\n        \"env\": [\n          ");
        strbuf_json_string(b, value);
        strbuf_puts(b, "\n        ],\n        \"deviceNodes\": [\n");
        format_node(b, container, false);
        format_node(b, &d->node, true);
        strbuf_puts(b, "        ]\n      }\n    }");
        strbuf_puts(b, last ? "\n" : ",\n");
}

/* The oldest version that has what the spec uses, for the oldest runtimes: 0.5.0 allows device
 * names that start with a digit ("9020000.fw-cfg"), 0.3.0 has everything else we write. */
static const char *spec_version(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (names[i] && names[i][0] >= '0' && names[i][0] <= '9')
                        return "0.5.0";
        return "0.3.0";
}

int cdi_spec_format(Bus bus, const CdiDevice *devs, size_t n, const CdiNode *container, char **ret) {
        _cleanup_free_ CdiDevice *mine = NULL;
        _cleanup_free_ size_t *idx = NULL;
        _cleanup_strv_free_ char **names = NULL;
        StrBuf b = {};
        char kind[128];
        size_t m = 0;
        int r;

        r = cdi_kind(bus, kind, sizeof kind);
        if (r < 0)
                return r;
        mine = calloc(n ?: 1, sizeof(CdiDevice));
        if (!mine)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (devs[i].bus == bus && devs[i].group)
                        mine[m++] = devs[i];
        if (m == 0) {
                *ret = NULL;
                return 0;
        }
        r = cdi_assign_names(mine, m, &names);
        if (r < 0)
                return r;
        idx = sorted_indices(mine, m);
        if (!idx)
                return -ENOMEM;

        strbuf_printf(&b, "{\n  \"cdiVersion\": \"%s\",\n  \"kind\": ", spec_version(names, m));
        strbuf_json_string(&b, kind);
        strbuf_puts(&b, ",\n  \"devices\": [\n");
        for (size_t k = 0; k < m; k++)
                format_device(&b, &mine[idx[k]], names[idx[k]], container, k + 1 == m);
        strbuf_puts(&b, "  ]\n}\n");
        *ret = strbuf_take(&b);
        return *ret ? 0 : -ENOMEM;
}

static bool stat_node(int root_fd, const char *rel, CdiNode *ret) {
        struct stat st;

        if (fstatat(root_fd, rel, &st, 0) < 0 || !S_ISCHR(st.st_mode))
                return false;
        ret->type = 'c';
        ret->major = major(st.st_rdev);
        ret->minor = minor(st.st_rdev);
        return true;
}

/* The "dev" attribute of a class device: "MAJOR:MINOR". */
static bool sysfs_node(int root_fd, const char *rel, CdiNode *ret) {
        _cleanup_free_ char *v = NULL;
        unsigned maj, min;
        char end;

        if (sysfs_read_attr(root_fd, rel, &v) < 0 || sscanf(v, "%u:%u%c", &maj, &min, &end) != 2)
                return false;
        ret->type = 'c';
        ret->major = maj;
        ret->minor = min;
        return true;
}

void cdi_lookup_group_node(int root_fd, const char *group, CdiNode *ret) {
        /* Where the node is, then where the kernel says it is: its class device. */
        static const char * const prefixes[] = { "", "noiommu-" };
        char rel[128];

        *ret = (CdiNode) {};
        snprintf(ret->path, sizeof ret->path, "/dev/vfio/%s", group);
        for (int p = 0; p < 2; p++)
                for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                        if (p == 0)
                                snprintf(rel, sizeof rel, "dev/vfio/%s%s", prefixes[i], group);
                        else
                                snprintf(rel, sizeof rel, "sys/class/vfio/%s%s/dev", prefixes[i], group);
                        if (p == 0 ? stat_node(root_fd, rel, ret) : sysfs_node(root_fd, rel, ret)) {
                                snprintf(ret->path, sizeof ret->path, "/dev/vfio/%s%s", prefixes[i], group);
                                return;
                        }
                }
}

void cdi_lookup_container_node(int root_fd, CdiNode *ret) {
        *ret = (CdiNode) { .path = "/dev/vfio/vfio" };
        if (!stat_node(root_fd, "dev/vfio/vfio", ret))
                (void) sysfs_node(root_fd, "sys/class/misc/vfio/dev", ret);
}

void cdi_resolve_nodes(int root_fd, CdiDevice *devs, size_t n, CdiNode *ret_container) {
        cdi_lookup_container_node(root_fd, ret_container);
        for (size_t i = 0; i < n; i++)
                if (devs[i].group)
                        cdi_lookup_group_node(root_fd, devs[i].group, &devs[i].node);
}

static bool file_has(int dirfd, const char *name, const char *text) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        size_t len = strlen(text);
        _cleanup_free_ char *buf = NULL;
        ssize_t k;

        if (fd < 0 || !(buf = malloc(len + 1)))
                return false;
        k = read(fd, buf, len + 1);
        return k == (ssize_t) len && memcmp(buf, text, len) == 0;
}

static int open_dir(int root_fd, const char *dir) {
        int fd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        /* Created only where its parent is: /run/cdi on a system that has /run. */
        if (fd < 0 && errno == ENOENT) {
                if (mkdirat(root_fd, dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
                fd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        return fd < 0 ? -errno : fd;
}

int cdi_write_specs(int root_fd, const char *dir, const CdiDevice *devs, size_t n, const CdiNode *container) {
        _cleanup_close_ int dfd = open_dir(root_fd, dir);
        int ret = 0;

        if (dfd < 0)
                return dfd;
        for (Bus bus = 0; bus < _BUS_MAX; bus++) {
                _cleanup_free_ char *text = NULL;
                char file[128];
                int r;

                r = cdi_spec_filename(bus, file, sizeof file);
                if (r >= 0)
                        r = cdi_spec_format(bus, devs, n, container, &text);
                if (r >= 0 && !text && unlinkat(dfd, file, 0) < 0 && errno != ENOENT)
                        r = -errno;
                if (r >= 0 && text && !file_has(dfd, file, text))
                        r = write_file_atomic_at(dfd, file, text, strlen(text), 0644);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}
