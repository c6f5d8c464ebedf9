/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The udev rule generator on arbitrary policy files. A policy that parses without errors either is
 * refused by the generator (-EINVAL: a rule udev cannot express; then nothing is written), or its
 * rules must
 *  (a) read as the generator's own fixed grammar: every line empty, a comment, or a list of
 *      KEY[{ATTR}]OP"VALUE" joined by ", ", printable ASCII only, no continuation, no over-long
 *      line; the keys, attributes, assignments, labels and substitutions are the generator's, and
 *      the policy's values appear only in match values, where a '"' is always escaped and a
 *      backslash only escapes a '"' or a glob character: nothing in the input can end a value,
 *      add a key or a line;
 *  (b) select what policy_decide() selects: on events built from the policy's own values (globs
 *      made concrete, then mutated) and random ones, the small udev of tests/udev-eval.c writes
 *      driver_override, loads and probes exactly as policy_decide() says, or does nothing.
 * Any violation aborts, with the event and both outcomes on stderr. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "policy.h"
#include "strv.h"
#include "../udev-eval.h" /* run.sh has only src/ on the include path */
#include "udev-rules.h"
#include "validate.h"

#define EVENTS 64
#define LINE_MAX_UDEV 16384     /* udev ignores longer lines */

_noreturn_ static void violation(const char *what, const char *text, size_t line) {
        fprintf(stderr, "fuzz-udev-rules: %s", what);
        if (line > 0)
                fprintf(stderr, " (rules line %zu)", line);
        fputc('\n', stderr);
        if (text) {
                /* Long lines cut: the header's are kilobytes of '?'. */
                fputs("--- rules ---\n", stderr);
                for (const char *s = text, *nl; *s; s = *nl ? nl + 1 : nl) {
                        int n;
                        nl = strchrnul(s, '\n');
                        n = nl - s > 200 ? 200 : (int) (nl - s);
                        fprintf(stderr, "%.*s%s\n", n, s, nl - s > n ? "..." : "");
                }
                fputs("--- end ---\n", stderr);
        }
        abort();
}

/* --- (a): the syntax --- */

static bool in_set(char c, const char *set) {
        return c && strchr(set, c);
}

static size_t span(const char *s, const char *set) {
        return strspn(s, set);
}

#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"

/* The whole of @s is made of @set, and is not empty. */
static bool all_of(const char *s, const char *set) {
        return *s && s[span(s, set)] == '\0';
}

static bool is_driver_property(const char *a) {
        return streq(a, ".VFIO_PLATFORM_BIND_DRIVER");
}

static bool is_label(const char *v) {
        return strncmp(v, "vfio_platform_bind_", 19) == 0 && all_of(v + 19, LOWER DIGIT "_");
}

/* The value of an assignment: only what the generator writes itself. */
static const char *assignment_problem(const char *key, const char *attr, const char *v) {
        if (streq(key, "GOTO") || streq(key, "LABEL"))
                return is_label(v) ? NULL : "not a label of the generator";
        if (streq(key, "ENV")) {
                /* the driver (a driver name) or a flag */
                if (!(is_driver_property(attr) || strncmp(attr, ".VFIO_PLATFORM_BIND_", 20) == 0))
                        return "assigns a property that is not the generator's";
                return all_of(v, UPPER LOWER DIGIT "_.+-") && v[0] != '.' && v[0] != '-' ? NULL
                                                                                       : "assigns a value that is not a driver name";
        }
        if (streq(key, "ATTR")) {
                if (streq(attr, "driver_override"))
                        return streq(v, "$env{.VFIO_PLATFORM_BIND_DRIVER}") ? NULL : "writes driver_override with what is not the driver";
                for (Bus b = 0; b < _BUS_MAX; b++) {
                        char want[64];
                        snprintf(want, sizeof want, "[subsystem/%s]drivers_probe", bus_to_string(b));
                        if (streq(attr, want))
                                return streq(v, "$kernel") ? NULL : "probes what is not the device";
                }
                return "writes an attribute that is not the generator's";
        }
        if (streq(key, "IMPORT")) {
                if (streq(attr, "cmdline"))
                        return streq(v, UDEV_RULES_CMDLINE_KEY) ? NULL : "imports another command line key";
                if (streq(attr, "builtin"))
                        return streq(v, "kmod load $env{.VFIO_PLATFORM_BIND_DRIVER}") ? NULL : "runs another builtin";
                return "imports what is not the generator's";
        }
        return "an assignment to a key the generator never assigns";
}

