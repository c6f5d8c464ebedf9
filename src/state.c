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

/* The records decide what a restore writes into sysfs: the directory must be a real one (not a
 * symlink that leads elsewhere), owned by root or by us (a test's user; "status" as a user reads
 * root's), writable by no one else. -ENOTDIR or -EPERM otherwise, and the daemon refuses to
 * start. */
static int check_state_dir(int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
                return -EPERM;
        return 0;
}

int state_open(int root_fd, bool create, int *ret_fd) {
        _cleanup_close_ int parent = -EBADF, fd = -EBADF;
        const char *base = strrchr(STATE_DIR, '/') + 1;
        struct stat st;
        int r;

        if (create) {
                r = mkdir_p_beneath(root_fd, STATE_DIR);
                if (r < 0)
                        return r;
        }
        /* Its parent beneath the root; itself not through a symlink. */
        parent = open_dir_beneath(root_fd, STATE_DIR_PARENT);
        if (parent < 0)
                return parent;
        if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = check_state_dir(fd);
        if (r < 0)
                return r;
        /* One directory per bus of the table: a bus without one could record nothing, and its
         * devices would never be given back. */
        for (Bus bus = 0; bus < _BUS_MAX && create; bus++)
                if (mkdirat(fd, bus_to_string(bus), 0755) < 0 && errno != EEXIST)
                        return -errno;
        *ret_fd = TAKE_FD(fd);
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

/* The record's directory ("platform", "amba-long", ...) and file name within it. */
static int record_location(Bus bus, const char *name, char *dir, size_t dir_size, char *file, size_t file_size) {
        if (!bus_to_string(bus) || !device_name_is_valid(name))
                return -EINVAL;
        snprintf(dir, dir_size, "%s%s", bus_to_string(bus), name_is_long(name) ? "-long" : "");
        if (name_is_long(name))
                snprintf(file, file_size, "%.*s~%016llx", LONG_PREFIX, name, (unsigned long long) name_hash(name));
        else
                snprintf(file, file_size, "%s", name);
        return 0;
}

/* The record directory, never through a symlink: records stay in the state directory. */
static int open_record_dir(int state_fd, Bus bus, const char *name, bool create, char *file, size_t file_size) {
        char dir[32];
        int fd, r;

        r = record_location(bus, name, dir, sizeof dir, file, file_size);
        if (r < 0)
                return r;
        if (create && mkdirat(state_fd, dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(state_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* A record: at most RECORD_SIZE_MAX bytes of text. */
static int read_text(int fd, char **ret) {
        _cleanup_free_ char *buf = malloc(RECORD_SIZE_MAX + 1);
        size_t len = 0;

        if (!buf)
                return -ENOMEM;
        while (len < RECORD_SIZE_MAX) {
                ssize_t n = read(fd, buf + len, RECORD_SIZE_MAX - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (memchr(buf, '\0', len))
                return -EBADMSG;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

static int read_record(int dir_fd, const char *file, char **ret) {
        _cleanup_close_ int fd = openat(dir_fd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0)
                return errno == ELOOP ? -EBADMSG : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        return read_text(fd, ret);
}

/* Whether the record @text holds "name=@name". */
static bool record_names(const char *text, const char *name) {
        for (const char *p = strempty(text); *p;) {
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

        for (const char *p = strempty(text); *p;) {
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
        _cleanup_close_ int dir_fd = -EBADF, fd = -EBADF;
        char file[NAME_MAX + 1], tmp[NAME_MAX + 5];
        size_t len;
        int r;

        dir_fd = open_record_dir(state_fd, bus, name, true, file, sizeof file);
        if (dir_fd < 0)
                return dir_fd;
        text = device_record_format(rec);
        if (!text)
                return -ENOMEM;
        if (name_is_long(name)) {
                char *t = NULL;

                if (asprintf(&t, "name=%s\n%s", name, text) < 0)
                        return -ENOMEM;
                free(text);
                text = t;
        }
        snprintf(tmp, sizeof tmp, "%s.tmp", file);
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len) {
                r = errno ? -errno : -EIO;
                unlinkat(dir_fd, tmp, 0);
                return r;
        }
        if (renameat(dir_fd, tmp, dir_fd, file) < 0) {
                r = -errno;
                unlinkat(dir_fd, tmp, 0);
                return r;
        }
        return 0;
}

bool state_write_ever_hung(int state_fd) {
        return state_fd >= 0 && faccessat(state_fd, WRITE_HUNG_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int state_mark_write_hung(int state_fd, const char *attr) {
        _cleanup_close_ int fd = -EBADF;
        char line[128];
        int len;

        fd = openat(state_fd, WRITE_HUNG_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        len = snprintf(line, sizeof line, "a write to %s did not return in time\n", attr ?: "sysfs");
        return write(fd, line, (size_t) len) == len ? 0 : -EIO;
}

bool state_maybe_exists(int state_fd, Bus bus, const char *name) {
        char dir[32], file[NAME_MAX + 1], path[sizeof dir + sizeof file];
        struct stat st;

        if (record_location(bus, name, dir, sizeof dir, file, sizeof file) < 0)
                return true; /* state_load() says what is wrong */
        snprintf(path, sizeof path, "%s/%s", dir, file);
        return fstatat(state_fd, path, &st, AT_SYMLINK_NOFOLLOW) >= 0 || errno != ENOENT;
}

int state_load(int state_fd, Bus bus, const char *name, DeviceRecord *ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        char file[NAME_MAX + 1];
        int r;

        dir_fd = open_record_dir(state_fd, bus, name, false, file, sizeof file);
        if (dir_fd < 0)
                return dir_fd;
        r = read_record(dir_fd, file, &text);
        if (r < 0)
                return r;
        if (name_is_long(name) && !record_names(text, name))
                return -ENOENT; /* another long name with the same prefix and hash */
        return device_record_parse(text, ret);
}

int state_remove(int state_fd, Bus bus, const char *name) {
        _cleanup_close_ int dir_fd = -EBADF;
        char file[NAME_MAX + 1];
        int r;

        dir_fd = open_record_dir(state_fd, bus, name, false, file, sizeof file);
        if (dir_fd == -ENOENT)
                return 0;
        if (dir_fd < 0)
                return dir_fd;
        if (name_is_long(name)) {
                _cleanup_free_ char *text = NULL;

                /* Only this device's: another long name may share the file name. */
                r = read_record(dir_fd, file, &text);
                if (r == -ENOENT || (r >= 0 && !record_names(text, name)))
                        return 0;
        }
        if (unlinkat(dir_fd, file, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
