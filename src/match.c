/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Each rule is indexed under one of its keys (its anchor): the device name, the DT path or the
 * compatibles, as exact values, as the literal prefix of globs, or for globs that start with a
 * wildcard ("*,uart") as their literal suffix. A device then looks up its own name, path and
 * compatibles (whole, and their prefixes and suffixes of the lengths in use), and only the rules
 * found (plus the few that have no usable anchor) are evaluated, in policy order, so that the
 * first matching rule still wins. Thousands of rules cost a few hash lookups per device.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "match.h"
#include "match-keys.h"

#define PREFIX_LENGTHS_MAX 16

/* The distinct lengths of the literal prefixes (or suffixes) indexed under one key: a device
 * value is looked up once per length. */
typedef struct Lengths {
        size_t len[PREFIX_LENGTHS_MAX];
        size_t n;
} Lengths;

typedef struct KeyIndex {
        IndexMap *exact;
        IndexMap *prefix;                       /* literal prefix of a glob → rules */
        IndexMap *suffix;                       /* literal suffix of a glob without a prefix → rules */
        Lengths prefix_lengths, suffix_lengths;
} KeyIndex;

struct MatchIndex {
        KeyIndex keys[_MATCH_KEY_MAX];
        uint32_t *scan;                         /* rules without an anchor: always evaluated */
        size_t n_scan;
};

static const char * const verdict_table[] = {
        [VERDICT_NONE] = "none",
        [VERDICT_BIND] = "bind",
        [VERDICT_IGNORE] = "ignore",
};

const char *verdict_to_string(Verdict v) {
        return v <= VERDICT_IGNORE ? verdict_table[v] : NULL;
}

static size_t count_colons(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                n += *s == ':';
        return n;
}

bool match_pattern(MatchKey k, const Pattern *p, const char *s) {
        const MatchKeyInfo *ki = &match_keys[k];

        if (ki->same_colons && count_colons(p->value) != count_colons(s))
                return false;
        if (ki->prefix)
                return strncmp(s, p->value, strlen(p->value)) == 0;
        if (!p->glob)
                return streq(p->value, s);
        return fnmatch(p->value, s, ki->fnm_flags) == 0;
}

static bool key_matches(const Rule *r, MatchKey k, const DeviceInfo *d) {
        char buf[64];

        for (size_t i = 0; i < r->n_patterns[k]; i++) {
                const Pattern *p = &r->patterns[k][i];
                const char *v;

                for (size_t j = 0; (v = match_keys[k].value(d, j, buf, sizeof buf)); j++)
                        if (match_pattern(k, p, v))
                                return true;
        }
        return false;
}

MatchKey rule_first_mismatch(const Rule *r, const DeviceInfo *d) {
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                if (r->n_patterns[k] > 0 && !key_matches(r, k, d))
                        return k;
        return _MATCH_KEY_MAX;
}

bool rule_matches(const Rule *r, const DeviceInfo *d) {
        return rule_first_mismatch(r, d) == _MATCH_KEY_MAX;
}

const char *rule_target_driver(const Rule *r, Bus bus) {
        return r->driver ?: bus_default_driver(bus) ?: bus_default_driver(BUS_PLATFORM);
}

static void decide_by_rule(const Rule *r, const DeviceInfo *d, Decision *ret) {
        *ret = (Decision) {
                .verdict = r->action == RULE_IGNORE ? VERDICT_IGNORE : VERDICT_BIND,
                .rule = r,
                .driver = r->action == RULE_IGNORE ? NULL : rule_target_driver(r, d->bus),
        };
}

static size_t literal_prefix(const char *s) {
        return strcspn(s, "*?[");
}

/* The literal tail every match ends with: after the last wildcard, bracket or backslash. */
static size_t literal_suffix(const char *s) {
        size_t n = strlen(s), k = 0;

        while (k < n && !strchr("*?[]\\", s[n - 1 - k]))
                k++;
        return k;
}

static bool lengths_has(const Lengths *l, size_t len) {
        for (size_t j = 0; j < l->n; j++)
                if (l->len[j] == len)
                        return true;
        return false;
}