/* A match value: where the policy's values go. */
static const char *match_value_problem(const char *raw, size_t n) {
        for (size_t i = 0; i < n; i++) {
                char c = raw[i];

                if (c == ' ')
                        return "a space in a match value";
                if (c == '"')
                        return "an unescaped '\"' inside a value";
                if (c == '\\') {
                        if (i + 1 >= n || !in_set(raw[i + 1], "\"*?["))
                                return "a backslash that escapes neither '\"' nor a glob character";
                        i++;
                        continue;
                }
                if (c == '|' && (i == 0 || i + 1 == n || raw[i + 1] == '|'))
                        return "an empty alternative";
        }
        return NULL;
}

/* One line of tokens. @s is NUL-terminated, printable ASCII. */
static const char *tokens_problem(const char *s, char ***labels, size_t *n_tokens) {
        for (;;) {
                _cleanup_free_ char *key = NULL, *attr = NULL, *value = NULL;
                const char *v;
                size_t n;
                bool assign;

                n = span(s, UPPER);
                if (n == 0)
                        return "expected a key";
                key = strndup(s, n);
                if (!key)
                        abort();
                s += n;
                if (*s == '{') {
                        n = span(s + 1, UPPER LOWER DIGIT "_.-/[]");
                        if (n == 0 || s[1 + n] != '}')
                                return "an attribute with a character the generator never writes";
                        attr = strndup(s + 1, n);
                        if (!attr)
                                abort();
                        s += n + 2;
                }
                if (strncmp(s, "==", 2) == 0 || strncmp(s, "!=", 2) == 0) {
                        s += 2;
                        assign = false;
                } else if (s[0] == '=' && s[1] == '"') {
                        s += 1;
                        assign = true;
                } else
                        return "expected ==, != or =";
                if (*s != '"')
                        return "expected '\"'";
                v = ++s;
                /* The value ends at the first '"' not right after a backslash, as in udev. */
                for (; *s != '"'; s++) {
                        if (!*s)
                                return "unterminated value";
                        if (s[0] == '\\' && s[1] == '"')
                                s++;
                }
                value = strndup(v, s - v);
                if (!value)
                        abort();
                s++;
                (*n_tokens)++;

                if (assign) {
                        const char *problem;

                        if (strpbrk(value, "\\\""))
                                return "a quote or a backslash in an assigned value";
                        if (!attr && (streq(key, "ENV") || streq(key, "ATTR") || streq(key, "IMPORT")))
                                return "ENV, ATTR and IMPORT need an attribute";
                        if (attr && (streq(key, "GOTO") || streq(key, "LABEL")))
                                return "GOTO and LABEL take no attribute";
                        problem = assignment_problem(key, attr, value);
                        if (problem)
                                return problem;
                        if (streq(key, "LABEL")) {
                                if (*n_tokens != 1 || *s)
                                        return "a LABEL that is not alone on its line";
                                if (strv_contains(*labels, value))
                                        return "a label defined twice";
                                if (strv_extend(labels, value) < 0)
                                        abort();
                        }
                } else {
                        const char *problem;

                        if (streq(key, "ENV")) {
                                if (!attr || !all_of(attr, UPPER LOWER DIGIT "_."))
                                        return "a property match without a property name";
                        } else if (!(streq(key, "ACTION") || streq(key, "SUBSYSTEM") || streq(key, "KERNEL")) || attr)
                                return "a match of a key the generator never matches";
                        /* The generator's own substitutions never appear in a match value; a
                         * device name's '$' or '%' is not substituted in KERNEL or ENV matches. */
                        problem = match_value_problem(value, strlen(value));
                        if (problem)
                                return problem;
                }

                if (*s == '\0')
                        return NULL;
                if (strncmp(s, ", ", 2) != 0)
                        return "expected ', ' between keys";
                s += 2;
        }
}

