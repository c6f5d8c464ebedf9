/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

typedef struct Bucket {
        const char *key;        /* NULL: empty */
        size_t keylen;
        uint64_t hash;
        uint32_t *items;
        size_t n, allocated;
} Bucket;

struct IndexMap {
        Bucket *buckets;
        size_t n_buckets;       /* a power of two */
        size_t n_keys;
};

/* FNV-1a: the keys are short strings and the table is never exposed to an attacker who could
 * choose keys after seeing the seed (keys come from the root-owned policy). */
static uint64_t hash_bytes(const char *s, size_t n) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char) s[i];
                h *= 0x100000001b3ULL;
        }
        /* FNV's low bits, which pick the bucket, depend only on the low bits of each byte: keys
         * that differ in a digit ("r123", "r124") cluster, and linear probing then walks long
         * runs (200,000 rule names took 0.6 s to insert). Mix the high bits down (murmur3's
         * finalizer). */
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
}

IndexMap *index_map_new(void) {
        IndexMap *m = calloc(1, sizeof(IndexMap));

        if (!m)
                return NULL;
        m->n_buckets = 16;
        m->buckets = calloc(m->n_buckets, sizeof(Bucket));
        if (!m->buckets) {
                free(m);
                return NULL;
        }
        return m;
}

IndexMap *index_map_free(IndexMap *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_buckets; i++)
                free(m->buckets[i].items);
        free(m->buckets);
        free(m);
        return NULL;
}

static Bucket *find(Bucket *buckets, size_t n_buckets, const char *key, size_t keylen, uint64_t h) {
        for (size_t i = h & (n_buckets - 1);; i = (i + 1) & (n_buckets - 1)) {
                Bucket *b = &buckets[i];

                if (!b->key || (b->hash == h && b->keylen == keylen && memcmp(b->key, key, keylen) == 0))
                        return b;
        }
}

static int grow(IndexMap *m) {
        size_t n = m->n_buckets * 2;
        Bucket *nb = calloc(n, sizeof(Bucket));

        if (!nb)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_buckets; i++)
                if (m->buckets[i].key)
                        *find(nb, n, m->buckets[i].key, m->buckets[i].keylen, m->buckets[i].hash) = m->buckets[i];
        free(m->buckets);
        m->buckets = nb;
        m->n_buckets = n;
        return 0;
}

int index_map_add(IndexMap *m, const char *key, size_t keylen, uint32_t value) {
        uint64_t h = hash_bytes(key, keylen);
        Bucket *b;

        if ((m->n_keys + 1) * 4 > m->n_buckets * 3 && grow(m) < 0) /* load factor 3/4 */
                return -ENOMEM;
        b = find(m->buckets, m->n_buckets, key, keylen, h);
        if (!b->key) {
                *b = (Bucket) { .key = key, .keylen = keylen, .hash = h };
                m->n_keys++;
        }
        if (b->n > 0 && b->items[b->n - 1] == value)
                return 0;
        if (b->n == b->allocated) {
                size_t na = b->allocated ? b->allocated * 2 : 2;
                uint32_t *items = reallocarray(b->items, na, sizeof(uint32_t));
                if (!items)
                        return -ENOMEM;
                b->items = items;
                b->allocated = na;
        }
        b->items[b->n++] = value;
        return 0;
}

IndexList index_map_get(const IndexMap *m, const char *key, size_t keylen) {
        const Bucket *b = find(m->buckets, m->n_buckets, key, keylen, hash_bytes(key, keylen));

        return b->key ? (IndexList) { b->items, b->n } : (IndexList) {};
}

size_t index_map_size(const IndexMap *m) {
        return m->n_keys;
}
