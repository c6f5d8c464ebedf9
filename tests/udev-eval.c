/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small udev: parses the generated rules strictly and runs them on one event (see udev-eval.h). */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "strv.h"
#include "udev-eval.h"
#include "udev-rules.h"

static int fail(char **error, const char *fmt, ...) _printf_(2, 3);
static int fail(char **error, const char *fmt, ...) {
        va_list ap;

        if (error) {
                free(*error);
                va_start(ap, fmt);
                if (vasprintf(error, fmt, ap) < 0)
                        *error = NULL;
                va_end(ap);
        }
        return -EBADMSG;
}

#define CHECK(cond, error, ...)                                 \
        do {                                                    \
                if (_unlikely_(!(cond)))                        \
                        return fail(error, __VA_ARGS__);        \
        } while (0)

void udev_eval_outcome_done(UdevOutcome *o) {
        free(o->override);
        free(o->module);
        free(o->probe_bus);
        free(o->probe);
        *o = (UdevOutcome) {};
}

bool udev_eval_outcome_equal(const UdevOutcome *a, const UdevOutcome *b) {
        return streq_ptr(a->override, b->override) && streq_ptr(a->module, b->module) &&
               streq_ptr(a->probe_bus, b->probe_bus) && streq_ptr(a->probe, b->probe);
}

char *udev_eval_outcome_string(const UdevOutcome *o) {
        char *s;

        if (asprintf(&s, "override=%s module=%s probe=%s:%s", strna(o->override), strna(o->module),
                     strna(o->probe_bus), strna(o->probe)) < 0)
                return NULL;
        return s;
}

/* --- parsing --- */

static void token_done(UdevToken *t) {
        free(t->key);
        free(t->attr);
        free(t->op);
        free(t->value);
        *t = (UdevToken) {};
}

static void line_done(UdevLine *l) {
        for (size_t j = 0; j < l->n; j++)
                token_done(&l->tokens[j]);
        free(l->tokens);
        *l = (UdevLine) {};
}

void udev_eval_rules_done(UdevRules *rs) {
        for (size_t i = 0; i < rs->n; i++)
                line_done(&rs->lines[i]);
        free(rs->lines);
        *rs = (UdevRules) {};
}

static int parse_token(const char **sp, UdevToken *t, char **error) {
        const char *s = *sp;
        size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        char *v;

        CHECK(n > 0, error, "expected a key at '%s'", s);
        t->key = strndup(s, n);
        if (!t->key)
                return -ENOMEM;
        s += n;
        if (*s == '{') {
                const char *e = strchr(s, '}');
                CHECK(e, error, "unterminated '{' at '%s'", s);
                t->attr = strndup(s + 1, e - s - 1);
                if (!t->attr)
                        return -ENOMEM;
                s = e + 1;
        }
        n = strncmp(s, "==", 2) == 0 || strncmp(s, "!=", 2) == 0 || strncmp(s, "+=", 2) == 0 ? 2
            : *s == '=' ? 1 : 0;
        CHECK(n > 0, error, "expected an operator at '%s'", s);
        t->op = strndup(s, n);
        if (!t->op)
                return -ENOMEM;
        s += n;
        CHECK(*s == '"', error, "expected a value at '%s'", s);
        v = t->value = calloc(strlen(s), 1);
        if (!v)
                return -ENOMEM;
        for (s++; *s != '"'; s++) {
                CHECK(*s, error, "unterminated value");
                if (s[0] == '\\' && s[1] == '"')
                        s++;
                *v++ = *s;
        }
        *sp = s + 1;
        return 0;
}

static int parse_line(const char *s, UdevLine *ret, char **error) {
        UdevLine l = {};
        int r;

        for (;;) {
                UdevToken t = {}, *tokens;

                r = parse_token(&s, &t, error);
                if (r < 0) {
                        token_done(&t);
                        goto fail;
                }
                tokens = reallocarray(l.tokens, l.n + 1, sizeof(UdevToken));
                if (!tokens) {
                        token_done(&t);
                        r = -ENOMEM;
                        goto fail;
                }
                l.tokens = tokens;
                l.tokens[l.n++] = t;
                if (*s == '\0')
                        break;
                if (strncmp(s, ", ", 2) != 0) {
                        r = fail(error, "expected ', ' at '%s'", s);
                        goto fail;
                }
                s += 2;
        }
        *ret = l;
        return 0;
fail:
        line_done(&l);
        return r;
}

