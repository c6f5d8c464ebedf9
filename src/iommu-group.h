/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "match.h"
#include "sysfs.h"

/* An IOMMU group as VFIO sees it: VFIO hands a group to a user only when it is viable, that is
 * when every member is on a VFIO driver, on no driver, or is a bridge. Buses whose bind unit is
 * the group (bus_table[].unit, PCI) decide and bind with the members in view. Never logs. */

typedef struct GroupMember {
        DeviceInfo *device;
        Decision decision;      /* what the policy says of the member itself */
        bool bridge;
} GroupMember;

typedef struct IommuGroup {
        char *id;
        GroupMember *members;   /* sorted by name, the device itself included */
        size_t n;
} IommuGroup;

void iommu_group_done(IommuGroup *g);
/* The members of group @id (/sys/kernel/iommu_groups/<id>/devices), read on @bus, each with the
 * policy's own decision. */
int iommu_group_read(const Sysfs *s, const Policy *p, Bus bus, const char *id, IommuGroup *ret);

/* A member keeps the group from being usable: on a host driver, not a bridge. */
bool group_member_blocks(const GroupMember *m);
bool iommu_group_viable(const IommuGroup *g);
/* The members that keep the group from being usable even once every member the policy selects
 * is bound: on a host driver, not a bridge, not selected. Fills @ret with up to @max names;
 * returns how many there are. */
size_t iommu_group_blockers(const IommuGroup *g, const char **ret, size_t max);
/* "IOMMU group 5 is not viable: 0000:00:05.1 on a host driver; select it too, or set group = whole
 * in rule 'x'" into @buf; false when nothing blocks. */
bool iommu_group_explain_blockers(const IommuGroup *g, const char *rule, char *buf, size_t size);

/* The decision for @d with its group in view: a member that no rule selects follows a member
 * selected by a "group = whole" rule (bridges excepted). @g may be NULL (no group yet). */
void group_decide(const IommuGroup *g, const DeviceInfo *d, Decision *dec);
