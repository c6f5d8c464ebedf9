/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A small udev for the tests and the fuzzer: parses the generated rules strictly and runs them on
 * one event, as systemd-udevd (252) would for the keys the generator writes; and what the rules
 * must do for that event, from policy_decide(). No test framework: every function returns an
 * error (with a message) instead of failing a test, so that the callers decide.
 */

#include <stdbool.h>

#include "match.h"
#include "policy.h"

typedef struct UdevToken {
        char *key;
        char *attr;     /* NULL without {} */
        char *op;
        char *value;    /* unescaped as udev does: only \" */
} UdevToken;

typedef struct UdevLine {
        UdevToken *tokens;
        size_t n;
} UdevLine;

typedef struct UdevRules {
        UdevLine *lines;
        size_t n;
} UdevRules;

typedef struct UdevEvent {
        const char *action;
        const char *subsystem;
        const char *name;       /* as the kernel names the device */
        char **props;           /* KEY=VALUE */
        const char *cmdline;
} UdevEvent;

typedef struct UdevOutcome {
        char *override;         /* written to driver_override, NULL when nothing was */
        char *module;           /* kmod load argument */
        char *probe_bus;        /* the bus whose drivers_probe was written */
        char *probe;            /* what was written to it */
} UdevOutcome;

/* The functions below return 0 on success, -ENOMEM, or -EBADMSG when the rules are not what the
 * interpreter understands (or, for udev_eval_run(), when udev would not do what they seem to
 * say); then *@error (when not NULL) is a message to free. */

/* Splits @text into lines and tokens; comments and empty lines are dropped. */
int udev_eval_parse(const char *text, UdevRules *ret, char **error);
void udev_eval_rules_done(UdevRules *rs);

/* Runs the rules on @ev: what udev would write and load. */
int udev_eval_run(const UdevRules *rs, const UdevEvent *ev, UdevOutcome *ret, char **error);
void udev_eval_outcome_done(UdevOutcome *o);
bool udev_eval_outcome_equal(const UdevOutcome *a, const UdevOutcome *b);
/* "override=... module=... probe=BUS:NAME", for messages. NULL on OOM. */
char *udev_eval_outcome_string(const UdevOutcome *o);

/* sd-device's sysname: the kernel's '!' reads as '/'. NULL on OOM. */
char *udev_eval_sysname(const char *name);

/* policy_decide() on the daemon's view of the event (its properties as a uevent file). */
int udev_eval_decide(const Policy *p, const UdevEvent *ev, Decision *ret);
/* What the rules must do: what policy_decide() says, for add and change events on the buses,
 * unless the kernel command line turns the rule off. */
int udev_eval_expected(const Policy *p, const UdevEvent *ev, UdevOutcome *ret);