int udev_eval_parse(const char *text, UdevRules *ret, char **error) {
        UdevRules rs = {};
        int r = 0;

        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                _cleanup_free_ char *line = NULL;
                UdevLine *lines;

                if (!nl) {
                        r = fail(error, "the last line has no newline");
                        break;
                }
                line = strndup(p, nl - p);
                if (!line) {
                        r = -ENOMEM;
                        break;
                }
                p = nl + 1;
                /* udev would join the next line to one that ends in a backslash. */
                if (line[0] != '\0' && line[strlen(line) - 1] == '\\') {
                        r = fail(error, "continued line: %s", line);
                        break;
                }
                if (line[0] == '\0' || line[0] == '#')
                        continue;
                lines = reallocarray(rs.lines, rs.n + 1, sizeof(UdevLine));
                if (!lines) {
                        r = -ENOMEM;
                        break;
                }
                rs.lines = lines;
                r = parse_line(line, &rs.lines[rs.n], error);
                if (r < 0)
                        break;
                rs.n++;
        }
        if (r < 0) {
                udev_eval_rules_done(&rs);
                return r;
        }
        *ret = rs;
        return 0;
}

/* --- running --- */

static const char *prop_get(char **props, const char *key) {
        size_t n = strlen(key);

        STRV_FOREACH(p, props)
                if (strncmp(*p, key, n) == 0 && (*p)[n] == '=')
                        return *p + n + 1;
        return NULL;
}

static int prop_set(char ***props, const char *key, const char *value) {
        size_t n = strlen(key), j = 0;
        char *kv;

        /* Drop the old value; an empty value removes the property, as in udev. */
        for (size_t i = 0; *props && (*props)[i]; i++) {
                if (strncmp((*props)[i], key, n) == 0 && (*props)[i][n] == '=')
                        free((*props)[i]);
                else
                        (*props)[j++] = (*props)[i];
        }
        if (*props)
                (*props)[j] = NULL;
        if (isempty(value))
                return 0;
        if (asprintf(&kv, "%s=%s", key, value) < 0)
                return -ENOMEM;
        return strv_push(props, kv);
}

char *udev_eval_sysname(const char *name) {
        char *s = strdup(name);

        if (!s)
                return NULL;
        for (char *c = s; *c; c++)
                if (*c == '!')
                        *c = '/';
        return s;
}

/* $env{KEY} and $kernel; anything else that udev would substitute is an error. */
static int format(const UdevEvent *ev, char **props, const char *v, char **ret, char **error) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        int r = 0;

        if (!f)
                return -ENOMEM;
        while (*v && r == 0) {
                if (strncmp(v, "$env{", 5) == 0) {
                        const char *e = strchr(v, '}');
                        _cleanup_free_ char *key = NULL;
                        if (!e) {
                                r = fail(error, "unterminated $env{ in '%s'", v);
                                break;
                        }
                        key = strndup(v + 5, e - v - 5);
                        if (!key) {
                                r = -ENOMEM;
                                break;
                        }
                        fputs(strempty(prop_get(props, key)), f);
                        v = e + 1;
                } else if (strncmp(v, "$kernel", 7) == 0) {
                        _cleanup_free_ char *s = udev_eval_sysname(ev->name);
                        if (!s) {
                                r = -ENOMEM;
                                break;
                        }
                        fputs(s, f);
                        v += 7;
                } else if (*v == '$' || *v == '%')
                        r = fail(error, "unexpected substitution in '%s'", v);
                else
                        fputc(*v++, f);
        }
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* udev's token_match_string(): "a|b" are alternatives, globbed when any of "*?[" occurs.
 * Returns 1 on a match, 0 on none. */
