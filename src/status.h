/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "escape.h"
#include "guard.h"
#include "iommu-group.h"
#include "match.h"

/* "vfio-platform-bindctl status": one row per device, printed as a table or as JSON. Pure
 * formatting; the JSON schema is documented in vfio-platform-bindctl(8) and stays stable. */

typedef struct StatusRow {
        const DeviceInfo *device;
        Decision decision;
        const char *state;      /* see status_state() */
        const char *reason;     /* why it failed (the daemon's record) or why it is "error" */
        const IommuGroup *group; /* NULL, or empty, when the bus does not bind by group */
        const GuardVerdict *guard; /* why the host needs it; NULL: not looked at */
        const char *boot_window; /* "taken at boot by the built-in driver X, ...; remedy: ..." or NULL */
        const char *cdi;        /* its qualified CDI name ("vfio-platform-bindd.io/platform=NAME"), or NULL */
} StatusRow;

/* "bound", "pending", "failed", "refused", "ignored" or "unselected" ("error", for a device that
 * cannot be read, is set by the caller, with the reason). @recorded_status comes from
 * the state record of the device (NULL when none); @guard (may be NULL) says whether the host
 * needs it. */
const char *status_state(const DeviceInfo *d, const Decision *dec, const char *recorded_status,
                         const GuardVerdict *guard);
void status_print_table(FILE *f, const StatusRow *rows, size_t n, bool color);
void status_print_json(FILE *f, const StatusRow *rows, size_t n);
/* "0000:00:05.0 0000:00:05.1 (viable)", or "... (not viable: 0000:00:05.1 on virtio-pci)". */
void status_print_group(FILE *f, const IommuGroup *g);
/* A JSON string literal, quotes included; NULL prints null. */
void json_print_string(FILE *f, const char *s);
