/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy parser. inih splits "key = value" lines, but how a distribution built inih (line
 * length, multi-line entries, comment prefixes, BOM handling, handler signature) must not change
 * what a policy means. So our reader hands inih only canonical lines that every build parses the
 * same way: comments, surrounding whitespace and BOM already stripped, section headers and
 * "key=value" pairs. Anything malformed is reported here with its line number and inih gets an
 * empty line instead. A value too long for the build's line buffer is passed by reference.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "hashmap.h"
#include "match.h"
#include "match-keys.h"
#include "policy.h"
#include "policy-shadow.h"
#include "strv.h"
#include "validate.h"

static const char * const rule_action_table[_RULE_ACTION_MAX] = {
        [RULE_BIND] = "bind",
        [RULE_IGNORE] = "ignore",
};

static const char * const group_policy_table[_GROUP_POLICY_MAX] = {
        [GROUP_STRICT] = "strict",
        [GROUP_WHOLE] = "whole",
};

const char *match_key_to_string(MatchKey k) {
        return k >= 0 && k < _MATCH_KEY_MAX ? match_keys[k].name : NULL;
}

const char *group_policy_to_string(GroupPolicy g) {
        return g >= 0 && g < _GROUP_POLICY_MAX ? group_policy_table[g] : NULL;
}

const char *rule_action_to_string(RuleAction a) {
        return a >= 0 && a < _RULE_ACTION_MAX ? rule_action_table[a] : NULL;
}

static Rule *rule_free(Rule *r) {
        if (!r)
                return NULL;
        free(r->name);
        free(r->driver);
        free(r->cdi_name);
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                for (size_t i = 0; i < r->n_patterns[k]; i++)
                        free(r->patterns[k][i].value);
                free(r->patterns[k]);
        }
        free(r);
        return NULL;
}

Policy *policy_new(void) {
        Policy *p = calloc(1, sizeof(Policy));

        if (p)
                p->n_ref = 1;
        return p;
}

Policy *policy_ref(Policy *p) {
        if (p)
                p->n_ref++;
        return p;
}

Policy *policy_free(Policy *p) {
        if (!p || --p->n_ref > 0)
                return NULL;
        match_index_free(p->index);
        index_map_free(p->names);
        for (size_t i = 0; i < p->n_rules; i++)
                rule_free(p->rules[i]);
        free(p->rules);
        strv_free(p->files);
        free(p);
        return NULL;
}

typedef struct Parser {
        Policy *policy;
        Diagnostics *diag;
        FILE *f;
        const char *file;       /* the copy owned by the policy */
        unsigned line;
        char *raw;              /* getline() buffer */
        size_t raw_size;
        char **long_values;     /* values passed to inih by reference */
        Rule *rule;             /* the section being read; NULL outside any, or when invalid */
        size_t errors_at_section;  /* d->n_errors when the section began */
        bool in_section;
        bool oom;
} Parser;

static void diag_unknown_key(Parser *ps, const char *key);

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static char *strip(char *s) {
        char *e;

        while (is_blank(*s))
                s++;
        e = s + strlen(s);
        while (e > s && is_blank(e[-1]))
                *--e = '\0';
        return s;
}

/* '#' or ';' at the start of a line or after whitespace starts a comment. */
static void strip_comment(char *s) {
        for (char *p = s; *p; p++)
                if ((*p == '#' || *p == ';') && (p == s || is_blank(p[-1]))) {
                        *p = '\0';
                        return;
                }
}

static Rule *policy_find_rule(const Policy *p, const char *name) {
        IndexList l = p->names ? index_map_get(p->names, name, strlen(name)) : (IndexList) {};

        return l.n > 0 ? p->rules[l.items[0]] : NULL;
}

static void parser_end_section(Parser *ps) {
        Rule *r = ps->rule;
        bool any = false;

        if (!r)
                return;
        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                any = any || r->n_patterns[k] > 0;
        /* A rejected line in the section already explains why the rule is incomplete. */
        if (!any && ps->diag->n_errors == ps->errors_at_section)
                diag_error(ps->diag, ps->file, r->line, "rule '%s' has no match key: it needs one of %s", r->name,
                           match_key_names());
        ps->rule = NULL;
}