static int match_string(const UdevToken *t, const char *str, char **error) {
        bool match = false;

        str = strempty(str);
        if (t->value[0] == '\0')
                match = str[0] == '\0';
        else if (streq(t->value, "?*"))
                match = str[0] != '\0';
        else {
                bool glob = strpbrk(t->value, "*?[") != NULL;

                for (const char *a = t->value; !match;) {
                        size_t n = strcspn(a, "|");
                        char alt[8192];

                        CHECK(n > 0 && n < sizeof alt, error, "empty or overlong alternative in '%s'", t->value);
                        memcpy(alt, a, n);
                        alt[n] = '\0';
                        match = glob ? fnmatch(alt, str, 0) == 0 : streq(alt, str);
                        if (a[n] == '\0')
                                break;
                        a += n + 1;
                        CHECK(*a, error, "empty alternative at the end of '%s'", t->value);
                }
        }
        CHECK(streq(t->op, "==") || streq(t->op, "!="), error, "unexpected operator \"%s\" in a match", t->op);
        return streq(t->op, "==") ? match : !match;
}

static bool token_is_match(const UdevToken *t) {
        return streq(t->op, "==") || streq(t->op, "!=") || streq(t->key, "IMPORT");
}

static int eval_match(const UdevToken *t, const UdevEvent *ev, char ***props, UdevOutcome *out, char **error) {
        if (streq(t->key, "ACTION"))
                return match_string(t, ev->action, error);
        if (streq(t->key, "SUBSYSTEM"))
                return match_string(t, ev->subsystem, error);
        if (streq(t->key, "KERNEL")) {
                _cleanup_free_ char *s = udev_eval_sysname(ev->name);
                if (!s)
                        return -ENOMEM;
                return match_string(t, s, error);
        }
        if (streq(t->key, "ENV") && t->attr)
                return match_string(t, prop_get(*props, t->attr), error);
        if (streq(t->key, "IMPORT") && streq_ptr(t->attr, "cmdline")) {
                _cleanup_free_ char *words = strdup(strempty(ev->cmdline));
                const char *value = NULL;
                char *save = NULL;
                size_t n = strlen(t->value);
                int r;

                if (!words)
                        return -ENOMEM;
                for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
                        if (strncmp(w, t->value, n) == 0 && (w[n] == '=' || w[n] == '\0'))
                                value = w[n] == '=' ? w + n + 1 : "1";
                if (value) {
                        r = prop_set(props, t->value, value);
                        if (r < 0)
                                return r;
                }
                return value != NULL;
        }
        if (streq(t->key, "IMPORT") && streq_ptr(t->attr, "builtin")) {
                _cleanup_free_ char *cmd = NULL;
                int r = format(ev, *props, t->value, &cmd, error);

                if (r < 0)
                        return r;
                CHECK(strncmp(cmd, "kmod load ", 10) == 0 && !strchr(cmd + 10, ' '), error, "builtin '%s'", cmd);
                free(out->module);
                out->module = strdup(cmd + 10);
                return out->module ? 1 : -ENOMEM;
        }
        return fail(error, "unexpected match %s{%s}", t->key, strna(t->attr));
}

static int eval_assign(const UdevToken *t, const UdevEvent *ev, char ***props, UdevOutcome *out, char **error) {
        _cleanup_free_ char *v = NULL;
        int r;

        CHECK(streq(t->op, "="), error, "unexpected \"%s\"", t->op);
        r = format(ev, *props, t->value, &v, error);
        if (r < 0)
                return r;
        if (streq(t->key, "ENV") && t->attr)
                return prop_set(props, t->attr, v);
        if (streq(t->key, "ATTR") && streq_ptr(t->attr, "driver_override")) {
                free(out->override);
                out->override = TAKE_PTR(v);
                return 0;
        }
        if (streq(t->key, "ATTR") && t->attr && strncmp(t->attr, "[subsystem/", 11) == 0) {
                const char *e = strchr(t->attr, ']');
                CHECK(e, error, "unterminated '[' in '%s'", t->attr);
                CHECK(streq(e + 1, "drivers_probe"), error, "unexpected \"%s\"", e + 1);
                free(out->probe_bus);
                free(out->probe);
                out->probe_bus = strndup(t->attr + 11, e - t->attr - 11);
                out->probe = TAKE_PTR(v);
                return out->probe_bus ? 0 : -ENOMEM;
        }
        return fail(error, "unexpected assignment %s{%s}", t->key, strna(t->attr));
}

