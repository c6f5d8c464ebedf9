/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How the policy becomes udev rules that select exactly what policy_decide() selects:
 *
 * - One block per policy rule, in policy order. A block that matches ends in a GOTO: to the common
 *   "apply" block for a bind rule, to the end of the file for an ignore rule. So the first matching
 *   rule wins, and an ignore rule protects the device from every later rule.
 * - Keys are ANDed, the values of one key ORed. A key whose values fit in one udev match ("a|b|c")
 *   joins the block's last line. A key that needs several lines (a compatible is looked up in every
 *   OF_COMPATIBLE_<i>; long lists are split) becomes an OR block: lines that GOTO the key's label,
 *   then a GOTO past the whole rule when none of them matched.
 * - udev matches globs with fnmatch(3) without flags, as match_pattern() does for device names and
 *   compatibles. A DT path glob is matched with FNM_PATHNAME ('*' stays within a node name), so its
 *   udev match comes with a second one that refuses more '/' than the pattern has.
 * - Values: udev ends a value at '"' unless escaped as \", reads '|' as a list of alternatives (no
 *   escape exists: refused) and "*?[" as a glob: in an exact value they are escaped with '\', which
 *   fnmatch then matches literally. Backslashes, spaces, control and non-ASCII bytes are refused.
 * - The daemon skips some uevent values (device.c): an empty compatible, one that is not printable
 *   ASCII or longer than COMPATIBLE_MAX, a DT path longer than DT_PATH_MAX. An exact value never
 *   equals them, but a glob could match them: the rule flags them first, and glob matches check
 *   the flag.
 * - udev's KERNEL is the sysname, in which sd-device turns the kernel's '!' into '/': a device
 *   pattern gets the same translation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "macro.h"
#include "match-keys.h"
#include "strv.h"
#include "udev-rules.h"
#include "validate.h"

#define LABEL_PREFIX "vfio_platform_bind_"
#define LABEL_END LABEL_PREFIX "end"
#define LABEL_APPLY LABEL_PREFIX "apply"
/* Properties with a leading '.' stay out of the udev database. */
#define PROP_DRIVER ".VFIO_PLATFORM_BIND_DRIVER"
#define PROP_LONG_PATH ".VFIO_PLATFORM_BIND_LONG_PATH"
#define PROP_BAD_COMPATIBLE ".VFIO_PLATFORM_BIND_BAD_C"

/* The alternatives joined into one match stay under this size: udev ignores lines over 16 KiB. */
#define ALTERNATIVES_BUDGET 4096

/* @s made printable for a comment or a message: nothing in it can end the line. */
static char *printable(const char *s) {
        char *buf, *o;

        s = strempty(s);
        buf = malloc(strlen(s) * 4 + 1);
        if (!buf)
                return NULL;
        o = buf;
        for (; *s; s++) {
                unsigned char c = *s;

                if (c < ' ' || c >= 0x7f || c == '\\')
                        o += sprintf(o, "\\x%02x", c);
                else
                        *o++ = c;
        }
        *o = '\0';
        return buf;
}

/* udev sees a kernel '!' in a device name as '/': a bracket member '!' translates to '/', but a
 * range that reaches '!' or '/' ("[+-3]", "[#-!]") would change its extent (found by the
 * udev-rules fuzz target). */
static bool bracket_range_spans_bang(const char *s) {
        for (const char *c = s; (c = strchr(c, '['));) {
                const char *q = c + 1, *end;

                if (*q == '!' || *q == '^')
                        q++;
                end = strchr(*q == ']' ? q + 1 : q, ']');
                if (!end)
                        return false;
                for (; q + 2 < end; q++)
                        if (q[1] == '-' && q[0] <= '/' && q[2] >= '!')
                                return true;
                c = end;
        }
        return false;
}

