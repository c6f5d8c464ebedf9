/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdi-check.h"

/* --- a strict JSON parser into a small tree --- */

typedef enum JType { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } JType;

typedef struct J {
        JType type;
        char *s;                /* string value, or the number's text */
        bool integer;           /* a number without fraction or exponent */
        struct J **items;       /* array items, object values */
        char **keys;            /* object keys */
        size_t n;
} J;

typedef struct P {
        const char *p;
        char *err;
        size_t errsize;
        bool failed;
        unsigned depth;
} P;

static void fail(P *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(P *ps, const char *fmt, ...) {
        va_list ap;

        if (ps->failed)
                return;
        ps->failed = true;
        va_start(ap, fmt);
        vsnprintf(ps->err, ps->errsize, fmt, ap);
        va_end(ap);
}

static void j_free(J *j) {
        if (!j)
                return;
        for (size_t i = 0; i < j->n; i++) {
                j_free(j->items[i]);
                if (j->keys)
                        free(j->keys[i]);
        }
        free(j->items);
        free(j->keys);
        free(j->s);
        free(j);
}

static void skip_ws(P *ps) {
        while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
                ps->p++;
}

static J *j_new(JType t) {
        J *j = calloc(1, sizeof(J));

        if (!j)
                abort();
        j->type = t;
        return j;
}

static void put_utf8(char *buf, size_t *k, unsigned cp) {
        if (cp < 0x80)
                buf[(*k)++] = (char) cp;
        else if (cp < 0x800) {
                buf[(*k)++] = (char) (0xc0 | cp >> 6);
                buf[(*k)++] = (char) (0x80 | (cp & 0x3f));
        } else {
                buf[(*k)++] = (char) (0xe0 | cp >> 12);
                buf[(*k)++] = (char) (0x80 | ((cp >> 6) & 0x3f));
                buf[(*k)++] = (char) (0x80 | (cp & 0x3f));
        }
}

static char *parse_string(P *ps) {
        size_t size = strlen(ps->p) + 1, k = 0;
        char *buf = malloc(size);

        if (!buf)
                abort();
        ps->p++; /* the opening quote */
        for (;;) {
                unsigned char c = (unsigned char) *ps->p;

                if (c == '"') {
                        ps->p++;
                        buf[k] = '\0';
                        return buf;
                }
                if (c == '\0' || c < 0x20) {
                        fail(ps, "unterminated string or control character in a string");
                        free(buf);
                        return NULL;
                }
                ps->p++;
                if (c != '\\') {
                        buf[k++] = (char) c;
                        continue;
                }
                c = (unsigned char) *ps->p++;
                switch (c) {
                case '"': case '\\': case '/': buf[k++] = (char) c; break;
                case 'b': buf[k++] = '\b'; break;
                case 'f': buf[k++] = '\f'; break;
                case 'n': buf[k++] = '\n'; break;
                case 'r': buf[k++] = '\r'; break;
                case 't': buf[k++] = '\t'; break;
                case 'u': {
                        unsigned cp = 0;

                        for (int i = 0; i < 4; i++, ps->p++) {
                                if (!isxdigit((unsigned char) *ps->p)) {
                                        fail(ps, "bad \\u escape");
                                        free(buf);
                                        return NULL;
                                }
                                cp = cp * 16 + (unsigned) (isdigit((unsigned char) *ps->p) ? *ps->p - '0' :
                                                                      tolower((unsigned char) *ps->p) - 'a' + 10);
                        }
                        if (cp == 0) {
                                fail(ps, "\\u0000 in a string");
                                free(buf);
                                return NULL;
                        }
                        put_utf8(buf, &k, cp);
                        break;
                }
                default:
                        fail(ps, "bad escape \\%c", c);
                        free(buf);
                        return NULL;
                }
        }
}

static J *parse_value(P *ps);

static J *parse_number(P *ps) {
        const char *start = ps->p;
        bool integer = true;
        J *j;

        if (*ps->p == '-')
                ps->p++;
        if (*ps->p == '0')
                ps->p++;
        else if (*ps->p >= '1' && *ps->p <= '9')
                while (isdigit((unsigned char) *ps->p))
                        ps->p++;
        else {
                fail(ps, "bad number");
                return NULL;
        }
        if (*ps->p == '.') {
                integer = false;
                ps->p++;
                if (!isdigit((unsigned char) *ps->p)) {
                        fail(ps, "bad fraction");
                        return NULL;
                }
                while (isdigit((unsigned char) *ps->p))
                        ps->p++;
        }
        if (*ps->p == 'e' || *ps->p == 'E') {
                integer = false;
                ps->p++;
                if (*ps->p == '+' || *ps->p == '-')
                        ps->p++;
                if (!isdigit((unsigned char) *ps->p)) {
                        fail(ps, "bad exponent");
                        return NULL;
                }
                while (isdigit((unsigned char) *ps->p))
                        ps->p++;
        }
        j = j_new(J_NUMBER);
        j->s = strndup(start, (size_t) (ps->p - start));
        j->integer = integer;
        return j;
}

static void j_append(J *j, char *key, J *item) {
        j->items = realloc(j->items, (j->n + 1) * sizeof(J *));
        if (key)
                j->keys = realloc(j->keys, (j->n + 1) * sizeof(char *));
        if (!j->items || (key && !j->keys))
                abort();
        j->items[j->n] = item;
        if (key)
                j->keys[j->n] = key;
        j->n++;
}

static J *parse_container(P *ps, bool object) {
        J *j = j_new(object ? J_OBJECT : J_ARRAY);
        char close = object ? '}' : ']';

        ps->p++;
        skip_ws(ps);
        if (*ps->p == close) {
                ps->p++;
                return j;
        }
        for (;;) {
                char *key = NULL;
                J *item;

                skip_ws(ps);
                if (object) {
                        if (*ps->p != '"') {
                                fail(ps, "expected a key");
                                break;
                        }
                        key = parse_string(ps);
                        if (!key)
                                break;
                        for (size_t i = 0; i < j->n; i++)
                                if (strcmp(j->keys[i], key) == 0)
                                        fail(ps, "duplicate key \"%s\"", key);
                        skip_ws(ps);
                        if (*ps->p != ':') {
                                fail(ps, "expected ':'");
                                free(key);
                                break;
                        }
                        ps->p++;
                }
                item = parse_value(ps);
                if (!item) {
                        free(key);
                        break;
                }
                j_append(j, key, item);
                skip_ws(ps);
                if (*ps->p == ',') {
                        ps->p++;
                        skip_ws(ps);
                        if (*ps->p == close) {
                                fail(ps, "trailing comma");
                                break;
                        }
                        continue;
                }
                if (*ps->p == close) {
                        ps->p++;
                        if (!ps->failed)
                                return j;
                        break;
                }
                fail(ps, "expected ',' or '%c'", close);
                break;
        }
        j_free(j);
        return NULL;
}

static J *parse_value(P *ps) {
        static const struct { const char *word; JType type; } words[] = {
                { "null", J_NULL }, { "true", J_BOOL }, { "false", J_BOOL },
        };
        J *j = NULL;

        skip_ws(ps);
        if (++ps->depth > 64) {
                fail(ps, "nested too deep");
                return NULL;
        }
        if (*ps->p == '{' || *ps->p == '[')
                j = parse_container(ps, *ps->p == '{');
        else if (*ps->p == '"') {
                char *s = parse_string(ps);
                if (s) {
                        j = j_new(J_STRING);
                        j->s = s;
                }
        } else if (*ps->p == '-' || isdigit((unsigned char) *ps->p))
                j = parse_number(ps);
        else {
                for (size_t i = 0; i < sizeof words / sizeof words[0] && !j; i++)
                        if (strncmp(ps->p, words[i].word, strlen(words[i].word)) == 0) {
                                ps->p += strlen(words[i].word);
                                j = j_new(words[i].type);
                        }
                if (!j)
                        fail(ps, "unexpected '%.10s'", ps->p);
        }
        ps->depth--;
        return j;
}

static J *j_get(const J *obj, const char *key) {
        for (size_t i = 0; obj && obj->type == J_OBJECT && i < obj->n; i++)
                if (strcmp(obj->keys[i], key) == 0)
                        return obj->items[i];
        return NULL;
}

/* --- the CDI rules --- */

static bool alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool alnum(char c) {
        return alpha(c) || (c >= '0' && c <= '9');
}

/* pkg/parser: ValidateDeviceName(), validateVendorOrClassName(). */
static bool grammar(const char *s, bool vendor_or_class) {
        size_t n = strlen(s);

        if (n == 0 || !(vendor_or_class ? alpha(s[0]) : alnum(s[0])))
                return false;
        if (n == 1)
                return true;
        for (size_t i = 1; i + 1 < n; i++)
                if (!alnum(s[i]) && !strchr(vendor_or_class ? "_-." : "_-.:", s[i]))
                        return false;
        return alnum(s[n - 1]);
}

/* specs-go/version.go, newest first. */
static const char *const versions[] = { "1.1.0", "1.0.0", "0.8.0", "0.7.0", "0.6.0", "0.5.0", "0.4.0", "0.3.0",
                                        "0.2.0", "0.1.0" };

static int version_index(const char *v) {
        if (v[0] == 'v')
                v++;
        for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
                if (strcmp(versions[i], v) == 0)
                        return (int) i;
        return -1;
}

static bool check_node(P *ps, const J *node) {
        static const char *const types[] = { "", "b", "c", "u", "p" };
        const J *path = j_get(node, "path"), *type = j_get(node, "type"), *perm = j_get(node, "permissions");
        const char *nums[] = { "major", "minor", "uid", "gid" };
        bool ok = false;

        if (!node || node->type != J_OBJECT)
                return fail(ps, "a device node is not an object"), false;
        if (!path || path->type != J_STRING || path->s[0] != '/')
                return fail(ps, "a device node needs an absolute \"path\""), false;
        if (type) {
                for (size_t i = 0; type->type == J_STRING && i < sizeof types / sizeof types[0]; i++)
                        ok = ok || strcmp(type->s, types[i]) == 0;
                if (!ok)
                        return fail(ps, "device %s: invalid type", path->s), false;
        }
        for (size_t i = 0; i < 4; i++) {
                const J *v = j_get(node, nums[i]);

                if (v && (v->type != J_NUMBER || !v->integer || (i >= 2 && v->s[0] == '-')))
                        return fail(ps, "device %s: \"%s\" is not an integer in range", path->s, nums[i]), false;
        }
        if (perm && (perm->type != J_STRING || strspn(perm->s, "rwm") != strlen(perm->s)))
                return fail(ps, "device %s: invalid permissions", path->s), false;
        return true;
}

static bool check_edits(P *ps, const J *edits, int *min_version) {
        const J *env = j_get(edits, "env"), *nodes = j_get(edits, "deviceNodes"), *mounts = j_get(edits, "mounts");

        if (!edits || edits->type != J_OBJECT)
                return fail(ps, "containerEdits is not an object"), false;
        if (env) {
                if (env->type != J_ARRAY)
                        return fail(ps, "env is not an array"), false;
                for (size_t i = 0; i < env->n; i++) {
                        const J *e = env->items[i];
                        const char *eq = e->type == J_STRING ? strchr(e->s, '=') : NULL;

                        if (!eq || eq == e->s)
                                return fail(ps, "invalid environment variable"), false;
                }
        }
        if (nodes) {
                if (nodes->type != J_ARRAY)
                        return fail(ps, "deviceNodes is not an array"), false;
                for (size_t i = 0; i < nodes->n; i++) {
                        if (!check_node(ps, nodes->items[i]))
                                return false;
                        if (j_get(nodes->items[i], "hostPath") && *min_version > 5)
                                *min_version = 5; /* requiresV050 */
                }
        }
        for (size_t i = 0; mounts && i < mounts->n; i++)
                if (j_get(mounts->items[i], "type") && *min_version > 6)
                        *min_version = 6; /* requiresV040 */
        if ((j_get(edits, "intelRdt") || j_get(edits, "additionalGids")) && *min_version > 3)
                *min_version = 3; /* requiresV070 */
        if (j_get(edits, "netDevices") && *min_version > 0)
                *min_version = 0; /* requiresV110 */
        return true;
}

static bool check_spec(P *ps, const J *root, char ***ret_names) {
        const J *version = j_get(root, "cdiVersion"), *kind = j_get(root, "kind"), *devices = j_get(root, "devices");
        int min_version = 7; /* 0.3.0, the earliest valid */
        char **names;
        const char *slash;
        char vendor[256];
        int v;

        if (!root || root->type != J_OBJECT)
                return fail(ps, "the spec is not an object"), false;
        if (!version || version->type != J_STRING || (v = version_index(version->s)) < 0)
                return fail(ps, "cdiVersion missing or unknown"), false;
        if (!kind || kind->type != J_STRING || !(slash = strchr(kind->s, '/')) ||
            (size_t) (slash - kind->s) >= sizeof vendor)
                return fail(ps, "kind missing or not vendor/class"), false;
        snprintf(vendor, sizeof vendor, "%.*s", (int) (slash - kind->s), kind->s);
        if (!grammar(vendor, true) || !grammar(slash + 1, true))
                return fail(ps, "kind '%s': invalid vendor or class", kind->s), false;
        if (strchr(slash + 1, '.'))
                min_version = 4; /* requiresV060 */
        if (j_get(root, "annotations"))
                min_version = 4;
        if (!devices || devices->type != J_ARRAY || devices->n == 0)
                return fail(ps, "devices missing or empty (a spec needs a device)"), false;
        if (j_get(root, "containerEdits") && !check_edits(ps, j_get(root, "containerEdits"), &min_version))
                return false;

        names = calloc(devices->n + 1, sizeof(char *));
        for (size_t i = 0; i < devices->n; i++) {
                const J *d = devices->items[i], *name = j_get(d, "name");

                if (!name || name->type != J_STRING || !grammar(name->s, false)) {
                        fail(ps, "device %zu: name missing or not in the CDI device name grammar", i);
                        break;
                }
                for (size_t k = 0; k < i; k++)
                        if (strcmp(names[k], name->s) == 0)
                                fail(ps, "device name '%s' twice", name->s);
                names[i] = strdup(name->s);
                if (!j_get(d, "containerEdits")) {
                        fail(ps, "device '%s' has no containerEdits", name->s);
                        break;
                }
                if (!check_edits(ps, j_get(d, "containerEdits"), &min_version))
                        break;
                if (isdigit((unsigned char) name->s[0]) && min_version > 5)
                        min_version = 5; /* requiresV050 */
                if (j_get(d, "annotations") && min_version > 4)
                        min_version = 4;
        }
        if (!ps->failed && v > min_version)
                fail(ps, "cdiVersion %s is older than %s, which this spec needs", version->s, versions[min_version]);
        if (ps->failed || !ret_names) {
                for (size_t i = 0; i < devices->n; i++)
                        free(names[i]);
                free(names);
                return !ps->failed;
        }
        *ret_names = names;
        return true;
}

int cdi_spec_check(const char *text, char *err, size_t errsize, char ***ret_names) {
        P ps = { .p = text, .err = err, .errsize = errsize };
        J *root = parse_value(&ps);

        if (root) {
                skip_ws(&ps);
                if (*ps.p)
                        fail(&ps, "text after the JSON value");
        }
        if (!ps.failed)
                check_spec(&ps, root, ret_names);
        j_free(root);
        return ps.failed ? -1 : 0;
}

/* --- Prometheus' text exposition format --- */

static bool metric_name_ok(const char *s, size_t n) {
        if (n == 0 || !(alpha(s[0]) || s[0] == '_' || s[0] == ':'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(alnum(s[i]) || s[i] == '_' || s[i] == ':'))
                        return false;
        return true;
}

static bool label_name_ok(const char *s, size_t n) {
        if (n == 0 || !(alpha(s[0]) || s[0] == '_') || (n >= 2 && s[0] == '_' && s[1] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(alnum(s[i]) || s[i] == '_'))
                        return false;
        return true;
}

/* Go's ParseFloat, as far as exposition goes: a C float or NaN, +Inf, -Inf. */
static bool value_ok(const char *s, size_t n) {
        char buf[64], *end;

        if (n == 0 || n >= sizeof buf)
                return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (strcmp(buf, "NaN") == 0 || strcmp(buf, "+Inf") == 0 || strcmp(buf, "-Inf") == 0)
                return true;
        errno = 0;
        (void) strtod(buf, &end);
        return *end == '\0' && errno == 0 && !isalpha((unsigned char) buf[0]);
}

typedef struct Family {
        char name[256];
        char type[16];
        bool help, has_samples;
} Family;

static Family *family(Family **fams, size_t *n, const char *name, size_t len) {
        for (size_t i = 0; i < *n; i++)
                if (strlen((*fams)[i].name) == len && strncmp((*fams)[i].name, name, len) == 0)
                        return &(*fams)[i];
        *fams = realloc(*fams, (*n + 1) * sizeof(Family));
        if (!*fams)
                abort();
        memset(&(*fams)[*n], 0, sizeof(Family));
        snprintf((*fams)[*n].name, sizeof (*fams)[*n].name, "%.*s", (int) len, name);
        return &(*fams)[(*n)++];
}

/* The family a sample belongs to: its name, or without a histogram's or summary's suffix. */
static Family *sample_family(Family *fams, size_t n, const char *name, size_t len) {
        static const char *const suffixes[] = { "_bucket", "_sum", "_count", "" };

        for (size_t s = 0; s < 4; s++) {
                size_t sl = strlen(suffixes[s]);

                if (len < sl || strncmp(name + len - sl, suffixes[s], sl) != 0)
                        continue;
                for (size_t i = 0; i < n; i++)
                        if (strlen(fams[i].name) == len - sl && strncmp(fams[i].name, name, len - sl) == 0 &&
                            (sl == 0 || strcmp(fams[i].type, "histogram") == 0 || strcmp(fams[i].type, "summary") == 0))
                                return &fams[i];
        }
        return NULL;
}

static bool prom_line(P *ps, const char *l, size_t len, Family **fams, size_t *nf, char ***series, size_t *ns) {
        const char *end = l + len, *p = l, *name;
        size_t nlen;

        if (len == 0)
                return true;
        if (*l == '#') {
                const char *kw = l + 1;
                bool help;

                while (kw < end && *kw == ' ')
                        kw++;
                help = end - kw > 5 && strncmp(kw, "HELP ", 5) == 0;
                if (!help && !(end - kw > 5 && strncmp(kw, "TYPE ", 5) == 0))
                        return true; /* a comment */
                name = kw + 5;
                while (name < end && *name == ' ')
                        name++;
                nlen = strcspn(name, " \n");
                if (name + nlen > end)
                        nlen = (size_t) (end - name);
                if (!metric_name_ok(name, nlen))
                        return fail(ps, "invalid metric name in '%.*s'", (int) len, l), false;
                Family *f = family(fams, nf, name, nlen);
                const char *rest = name + nlen;
                while (rest < end && *rest == ' ')
                        rest++;
                if (help) {
                        if (f->help)
                                return fail(ps, "second HELP for %s", f->name), false;
                        f->help = true;
                        return true;
                }
                if (f->type[0] || f->has_samples)
                        return fail(ps, "TYPE for %s twice or after its samples", f->name), false;
                snprintf(f->type, sizeof f->type, "%.*s", (int) (end - rest), rest);
                if (strcmp(f->type, "counter") && strcmp(f->type, "gauge") && strcmp(f->type, "histogram") &&
                    strcmp(f->type, "summary") && strcmp(f->type, "untyped"))
                        return fail(ps, "unknown type '%s'", f->type), false;
                /* promtool check metrics: "counter metrics should have \"_total\" suffix" */
                if (strcmp(f->type, "counter") == 0 &&
                    (strlen(f->name) < 6 || strcmp(f->name + strlen(f->name) - 6, "_total") != 0))
                        return fail(ps, "counter %s does not end in _total", f->name), false;
                return true;
        }

        /* name{label="value",...} value [timestamp] */
        name = p;
        while (p < end && *p != '{' && *p != ' ')
                p++;
        nlen = (size_t) (p - name);
        if (!metric_name_ok(name, nlen))
                return fail(ps, "invalid metric name in '%.*s'", (int) len, l), false;
        if (p < end && *p == '{') {
                char seen[16][64];
                size_t nseen = 0;

                p++;
                while (p < end && *p != '}') {
                        const char *ln = p;

                        while (p < end && *p != '=')
                                p++;
                        if (!label_name_ok(ln, (size_t) (p - ln)) || p + 1 >= end || p[1] != '"')
                                return fail(ps, "invalid label in '%.*s'", (int) len, l), false;
                        for (size_t i = 0; i < nseen; i++)
                                if (strlen(seen[i]) == (size_t) (p - ln) && strncmp(seen[i], ln, (size_t) (p - ln)) == 0)
                                        return fail(ps, "label twice in '%.*s'", (int) len, l), false;
                        if (nseen < 16)
                                snprintf(seen[nseen++], sizeof seen[0], "%.*s", (int) (p - ln), ln);
                        p += 2;
                        while (p < end && *p != '"') {
                                if (*p == '\\') {
                                        if (p + 1 >= end || !strchr("\\\"n", p[1]))
                                                return fail(ps, "bad escape in a label value in '%.*s'", (int) len, l), false;
                                        p++;
                                }
                                p++;
                        }
                        if (p >= end)
                                return fail(ps, "unterminated label value in '%.*s'", (int) len, l), false;
                        p++;
                        if (p < end && *p == ',')
                                p++;
                        else if (p < end && *p != '}')
                                return fail(ps, "expected ',' or '}' in '%.*s'", (int) len, l), false;
                }
                if (p >= end)
                        return fail(ps, "unterminated labels in '%.*s'", (int) len, l), false;
                p++;
        }
        {
                size_t slen = (size_t) (p - l);
                const char *v, *ve;
                Family *f = sample_family(*fams, *nf, name, nlen);

                if (!f)
                        f = family(fams, nf, name, nlen); /* untyped */
                f->has_samples = true;
                for (size_t i = 0; i < *ns; i++)
                        if (strlen((*series)[i]) == slen && strncmp((*series)[i], l, slen) == 0)
                                return fail(ps, "duplicate series %.*s", (int) slen, l), false;
                *series = realloc(*series, (*ns + 1) * sizeof(char *));
                if (!*series)
                        abort();
                (*series)[(*ns)++] = strndup(l, slen);
                if (p >= end || *p != ' ')
                        return fail(ps, "no value in '%.*s'", (int) len, l), false;
                v = p + 1;
                ve = v;
                while (ve < end && *ve != ' ')
                        ve++;
                if (!value_ok(v, (size_t) (ve - v)))
                        return fail(ps, "bad value in '%.*s'", (int) len, l), false;
                if (ve < end) { /* a timestamp: an int64 of milliseconds */
                        const char *t = ve + 1;
                        if (t == end || (*t == '-' ? t + 1 == end : false))
                                return fail(ps, "bad timestamp in '%.*s'", (int) len, l), false;
                        for (const char *c = *t == '-' ? t + 1 : t; c < end; c++)
                                if (!isdigit((unsigned char) *c))
                                        return fail(ps, "bad timestamp in '%.*s'", (int) len, l), false;
                }
        }
        return true;
}

int prom_check(const char *text, char *err, size_t errsize, unsigned *ret_samples) {
        P ps = { .err = err, .errsize = errsize };
        Family *fams = NULL;
        char **series = NULL;
        size_t nf = 0, ns = 0;

        if (*text && text[strlen(text) - 1] != '\n')
                fail(&ps, "the last line does not end in a newline");
        for (const char *l = text; *l && !ps.failed;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t) (nl - l) : strlen(l);

                if (!prom_line(&ps, l, len, &fams, &nf, &series, &ns))
                        break;
                l += len + (nl ? 1 : 0);
        }
        for (size_t i = 0; i < ns; i++)
                free(series[i]);
        free(series);
        free(fams);
        if (ret_samples)
                *ret_samples = (unsigned) ns;
        return ps.failed ? -1 : 0;
}

double prom_value(const char *text, const char *series) {
        size_t n = strlen(series);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, series, n) == 0 && l[n] == ' ')
                        return strtod(l + n + 1, NULL);
        return -1;
}
