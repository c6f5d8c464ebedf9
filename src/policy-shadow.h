/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "diag.h"
#include "policy.h"

/* Rules that can never match because an earlier rule matches every device they match. */

/* @a matches every device that @b matches: @a has a key, and for each key @a looks at, each value
 * of @b is a value of @a or matched by a glob of @a. */
bool rule_covers(const Rule *a, const Rule *b);
/* One warning per such rule, naming the first rule that covers it. Compares a rule only with the
 * earlier rules that share one of its values or have a glob matching one (found by hash), so a
 * policy of exact rules costs a few lookups per rule. -ENOMEM only. */
int policy_warn_shadowed(const Policy *p, Diagnostics *d);