static const char *pattern_problem(MatchKey k, const Pattern *p) {
        if (isempty(p->value))
                return "it is empty";
        if (k == MATCH_DEVICE && p->glob && bracket_range_spans_bang(p->value))
                return "a bracket range reaches '!' or '/', which udev cannot match exactly (it sees the kernel's '!' as '/')";
        for (const char *c = p->value; *c; c++) {
                if ((unsigned char) *c <= ' ' || (unsigned char) *c >= 0x7f)
                        return "it contains a space, a control character or a non-ASCII byte";
                if (*c == '|')
                        return "it contains '|', which udev reads as a list of alternatives";
                if (*c == '\\')
                        return "it contains a backslash";
        }
        /* The policy's own checks: also what makes the glob translation below exact (balanced
         * brackets, no '/' inside them, bounded lengths). */
        return match_keys[k].check(p->value);
}

static int rule_check(const Rule *r, Diagnostics *d) {
        _cleanup_free_ char *name = printable(r->name);
        size_t errors = d->n_errors, n_values = 0;

        if (!name)
                return -ENOMEM;
        if (r->action != RULE_BIND && r->action != RULE_IGNORE)
                diag_error(d, r->file, r->line, "rule '%s': unknown action %d", name, (int) r->action);
        if (r->action == RULE_BIND && r->driver && !driver_name_is_valid(r->driver)) {
                _cleanup_free_ char *driver = printable(r->driver);
                if (!driver)
                        return -ENOMEM;
                diag_error(d, r->file, r->driver_line ?: r->line,
                           "rule '%s': driver '%s' cannot be written as a udev rule: not a driver name", name, driver);
        }
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                for (size_t i = 0; i < r->n_patterns[k]; i++) {
                        const Pattern *p = &r->patterns[k][i];
                        const char *problem = pattern_problem(k, p);
                        _cleanup_free_ char *value = NULL;

                        n_values++;
                        if (!problem)
                                continue;
                        value = printable(p->value);
                        if (!value)
                                return -ENOMEM;
                        diag_error(d, r->file, p->line ?: r->line, "rule '%s': %s '%s' cannot be written as a udev rule: %s",
                                   name, match_key_to_string(k), value, problem);
                }
        if (n_values == 0)
                diag_error(d, r->file, r->line, "rule '%s' has no match key: it would select every device", name);
        return d->n_errors > errors ? -EINVAL : 0;
}

int udev_rules_check(const Policy *p, Diagnostics *d) {
        int ret = 0;

        for (size_t i = 0; i < p->n_rules; i++) {
                int r = rule_check(p->rules[i], d);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        ret = r;
        }
        return d->oom ? -ENOMEM : ret;
}

/* The value as udev must read it; the pattern has passed pattern_problem(). */
static char *pattern_escape(MatchKey k, const Pattern *p) {
        const char *bracket_end = NULL;
        char *buf = malloc(strlen(p->value) * 2 + 1), *o = buf;

        if (!buf)
                return NULL;
        for (const char *c = p->value; *c; c++) {
                char ch = *c;

                if (p->glob && !bracket_end && ch == '[') {
                        /* Copy the opening and a negation: only members are translated. The
                         * bracket ends where fnmatch(3) and glob_check() end it. */
                        *o++ = '[';
                        if (c[1] == '!' || c[1] == '^')
                                *o++ = *++c;
                        bracket_end = strchr(c[1] == ']' ? c + 2 : c + 1, ']');
                        continue;
                }
                if (c == bracket_end)
                        bracket_end = NULL;
                else if (k == MATCH_DEVICE && ch == '!')
                        ch = '/';
                else if (!p->glob && strchr("*?[", ch))
                        *o++ = '\\';
                if (ch == '"')
                        *o++ = '\\';
                *o++ = ch;
        }
        *o = '\0';
        return buf;
}

static size_t count_char(const char *s, char c) {
        size_t n = 0;

        for (; *s; s++)
                n += *s == c;
        return n;
}

typedef bool (*PatternFilter)(const Pattern *p, size_t userdata);

static bool filter_all(const Pattern *p, size_t userdata) {
        return true;
}

static bool filter_slashes(const Pattern *p, size_t slashes) {
        return count_char(p->value, '/') == slashes;
}

static int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);
static int strv_extendf(char ***l, const char *fmt, ...) {
        char *s;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_push(l, s);
}

