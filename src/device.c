/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "strv.h"
#include "validate.h"

/* A device tree node has at most a handful of compatibles; bound what a uevent can claim. */
#define COMPATIBLES_MAX 32

void device_info_done(DeviceInfo *d) {
        if (!d)
                return;
        free(d->name);
        free(d->of_fullname);
        strv_free(d->compatibles);
        free(d->modalias);
        free(d->driver);
        free(d->override);
        free(d->iommu_group);
        free(d->id);
        free(d->subsys_id);
        free(d->class);
        free(d->type);
        *d = (DeviceInfo) {};
}

void device_info_free(DeviceInfo *d) {
        device_info_done(d);
        free(d);
}

/* A compatible we accept from the system: printable, bounded. Anything else is dropped, so that
 * a hostile device tree cannot feed odd bytes into matching or into our output. */
static bool compatible_is_sane(const char *s, size_t n) {
        if (n == 0 || n > COMPATIBLE_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= ' ' || (unsigned char) s[i] >= 0x7f)
                        return false;
        return true;
}

int device_info_set_compatibles_from_uevent(DeviceInfo *d, const char *(*get)(void *userdata, const char *key),
                                            void *userdata) {
        _cleanup_strv_free_ char **l = NULL;
        const char *v;
        unsigned long n;
        char *end;

        v = get(userdata, "OF_COMPATIBLE_N");
        if (!v)
                return 0;
        errno = 0;
        n = strtoul(v, &end, 10);
        if (errno || *end || end == v)
                return -EINVAL;
        if (n > COMPATIBLES_MAX)
                n = COMPATIBLES_MAX;

        /* One array for all: strv_extend() would reallocate at each. */
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (unsigned long i = 0, k = 0; i < n; i++) {
                char key[32] = "OF_COMPATIBLE_", digits[24];
                size_t nd = 0;

                /* The key without snprintf(): this runs for every device of every pass. */
                for (unsigned long x = i; nd == 0 || x > 0; x /= 10)
                        digits[nd++] = (char) ('0' + x % 10);
                for (size_t j = 0; j < nd; j++)
                        key[14 + j] = digits[nd - 1 - j];
                key[14 + nd] = '\0';
                v = get(userdata, key);
                if (!v || !compatible_is_sane(v, strlen(v)))
                        continue;
                if (!(l[k++] = strdup(v)))
                        return -ENOMEM;
        }
        if (!l[0]) { /* none usable: no DT data, as before any was read */
                strv_free(l);
                l = NULL;
        }
        strv_free(d->compatibles);
        d->compatibles = TAKE_PTR(l);
        return 0;
}

int device_info_set_compatibles_from_dt(DeviceInfo *d, const char *data, size_t size) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;

        for (size_t i = 0; i < size && n < COMPATIBLES_MAX;) {
                const char *s = data + i;
                size_t len = strnlen(s, size - i);

                if (compatible_is_sane(s, len)) {
                        char *c = strndup(s, len);
                        if (!c || strv_push(&l, c) < 0)
                                return -ENOMEM;
                        n++;
                }
                i += len + 1;
        }
        strv_free(d->compatibles);
        d->compatibles = TAKE_PTR(l);
        return 0;
}

/* The lines of a uevent file, cut in place in a copy: "KEY=VALUE" becomes "KEY\0VALUE\0". */
typedef struct UeventLines {
        char *text;
        const char **kv;        /* key, value, key, value, ... */
        size_t n;               /* pairs */
} UeventLines;

static const char *uevent_get(void *userdata, const char *key) {
        UeventLines *u = userdata;

        for (size_t i = 0; i < u->n; i++)
                if (streq(u->kv[2 * i], key))
                        return u->kv[2 * i + 1];
        return NULL;
}

/* One copy of the text and one array, not two strndup() per line. */
static int uevent_split(const char *text, UeventLines *ret) {
        size_t lines = 1, n = 0;
        char *t;

        for (const char *p = text; *p; p++)
                lines += *p == '\n';
        t = strdup(text);
        ret->kv = t ? malloc(2 * lines * sizeof(char *)) : NULL;
        if (!ret->kv) {
                free(t);
                return -ENOMEM;
        }
        ret->text = t;
        for (char *p = t; *p;) {
                char *nl = strchrnul(p, '\n'), *eq = memchr(p, '=', nl - p);
                bool last = !*nl;

                *nl = '\0';
                if (eq) {
                        *eq = '\0';
                        ret->kv[2 * n] = p;
                        ret->kv[2 * n + 1] = eq + 1;
                        n++;
                }
                p = last ? nl : nl + 1;
        }
        ret->n = n;
        return 0;
}

static int replace_str(char **dst, const char *src) {
        char *c = NULL;

        if (src && !(c = strdup(src)))
                return -ENOMEM;
        free(*dst);
        *dst = c;
        return 0;
}

static int parse_uevent_lines(DeviceInfo *d, UeventLines *u);

int device_info_parse_uevent(DeviceInfo *d, const char *text) {
        UeventLines u = {};
        int r;

        r = uevent_split(text ?: "", &u);
        if (r < 0)
                return r;
        r = parse_uevent_lines(d, &u);
        free(u.text);
        free(u.kv);
        return r;
}

static int parse_uevent_lines(DeviceInfo *d, UeventLines *u) {
        const char *v;
        int r;

        v = uevent_get(u, "OF_FULLNAME");
        if (v && v[0] == '/' && strlen(v) <= DT_PATH_MAX) {
                r = replace_str(&d->of_fullname, v);
                if (r < 0)
                        return r;
        }
        v = uevent_get(u, "MODALIAS");
        if (v) {
                r = replace_str(&d->modalias, v);
                if (r < 0)
                        return r;
        }
        if (!d->driver && (v = uevent_get(u, "DRIVER")) && driver_name_is_valid(v)) {
                r = replace_str(&d->driver, v);
                if (r < 0)
                        return r;
        }
        r = device_info_set_compatibles_from_uevent(d, uevent_get, u);
        return r == -EINVAL ? 0 : r;
}

int device_info_set_override(DeviceInfo *d, const char *sysfs_value) {
        if (!sysfs_value || streq(sysfs_value, "") || streq(sysfs_value, "(null)"))
                return replace_str(&d->override, NULL);
        return replace_str(&d->override, sysfs_value);
}

char *uevent_get_value(const char *text, const char *key) {
        size_t n = strlen(key);

        for (const char *p = text; p && *p;) {
                const char *nl = strchrnul(p, '\n');

                if ((size_t) (nl - p) > n && strncmp(p, key, n) == 0 && p[n] == '=')
                        return strndup(p + n + 1, nl - p - n - 1);
                p = *nl ? nl + 1 : nl;
        }
        return NULL;
}

int hex_normalize(const char *s, unsigned digits, char *buf, size_t size) {
        size_t len, skip;

        if (!s || digits >= size)
                return -EINVAL;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
                s += 2;
        len = strlen(s);
        if (len == 0 || strspn(s, "0123456789abcdefABCDEF") != len)
                return -EINVAL;
        /* Leading zeros beyond @digits are fine ("0x0000ff00"), other digits are not. */
        for (skip = 0; len - skip > digits; skip++)
                if (s[skip] != '0')
                        return -EINVAL;
        memset(buf, '0', digits - (len - skip));
        for (size_t i = 0; i < len - skip; i++)
                buf[digits - (len - skip) + i] = (char) tolower((unsigned char) s[skip + i]);
        buf[digits] = '\0';
        return 0;
}
