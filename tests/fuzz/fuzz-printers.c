/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The printers on arbitrary device data, file names and reasons (src/escape.c, src/status.c,
 * src/diag.c). Properties: the human output is valid UTF-8 with no control byte but newline
 * and tab; the JSON output is valid UTF-8 and parses (a strict RFC 8259 checker below). */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "escape.h"
#include "status.h"
#include "validate.h"

/* --- a strict JSON checker: value at *p, advancing past it --- */
static bool json_value(const char **p, const char *end, int depth);

static void ws(const char **p, const char *end) {
        while (*p < end && strchr(" \t\n\r", **p) && **p)
                (*p)++;
}

static bool lit(const char **p, const char *end, const char *word) {
        size_t n = strlen(word);

        if ((size_t) (end - *p) < n || memcmp(*p, word, n) != 0)
                return false;
        *p += n;
        return true;
}

static bool json_string(const char **p, const char *end) {
        if (*p >= end || **p != '"')
                return false;
        for ((*p)++; *p < end; (*p)++) {
                unsigned char c = **p;

                if (c == '"') {
                        (*p)++;
                        return true;
                }
                if (c < 0x20)
                        return false;
                if (c != '\\')
                        continue;
                if (++*p >= end)
                        return false;
                if (**p == 'u') {
                        for (int i = 0; i < 4; i++)
                                if (++*p >= end || !strchr("0123456789abcdefABCDEF", **p) || !**p)
                                        return false;
                } else if (!**p || !strchr("\"\\/bfnrt", **p))
                        return false;
        }
        return false;
}

static bool json_number(const char **p, const char *end) {
        const char *s = *p;

        while (*p < end && **p >= '0' && **p <= '9')
                (*p)++;
        return *p > s;
}

static bool json_container(const char **p, const char *end, int depth, char close, bool object) {
        (*p)++;
        ws(p, end);
        if (*p < end && **p == close) {
                (*p)++;
                return true;
        }
        for (;;) {
                ws(p, end);
                if (object) {
                        if (!json_string(p, end))
                                return false;
                        ws(p, end);
                        if (*p >= end || **p != ':')
                                return false;
                        (*p)++;
                }
                if (!json_value(p, end, depth + 1))
                        return false;
                ws(p, end);
                if (*p < end && **p == ',') {
                        (*p)++;
                        continue;
                }
                if (*p < end && **p == close) {
                        (*p)++;
                        return true;
                }
                return false;
        }
}

static bool json_value(const char **p, const char *end, int depth) {
        ws(p, end);
        if (*p >= end || depth > 16)
                return false;
        switch (**p) {
        case '{':
                return json_container(p, end, depth, '}', true);
        case '[':
                return json_container(p, end, depth, ']', false);
        case '"':
                return json_string(p, end);
        case 'n':
                return lit(p, end, "null");
        default:
                return json_number(p, end);
        }
}

static bool json_valid(const char *s, size_t n) {
        const char *p = s;

        if (!json_value(&p, s + n, 0))
                return false;
        ws(&p, s + n);
        return p == s + n;
}

/* --- the properties --- */
static void check_human(const char *s, size_t n) {
        if (strlen(s) != n || !utf8_is_valid(s, n))
                abort();
        for (size_t i = 0; i < n; i++) {
                unsigned char c = s[i];
                if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
                        abort();
                /* C1 controls, U+0080-U+009F, are 0xc2 0x80-0x9f in UTF-8. */
                if (c == 0xc2 && i + 1 < n && (unsigned char) s[i + 1] <= 0x9f)
                        abort();
        }
}

/* Field @i of the input: the NUL-separated pieces, cycled; never NULL but for "-". */
static const char *field(char **pieces, size_t n, size_t i) {
        const char *s = n > 0 ? pieces[i % n] : "";

        return streq(s, "-") ? NULL : s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *copy = malloc(size + 1), *pieces[16], *out = NULL, *compat[3] = {};
        size_t n = 0, len = 0;
        FILE *f;

        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = '\0';
        for (char *s = copy; n < ELEMENTSOF(pieces) && s <= copy + size; s += strlen(s) + 1)
                pieces[n++] = s;

        Rule rule = { .name = (char *) "r", .file = field(pieces, n, 6), .line = 3 };
        compat[0] = (char *) field(pieces, n, 2);
        DeviceInfo d = {
                .name = (char *) (field(pieces, n, 0) ?: "x"),
                .of_fullname = (char *) field(pieces, n, 1),
                .compatibles = compat[0] ? compat : NULL,
                .driver = (char *) field(pieces, n, 3),
                .override = (char *) field(pieces, n, 4),
                .iommu_group = (char *) field(pieces, n, 5),
        };
        StatusRow row = {
                .device = &d,
                .decision = { .verdict = VERDICT_BIND, .rule = rule.file ? &rule : NULL, .driver = "vfio-platform" },
                .state = size % 2 ? "failed" : "error",
                .reason = field(pieces, n, 7),
        };
        Diagnostic diag = { .file = (char *) (field(pieces, n, 6) ?: ""), .line = 1,
                            .message = (char *) (field(pieces, n, 7) ?: "") };

        /* Human: the table, a policy message, a plain escape. */
        f = open_memstream(&out, &len);
        if (!f)
                abort();
        status_print_table(f, &row, 1, false);
        diagnostic_format(&diag, f);
        fputs_cescaped(field(pieces, n, 0), f);
        fclose(f);
        check_human(out, len);
        free(out);

        out = cescape(field(pieces, n, 1));
        if (out)
                check_human(out, strlen(out));
        free(out);

        /* JSON. */
        out = NULL;
        f = open_memstream(&out, &len);
        if (!f)
                abort();
        status_print_json(f, &row, 1);
        fclose(f);
        if (!utf8_is_valid(out, len) || !json_valid(out, len))
                abort();
        free(out);
        free(copy);
        return 0;
}