/* Appends "|@e" (or "@e" to an empty list) to the alternatives in *@alts, *@len long. */
static int append_alternative(char **alts, size_t *len, const char *e) {
        size_t n = strlen(e);
        char *a = realloc(*alts, *len + 1 + n + 1);

        if (!a)
                return -ENOMEM;
        if (*len > 0)
                a[(*len)++] = '|';
        memcpy(a + *len, e, n + 1);
        *len += n;
        *alts = a;
        return 0;
}

/* Appends to @clauses one "MATCH==\"a|b|...\"" line fragment per batch of the patterns of key @k
 * that @filter selects; @glob_guard follows a batch that contains a glob. */
static int add_clauses(char ***clauses, const Rule *r, MatchKey k, PatternFilter filter, size_t userdata,
                       const char *match, const char *glob_guard) {
        _cleanup_free_ char *alts = NULL;
        size_t len = 0;
        bool glob = false;
        int q;

        for (size_t i = 0; i < r->n_patterns[k]; i++) {
                const Pattern *p = &r->patterns[k][i];
                _cleanup_free_ char *e = NULL;

                if (!filter(p, userdata))
                        continue;
                e = pattern_escape(k, p);
                if (!e)
                        return -ENOMEM;
                /* This value would make the batch too long: the batch becomes a clause. */
                if (len > 0 && len + 1 + strlen(e) > ALTERNATIVES_BUDGET) {
                        q = strv_extendf(clauses, "%s==\"%s\"%s", match, alts, glob ? glob_guard : "");
                        if (q < 0)
                                return q;
                        len = 0;
                        glob = false;
                }
                q = append_alternative(&alts, &len, e);
                if (q < 0)
                        return q;
                glob = glob || p->glob;
        }
        if (len > 0)
                return strv_extendf(clauses, "%s==\"%s\"%s", match, alts, glob ? glob_guard : "");
        return 0;
}

static int device_clauses(const Rule *r, char ***ret) {
        return add_clauses(ret, r, MATCH_DEVICE, filter_all, 0, "KERNEL", "");
}

static int path_clauses(const Rule *r, char ***ret) {
        /* One batch per number of '/': the guard refuses paths with more of them than the patterns. */
        for (size_t i = 0; i < r->n_patterns[MATCH_PATH]; i++) {
                _cleanup_free_ char *guard = NULL;
                size_t slashes = count_char(r->patterns[MATCH_PATH][i].value, '/');
                bool seen = false;
                FILE *f;
                size_t len;
                int q;

                for (size_t j = 0; j < i && !seen; j++)
                        seen = filter_slashes(&r->patterns[MATCH_PATH][j], slashes);
                if (seen)
                        continue;

                f = open_memstream(&guard, &len);
                if (!f)
                        return -ENOMEM;
                fputs(", ENV{OF_FULLNAME}!=\"*", f);
                for (size_t j = 0; j <= slashes; j++)
                        fputs("/*", f);
                fputs("\", ENV{" PROP_LONG_PATH "}!=\"1\"", f);
                if (fclose(f) != 0)
                        return -ENOMEM;

                q = add_clauses(ret, r, MATCH_PATH, filter_slashes, slashes, "ENV{OF_FULLNAME}", guard);
                if (q < 0)
                        return q;
        }
        return 0;
}

static int compatible_clauses(const Rule *r, char ***ret) {
        for (unsigned i = 0; i < UDEV_RULES_COMPATIBLES_MAX; i++) {
                char match[64], guard[96];
                int q;

                snprintf(match, sizeof match, "ENV{OF_COMPATIBLE_%u}", i);
                snprintf(guard, sizeof guard, ", ENV{" PROP_BAD_COMPATIBLE "%u}!=\"1\"", i);
                q = add_clauses(ret, r, MATCH_COMPATIBLE, filter_all, 0, match, guard);
                if (q < 0)
                        return q;
        }
        return 0;
}

static int bus_clauses(const Rule *r, char ***ret) {
        return add_clauses(ret, r, MATCH_BUS, filter_all, 0, "SUBSYSTEM", "");
}

static bool filter_colons(const Pattern *p, size_t colons) {
        return count_char(p->value, ':') == colons;
}

static void uppercase(char *s) {
        for (; *s; s++)
                if (*s >= 'a' && *s <= 'z')
                        *s = (char) (*s - 'a' + 'A');
}