static void check_syntax(const char *text, size_t len, const Policy *p) {
        _cleanup_strv_free_ char **labels = NULL;
        size_t line_no = 0, rule_comments = 0;

        if (strlen(text) != len)
                violation("a NUL byte in the rules", text, 0);
        if (len > 0 && text[len - 1] != '\n')
                violation("the last line has no newline", text, 0);
        for (const char *s = text; *s;) {
                const char *nl = strchr(s, '\n'), *problem = NULL;
                _cleanup_free_ char *line = strndup(s, nl - s);
                size_t n = nl - s, n_tokens = 0;

                if (!line)
                        abort();
                line_no++;
                s = nl + 1;
                if (n >= LINE_MAX_UDEV)
                        violation("a line that udev would drop (16 KiB or longer)", text, line_no);
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char) line[i] < 0x20 || (unsigned char) line[i] >= 0x7f)
                                violation("a control character or a non-ASCII byte", text, line_no);
                if (n > 0 && line[n - 1] == '\\')
                        violation("a line that udev would continue on the next one", text, line_no);
                if (n == 0)
                        continue;
                if (line[0] == '#') {
                        rule_comments += strncmp(line, "# [", 3) == 0;
                        continue;
                }
                problem = tokens_problem(line, &labels, &n_tokens);
                if (problem)
                        violation(problem, text, line_no);
        }
        /* One comment per rule: no comment was split or forged. */
        if (rule_comments != p->n_rules)
                violation("not one '# [NAME]' comment per rule", text, 0);
}

/* --- (b): the events --- */

typedef struct Rng {
        uint64_t s;
} Rng;

static uint32_t rnd(Rng *r, uint32_t n) {
        /* splitmix64 */
        uint64_t z = (r->s += 0x9e3779b97f4a7c15u);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        z ^= z >> 31;
        return n ? (uint32_t) (z % n) : 0;
}

static bool chance(Rng *r, uint32_t percent) {
        return rnd(r, 100) < percent;
}

#define PICK(r, a) ((a)[rnd(r, ELEMENTSOF(a))])

/* Characters a value of each key is made of, and ones that no policy value can hold. */
static const char * const alphabet[_MATCH_KEY_MAX] = {
        [MATCH_COMPATIBLE] = "abcvx0129,._+-@",
        [MATCH_PATH] = "abcsx0129@,._+-#/",
        [MATCH_DEVICE] = "abcxyz0129.-_:,!\"#$%^@+=~*?[]",
        [MATCH_PCI_ID] = "0123456789abcdef",
        [MATCH_CLASS] = "0123456789abcdef",
};
static const char hostile[] = " \"|*?[]!^\\\t\x01\x7f\x80\xc3\xa9\xff$%{}'=";

static char random_char(Rng *r, MatchKey k) {
        char c;

        if (chance(r, 85))
                return alphabet[k][rnd(r, strlen(alphabet[k]))];
        if (chance(r, 70))
                c = hostile[rnd(r, sizeof hostile - 1)];
        else
                c = (char) (1 + rnd(r, 255));
        return c ?: 'x';
}

static void put_random(Rng *r, MatchKey k, FILE *f, size_t n) {
        for (size_t i = 0; i < n; i++)
                fputc(random_char(r, k), f);
}

