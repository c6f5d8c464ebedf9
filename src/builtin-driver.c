/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* "pl061_gpio" and "gpio_pl061": the same words in another order. A module is named after its
 * file (gpio-pl061.c), its driver struct often the other way round. */
static int cmp_word(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static bool same_words(const char *a, const char *b, size_t b_len) {
        char x[DRIVER_NAME_MAX + 1], y[DRIVER_NAME_MAX + 1], *wx[8], *wy[8];
        size_t nx = 0, ny = 0;

        if (strlen(a) != b_len || b_len >= sizeof y)
                return false;
        snprintf(x, sizeof x, "%s", a);
        snprintf(y, sizeof y, "%.*s", (int) b_len, b);
        for (char *s, *p = x; (s = strsep(&p, "_")); )
                if (nx == ELEMENTSOF(wx) || !*s)
                        return false;
                else
                        wx[nx++] = s;
        for (char *s, *p = y; (s = strsep(&p, "_")); )
                if (ny == ELEMENTSOF(wy) || !*s)
                        return false;
                else
                        wy[ny++] = s;
        if (nx != ny || nx < 2)
                return false;
        qsort(wx, nx, sizeof(char *), cmp_word);
        qsort(wy, ny, sizeof(char *), cmp_word);
        for (size_t i = 0; i < nx; i++)
                if (!streq(wx[i], wy[i]))
                        return false;
        return true;
}

/* "__initcall__kmod_<module>__<counter>_<line>_<fn><level>" (Linux 5.13 and later; in kallsyms
 * only with CONFIG_KALLSYMS_ALL): the init function of @base for certain. */
static bool initcall_symbol(const char *sym, const char *base, char *fn, size_t size) {
        static const char prefix[] = "__initcall__kmod_";
        size_t n = strlen(base), len;

        if (strncmp(sym, prefix, strlen(prefix)) != 0)
                return false;
        sym += strlen(prefix);
        if (strncmp(sym, base, n) != 0 || strncmp(sym + n, "__", 2) != 0)
                return false;
        sym += n + 2;
        for (int field = 0; field < 2; field++) {
                size_t digits = strspn(sym, "0123456789");

                if (digits == 0 || sym[digits] != '_')
                        return false;
                sym += digits + 1;
        }
        len = strlen(sym);
        if (len > 0 && sym[len - 1] == 's')
                len--;
        if (len < 2 || sym[len - 1] < '0' || sym[len - 1] > '9')
                return false;
        snprintf(fn, size, "%.*s", (int) len - 1, sym);
        return true;
}

/* How likely @sym is @base's init function: 0 certain (the initcall record), then what
 * module_driver() makes of a struct named after the driver ("pl061_gpio" → pl061_gpio_driver_init),
 * the usual hand-written names, and last the driver struct named with the module's words in another
 * order. -1: not it. */
static int initcall_rank(const char *sym, const char *base, char *fn, size_t size) {
        static const char * const suffixes[] = { "_driver_init", "_init", "_drv_init" };
        size_t n = strlen(base), len = strlen(sym), s = strlen(suffixes[0]);

        if (initcall_symbol(sym, base, fn, size))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if (strncmp(sym, base, n) == 0 && streq(sym + n, suffixes[i])) {
                        snprintf(fn, size, "%s", sym);
                        return (int) i + 1;
                }
        if (len > s && streq(sym + len - s, suffixes[0]) && same_words(base, sym, len - s)) {
                snprintf(fn, size, "%s", sym);
                return (int) ELEMENTSOF(suffixes) + 1;
        }
        return -1;
}

void builtin_initcall_find(int root_fd, const char *name, char *buf, size_t size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *line = NULL;
        char base[DRIVER_NAME_MAX + 1], fn[256];
        int best = INT_MAX;
        size_t n = 0;
        int fd;

        buf[0] = '\0';
        snprintf(base, sizeof base, "%s", name);
        for (char *c = base; *c; c++)
                if (*c == '-' || *c == '.')
                        *c = '_';
        fd = openat(root_fd, "proc/kallsyms", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !(f = fdopen(fd, "re"))) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while (best > 0 && getline(&line, &n, f) > 0) {
                char *sym = strrchr(line, ' ');
                int rank;

                if (!sym)
                        continue;
                sym++;
                if (strchr(sym, '['))
                        continue; /* "name\t[module]": a loadable module's, not built in */
                sym[strcspn(sym, "\t\n")] = '\0';
                rank = initcall_rank(sym, base, fn, sizeof fn);
                if (rank >= 0 && rank < best) {
                        snprintf(buf, size, "%s", fn);
                        best = rank;
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
        builtin_initcall_find(root_fd, driver, ret->initcall, sizeof ret->initcall);
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