/* The kernel writes PCI_ID and PCI_SUBSYS_ID as "%04X:%04X": a pattern in upper case. A value
 * with subsystem IDs needs both properties, so each one is a clause of its own. */
static int pci_id_clauses(const Rule *r, char ***ret) {
        int q = add_clauses(ret, r, MATCH_PCI_ID, filter_colons, 1, "ENV{PCI_ID}", "");

        for (char **c = *ret; q >= 0 && c && *c; c++)
                uppercase(*c + strlen("ENV{PCI_ID}"));
        for (size_t i = 0; q >= 0 && i < r->n_patterns[MATCH_PCI_ID]; i++) {
                const Pattern *p = &r->patterns[MATCH_PCI_ID][i];
                _cleanup_free_ char *e = NULL;
                char *second;

                if (!filter_colons(p, 3))
                        continue;
                e = pattern_escape(MATCH_PCI_ID, p);
                if (!e)
                        return -ENOMEM;
                uppercase(e);
                second = strchr(strchr(e, ':') + 1, ':');
                *second++ = '\0';
                q = strv_extendf(ret, "SUBSYSTEM==\"pci\", ENV{PCI_ID}==\"%s\", ENV{PCI_SUBSYS_ID}==\"%s\"", e, second);
        }
        return q;
}

/* The kernel writes PCI_CLASS as "%04X" of the 24-bit class: 4 to 6 digits. A prefix of the
 * six-digit class becomes that number with '?' for the digits it leaves open. */
static int class_clauses(const Rule *r, char ***ret) {
        _cleanup_free_ char *alts = NULL;
        size_t len = 0;
        int q;

        for (size_t i = 0; i < r->n_patterns[MATCH_CLASS]; i++) {
                char v[7];
                const char *s = v;

                snprintf(v, sizeof v, "%s??????", r->patterns[MATCH_CLASS][i].value);
                v[6] = '\0';
                uppercase(v);
                while (strlen(s) > 4 && *s == '0')
                        s++;
                q = append_alternative(&alts, &len, s);
                if (q < 0)
                        return q;
        }
        return len > 0 ? strv_extendf(ret, "SUBSYSTEM==\"pci\", ENV{PCI_CLASS}==\"%s\"", alts) : 0;
}

/* Keys that the uevent does not carry (the daemon reads them from sysfs): no clause. */
static int (* const key_clauses[_MATCH_KEY_MAX])(const Rule *r, char ***ret) = {
        [MATCH_COMPATIBLE] = compatible_clauses,
        [MATCH_PATH] = path_clauses,
        [MATCH_DEVICE] = device_clauses,
        [MATCH_BUS] = bus_clauses,
        [MATCH_PCI_ID] = pci_id_clauses,
        [MATCH_CLASS] = class_clauses,
};

/* Cheap keys first: a device name rules most devices out at once. */
static const MatchKey key_order[] = { MATCH_BUS, MATCH_DEVICE, MATCH_PCI_ID, MATCH_CLASS, MATCH_PATH, MATCH_COMPATIBLE };

/* A rule with a key that no uevent carries cannot be decided here: from that rule on, the devices
 * of the buses that offer the key are left to the daemon (which never lets udev select what the
 * policy would not, and which judges them itself). */
static bool emit_rule_for_daemon(const Rule *r, FILE *f) {
        uint32_t buses = 0;

        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                if (r->n_patterns[k] > 0 && !key_clauses[k])
                        for (Bus b = 0; b < _BUS_MAX; b++)
                                if (bus_table[b].keys & (UINT32_C(1) << k))
                                        buses |= UINT32_C(1) << b;
        if (!buses)
                return false;
        fputs("SUBSYSTEM==\"", f);
        for (Bus b = 0, first = 1; b < _BUS_MAX; b++)
                if (buses & (UINT32_C(1) << b)) {
                        fprintf(f, "%s%s", first ? "" : "|", bus_to_string(b));
                        first = 0;
                }
        fputs("\", GOTO=\"" LABEL_END "\"\n", f);
        return true;
}

