/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"

/* The policy: an ordered list of rules from the drop-in files. Pure data, no I/O but reading the
 * FILE* handed to policy_parse_file(). */

/* The keys that select devices; their names, checks and values are rows of match-keys.c. */
typedef enum MatchKey {
        MATCH_COMPATIBLE,
        MATCH_PATH,
        MATCH_DEVICE,
        MATCH_BUS,
        MATCH_PCI_ID,
        MATCH_CLASS,
        MATCH_CDX_ID,
        MATCH_MC_TYPE,
        _MATCH_KEY_MAX,
} MatchKey;

/* Which members of a device's IOMMU group must move with it (buses that bind by group). */
typedef enum GroupPolicy {
        GROUP_STRICT,           /* bind only when no other member is on a host driver */
        GROUP_WHOLE,            /* bind every member but bridges */
        _GROUP_POLICY_MAX,
} GroupPolicy;

typedef enum RuleAction {
        RULE_BIND,
        RULE_IGNORE,
        _RULE_ACTION_MAX,
} RuleAction;

typedef struct Pattern {
        char *value;
        bool glob;
        unsigned line;
} Pattern;

typedef struct Rule {
        char *name;
        const char *file;       /* owned by the Policy */
        unsigned line;          /* of the [section] header */
        unsigned index;         /* position in the policy: the first matching rule wins */
        RuleAction action;
        unsigned action_line;
        char *driver;           /* NULL: the bus's default driver (vfio-platform, vfio-pci, ...) */
        unsigned driver_line;
        GroupPolicy group;
        unsigned group_line;
        bool force;             /* move the device even when the host needs it (guard.h) */
        unsigned force_line;
        char *cdi_name;         /* cdi-name=: the device's name in the CDI spec; NULL: from sysfs */
        unsigned cdi_name_line;
        Pattern *patterns[_MATCH_KEY_MAX];
        size_t n_patterns[_MATCH_KEY_MAX];
} Rule;

typedef struct MatchIndex MatchIndex;
typedef struct IndexMap IndexMap;

typedef struct Policy {
        Rule **rules;
        size_t n_rules;
        char **files;           /* every file read, in order */
        MatchIndex *index;      /* built by policy_finalize() */
        IndexMap *names;        /* rule name → index: duplicates are found in constant time */
        unsigned n_ref;         /* the daemon's device jobs hold the policy they were decided
                                 * under; taken and dropped on its main thread only */
} Policy;

const char *match_key_to_string(MatchKey k) _pure_;
const char *rule_action_to_string(RuleAction a) _pure_;
const char *group_policy_to_string(GroupPolicy g) _pure_;

Policy *policy_new(void);
Policy *policy_ref(Policy *p);
/* Drops a reference; the last one frees. */
Policy *policy_free(Policy *p);
static inline void policy_freep(Policy **p) {
        policy_free(*p);
}
#define _cleanup_policy_ _cleanup_(policy_freep)

/* Appends the rules of one file. Problems go to @d as FILE:LINE messages; returns -ENOMEM only. */
int policy_parse_file(Policy *p, FILE *f, const char *filename, Diagnostics *d);
/* Same, from a string (tests, fuzzing). */
int policy_parse_string(Policy *p, const char *text, size_t len, const char *filename, Diagnostics *d);
/* After the last file: builds the match index and warns about rules that can never match. */
int policy_finalize(Policy *p, Diagnostics *d);

/* Writes the effective rules in the policy syntax, each with a "# FILE:LINE" origin comment. */
void policy_dump(const Policy *p, FILE *f);