/* What '*' stands for: mostly short, now and then long enough to pass a bound. */
static void put_star(Rng *r, MatchKey k, FILE *f) {
        uint32_t x = rnd(r, 100);

        if (x < 30)
                return;
        if (x < 94)
                put_random(r, k, f, 1 + rnd(r, 3));
        else if (k == MATCH_PATH)
                for (size_t i = 0, n = DT_PATH_MAX - 10 + rnd(r, 40); i < n; i++)
                        fputc('x', f);
        else if (k == MATCH_COMPATIBLE)
                for (size_t i = 0, n = COMPATIBLE_MAX - 10 + rnd(r, 20); i < n; i++)
                        fputc('v', f);
        else
                for (size_t i = 0, n = DEVICE_NAME_MAX - 10 + rnd(r, 20); i < n; i++)
                        fputc('d', f);
}

/* A character for the bracket expression [@b, @e) (after '['): a member, a character of a range,
 * or anything. */
static char bracket_char(Rng *r, MatchKey k, const char *b, const char *e) {
        size_t n = e - b;
        size_t i;

        if (n == 0 || chance(r, 30))
                return random_char(r, k);
        /* The one character that udev sees as another: the kernel's '!' is '/' in KERNEL. */
        if (k == MATCH_DEVICE && chance(r, 10))
                return '!';
        i = rnd(r, n);
        if (i + 2 < n && b[i + 1] == '-') {
                unsigned char lo = b[i], hi = b[i + 2];
                if (lo < hi && chance(r, 70))
                        return (char) (lo + rnd(r, hi - lo + 1));
                return chance(r, 50) ? b[i] : b[i + 2];
        }
        /* Next to a member: the characters around a range's end, a '!' next to a '/'. */
        if (chance(r, 20))
                return (char) (b[i] + (chance(r, 50) ? 1 : -1)) ?: 'x';
        return b[i];
}

/* One string that @pattern matches (most of the time): globs made concrete. */
static void concretize(Rng *r, MatchKey k, const Pattern *pat, FILE *f) {
        const char *v = pat->value;

        for (const char *c = v; *c; c++) {
                if (!pat->glob) {
                        fputc(*c, f);
                        continue;
                }
                if (*c == '*')
                        put_star(r, k, f);
                else if (*c == '?')
                        put_random(r, k, f, chance(r, 95) ? 1 : rnd(r, 3));
                else if (*c == '[') {
                        const char *b = c + 1, *e;
                        if (*b == '!' || *b == '^')
                                b++;
                        e = strchr(*b == ']' ? b + 1 : b, ']');
                        if (!e) {
                                fputc(*c, f);
                                continue;
                        }
                        fputc(bracket_char(r, k, b, e), f);
                        c = e;
                } else
                        fputc(*c, f);
        }
}

/* A copy of @s with a small change, or @s. */
static char *mutate(Rng *r, MatchKey k, char *s) {
        size_t n = strlen(s);
        char *m;

        if (!chance(r, 30))
                return s;
        m = malloc(n + 3);
        if (!m)
                abort();
        switch (rnd(r, 5)) {
        case 0: /* replace one */
                strcpy(m, s);
                if (n > 0)
                        m[rnd(r, n)] = random_char(r, k);
                break;
        case 1: { /* insert one */
                size_t i = rnd(r, n + 1);
                memcpy(m, s, i);
                m[i] = random_char(r, k);
                strcpy(m + i + 1, s + i);
                break;
        }
        case 2: { /* drop one */
                size_t i = n ? rnd(r, n) : 0;
                strcpy(m, s);
                if (n > 0)
                        memmove(m + i, m + i + 1, n - i);
                break;
        }
        case 3: /* one more path component, or a trailing character */
                strcpy(m, s);
                if (k == MATCH_PATH)
                        strcat(m, chance(r, 50) ? "/x" : "/");
                else
                        m[n] = random_char(r, k), m[n + 1] = '\0';
                break;
        default: /* cut */
                strcpy(m, s);
                m[n ? rnd(r, n) : 0] = '\0';
                if (k == MATCH_PATH && chance(r, 50) && strrchr(m, '/'))
                        *strrchr(m, '/') = '\0';
        }
        free(s);
        return m;
}