static int emit_rule(const Rule *r, size_t n, FILE *f) {
        _cleanup_free_ char *name = printable(r->name), *file = printable(r->file);
        _cleanup_strv_free_ char **inline_clauses = NULL;
        bool or_blocks = false;
        int q;

        if (!name || !file)
                return -ENOMEM;
        fprintf(f, "\n# [%s] %s:%u\n", name, file, r->line);
        if (emit_rule_for_daemon(r, f))
                return 0;

        for (size_t o = 0; o < ELEMENTSOF(key_order); o++) {
                MatchKey k = key_order[o];
                _cleanup_strv_free_ char **clauses = NULL;

                if (r->n_patterns[k] == 0)
                        continue;
                q = key_clauses[k](r, &clauses);
                if (q < 0)
                        return q;
                if (strv_length(clauses) == 1) {
                        q = strv_push(&inline_clauses, TAKE_PTR(clauses[0]));
                        if (q < 0)
                                return q;
                        continue;
                }
                STRV_FOREACH(c, clauses)
                        fprintf(f, "%s, GOTO=\"" LABEL_PREFIX "r%zu_%s\"\n", *c, n, match_key_to_string(k));
                fprintf(f, "GOTO=\"" LABEL_PREFIX "r%zu_next\"\n", n);
                fprintf(f, "LABEL=\"" LABEL_PREFIX "r%zu_%s\"\n", n, match_key_to_string(k));
                or_blocks = true;
        }

        STRV_FOREACH(c, inline_clauses)
                fprintf(f, "%s, ", *c);
        if (r->action == RULE_IGNORE)
                fputs("GOTO=\"" LABEL_END "\"\n", f);
        else if (r->driver)
                fprintf(f, "ENV{" PROP_DRIVER "}=\"%s\", GOTO=\"" LABEL_APPLY "\"\n", r->driver);
        else
                fputs("GOTO=\"" LABEL_APPLY "\"\n", f);

        if (or_blocks)
                fprintf(f, "LABEL=\"" LABEL_PREFIX "r%zu_next\"\n", n);
        return 0;
}

static bool policy_has_glob(const Policy *p, MatchKey k) {
        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t j = 0; j < p->rules[i]->n_patterns[k]; j++)
                        if (p->rules[i]->patterns[k][j].glob)
                                return true;
        return false;
}

static void emit_header(const Policy *p, FILE *f) {
        fputs("# Generated by vfio-platform-bindctl generate-rules from the vfio-platform-bindd policy.\n"
              "# Do not edit: change the policy and run vfio-platform-bindctl generate-rules.\n"
              "#\n"
              "# For the devices the policy selects, set driver_override before 80-drivers.rules loads a\n"
              "# native driver, load the target driver and probe the device. The first matching rule wins.\n\n",
              f);
        fputs("ACTION!=\"add|change\", GOTO=\"" LABEL_END "\"\n", f);
        fputs("SUBSYSTEM!=\"", f);
        for (Bus b = 0; b < _BUS_MAX; b++)
                fprintf(f, "%s%s", b > 0 ? "|" : "", bus_to_string(b));
        fputs("\", GOTO=\"" LABEL_END "\"\n", f);
        fputs("IMPORT{cmdline}=\"" UDEV_RULES_CMDLINE_KEY "\"\n"
              "ENV{" UDEV_RULES_CMDLINE_KEY "}==\"0\", GOTO=\"" LABEL_END "\"\n", f);
        for (Bus b = 0; b < _BUS_MAX; b++)
                fprintf(f, "SUBSYSTEM==\"%s\", ENV{" PROP_DRIVER "}=\"%s\"\n", bus_to_string(b), bus_default_driver(b));
        fputs("# Bridges carry other devices: never taken.\n", f);
        for (Bus b = 0; b < _BUS_MAX; b++)
                if (bus_table[b].udev_bridge_match)
                        fprintf(f, "SUBSYSTEM==\"%s\", %s, GOTO=\"" LABEL_END "\"\n", bus_to_string(b),
                                bus_table[b].udev_bridge_match);

        if (policy_has_glob(p, MATCH_PATH)) {
                fprintf(f, "\n# The daemon takes a DT path longer than %d characters for none: no glob may match it.\n"
                        "ENV{OF_FULLNAME}==\"", DT_PATH_MAX);
                for (int i = 0; i <= DT_PATH_MAX; i++)
                        fputc('?', f);
                fputs("*\", ENV{" PROP_LONG_PATH "}=\"1\"\n", f);
        }
        if (policy_has_glob(p, MATCH_COMPATIBLE)) {
                fprintf(f, "\n# The daemon skips a compatible that is empty, not printable ASCII or longer than %d\n"
                        "# characters: no glob may match it.\n", COMPATIBLE_MAX);
                for (unsigned i = 0; i < UDEV_RULES_COMPATIBLES_MAX; i++) {
                        fprintf(f, "ENV{OF_COMPATIBLE_%u}==\"\", ENV{" PROP_BAD_COMPATIBLE "%u}=\"1\"\n", i, i);
                        fprintf(f, "ENV{OF_COMPATIBLE_%u}==\"*[!!-~]*|", i);
                        for (int j = 0; j <= COMPATIBLE_MAX; j++)
                                fputc('?', f);
                        fprintf(f, "*\", ENV{" PROP_BAD_COMPATIBLE "%u}=\"1\"\n", i);
                }
        }
}

