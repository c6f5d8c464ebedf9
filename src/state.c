/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
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

        /* One directory per bus of the table: a record of a bus without one cannot be saved. */
        for (Bus b = 0; create && b < _BUS_MAX; b++) {
                char dir[128];

                snprintf(dir, sizeof dir, STATE_DIR "/%s", bus_to_string(b));
                r = mkdir_p_at(root_fd, dir);
                if (r < 0)
                        return r;
        }
        fd = openat(root_fd, STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

static int record_path(Bus bus, const char *name, char *buf, size_t size) {
        if (!bus_to_string(bus) || !device_name_is_valid(name))
                return -EINVAL;
        snprintf(buf, size, "%s/%s", bus_to_string(bus), name);
        return 0;
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
        return device_record_parse(text, ret);
}

int state_remove(int state_fd, Bus bus, const char *name) {
        char path[300];
        int r;

        r = record_path(bus, name, path, sizeof path);
        if (r < 0)
                return r;
        if (unlinkat(state_fd, path, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
