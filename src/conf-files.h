/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Drop-in files with systemd's precedence: a name in an earlier directory hides the same name in
 * later ones; a symlink to /dev/null or an empty file masks the name; the rest sorted by name.
 * @dirs are relative to @root_fd. Returns the relative paths of the files to read. On a directory
 * that exists but cannot be read, returns a negative errno and sets *ret_bad_dir. */
int conf_files_list(int root_fd, const char * const *dirs, const char *suffix, char ***ret,
                    const char **ret_bad_dir);
