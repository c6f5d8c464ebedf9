/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <string.h>

#include "macro.h"
#include "validate.h"

bool utf8_is_valid(const char *s, size_t len) {
        const unsigned char *p = (const unsigned char *) s, *end = p + len;

        while (p < end) {
                unsigned n;
                uint32_t cp;

                if (*p < 0x80) {
                        p++;
                        continue;
                }
                if ((*p & 0xe0) == 0xc0) {
                        n = 1;
                        cp = *p & 0x1f;
                } else if ((*p & 0xf0) == 0xe0) {
                        n = 2;
                        cp = *p & 0x0f;
                } else if ((*p & 0xf8) == 0xf0) {
                        n = 3;
                        cp = *p & 0x07;
                } else
                        return false;
                if ((size_t) (end - p) <= n)
                        return false;
                for (unsigned i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
                if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
                    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                        return false;
                p += n + 1;
        }
        return true;
}

bool glob_has_magic(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

const char *glob_check(const char *s) {
        for (const char *p = s; *p; p++) {
                if (*p == '\\')
                        return "backslash escapes are not supported";
                if (*p == ']')
                        return "unmatched ']'";
                if (*p != '[')
                        continue;

                const char *q = p + 1;
                if (*q == '!' || *q == '^')
                        q++;
                if (*q == ']') /* a leading ']' is a member, as in fnmatch(3) */
                        q++;
                q = strchr(q, ']');
                if (!q)
                        return "unterminated '['";
                for (const char *c = p + 1; c < q; c++)
                        if (*c == '[' || *c == '/')
                                return "'[' or '/' inside a bracket expression";
                p = q;
        }
        return NULL;
}

static bool chars_in(const char *s, const char *extra) {
        for (; *s; s++)
                if (!(( *s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      (*s && strchr(extra, *s))))
                        return false;
        return true;
}

bool device_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > DEVICE_NAME_MAX || streq(s, ".") || streq(s, ".."))
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || (unsigned char) *s >= 0x7f || *s == '/')
                        return false;
        return true;
}

bool driver_name_is_valid(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n <= DRIVER_NAME_MAX && s[0] != '.' && s[0] != '-' && chars_in(s, "_.+-");
}

bool rule_name_is_valid(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n <= RULE_NAME_MAX && chars_in(s, "_.:@+-");
}

#define GLOB_CHARS "*?[]!^"

const char *compatible_check(const char *s) {
        if (strlen(s) > COMPATIBLE_MAX)
                return "too long";
        if (!chars_in(s, ",._+-@" GLOB_CHARS))
                return "contains a character that no compatible string has";
        return glob_check(s);
}

const char *dt_path_check(const char *s) {
        if (s[0] != '/')
                return "must be absolute (start with '/')";
        if (strlen(s) > DT_PATH_MAX)
                return "too long";
        if (!chars_in(s, "/,._+-@#" GLOB_CHARS))
                return "contains a character that no device tree node name has";
        if (strstr(s, "//") || (s[1] && s[strlen(s) - 1] == '/'))
                return "empty path component";
        return glob_check(s);
}

const char *device_pattern_check(const char *s) {
        if (strchr(s, '/'))
                return "a device name never contains '/'";
        /* udev has no escape for '|' in a match: the compiled rule could not say it exactly. */
        if (strchr(s, '|'))
                return "'|' cannot be matched exactly by the udev rule";
        if (streq(s, ".") || streq(s, ".."))
                return "'.' and '..' are not device names";
        if (!device_name_is_valid(s))
                return strlen(s) > DEVICE_NAME_MAX ? "too long" : "contains a space or a control character";
        return glob_check(s);
}

/* "vvvv:dddd" or "vvvv:dddd:ssss:ssss", lower case, each part up to four hex digits or globs. */
const char *pci_id_check(const char *s) {
        size_t colons = 0, part = 0;

        for (const char *p = s; *p; p++) {
                if (*p == ':') {
                        if (part == 0)
                                return "an empty part (use '*' for any)";
                        colons++;
                        part = 0;
                        continue;
                }
                if (!strchr("0123456789abcdef" GLOB_CHARS "-", *p))
                        return "expected hexadecimal IDs 'vendor:device' or 'vendor:device:subvendor:subdevice'";
                part++;
        }
        if (part == 0 || (colons != 1 && colons != 3))
                return "expected 'vendor:device' or 'vendor:device:subvendor:subdevice'";
        return glob_check(s);
}

/* "0300" or "0x0300": a prefix of the six-digit class code, whole bytes. */
const char *pci_class_check(const char *s) {
        size_t n;

        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
                s += 2;
        n = strlen(s);
        if (n == 0 || n > 6 || n % 2 != 0 || strspn(s, "0123456789abcdefABCDEF") != n)
                return "expected 2, 4 or 6 hexadecimal digits: class, class+subclass, or with prog-if (0x0300)";
        return NULL;
}

const char *mc_type_check(const char *s) {
        return chars_in(s, GLOB_CHARS) && strlen(s) <= 16 ? NULL : "expected an fsl-mc object type (dprc, dpni, ...)";
}

static bool cdi_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool cdi_alnum(char c) {
        return cdi_alpha(c) || (c >= '0' && c <= '9');
}

static bool cdi_name_check(const char *s, bool (*first)(char), const char *inner) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > CDI_NAME_MAX || !first(s[0]) || !cdi_alnum(s[n - 1]))
                return false;
        for (size_t i = 1; i + 1 < n; i++)
                if (!cdi_alnum(s[i]) && !strchr(inner, s[i]))
                        return false;
        return true;
}

bool cdi_device_name_is_valid(const char *s) {
        return cdi_name_check(s, cdi_alnum, "_.:-");
}

bool cdi_vendor_or_class_is_valid(const char *s) {
        return cdi_name_check(s, cdi_alpha, "_.-");
}
