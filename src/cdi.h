/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "match.h"
#include "validate.h"

/* Container Device Interface specs for the devices on a VFIO driver: one spec per bus, kind
 * "vfio-platform-bindd.io/<bus>", one CDI device per sysfs device, whose containerEdits hand
 * /dev/vfio/vfio and the node of its IOMMU group to the container. Formatting is pure; the node
 * lookup and the file writes go through a root directory fd. Never logs.
 * vfio-platform-bindd(8) documents the names, the versions and the files. */

#define CDI_VENDOR "vfio-platform-bindd.io"
#define CDI_DIR "run/cdi"               /* the dynamic spec directory, relative to the root */
#define CDI_ENV_PREFIX "VFIO_PLATFORM_BINDD_DEVICE_"

typedef struct CdiNode {
        char path[64];          /* in the container and on the host: "/dev/vfio/7" */
        char type;              /* 'c'; 0: unknown, the runtime fills type, major, minor in */
        unsigned major, minor;
} CdiNode;

typedef struct CdiDevice {
        Bus bus;
        const char *name;       /* the sysfs name */
        const char *cdi_name;   /* the rule's cdi-name=; NULL: derived from the sysfs name */
        const char *group;      /* the IOMMU group number; devices without one are left out */
        CdiNode node;           /* the group's node (cdi_resolve_nodes()) */
} CdiDevice;

/* A sysfs device name as a CDI device name: every byte outside [A-Za-z0-9_.:-] becomes '_', and
 * an "x" goes before a first byte or after a last byte that is not a letter or digit.
 * "a003e00.virtio_mmio" and "soc:gpio-keys" stay as they are; "gpio@12" becomes "gpio_12". */
int cdi_name_from_sysfs(const char *name, char **ret);
/* The CDI variable name part of a CDI device name: upper case, '_' for the rest. */
void cdi_env_id(const char *cdi_name, char *buf, size_t size);

/* Whether @d goes into a spec: the policy binds it (@dec), it is on its target, that target is
 * a VFIO driver, and it has an IOMMU group. Then fills @ret (pointing into @d and @dec's rule). */
bool cdi_device_of(const DeviceInfo *d, const Decision *dec, CdiDevice *ret);

/* "vfio-platform-bindd.io/<bus>"; -EINVAL for a bus whose name is no CDI class. */
int cdi_kind(Bus bus, char *buf, size_t size);
/* "vfio-platform-bindd.io-<bus>.json" */
int cdi_spec_filename(Bus bus, char *buf, size_t size);

/* The CDI device name of each of @devs (same order; @devs all of one bus): the rule's cdi-name
 * when it is valid and no other device claimed it first, else the name from sysfs, with "-2",
 * "-3", ... on a clash. Claims go in order of sysfs name, explicit names first. */
int cdi_assign_names(const CdiDevice *devs, size_t n, char ***ret);

/* The qualified name of each of @devs, of any buses, as their specs name them:
 * "vfio-platform-bindd.io/platform=NAME" (same order). */
int cdi_qualified_names(const CdiDevice *devs, size_t n, char ***ret);

/* The spec of the devices of @bus among @devs (others are skipped), sorted by sysfs name, as
 * JSON; *ret is NULL when there is none (the CDI specification refuses a spec without devices).
 * @container is the node of /dev/vfio/vfio. */
int cdi_spec_format(Bus bus, const CdiDevice *devs, size_t n, const CdiNode *container, char **ret);

/* Fills in a node from <root>/dev (stat) when the node is there, else from the kernel's record
 * in <root>/sys/class (the daemon's sandbox has no /dev/vfio), else leaves type 0. A group in
 * no-IOMMU mode has the node "noiommu-N". */
void cdi_lookup_group_node(int root_fd, const char *group, CdiNode *ret);
void cdi_lookup_container_node(int root_fd, CdiNode *ret);
/* Both, for every device. */
void cdi_resolve_nodes(int root_fd, CdiDevice *devs, size_t n, CdiNode *ret_container);

/* Brings <root>/@dir up to date for every bus: writes the spec of a bus with devices
 * atomically (unless it holds that text already), removes the spec of a bus without. @dir is
 * created when its parent exists. Returns the first error. */
int cdi_write_specs(int root_fd, const char *dir, const CdiDevice *devs, size_t n, const CdiNode *container);
