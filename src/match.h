/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "device.h"
#include "policy.h"

/* The matcher: pure functions from a device's facts and a policy to a decision. No I/O, no log. */

typedef enum Verdict {
        VERDICT_NONE,           /* no rule selects the device: leave it alone */
        VERDICT_BIND,
        VERDICT_IGNORE,         /* protected by an ignore rule */
} Verdict;

typedef struct Decision {
        Verdict verdict;
        const Rule *rule;       /* NULL for VERDICT_NONE */
        const char *driver;     /* the target driver for VERDICT_BIND */
} Decision;

bool match_pattern(MatchKey k, const Pattern *p, const char *s);
bool rule_matches(const Rule *r, const DeviceInfo *d);
/* The first key of @r that @d does not match, or _MATCH_KEY_MAX when @r matches. */
MatchKey rule_first_mismatch(const Rule *r, const DeviceInfo *d);
const char *rule_target_driver(const Rule *r, Bus bus);

void policy_decide(const Policy *p, const DeviceInfo *d, Decision *ret);
const char *verdict_to_string(Verdict v) _pure_;

/* The index that keeps policy_decide() from scanning every rule. */
int match_index_build(const Policy *p, MatchIndex **ret);
MatchIndex *match_index_free(MatchIndex *i);
/* How many rules the index cannot anchor (no key whose globs all have a literal prefix or
 * suffix): each of them is evaluated for every device. */
size_t match_index_unindexed(const MatchIndex *idx);
