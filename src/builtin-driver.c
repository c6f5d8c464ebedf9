/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builtin-driver.h"
#include "validate.h"

/* A loadable module has /sys/module/<name>/initstate; a built-in "module" directory (made for
 * the parameters or the driver's module link of built-in code) has not. */
static bool driver_is_builtin(int drvfd, const Sysfs *s) {
        _cleanup_free_ char *mod = NULL;
        char path[128];
        struct stat st;

        if (sysfs_read_link_name(drvfd, "module", driver_name_is_valid, &mod) < 0)
                return true; /* no module behind it at all */
        snprintf(path, sizeof path, "module/%s/initstate", mod);
        return fstatat(s->fd, path, &st, 0) < 0;
}

/* Other devices bound to the driver: the links in its directory that are not its own files. */
static bool driver_is_shared(int drvfd, const char *device) {
        int fd = openat(drvfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        bool shared = false;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return false;
        }
        while (!shared && (de = readdir(d)))
                shared = de->d_type == DT_LNK && !streq(de->d_name, "module") && !streq(de->d_name, device) &&
                         strncmp(de->d_name, "module", 6) != 0;
        closedir(d);
        return shared;
}

/* module_driver() names the init function <driver struct>_init; the struct is often named after
 * the driver ("pl061_gpio" → pl061_gpio_driver). Look for the likely names among the kernel's
 * symbols. */
static void find_initcall(int root_fd, const char *driver, char *buf, size_t size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        char base[DRIVER_NAME_MAX + 1], want[3][DRIVER_NAME_MAX + 16];
        size_t n = 0;
        int fd;

        buf[0] = '\0';
        snprintf(base, sizeof base, "%s", driver);
        for (char *c = base; *c; c++)
                if (*c == '-' || *c == '.')
                        *c = '_';
        snprintf(want[0], sizeof want[0], "%s_driver_init", base);
        snprintf(want[1], sizeof want[1], "%s_init", base);
        snprintf(want[2], sizeof want[2], "%s_drv_init", base);
        fd = openat(root_fd, "proc/kallsyms", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !(f = fdopen(fd, "re"))) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while (getline(&line, &n, f) > 0) {
                char *sym = strrchr(line, ' ');

                if (!sym)
                        continue;
                sym++;
                sym[strcspn(sym, "\t\n")] = '\0';
                for (size_t i = 0; i < ELEMENTSOF(want); i++)
                        if (streq(sym, want[i]) && (!buf[0] || i == 0)) {
                                snprintf(buf, size, "%s", sym);
                                if (i == 0)
                                        return;
                        }
        }
}

int builtin_driver_facts(int root_fd, const Sysfs *s, Bus bus, const char *driver, const char *device,
                         BuiltinDriver *ret) {
        _cleanup_close_ int drvfd = -EBADF;

        *ret = (BuiltinDriver) {};
        if (!driver)
                return 0;
        drvfd = sysfs_open_driver(s, bus, driver);
        if (drvfd < 0)
                return drvfd == -ENOENT ? 0 : drvfd;
        ret->builtin = driver_is_builtin(drvfd, s);
        if (!ret->builtin)
                return 0;
        ret->shared = driver_is_shared(drvfd, device);
        find_initcall(root_fd, driver, ret->initcall, sizeof ret->initcall);
        return 0;
}

void builtin_driver_remedy(const BuiltinDriver *b, const char *driver, char *buf, size_t size) {
        if (b->shared)
                snprintf(buf, size, "build %s as a module (it also drives other devices here, so blacklisting its "
                         "init call would take them too)", driver);
        else if (b->initcall[0])
                snprintf(buf, size, "initcall_blacklist=%s on the kernel command line (or build %s as a module)",
                         b->initcall, driver);
        else
                snprintf(buf, size, "build %s as a module (its init function was not found in /proc/kallsyms)",
                         driver);
}