static void parser_begin_section(Parser *ps, const char *name) {
        Rule *r, **rules, *first;

        parser_end_section(ps);
        ps->in_section = true;
        ps->errors_at_section = ps->diag->n_errors;

        if (!rule_name_is_valid(name)) {
                diag_error(ps->diag, ps->file, ps->line,
                           "invalid rule name '%s': use 1-%d characters of A-Z a-z 0-9 _ . : @ + -",
                           name, RULE_NAME_MAX);
                return;
        }
        first = policy_find_rule(ps->policy, name);
        if (first) {
                diag_error(ps->diag, ps->file, ps->line, "duplicate rule name '%s', first defined at %s:%u",
                           name, first->file, first->line);
                return;
        }

        if (!ps->policy->names && !(ps->policy->names = index_map_new())) {
                ps->oom = true;
                return;
        }
        r = calloc(1, sizeof(Rule));
        rules = reallocarray(ps->policy->rules, ps->policy->n_rules + 1, sizeof(Rule *));
        if (rules)
                ps->policy->rules = rules;
        if (!r || !rules || !(r->name = strdup(name))) {
                free(r);
                ps->oom = true;
                return;
        }
        r->file = ps->file;
        r->line = ps->line;
        r->index = ps->policy->n_rules;
        ps->policy->rules[ps->policy->n_rules++] = r;
        /* The map borrows r->name, which the policy now owns. */
        if (index_map_add(ps->policy->names, r->name, strlen(r->name), r->index) < 0)
                ps->oom = true;
        ps->rule = r;
}

