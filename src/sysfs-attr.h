/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Attributes of one sysfs directory, relative to its fd: the bus-independent layer under sysfs.c
 * and the per-bus readers. Returns negative errno; never logs. */

#define ATTR_SIZE_MAX 4096

/* At most @size bytes of @attr, as they are. */
int sysfs_read_raw(int dirfd, const char *attr, char *buf, size_t size, size_t *ret_len);
/* The value of an attribute without its trailing newline; at most 4 KiB; -EBADMSG on a NUL. */
int sysfs_read_attr(int dirfd, const char *attr, char **ret);
/* The last component of a symlink's target, validated with @valid (NULL: any). -ENOENT if none. */
int sysfs_read_link_name(int dirfd, const char *link, bool (*valid)(const char *), char **ret);
int sysfs_write_attr(int dirfd, const char *attr, const char *value);