typedef struct Pool {
        const Pattern **items;
        size_t n;
} Pool;

/* Values as on real boards, for a policy that has none of a key (exact: taken as they are). */
static const char * const default_values[_MATCH_KEY_MAX][6] = {
        [MATCH_COMPATIBLE] = { "virtio,mmio", "arm,pl011", "fsl,imx8mq-isp", "vendor,dev-v1", "a*b", "x,y" },
        [MATCH_PATH] = { "/soc@0/isp@32e10000", "/s", "/soc@0/bus@0/uart@1000", "/virtio_mmio@a003e00", "/a/b/c/d",
                         "/soc@0" },
        [MATCH_DEVICE] = { "a003e00.virtio_mmio", "9000000.pl011", "a!b", "x\"y,z", "soc:gpio-keys", "c!d" },
};

/* A value for key @k: from the policy's values (most of the time), the defaults, or random. */
static char *make_value(Rng *r, MatchKey k, const Pool *pool) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        uint32_t x = rnd(r, 100);

        if (!f)
                abort();
        if (pool->n > 0 && x < 75)
                concretize(r, k, pool->items[rnd(r, pool->n)], f);
        else if (x < 90)
                fputs(default_values[k][rnd(r, ELEMENTSOF(default_values[k]))], f);
        else {
                if (k == MATCH_PATH)
                        fputc('/', f);
                put_random(r, k, f, 1 + rnd(r, 12));
        }
        if (fclose(f) != 0)
                abort();
        buf = mutate(r, k, buf);
        /* Bracket neighbours and mutations may make any byte: a device name never holds '/', and
         * no value a newline (the uevent is line-based). */
        for (char *c = buf; *c; c++)
                if (*c == '\n' || (k == MATCH_DEVICE && *c == '/'))
                        *c = '!';
        return buf;
}

static void push(char ***l, char *s) {
        if (!s || strv_push(l, s) < 0)
                abort();
}

/* @n hex digits of @s, upper case, as the kernel prints IDs ("%04X"): other bytes become digits,
 * missing ones random. */
static void put_hex(Rng *r, FILE *f, const char *s, size_t len, size_t n) {
        static const char hex[] = "0123456789ABCDEF";

        for (size_t i = 0; i < n; i++) {
                char c = i < len ? s[i] : hex[rnd(r, 16)];

                if (c >= 'a' && c <= 'f')
                        c = (char) (c - 'a' + 'A');
                fputc(strchr(hex, c) && c ? c : hex[(unsigned char) c % 16], f);
        }
}

/* PCI_ID and PCI_SUBSYS_ID of a PCI device, "%04X:%04X" each as pci_uevent() writes them: from a
 * pci-id value of the policy made concrete (most of the time) or random. */
static void pci_ids_make(Rng *r, const Pool pools[_MATCH_KEY_MAX], UdevEvent *ev) {
        const Pool *pool = &pools[MATCH_PCI_ID], *classes = &pools[MATCH_CLASS];
        _cleanup_free_ char *v = NULL;
        const char *parts[4] = {};
        char *buf = NULL, *s, *save = NULL;
        size_t len = 0, n = 0;
        FILE *f = open_memstream(&v, &len);

        if (!f)
                abort();
        if (pool->n > 0 && chance(r, 80))
                concretize(r, MATCH_PCI_ID, pool->items[rnd(r, pool->n)], f);
        if (fclose(f) != 0)
                abort();
        for (char *t = strtok_r(v, ":", &save); t && n < 4; t = strtok_r(NULL, ":", &save))
                parts[n++] = t;
        f = open_memstream(&buf, &len);
        if (!f)
                abort();
        fputs("PCI_ID=", f);
        for (size_t i = 0; i < 4; i++) {
                if (i == 2) {
                        if (fclose(f) != 0)
                                abort();
                        push(&ev->props, buf);
                        f = open_memstream(&buf, &len);
                        if (!f)
                                abort();
                        fputs("PCI_SUBSYS_ID=", f);
                } else if (i == 1 || i == 3)
                        fputc(':', f);
                put_hex(r, f, strempty(parts[i]), strlen(strempty(parts[i])), 4);
        }
        if (fclose(f) != 0)
                abort();
        push(&ev->props, buf);

        /* The class: a class prefix of the policy with random low digits, or a random one; "%04X". */
        if (chance(r, 90)) {
                char six[7], *end;
                unsigned long cls;

                s = NULL;
                if (classes->n > 0 && chance(r, 70))
                        s = classes->items[rnd(r, classes->n)]->value;
                f = open_memstream(&buf, &len);
                if (!f)
                        abort();
                put_hex(r, f, strempty(s), strlen(strempty(s)), 6);
                if (fclose(f) != 0)
                        abort();
                snprintf(six, sizeof six, "%s", buf);
                free(buf);
                if (chance(r, 30))
                        six[0] = six[1] = '0';
                cls = strtoul(six, &end, 16);
                if (asprintf(&s, "PCI_CLASS=%04lX", cls) < 0)
                        abort();
                push(&ev->props, s);
        }
}

