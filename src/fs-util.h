/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Creates @path relative to @dirfd with its missing parents, mode 0755, as "mkdir -p" does. */
int mkdir_p_at(int dirfd, const char *path);

#include <stddef.h>
#include <sys/types.h>

/* Replaces @name in @dirfd by @len bytes of @data so that a reader sees the old file or the new
 * one, never a part: a hidden temporary file in the same directory, written, given @mode (the
 * process umask does not apply), fsync'ed, then renamed over @name. Two writers of the same
 * file do not share a temporary name; the last rename wins. */
int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode);