/* The index of the LABEL line after @from, or an error: udev ignores a GOTO without one. */
static int find_label(const UdevRules *rs, size_t from, const char *label, size_t *ret, char **error) {
        for (size_t i = from + 1; i < rs->n; i++)
                if (rs->lines[i].n == 1 && streq(rs->lines[i].tokens[0].key, "LABEL") &&
                    streq(rs->lines[i].tokens[0].value, label)) {
                        *ret = i;
                        return 0;
                }
        return fail(error, "GOTO=\"%s\" has no label after it: udev would ignore the GOTO", label);
}

static int rules_run(const UdevRules *rs, const UdevEvent *ev, UdevOutcome *out, char **error) {
        _cleanup_strv_free_ char **props = NULL;
        int r;

        STRV_FOREACH(p, ev->props)
                if (strv_extend(&props, *p) < 0)
                        return -ENOMEM;

        for (size_t i = 0; i < rs->n; i++) {
                const UdevLine *l = &rs->lines[i];
                const char *go = NULL;
                bool ok = true;

                /* udev runs the matches of a line first, then its assignments. */
                for (size_t j = 0; j < l->n && ok; j++)
                        if (token_is_match(&l->tokens[j])) {
                                r = eval_match(&l->tokens[j], ev, &props, out, error);
                                if (r < 0)
                                        return r;
                                ok = r > 0;
                        }
                if (!ok)
                        continue;
                for (size_t j = 0; j < l->n; j++) {
                        const UdevToken *t = &l->tokens[j];
                        if (token_is_match(t) || streq(t->key, "LABEL"))
                                continue;
                        if (streq(t->key, "GOTO"))
                                go = t->value;
                        else {
                                r = eval_assign(t, ev, &props, out, error);
                                if (r < 0)
                                        return r;
                        }
                }
                if (go) {
                        r = find_label(rs, i, go, &i, error);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int udev_eval_run(const UdevRules *rs, const UdevEvent *ev, UdevOutcome *ret, char **error) {
        UdevOutcome out = {};
        int r = rules_run(rs, ev, &out, error);

        if (r < 0) {
                udev_eval_outcome_done(&out);
                return r;
        }
        *ret = out;
        return 0;
}

/* --- what the rules must do --- */

int udev_eval_decide(const Policy *p, const UdevEvent *ev, Decision *ret) {
        _cleanup_(device_info_done) DeviceInfo di = {};
        _cleanup_free_ char *text = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&text, &n);
        int r;

        if (!f)
                return -ENOMEM;
        STRV_FOREACH(s, ev->props)
                fprintf(f, "%s\n", *s);
        if (fclose(f) != 0)
                return -ENOMEM;
        di.name = strdup(ev->name);
        if (!di.name)
                return -ENOMEM;
        di.bus = bus_from_string(ev->subsystem);
        r = device_info_parse_uevent(&di, text);
        if (r >= 0 && di.bus >= 0 && bus_table[di.bus].read_ids)
                r = bus_table[di.bus].read_ids(&di, text, -EBADF);
        if (r < 0)
                return r;
        policy_decide(p, &di, ret);
        /* The rule leaves bridges alone, as the daemon does (bus_table[].udev_bridge_match). */
        if (di.bus >= 0 && bus_device_is_bridge(&di))
                *ret = (Decision) { .verdict = VERDICT_NONE };
        return 0;
}

int udev_eval_expected(const Policy *p, const UdevEvent *ev, UdevOutcome *ret) {
        UdevOutcome o = {};
        Decision dec;
        int r;

        *ret = (UdevOutcome) {};
        if (!(streq(ev->action, "add") || streq(ev->action, "change")) || bus_from_string(ev->subsystem) < 0)
                return 0;
        if (ev->cmdline && strstr(ev->cmdline, UDEV_RULES_CMDLINE_KEY "=0"))
                return 0;
        r = udev_eval_decide(p, ev, &dec);
        if (r < 0)
                return r;
        if (dec.verdict != VERDICT_BIND)
                return 0;
        o.override = strdup(dec.driver);
        o.module = strdup(dec.driver);
        o.probe_bus = strdup(ev->subsystem);
        o.probe = udev_eval_sysname(ev->name);
        if (!o.override || !o.module || !o.probe_bus || !o.probe) {
                udev_eval_outcome_done(&o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}