/* Validates one raw line and turns it into what inih gets in @buf (at most @size bytes). */
static void parser_canonicalize(Parser *ps, char *line, size_t len, char *buf, size_t size) {
        char *s, *eq, *key, *value;

        buf[0] = '\0';

        if (len > POLICY_LINE_MAX) {
                diag_error(ps->diag, ps->file, ps->line, "line too long (%zu bytes, at most %d)",
                           len, POLICY_LINE_MAX);
                return;
        }
        if (strlen(line) != len) {
                diag_error(ps->diag, ps->file, ps->line, "binary data (a NUL byte): not a policy file");
                return;
        }
        if (!utf8_is_valid(line, len)) {
                diag_error(ps->diag, ps->file, ps->line, "invalid UTF-8");
                return;
        }
        if (ps->line == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
                line += 3;
        for (const char *c = line; *c; c++)
                if ((unsigned char) *c < ' ' && !is_blank(*c)) {
                        diag_error(ps->diag, ps->file, ps->line, "control character 0x%02x: not a policy file",
                                   (unsigned) (unsigned char) *c);
                        return;
                }

        strip_comment(line);
        s = strip(line);
        if (*s == '\0')
                return;

        if (*s == '[') {
                size_t n = strlen(s);

                if (s[n - 1] != ']') {
                        diag_error(ps->diag, ps->file, ps->line, "section header without closing ']'");
                        ps->rule = NULL; /* do not lend the following keys to the previous rule */
                        ps->in_section = true;
                        return;
                }
                s[n - 1] = '\0';
                parser_begin_section(ps, strip(s + 1));
                /* inih needs no section: the rule is tracked here, with its own line number. */
                return;
        }

        eq = strchr(s, '=');
        if (!eq) {
                diag_error(ps->diag, ps->file, ps->line, "expected 'key = value' or '[rule-name]', got '%s'", s);
                return;
        }
        *eq = '\0';
        key = strip(s);
        value = strip(eq + 1);
        if (*key == '\0') {
                diag_error(ps->diag, ps->file, ps->line, "missing key before '='");
                return;
        }
        if (strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(key)) {
                diag_unknown_key(ps, key);
                return;
        }
        if (!ps->in_section) {
                diag_error(ps->diag, ps->file, ps->line, "key '%s' outside of a [rule] section", key);
                return;
        }
        if (!ps->rule) /* the section itself was bad and has been reported */
                return;
        if (*value == '\0') {
                diag_error(ps->diag, ps->file, ps->line, "empty value for '%s'", key);
                return;
        }
        /* "key =#x" would be a value and "key = #x" a comment: refuse the ambiguity (found by
         * tests/fuzz: the effective policy that "check" prints must read back the same). */
        if (*value == '#' || *value == ';') {
                diag_error(ps->diag, ps->file, ps->line, "a value cannot start with '%c' (it reads as a comment)", *value);
                return;
        }

        size_t kl = strlen(key), vl = strlen(value);

        if (kl + 1 + vl + 2 <= size) {
                /* Every line of the policy comes here: no snprintf(). */
                memcpy(buf, key, kl);
                buf[kl] = '=';
                memcpy(buf + kl + 1, value, vl + 1);
                return;
        }
        /* Too long for this build of inih: hand over "\x01INDEX" and keep the value here. */
        size_t idx = strv_length(ps->long_values);
        if (strv_extend(&ps->long_values, value) < 0) {
                ps->oom = true;
                return;
        }
        if ((size_t) snprintf(buf, size, "%s=\001%zu", key, idx) >= size) {
                diag_error(ps->diag, ps->file, ps->line, "key '%s' is unknown", key);
                buf[0] = '\0';
        }
}

static char *parser_reader(char *buf, int size, void *userdata) {
        Parser *ps = userdata;
        ssize_t n;

        n = getline(&ps->raw, &ps->raw_size, ps->f);
        if (n < 0) {
                if (ferror(ps->f))
                        diag_error(ps->diag, ps->file, 0, "read error: %s", strerror(errno));
                return NULL;
        }
        ps->line++;
        if (n > 0 && ps->raw[n - 1] == '\n')
                ps->raw[--n] = '\0';
        parser_canonicalize(ps, ps->raw, (size_t) n, buf, (size_t) size);
        return buf;
}

/* The value as it is compared: lower case where the key ignores case, a class without "0x". */
static char *pattern_normalize(MatchKey k, const char *value) {
        char *v;

        if (match_keys[k].prefix && value[0] == '0' && (value[1] == 'x' || value[1] == 'X'))
                value += 2;
        v = strdup(value);
        if (v && match_keys[k].casefold)
                for (char *c = v; *c; c++)
                        *c = (char) tolower((unsigned char) *c);
        return v;
}

static int add_pattern(Parser *ps, MatchKey k, const char *raw) {
        _cleanup_free_ char *value = pattern_normalize(k, raw);
        Rule *r = ps->rule;
        const char *problem;
        Pattern *pats;
        bool glob;

        if (!value)
                return -ENOMEM;
        problem = match_keys[k].check(value);
        if (problem) {
                diag_error(ps->diag, ps->file, ps->line, "invalid %s '%s': %s",
                           match_key_to_string(k), raw, problem);
                return 0;
        }
        if (r->n_patterns[k] >= RULE_VALUES_MAX) {
                diag_error(ps->diag, ps->file, ps->line, "too many values for '%s' (at most %d)",
                           match_key_to_string(k), RULE_VALUES_MAX);
                return 0;
        }
        for (size_t i = 0; i < r->n_patterns[k]; i++)
                if (streq(r->patterns[k][i].value, value)) {
                        diag_warn(ps->diag, ps->file, ps->line, "%s '%s' repeats line %u, ignoring",
                                  match_key_to_string(k), raw, r->patterns[k][i].line);
                        return 0;
                }

        glob = !match_keys[k].prefix && glob_has_magic(value);
        pats = reallocarray(r->patterns[k], r->n_patterns[k] + 1, sizeof(Pattern));
        if (!pats)
                return -ENOMEM;
        r->patterns[k] = pats;
        pats[r->n_patterns[k]] = (Pattern) { .value = TAKE_PTR(value), .glob = glob, .line = ps->line };
        r->n_patterns[k]++;
        return 0;
}

/* A setting given once per rule: a second one is an error naming the first. */
static bool setting_once(Parser *ps, const char *key, unsigned *line) {
        if (*line > 0) {
                diag_error(ps->diag, ps->file, ps->line, "'%s' set twice in rule '%s' (first at line %u)", key,
                           ps->rule->name, *line);
                return false;
        }
        *line = ps->line;
        return true;
}

static int parse_action(Parser *ps, const char *key, const char *value) {
        Rule *r = ps->rule;

        if (!setting_once(ps, key, &r->action_line))
                return 0;
        for (RuleAction a = 0; a < _RULE_ACTION_MAX; a++)
                if (streq(value, rule_action_table[a])) {
                        r->action = a;
                        return 0;
                }
        diag_error(ps->diag, ps->file, ps->line, "unknown action '%s': use 'bind' or 'ignore'", value);
        return 0;
}

static int parse_group(Parser *ps, const char *key, const char *value) {
        Rule *r = ps->rule;

        if (!setting_once(ps, key, &r->group_line))
                return 0;
        for (GroupPolicy g = 0; g < _GROUP_POLICY_MAX; g++)
                if (streq(value, group_policy_table[g])) {
                        r->group = g;
                        return 0;
                }
        diag_error(ps->diag, ps->file, ps->line, "unknown group policy '%s': use 'strict' or 'whole'", value);
        return 0;
}

static int parse_driver(Parser *ps, const char *key, const char *value) {
        Rule *r = ps->rule;

        if (!setting_once(ps, key, &r->driver_line))
                return 0;
        if (!driver_name_is_valid(value)) {
                diag_error(ps->diag, ps->file, ps->line,
                           "invalid driver name '%s': use 1-%d characters of A-Z a-z 0-9 _ . + -",
                           value, DRIVER_NAME_MAX);
                return 0;
        }
        r->driver = strdup(value);
        return r->driver ? 0 : -ENOMEM;
}

static int parse_force(Parser *ps, const char *key, const char *value) {
        Rule *r = ps->rule;

        if (!setting_once(ps, key, &r->force_line))
                return 0;
        if (streq(value, "yes") || streq(value, "no"))
                r->force = streq(value, "yes");
        else
                diag_error(ps->diag, ps->file, ps->line, "force takes 'yes' or 'no', not '%s'", value);
        return 0;
}

static int parse_cdi_name(Parser *ps, const char *key, const char *value) {
        Rule *r = ps->rule;

        if (!setting_once(ps, key, &r->cdi_name_line))
                return 0;
        if (!cdi_device_name_is_valid(value)) {
                diag_error(ps->diag, ps->file, ps->line,
                           "invalid cdi-name '%s': use 1-%d letters, digits and _ . : -, starting and ending with a "
                           "letter or digit", value, CDI_NAME_MAX);
                return 0;
        }
        r->cdi_name = strdup(value);
        return r->cdi_name ? 0 : -ENOMEM;
}

/* The keys of a rule that are settings, one row each; the match keys are match-keys.c's rows. */
static const struct {
        const char *name;
        int (*parse)(Parser *ps, const char *key, const char *value);
} setting_keys[] = {
        { "action", parse_action },
        { "driver", parse_driver },
        { "group", parse_group },
        { "force", parse_force },
        { "cdi-name", parse_cdi_name },
};

static void diag_unknown_key(Parser *ps, const char *key) {
        char settings[64] = "";

        for (size_t i = 0; i < ELEMENTSOF(setting_keys); i++)
                snprintf(settings + strlen(settings), sizeof settings - strlen(settings), ", %s", setting_keys[i].name);
        diag_error(ps->diag, ps->file, ps->line, "unknown key '%s': use %s%s", key, match_key_names(), settings);
}

static int parser_handler(void *userdata, const char *section, const char *key, const char *value) {
        Parser *ps = userdata;
        int r = 0;

        (void) section;
        if (!key || !ps->rule) /* a build that reports new sections, or a bad section */
                return 1;
        if (value && value[0] == '\001') {
                size_t idx = strtoul(value + 1, NULL, 10);
                if (idx >= strv_length(ps->long_values))
                        return 0;
                value = ps->long_values[idx];
        }
        if (!value)
                return 0;

        MatchKey k = match_key_from_string(key);
        if (k < _MATCH_KEY_MAX)
                r = add_pattern(ps, k, value);
        else {
                size_t i;

                for (i = 0; i < ELEMENTSOF(setting_keys) && !streq(key, setting_keys[i].name); i++)
                        ;
                if (i < ELEMENTSOF(setting_keys))
                        r = setting_keys[i].parse(ps, key, value);
                else
                        diag_unknown_key(ps, key);
        }
        if (r < 0)
                ps->oom = true;
        return 1;
}

/* Messages of one file in line order: a rule's "no match key" is found at its end. */
static void sort_by_line(Diagnostics *d, size_t start) {
        for (size_t i = start + 1; i < d->n; i++) {
                Diagnostic e = d->items[i];
                size_t j = i;

                for (; j > start && d->items[j - 1].line > e.line; j--)
                        d->items[j] = d->items[j - 1];
                d->items[j] = e;
        }
}

int policy_parse_file(Policy *p, FILE *f, const char *filename, Diagnostics *d) {
        Parser ps = { .policy = p, .diag = d, .f = f };
        size_t first = d->n;
        int r;

        if (strv_extend(&p->files, filename) < 0)
                return -ENOMEM;
        ps.file = p->files[strv_length(p->files) - 1];

        diagnostics_begin_file(d);
        r = ini_parse_stream(parser_reader, &ps, parser_handler, &ps);
        if (r == -2)
                ps.oom = true;
        else if (r > 0 && r != (int) ps.line)
                /* Every line we hand over is well-formed; still, never drop inih's word silently. */
                diag_error(d, ps.file, (unsigned) r, "syntax error");
        parser_end_section(&ps);
        sort_by_line(d, first);
        diagnostics_end_file(d, ps.file);

        free(ps.raw);
        strv_free(ps.long_values);
        return ps.oom ? -ENOMEM : 0;
}

int policy_parse_string(Policy *p, const char *text, size_t len, const char *filename, Diagnostics *d) {
        _cleanup_fclose_ FILE *f = NULL;

        if (len == 0) /* fmemopen() refuses empty buffers */
                return strv_extend(&p->files, filename);
        f = fmemopen((void *) text, len, "r");
        if (!f)
                return -errno;
        return policy_parse_file(p, f, filename, d);
}

int policy_finalize(Policy *p, Diagnostics *d) {
        int r;

        r = policy_warn_shadowed(p, d);
        if (r < 0)
                return r;
        match_index_free(p->index);
        return match_index_build(p, &p->index);
}

void policy_dump(const Policy *p, FILE *f) {
        for (size_t i = 0; i < p->n_rules; i++) {
                const Rule *r = p->rules[i];

                /* The file name is not the policy's: escaped, or a newline in it would forge lines. */
                fprintf(f, "%s# ", i > 0 ? "\n" : "");
                fputs_cescaped(r->file, f);
                fprintf(f, ":%u\n[%s]\n", r->line, r->name);
                for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                        for (size_t j = 0; j < r->n_patterns[k]; j++)
                                fprintf(f, "%s = %s\n", match_key_to_string(k), r->patterns[k][j].value);
                fprintf(f, "action = %s\n", rule_action_to_string(r->action));
                if (r->action == RULE_BIND && r->driver)
                        fprintf(f, "driver = %s\n", r->driver);
                else if (r->action == RULE_BIND)
                        fputs("# driver: the bus's VFIO driver (vfio-platform, vfio-amba, vfio-pci, ...)\n", f);
                if (r->group_line > 0)
                        fprintf(f, "group = %s\n", group_policy_to_string(r->group));
                if (r->force_line > 0)
                        fprintf(f, "force = %s\n", r->force ? "yes" : "no");
                if (r->cdi_name)
                        fprintf(f, "cdi-name = %s\n", r->cdi_name);
        }
}
