/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A random but reproducible policy text for the shadowed-rule test (tests/test-policy.c) and
 * the load benchmark (bench/policy-load.c): exact values and globs, several keys and values per
 * rule. @pool is how many distinct values each key draws from: small gives many overlapping
 * (and shadowed) rules, large gives few; @glob_permille of the values are globs. Returns a
 * malloc()ed NUL-terminated text. */
char *policy_gen(uint64_t seed, size_t n_rules, size_t pool, unsigned glob_permille, size_t *ret_len);