static void lengths_add(Lengths *l, size_t len) {
        if (!lengths_has(l, len))
                l->len[l->n++] = len;
}

MatchIndex *match_index_free(MatchIndex *idx) {
        if (!idx)
                return NULL;
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                index_map_free(idx->keys[k].exact);
                index_map_free(idx->keys[k].prefix);
                index_map_free(idx->keys[k].suffix);
        }
        free(idx->scan);
        free(idx);
        return NULL;
}

/* The anchor: a key all of whose values are exact, else one whose globs all have a literal
 * prefix or suffix (and whose lengths still fit the tables). Device names are the most selective. */
/* The keys a rule can be indexed under, most selective first. */
static const MatchKey anchor_order[] = { MATCH_DEVICE, MATCH_PCI_ID, MATCH_PATH, MATCH_COMPATIBLE };

/* Where a glob goes: the longer of its literal prefix and suffix (a path glob "/soc/STAR/uart@1000"
 * is better known by its end than by "/soc/"); false when it has neither. */
static bool glob_anchor(const char *value, bool *ret_suffix, size_t *ret_len) {
        size_t pre = literal_prefix(value), suf = literal_suffix(value);

        *ret_suffix = suf > pre;
        *ret_len = suf > pre ? suf : pre;
        return *ret_len > 0;
}

static int pick_anchor(const MatchIndex *idx, const Rule *r) {
        int best = -1;

        for (size_t o = 0; o < ELEMENTSOF(anchor_order); o++) {
                MatchKey k = anchor_order[o];
                const KeyIndex *ki = &idx->keys[k];
                bool exact = true, usable = r->n_patterns[k] > 0;
                Lengths pre = ki->prefix_lengths, suf = ki->suffix_lengths;

                for (size_t i = 0; i < r->n_patterns[k] && usable; i++) {
                        const Pattern *p = &r->patterns[k][i];
                        bool suffix;
                        size_t len;
                        Lengths *l;

                        if (!p->glob)
                                continue;
                        exact = false;
                        usable = glob_anchor(p->value, &suffix, &len);
                        l = suffix ? &suf : &pre;
                        if (usable && !lengths_has(l, len)) {
                                usable = l->n < PREFIX_LENGTHS_MAX;
                                if (usable)
                                        l->len[l->n++] = len;
                        }
                }
                if (usable && exact)
                        return k;
                if (usable && best < 0)
                        best = k;
        }
        return best;
}

static int index_rule(MatchIndex *idx, const Rule *r) {
        int anchor = pick_anchor(idx, r);

        if (anchor < 0) {
                uint32_t *s = reallocarray(idx->scan, idx->n_scan + 1, sizeof(uint32_t));
                if (!s)
                        return -ENOMEM;
                idx->scan = s;
                idx->scan[idx->n_scan++] = r->index;
                return 0;
        }

        KeyIndex *ki = &idx->keys[anchor];
        for (size_t i = 0; i < r->n_patterns[anchor]; i++) {
                const Pattern *p = &r->patterns[anchor][i];
                int q;

                if (!p->glob) {
                        q = index_map_add(ki->exact, p->value, strlen(p->value), r->index);
                } else {
                        size_t len, n = strlen(p->value);
                        bool suffix;

                        (void) glob_anchor(p->value, &suffix, &len);
                        lengths_add(suffix ? &ki->suffix_lengths : &ki->prefix_lengths, len);
                        q = suffix ? index_map_add(ki->suffix, p->value + n - len, len, r->index)
                                   : index_map_add(ki->prefix, p->value, len, r->index);
                }
                if (q < 0)
                        return q;
        }
        return 0;
}

int match_index_build(const Policy *p, MatchIndex **ret) {
        MatchIndex *idx = calloc(1, sizeof(MatchIndex));
        int r = 0;

        if (!idx)
                return -ENOMEM;
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                idx->keys[k].exact = index_map_new();
                idx->keys[k].prefix = index_map_new();
                idx->keys[k].suffix = index_map_new();
                if (!idx->keys[k].exact || !idx->keys[k].prefix || !idx->keys[k].suffix)
                        r = -ENOMEM;
        }
        for (size_t i = 0; i < p->n_rules && r >= 0; i++)
                r = index_rule(idx, p->rules[i]);
        if (r < 0) {
                match_index_free(idx);
                return r;
        }
        *ret = idx;
        return 0;
}

