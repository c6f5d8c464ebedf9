/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Creates @path relative to @dirfd with its missing parents, mode 0755, as "mkdir -p" does. */
int mkdir_p_at(int dirfd, const char *path);
