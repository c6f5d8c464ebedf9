/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vpb-floor: the bare system calls of one apply pass (issue 16), the floor that make bench
 * compares "vfio-platform-bindctl apply" with, on the trees "vpb-bench --make-tree" makes.
 *
 *   vpb-floor ROOT            the converged pass: for every platform device, what is strictly
 *                             needed to decide: its directory, uevent (compatibles, OF path),
 *                             driver_override, the driver link. Nothing is decided.
 *   vpb-floor ROOT LISTFILE   the same, and for every device named in LISTFILE (one a line: the
 *                             devices apply pinned) one driver_override write and a state record
 *                             written as apply writes it (temporary file, rename).
 *
 * No policy, no matching, no allocation per device: raw getdents64, a stack buffer per file.
 * What apply does beyond this is the price of its decisions and its bookkeeping. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TARGET "vfio-platform"

static char **pin;
static size_t n_pin;

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names to pin, sorted for bsearch(). */
static void load_list(const char *path) {
        FILE *f = fopen(path, "re");
        char line[256];

        if (!f) {
                fprintf(stderr, "vpb-floor: %s: %m\n", path);
                exit(1);
        }
        while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                if (!line[0])
                        continue;
                pin = realloc(pin, (n_pin + 1) * sizeof(char *));
                if (!pin || !(pin[n_pin++] = strdup(line)))
                        exit(1);
        }
        fclose(f);
        if (n_pin)
                qsort(pin, n_pin, sizeof(char *), cmp_str);
}

static ssize_t read_small(int dirfd, const char *name, char *buf, size_t size) {
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -1;
        n = read(fd, buf, size - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        return n;
}

/* One write of the whole content, as sysfs wants it. */
static int write_at(int dirfd, const char *name, int flags, const char *s, size_t len) {
        int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | flags, 0644);
        ssize_t n;

        if (fd < 0)
                return -1;
        n = write(fd, s, len);
        return close(fd) < 0 || n != (ssize_t) len ? -1 : 0;
}

static int record(int state_fd, const char *name, const char *was) {
        char tmp[300], text[512];
        int len = snprintf(text, sizeof text, "target=" TARGET "\nrule=bench\nwas=%s\noverride=\n", was);

        snprintf(tmp, sizeof tmp, "%s.tmp", name);
        if (write_at(state_fd, tmp, O_CREAT | O_TRUNC | O_NOFOLLOW, text, (size_t) len) < 0)
                return -1;
        return renameat(state_fd, tmp, state_fd, name);
}

static int device(int devices_fd, int state_fd, const char *name) {
        char uevent[4096], override[256], driver[256];
        int dfd = openat(devices_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ssize_t k;
        int r = 0;

        if (dfd < 0)
                return -1;
        if (read_small(dfd, "uevent", uevent, sizeof uevent) < 0 ||
            read_small(dfd, "driver_override", override, sizeof override) < 0)
                r = -1;
        k = readlinkat(dfd, "driver", driver, sizeof driver - 1);
        driver[k > 0 ? k : 0] = '\0';
        if (r == 0 && n_pin && bsearch(&name, pin, n_pin, sizeof(char *), cmp_str)) {
                const char *slash = strrchr(driver, '/');

                if (write_at(dfd, "driver_override", O_TRUNC, TARGET, strlen(TARGET)) < 0 ||
                    record(state_fd, name, slash ? slash + 1 : "") < 0)
                        r = -1;
        }
        close(dfd);
        return r;
}

int main(int argc, char **argv) {
        char buf[32768], path[4096];
        int root_fd, devices_fd, state_fd = -1;
        unsigned seen = 0, failed = 0;

        if (argc < 2 || argc > 3) {
                fprintf(stderr, "usage: vpb-floor ROOT [LISTFILE]\n");
                return 2;
        }
        if (argc == 3)
                load_list(argv[2]);
        root_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        devices_fd = root_fd < 0 ? -1 : openat(root_fd, "sys/bus/platform/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (devices_fd < 0) {
                fprintf(stderr, "vpb-floor: %s/sys/bus/platform/devices: %m\n", argv[1]);
                return 1;
        }
        if (n_pin) {
                snprintf(path, sizeof path, "run/vfio-platform-bindd/platform");
                (void) mkdirat(root_fd, "run/vfio-platform-bindd", 0755);
                (void) mkdirat(root_fd, path, 0755);
                state_fd = openat(root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (state_fd < 0) {
                        fprintf(stderr, "vpb-floor: %s/%s: %m\n", argv[1], path);
                        return 1;
                }
        }
        for (;;) {
                long n = syscall(SYS_getdents64, devices_fd, buf, sizeof buf);

                if (n <= 0)
                        break;
                for (long off = 0; off < n;) {
                        struct dirent64 *e = (struct dirent64 *) (buf + off);

                        off += e->d_reclen;
                        if (e->d_name[0] == '.')
                                continue;
                        seen++;
                        failed += device(devices_fd, state_fd, e->d_name) < 0;
                }
        }
        printf("%u devices, %u failed\n", seen, failed);
        return failed ? 1 : 0;
}