typedef struct Candidates {
        uint32_t stack[64];
        uint32_t *items;
        size_t n, allocated;
        bool oom;
} Candidates;

static void candidates_add(Candidates *c, IndexList l) {
        if (l.n == 0)
                return;
        if (c->n + l.n > c->allocated) {
                size_t na = (c->n + l.n) * 2;
                uint32_t *items = c->items == c->stack ? malloc(na * sizeof(uint32_t))
                                                       : reallocarray(c->items, na, sizeof(uint32_t));
                if (!items) {
                        c->oom = true;
                        return;
                }
                if (c->items == c->stack)
                        memcpy(items, c->stack, c->n * sizeof(uint32_t));
                c->items = items;
                c->allocated = na;
        }
        memcpy(c->items + c->n, l.items, l.n * sizeof(uint32_t));
        c->n += l.n;
}

static void candidates_lookup(Candidates *c, const KeyIndex *ki, const char *s) {
        size_t len = strlen(s);

        candidates_add(c, index_map_get(ki->exact, s, len));
        for (size_t j = 0; j < ki->prefix_lengths.n; j++)
                if (ki->prefix_lengths.len[j] <= len)
                        candidates_add(c, index_map_get(ki->prefix, s, ki->prefix_lengths.len[j]));
        for (size_t j = 0; j < ki->suffix_lengths.n; j++)
                if (ki->suffix_lengths.len[j] <= len)
                        candidates_add(c, index_map_get(ki->suffix, s + len - ki->suffix_lengths.len[j],
                                                        ki->suffix_lengths.len[j]));
}

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

/* A device's candidates are a few sorted runs of rule indices: insertion sort for a handful
 * (glibc's qsort() is a merge sort with a temporary buffer). */
static void sort_candidates(uint32_t *v, size_t n) {
        if (n > 32) {
                qsort(v, n, sizeof(uint32_t), cmp_u32);
                return;
        }
        for (size_t i = 1; i < n; i++) {
                uint32_t x = v[i];
                size_t j = i;

                for (; j > 0 && v[j - 1] > x; j--)
                        v[j] = v[j - 1];
                v[j] = x;
        }
}

size_t match_index_unindexed(const MatchIndex *idx) {
        return idx ? idx->n_scan : 0;
}

static void decide_linear(const Policy *p, const DeviceInfo *d, Decision *ret) {
        for (size_t i = 0; i < p->n_rules; i++)
                if (rule_matches(p->rules[i], d)) {
                        decide_by_rule(p->rules[i], d, ret);
                        return;
                }
}

void policy_decide(const Policy *p, const DeviceInfo *d, Decision *ret) {
        const MatchIndex *idx = p->index;
        Candidates c = { .items = NULL };

        *ret = (Decision) { .verdict = VERDICT_NONE };
        if (!idx)
                return decide_linear(p, d, ret);

        c.items = c.stack;
        c.allocated = ELEMENTSOF(c.stack);
        for (size_t o = 0; o < ELEMENTSOF(anchor_order); o++) {
                MatchKey k = anchor_order[o];
                const char *v;
                char buf[64];

                for (size_t j = 0; (v = match_keys[k].value(d, j, buf, sizeof buf)); j++)
                        candidates_lookup(&c, &idx->keys[k], v);
        }
        candidates_add(&c, (IndexList) { idx->scan, idx->n_scan });

        if (c.oom) {
                /* Correct, only slower. */
                if (c.items != c.stack)
                        free(c.items);
                return decide_linear(p, d, ret);
        }
        sort_candidates(c.items, c.n);
        for (size_t i = 0; i < c.n; i++) {
                const Rule *r;

                if (i > 0 && c.items[i] == c.items[i - 1])
                        continue;
                r = p->rules[c.items[i]];
                if (rule_matches(r, d)) {
                        decide_by_rule(r, d, ret);
                        break;
                }
        }
        if (c.items != c.stack)
                free(c.items);
}