static void event_make(Rng *r, const Pool pools[_MATCH_KEY_MAX], UdevEvent *ev, char **name) {
        static const char * const actions[] = { "change", "remove", "bind", "unbind" };
        static const char * const subsystems[] = { "platform", "amba", "platform", "amba", "i2c", "pci", "pci" };
        static const char * const cmdlines[] = { "quiet " UDEV_RULES_CMDLINE_KEY "=0", UDEV_RULES_CMDLINE_KEY "=1",
                                                 UDEV_RULES_CMDLINE_KEY, "ro " UDEV_RULES_CMDLINE_KEY "=0" };
        static const char * const bad_compatibles[] = {
                "", "has space", "caf\xc3\xa9", "a|b", "x\"y", "[v]", "a*b", "tab\tx",
                "fsl,vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv-isp",
        };
        uint32_t n;
        char *s;

        *name = make_value(r, MATCH_DEVICE, &pools[MATCH_DEVICE]);
        if (!**name) {
                free(*name);
                *name = strdup("x");
                if (!*name)
                        abort();
        }
        *ev = (UdevEvent) {
                .action = chance(r, 88) ? "add" : PICK(r, actions),
                .subsystem = PICK(r, subsystems),
                .name = *name,
                .cmdline = chance(r, 92) ? NULL : PICK(r, cmdlines),
        };
        if (streq(ev->subsystem, "pci")) {
                pci_ids_make(r, pools, ev);
                if (chance(r, 90))
                        return; /* a PCI device without a device tree node: the usual */
        }
        if (chance(r, 8))
                return; /* no device tree node */

        if (chance(r, 92)) {
                _cleanup_free_ char *path = make_value(r, MATCH_PATH, &pools[MATCH_PATH]);
                if (asprintf(&s, "OF_FULLNAME=%s", path) < 0)
                        abort();
                push(&ev->props, s);
        }

        /* Now and then more compatibles than the daemon reads: the ones past the bound count for none. */
        n = chance(r, 10) ? UDEV_RULES_COMPATIBLES_MAX - 1 + rnd(r, 5) : rnd(r, 5);
        for (uint32_t i = 0; i < n; i++) {
                _cleanup_free_ char *c = NULL;

                if (chance(r, 10))
                        c = strdup(PICK(r, bad_compatibles));
                else
                        c = make_value(r, MATCH_COMPATIBLE, &pools[MATCH_COMPATIBLE]);
                if (!c || asprintf(&s, "OF_COMPATIBLE_%u=%s", i, c) < 0)
                        abort();
                push(&ev->props, s);
        }
        if (asprintf(&s, "OF_COMPATIBLE_N=%u", n) < 0)
                abort();
        push(&ev->props, s);
}

