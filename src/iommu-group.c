/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-group.h"
#include "strv.h"
#include "validate.h"

void iommu_group_done(IommuGroup *g) {
        for (size_t i = 0; i < g->n; i++)
                device_info_free(g->members[i].device);
        free(g->members);
        free(g->id);
        *g = (IommuGroup) {};
}

static int list_names(int dirfd, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        struct dirent *de;
        DIR *d = fdopendir(dirfd);
        int r = 0;

        if (!d) {
                r = -errno;
                close(dirfd);
                return r;
        }
        while ((errno = 0, de = readdir(d)))
                if (device_name_is_valid(de->d_name) && strv_extend(&l, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
        if (r == 0 && errno)
                r = -errno;
        closedir(d);
        if (r < 0)
                return r;
        strv_sort(l);
        *ret = TAKE_PTR(l);
        return 0;
}

int iommu_group_read(const Sysfs *s, const Policy *p, Bus bus, const char *id, IommuGroup *ret) {
        _cleanup_strv_free_ char **names = NULL;
        char path[64];
        IommuGroup g = {};
        int fd, r;

        if (isempty(id) || strspn(id, "0123456789") != strlen(id) || strlen(id) > 10)
                return -EINVAL;
        snprintf(path, sizeof path, "kernel/iommu_groups/%s/devices", id);
        fd = openat(s->fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = list_names(fd, &names);
        if (r < 0)
                return r;
        g.id = strdup(id);
        g.members = calloc(strv_length(names) + 1, sizeof(GroupMember));
        if (!g.id || !g.members) {
                iommu_group_done(&g);
                return -ENOMEM;
        }
        STRV_FOREACH(n, names) {
                GroupMember *m = &g.members[g.n];

                r = sysfs_read_device(s, bus, *n, &m->device);
                if (r == -ENODEV) /* gone meanwhile, or on another bus: not ours to move */
                        continue;
                if (r < 0) {
                        iommu_group_done(&g);
                        return r;
                }
                m->bridge = bus_device_is_bridge(m->device);
                if (p)
                        policy_decide(p, m->device, &m->decision);
                g.n++;
        }
        *ret = g;
        return 0;
}

bool group_member_blocks(const GroupMember *m) {
        return m->device->driver && !driver_is_vfio(m->device->driver) && !m->bridge;
}

bool iommu_group_viable(const IommuGroup *g) {
        for (size_t i = 0; i < g->n; i++)
                if (group_member_blocks(&g->members[i]))
                        return false;
        return true;
}

size_t iommu_group_blockers(const IommuGroup *g, const char **ret, size_t max) {
        size_t n = 0;

        for (size_t i = 0; i < g->n; i++) {
                const GroupMember *m = &g->members[i];

                if (!group_member_blocks(m) || m->decision.verdict == VERDICT_BIND)
                        continue;
                if (n < max)
                        ret[n] = m->device->name;
                n++;
        }
        return n;
}

#define BLOCKERS_SHOWN 4

bool iommu_group_explain_blockers(const IommuGroup *g, const char *rule, char *buf, size_t size) {
        const char *names[BLOCKERS_SHOWN];
        size_t n = iommu_group_blockers(g, names, ELEMENTSOF(names));
        char list[BLOCKERS_SHOWN * 64] = "";

        if (n == 0)
                return false;
        for (size_t i = 0; i < n && i < ELEMENTSOF(names); i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%.60s", i ? ", " : "", names[i]);
        snprintf(buf, size, "IOMMU group %s is not viable: %s%s on a host driver; select %s too, or set group = whole in rule '%s'",
                 g->id, list, n > ELEMENTSOF(names) ? ", ..." : "", n == 1 ? "it" : "them", rule);
        return true;
}

void group_decide(const IommuGroup *g, const DeviceInfo *d, Decision *dec) {
        if (!g || dec->verdict != VERDICT_NONE || bus_device_is_bridge(d))
                return;
        for (size_t i = 0; i < g->n; i++) {
                const GroupMember *m = &g->members[i];

                if (streq(m->device->name, d->name))
                        continue;
                if (m->decision.verdict == VERDICT_BIND && m->decision.rule->group == GROUP_WHOLE) {
                        *dec = m->decision;
                        return;
                }
        }
}
