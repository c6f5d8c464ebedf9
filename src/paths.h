/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every path the programs use, relative to the root directory (--root=DIR, default "/").
 * The policy directories, in order of precedence. */
#define POLICY_DIRS                                     \
        "etc/vfio-platform-bind.d",                     \
        "run/vfio-platform-bind.d",                     \
        "usr/local/lib/vfio-platform-bind.d",           \
        "usr/lib/vfio-platform-bind.d"
#define POLICY_SUFFIX ".conf"
#define POLICY_FILE_SIZE_MAX (16u * 1024u * 1024u)

#define SYSFS_DIR "sys"
#define STATE_DIR_PARENT "run"
#define STATE_DIR STATE_DIR_PARENT "/vfio-platform-bindd"
#define PERSIST_DIR "etc/vfio-platform-bind.d"
