/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "diag.h"
#include "policy.h"

/* Where the root directory is, for messages: "" for "/", else the --root=DIR given. */
typedef struct Root {
        int fd;
        const char *path;
} Root;

/* Reads the drop-in directories under @root (or, when @files is non-NULL, exactly those files,
 * paths as given) into a finalized policy. Every problem goes to @d. Returns 0 with *ret set when
 * the policy is valid, -EINVAL when @d holds errors, or another negative errno. */
int policy_load(const Root *root, char * const *files, Policy **ret, Diagnostics *d);