static char *event_string(const UdevEvent *ev) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);

        if (!f)
                abort();
        fprintf(f, "device '%s' (%s %s, cmdline '%s')", ev->name, ev->action, ev->subsystem, strna(ev->cmdline));
        STRV_FOREACH(s, ev->props)
                fprintf(f, "\n  %s", *s);
        if (fclose(f) != 0)
                abort();
        return buf;
}

static void check_semantics(const Policy *p, const char *text, const uint8_t *data, size_t size) {
        _cleanup_free_ char *error = NULL;
        Pool pools[_MATCH_KEY_MAX] = {};
        UdevRules rs;
        Rng rng = { 0xcbf29ce484222325u };
        int r;

        r = udev_eval_parse(text, &rs, &error);
        if (r == -ENOMEM)
                abort();
        if (r < 0) {
                fprintf(stderr, "fuzz-udev-rules: the interpreter cannot read the rules: %s\n", strna(error));
                violation("unreadable rules", text, 0);
        }

        /* The events follow from the input, so that a crash reproduces. */
        for (size_t i = 0; i < size; i++)
                rng.s = (rng.s ^ data[i]) * 0x100000001b3u;

        for (size_t i = 0; i < p->n_rules; i++)
                for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                        for (size_t j = 0; j < p->rules[i]->n_patterns[k]; j++) {
                                const Pattern **items = reallocarray(pools[k].items, pools[k].n + 1, sizeof(Pattern *));
                                if (!items)
                                        abort();
                                pools[k].items = items;
                                items[pools[k].n++] = &p->rules[i]->patterns[k][j];
                        }

        for (size_t i = 0; i < EVENTS; i++) {
                _cleanup_free_ char *name = NULL;
                UdevEvent ev;
                UdevOutcome want, got;

                event_make(&rng, pools, &ev, &name);
                if (udev_eval_expected(p, &ev, &want) < 0)
                        abort();
                r = udev_eval_run(&rs, &ev, &got, &error);
                if (r == -ENOMEM)
                        abort();
                if (r < 0) {
                        _cleanup_free_ char *e = event_string(&ev);
                        fprintf(stderr, "fuzz-udev-rules: the rules cannot run on %s: %s\n", e, strna(error));
                        violation("the rules do not run", text, 0);
                }
                if (!udev_eval_outcome_equal(&want, &got)) {
                        _cleanup_free_ char *e = event_string(&ev), *w = udev_eval_outcome_string(&want),
                                            *g = udev_eval_outcome_string(&got);
                        fprintf(stderr, "fuzz-udev-rules: on %s\n  policy_decide(): %s\n  the rules:       %s\n", e,
                                strna(w), strna(g));
                        violation("the rules and policy_decide() disagree", text, 0);
                }
                udev_eval_outcome_done(&want);
                udev_eval_outcome_done(&got);
                strv_free(ev.props);
        }

        for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++)
                free(pools[k].items);
        udev_eval_rules_done(&rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Policy *p = policy_new();
        Diagnostics d = {}, g = {};
        char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!p || policy_parse_string(p, (const char *) data, size, "fuzz.conf", &d) < 0)
                goto finish;
        if (policy_finalize(p, &d) < 0 || diagnostics_failed(&d))
                goto finish;

        f = open_memstream(&text, &len);
        if (!f)
                abort();
        r = udev_rules_generate(p, f, &g);
        if (fclose(f) != 0)
                abort();
        if (r == -EINVAL) {
                /* A policy the rule cannot express: refused, said why, nothing written. */
                if (len != 0 || !diagnostics_failed(&g))
                        violation("refused, but wrote rules or gave no reason", text, 0);
                goto finish;
        }
        if (r < 0)
                violation("the generator failed", NULL, 0);
        if (diagnostics_failed(&g))
                violation("rules written with errors", text, 0);

        check_syntax(text, len, p);
        check_semantics(p, text, data, size);
finish:
        free(text);
        policy_free(p);
        diagnostics_clear(&d);
        diagnostics_clear(&g);
        return 0;
}
