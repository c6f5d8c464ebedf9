/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A string-keyed multimap to small integers (rule indices), open addressing. Keys are borrowed:
 * they must outlive the map. Values of one key stay in insertion order. */
typedef struct IndexMap IndexMap;

typedef struct IndexList {
        const uint32_t *items;
        size_t n;
} IndexList;

IndexMap *index_map_new(void);
IndexMap *index_map_free(IndexMap *m);
int index_map_add(IndexMap *m, const char *key, size_t keylen, uint32_t value);
/* Empty list when absent. @key need not be NUL-terminated. */
IndexList index_map_get(const IndexMap *m, const char *key, size_t keylen);
size_t index_map_size(const IndexMap *m);
