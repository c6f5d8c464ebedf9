/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Creates @path relative to @dirfd with its missing parents, mode 0755, as "mkdir -p" does. */
int mkdir_p_at(int dirfd, const char *path);

#include <stddef.h>
#include <sys/types.h>

/* Replaces @name in @dirfd by @len bytes of @data so that a reader sees the old file or the new
 * one, never a part: a hidden temporary file in the same directory, written, given @mode (the
 * process umask does not apply), fsync'ed, then renamed over @name. Two writers of the same
 * file do not share a temporary name; the last rename wins. */
int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, mode_t mode);

/* openat() that never leaves @dirfd: openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) where the
 * kernel has it, else the symlinks on the way are resolved by hand and any that is absolute or
 * climbs above @dirfd is refused. -EXDEV when @path would lead outside. Returns the fd. */
int openat_beneath(int dirfd, const char *path, int flags, mode_t mode);
/* mkdir -p, each component created and entered beneath the previous one: a symlink on the way
 * that leads out of @dirfd is refused (-EXDEV) instead of followed. */
int mkdir_p_beneath(int dirfd, const char *path);
/* The fallback alone (tests). */
int openat_beneath_by_hand(int dirfd, const char *path, int flags, mode_t mode);
/* The same for a directory, O_RDONLY|O_DIRECTORY|O_CLOEXEC. */
int open_dir_beneath(int dirfd, const char *path);
