/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "match.h"
#include "policy-shadow.h"

static bool rule_has_keys(const Rule *r) {
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                if (r->n_patterns[k] > 0)
                        return true;
        return false;
}

static bool key_covers(const Rule *a, const Rule *b, MatchKey k) {
        if (a->n_patterns[k] == 0)
                return true; /* @a does not look at this key */
        if (b->n_patterns[k] == 0)
                return false;
        for (size_t j = 0; j < b->n_patterns[k]; j++) {
                const Pattern *pb = &b->patterns[k][j];
                bool covered = false;

                for (size_t i = 0; i < a->n_patterns[k] && !covered; i++) {
                        const Pattern *pa = &a->patterns[k][i];
                        covered = streq(pa->value, pb->value) ||
                                  (pa->glob && !pb->glob && match_pattern(k, pa, pb->value));
                }
                if (!covered)
                        return false;
        }
        return true;
}

bool rule_covers(const Rule *a, const Rule *b) {
        if (!rule_has_keys(a))
                return false;
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                if (!key_covers(a, b, k))
                        return false;
        return true;
}

/* The rules seen so far, by key: under each value as written, and the globs also under their
 * literal prefix, looked up at every prefix length in use. */
typedef struct KeySeen {
        IndexMap *values;
        IndexMap *prefixes;
        size_t *lengths;
        size_t n_lengths;
} KeySeen;

typedef struct Seen {
        KeySeen keys[_MATCH_KEY_MAX];
        uint32_t *cand;
        size_t n_cand, allocated;
} Seen;

static void seen_done(Seen *s) {
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                index_map_free(s->keys[k].values);
                index_map_free(s->keys[k].prefixes);
                free(s->keys[k].lengths);
        }
        free(s->cand);
}

static int seen_init(Seen *s) {
        *s = (Seen) {};
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                s->keys[k].values = index_map_new();
                s->keys[k].prefixes = index_map_new();
                if (!s->keys[k].values || !s->keys[k].prefixes)
                        return -ENOMEM;
        }
        return 0;
}

static int add_length(KeySeen *ks, size_t len) {
        size_t *l;

        for (size_t i = 0; i < ks->n_lengths; i++)
                if (ks->lengths[i] == len)
                        return 0;
        l = reallocarray(ks->lengths, ks->n_lengths + 1, sizeof(size_t));
        if (!l)
                return -ENOMEM;
        ks->lengths = l;
        ks->lengths[ks->n_lengths++] = len;
        return 0;
}

/* A rule that covers a later one covers it on every key it has: so it need only be found under
 * one of them. The one whose first value has the fewest rules so far, exact values first:
 * "bus = pci" shared by thousands of rules is then never where they are looked for. */
static MatchKey pick_anchor(const Seen *s, const Rule *r) {
        MatchKey best = _MATCH_KEY_MAX;
        size_t best_n = SIZE_MAX;

        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                const Pattern *v = r->n_patterns[k] > 0 ? &r->patterns[k][0] : NULL;
                size_t n;
                bool glob = false;

                if (!v)
                        continue;
                for (size_t i = 0; i < r->n_patterns[k]; i++)
                        glob = glob || r->patterns[k][i].glob;
                n = index_map_get(s->keys[k].values, v->value, strlen(v->value)).n + (glob ? SIZE_MAX / 2 : 0);
                if (n < best_n) {
                        best = k;
                        best_n = n;
                }
        }
        return best;
}

/* @r under every value of its anchor key as written, and its globs also under their literal
 * prefix ("dev1*" under "dev1"). */
static int seen_add(Seen *s, const Rule *r) {
        MatchKey k = pick_anchor(s, r);
        KeySeen *ks = &s->keys[k];

        for (size_t i = 0; i < r->n_patterns[k]; i++) {
                const Pattern *p = &r->patterns[k][i];
                size_t len = strcspn(p->value, "*?[");
                int q;

                q = index_map_add(ks->values, p->value, strlen(p->value), r->index);
                if (q >= 0 && p->glob)
                        q = add_length(ks, len);
                if (q >= 0 && p->glob)
                        q = index_map_add(ks->prefixes, p->value, len, r->index);
                if (q < 0)
                        return q;
        }
        return 0;
}

static int cand_add(Seen *s, IndexList l) {
        if (l.n == 0)
                return 0;
        if (s->n_cand + l.n > s->allocated) {
                size_t na = (s->n_cand + l.n) * 2;
                uint32_t *c = reallocarray(s->cand, na, sizeof(uint32_t));

                if (!c)
                        return -ENOMEM;
                s->cand = c;
                s->allocated = na;
        }
        memcpy(s->cand + s->n_cand, l.items, l.n * sizeof(uint32_t));
        s->n_cand += l.n;
        return 0;
}

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

/* Every earlier rule that could cover @b. A rule that covers @b looks only at keys @b has, and
 * covers @b's first value of each: so under its anchor key, which @b has, it holds that value,
 * or a glob whose literal prefix that value starts with. */
static int candidates(Seen *s, const Rule *b) {
        int r = 0;

        s->n_cand = 0;
        for (MatchKey k = 0; k < _MATCH_KEY_MAX && r >= 0; k++) {
                const KeySeen *ks = &s->keys[k];
                const Pattern *v;
                size_t len;

                if (b->n_patterns[k] == 0)
                        continue;
                v = &b->patterns[k][0];
                len = strlen(v->value);
                r = cand_add(s, index_map_get(ks->values, v->value, len));
                for (size_t i = 0; i < ks->n_lengths && r >= 0 && !v->glob; i++)
                        if (ks->lengths[i] <= len)
                                r = cand_add(s, index_map_get(ks->prefixes, v->value, ks->lengths[i]));
        }
        if (r >= 0 && s->n_cand > 1)
                qsort(s->cand, s->n_cand, sizeof(uint32_t), cmp_u32);
        return r;
}

static int check_rule(Seen *s, const Policy *p, const Rule *b, Diagnostics *d) {
        int r = candidates(s, b);

        for (size_t i = 0; i < s->n_cand && r >= 0; i++) {
                const Rule *a = p->rules[s->cand[i]];

                if ((i > 0 && s->cand[i] == s->cand[i - 1]) || !rule_covers(a, b))
                        continue;
                diag_warn(d, b->file, b->line,
                          "rule '%s' can never match: rule '%s' at %s:%u matches every device it matches",
                          b->name, a->name, a->file, a->line);
                break;
        }
        return r;
}

int policy_warn_shadowed(const Policy *p, Diagnostics *d) {
        Seen s;
        int r;

        r = seen_init(&s);
        for (size_t j = 0; j < p->n_rules && r >= 0; j++) {
                const Rule *b = p->rules[j];

                /* The rules of a file are together: cap the warnings of each. */
                if (j == 0 || b->file != p->rules[j - 1]->file) {
                        if (j > 0)
                                diagnostics_end_file(d, p->rules[j - 1]->file);
                        diagnostics_begin_file(d);
                }
                if (!rule_has_keys(b)) /* already an error */
                        continue;
                r = check_rule(&s, p, b, d);
                if (r >= 0)
                        r = seen_add(&s, b);
        }
        if (p->n_rules > 0)
                diagnostics_end_file(d, p->rules[p->n_rules - 1]->file);
        seen_done(&s);
        return r;
}
