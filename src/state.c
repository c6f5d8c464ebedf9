/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "macro.h"
#include "paths.h"
#include "state.h"
#include "sysfs.h"
#include "validate.h"

#define RECORD_SIZE_MAX 4096

void device_record_done(DeviceRecord *r) {
        free(r->previous_driver);
        free(r->previous_override);
        free(r->target);
        free(r->rule);
        free(r->status);
        free(r->reason);
        *r = (DeviceRecord) {};
}

int state_open(int root_fd, bool create, int *ret_fd) {
        int fd, r;

        /* One directory per bus of the table: a bus without one could record nothing, and its
         * devices would never be given back. */
        for (Bus b = 0; create && b < _BUS_MAX; b++) {
                char path[sizeof STATE_DIR + 32];

                snprintf(path, sizeof path, STATE_DIR "/%s", bus_to_string(b));
                r = mkdir_p_at(root_fd, path);
                if (r < 0)
                        return r;
        }
        fd = openat(root_fd, STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

/* A record is named after its device, and replaced through "NAME.tmp": a name longer than
 * NAME_MAX - 4 (252-255 bytes) leaves no room for the suffix. Such a record lives in
 * "BUS-long/" under the first LONG_PREFIX bytes of the name, '~' and a hash of the whole name,
 * and holds the whole name ("name=") so that a load can tell two long names apart. Records of
 * shorter names stay where they always were. */
#define SHORT_NAME_MAX (NAME_MAX - 4)
#define LONG_PREFIX 200

static bool name_is_long(const char *name) {
        return strlen(name) > SHORT_NAME_MAX;
}

static uint64_t name_hash(const char *s) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 0x100000001b3ULL;
        }
        return h;
}

static int record_path(Bus bus, const char *name, char *buf, size_t size) {
        if (!bus_to_string(bus) || !device_name_is_valid(name))
                return -EINVAL;
        if (name_is_long(name))
                snprintf(buf, size, "%s-long/%.*s~%016llx", bus_to_string(bus), LONG_PREFIX, name,
                         (unsigned long long) name_hash(name));
        else
                snprintf(buf, size, "%s/%s", bus_to_string(bus), name);
        return 0;
}

/* Whether the record @text holds "name=@name". */
static bool record_names(const char *text, const char *name) {
        for (const char *p = text; *p;) {
                const char *nl = strchrnul(p, '\n');

                if (strncmp(p, "name=", 5) == 0)
                        return (size_t) (nl - p - 5) == strlen(name) && strncmp(p + 5, name, nl - p - 5) == 0;
                p = *nl ? nl + 1 : nl;
        }
        return false;
}

/* Values are single lines: newlines would forge keys. */
static size_t put(char *buf, size_t size, size_t n, const char *key, const char *value) {
        if (!value || n >= size)
                return n;
        n += snprintf(buf + n, size - n, "%s=", key);
        for (const char *c = value; *c && n + 1 < size; c++)
                buf[n++] = *c == '\n' ? ' ' : *c;
        if (n + 1 < size)
                buf[n++] = '\n';
        buf[n < size ? n : size - 1] = '\0';
        return n;
}

/* Into a fixed buffer, not a FILE: the daemon formats one per bind, and memstreams under
 * umockdev's preload confused ASan's FILE bookkeeping after some thousands (tests/test-storm). */
char *device_record_format(const DeviceRecord *rec) {
        char *buf = malloc(RECORD_SIZE_MAX);
        size_t n = 0;

        if (!buf)
                return NULL;
        buf[0] = '\0';
        n = put(buf, RECORD_SIZE_MAX, n, "previous_driver", rec->previous_driver);
        n = put(buf, RECORD_SIZE_MAX, n, "previous_override", rec->previous_override);
        n = put(buf, RECORD_SIZE_MAX, n, "target", rec->target);
        n = put(buf, RECORD_SIZE_MAX, n, "rule", rec->rule);
        n = put(buf, RECORD_SIZE_MAX, n, "status", rec->status);
        (void) put(buf, RECORD_SIZE_MAX, n, "reason", rec->reason);
        return buf;
}

int device_record_parse(const char *text, DeviceRecord *ret) {
        DeviceRecord rec = {};

        for (const char *p = text; *p;) {
                const char *nl = strchrnul(p, '\n'), *eq = memchr(p, '=', nl - p);
                char **field = NULL;

                if (eq) {
                        size_t k = eq - p;
#define FIELD(name) else if (k == strlen(#name) && strncmp(p, #name, k) == 0) field = &rec.name
                        if (false) {}
                        FIELD(previous_driver);
                        FIELD(previous_override);
                        FIELD(target);
                        FIELD(rule);
                        FIELD(status);
                        FIELD(reason);
#undef FIELD
                }
                if (field) {
                        free(*field);
                        *field = strndup(eq + 1, nl - eq - 1);
                        if (!*field) {
                                device_record_done(&rec);
                                return -ENOMEM;
                        }
                }
                p = *nl ? nl + 1 : nl;
        }
        /* Driver names go back into sysfs writes: only valid ones. */
        if ((rec.previous_driver && !driver_name_is_valid(rec.previous_driver)) ||
            (rec.previous_override && !driver_name_is_valid(rec.previous_override)) ||
            (rec.target && !driver_name_is_valid(rec.target))) {
                device_record_done(&rec);
                return -EBADMSG;
        }
        *ret = rec;
        return 0;
}

static const char *dirname_of(const char *path, char *buf, size_t size) {
        snprintf(buf, size, "%.*s", (int) (strrchr(path, '/') - path), path);
        return buf;
}

int state_save(int state_fd, Bus bus, const char *name, const DeviceRecord *rec) {
        _cleanup_free_ char *text = NULL;
        char path[300], tmp[320];
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        int r;

        r = record_path(bus, name, path, sizeof path);
        if (r < 0)
                return r;
        text = device_record_format(rec);
        if (!text)
                return -ENOMEM;
        if (name_is_long(name)) {
                char *t = NULL;

                if (asprintf(&t, "name=%s\n%s", name, text) < 0)
                        return -ENOMEM;
                free(text);
                text = t;
                r = mkdir_p_at(state_fd, dirname_of(path, tmp, sizeof tmp));
                if (r < 0)
                        return r;
        }
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        fd = openat(state_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len) {
                r = errno ? -errno : -EIO;
                unlinkat(state_fd, tmp, 0);
                return r;
        }
        if (renameat(state_fd, tmp, state_fd, path) < 0) {
                r = -errno;
                unlinkat(state_fd, tmp, 0);
                return r;
        }
        return 0;
}

int state_load(int state_fd, Bus bus, const char *name, DeviceRecord *ret) {
        _cleanup_free_ char *text = NULL;
        char path[300];
        int r;

        r = record_path(bus, name, path, sizeof path);
        if (r < 0)
                return r;
        r = sysfs_read_attr(state_fd, path, &text);
        if (r < 0)
                return r;
        if (name_is_long(name) && !record_names(text, name))
                return -ENOENT; /* another long name with the same prefix and hash */
        return device_record_parse(text, ret);
}

int state_remove(int state_fd, Bus bus, const char *name) {
        char path[300];
        int r;

        r = record_path(bus, name, path, sizeof path);
        if (r < 0)
                return r;
        if (name_is_long(name)) {
                _cleanup_free_ char *text = NULL;

                /* Only this device's: another long name may share the file name. */
                r = sysfs_read_attr(state_fd, path, &text);
                if (r == -ENOENT || (r >= 0 && !record_names(text, name)))
                        return 0;
        }
        if (unlinkat(state_fd, path, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
