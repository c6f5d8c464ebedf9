/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* NULL-terminated arrays of strings, as in systemd. */
size_t strv_length(char * const *l);
void strv_free(char **l);
int strv_push(char ***l, char *value);        /* takes ownership; on failure frees value */
int strv_extend(char ***l, const char *value); /* copies */
bool strv_contains(char * const *l, const char *s);
void strv_sort(char **l);

static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))