static void emit_footer(FILE *f) {
        fputs("\nGOTO=\"" LABEL_END "\"\n\n"
              "# The override first, so that no other driver can take the device. Then the target driver:\n"
              "# when it was not loaded yet, registering it probes the device. IMPORT runs at once, unlike\n"
              "# RUN, so the driver is there for the explicit probe that follows, for when it was loaded.\n"
              "LABEL=\"" LABEL_APPLY "\"\n"
              "ATTR{driver_override}=\"$env{" PROP_DRIVER "}\"\n"
              "IMPORT{builtin}=\"kmod load $env{" PROP_DRIVER "}\"\n",
              f);
        for (Bus b = 0; b < _BUS_MAX; b++)
                fprintf(f, "SUBSYSTEM==\"%s\", ATTR{[subsystem/%s]drivers_probe}=\"$kernel\"\n",
                        bus_to_string(b), bus_to_string(b));
        fputs("\nLABEL=\"" LABEL_END "\"\n", f);
}

/* The devices present now that the guard refuses (apply_protected_devices()): the daemon remains
 * the judge of those that appear later. A name udev cannot match exactly is left to the daemon. */
static int emit_protected(char * const *protected, FILE *f) {
        if (!protected || !*protected)
                return 0;
        fputs("# Host-critical devices that the policy selects: never taken (force = yes would).\n", f);
        for (char * const *k = protected; *k; k++) {
                const char *slash = strchr(*k, '/');
                Pattern pat = { .value = (char *) (slash ? slash + 1 : *k) };
                _cleanup_free_ char *bus = slash ? strndup(*k, slash - *k) : NULL, *e = NULL;

                if (!slash || bus_from_string(bus) < 0 || pattern_problem(MATCH_DEVICE, &pat)) {
                        _cleanup_free_ char *shown = printable(*k);
                        fprintf(f, "# %s: not expressible here, left to the daemon\n", strna(shown));
                        continue;
                }
                e = pattern_escape(MATCH_DEVICE, &pat);
                if (!e)
                        return -ENOMEM;
                fprintf(f, "SUBSYSTEM==\"%s\", KERNEL==\"%s\", GOTO=\"" LABEL_END "\"\n", bus, e);
        }
        return 0;
}

int udev_rules_generate(const Policy *p, FILE *f, Diagnostics *d) {
        return udev_rules_generate_protected(p, NULL, f, d);
}

int udev_rules_generate_protected(const Policy *p, char * const *protected, FILE *f, Diagnostics *d) {
        int r;

        r = udev_rules_check(p, d);
        if (r < 0)
                return r;

        emit_header(p, f);
        r = emit_protected(protected, f);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_rules; i++) {
                r = emit_rule(p->rules[i], i, f);
                if (r < 0)
                        return r;
        }
        emit_footer(f);

        if (fflush(f) != 0 || ferror(f))
                return -EIO;
        return 0;
}
