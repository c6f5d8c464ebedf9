/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake kernel's harness side: the model, sysfs, uevents, the server for fk-shim.so, the
 * children. See fake-kernel.h.
 *
 * Why the uevents are not sent with umockdev_testbed_uevent(): umockdev 0.17's sender looks the
 * device up through libudev (so the sending process must run under the preload) and calls
 * err(EXIT_FAILURE) when a listener's socket is full; a unix datagram socket holds
 * net.unix.max_dgram_qlen (10) messages, so a daemon busy for a moment killed the harness
 * (measured: 11 events to a monitor that does not read). Here each listener (the sockets that
 * umockdev's preload binds as ROOT/event<fd>) gets its own connected non-blocking socket and a
 * queue that drains as the listener reads; nothing is lost, nothing blocks, and a loss can be
 * forced on purpose (fk_lose_uevents()). The messages are kernel-format netlink uevents, which
 * libudev and sd-device accept from umockdev's emulated sockets like umockdev's own. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake-kernel.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#define QUEUE_MAX 100000 /* queued uevents per listener before an overflow (ENOBUFS) */

typedef struct Dev {
        FkBus bus;
        char *name;
        char *devpath; /* "devices/platform/NAME", relative to sys/ */
        char *of_fullname;
        char *of_name;
        char **compatible;
        size_t n_compatible;
        char *native;
        char *override;
        char *driver;
        int iommu_group; /* -1: none */
        bool group_shown; /* its links exist (FK_GROUP_AT_PROBE: only from its first probe) */
        unsigned flags;
        unsigned periphid;
        char **extra; /* uevent variables "KEY=VALUE" of the bus */
        size_t n_extra;
        char **attrs; /* extra sysfs attributes "NAME=CONTENT" */
        size_t n_attrs;
        char *container; /* fsl-mc: its DPRC */
} Dev;

typedef struct Drv {
        FkBus bus;
        char *name;
} Drv;

typedef struct Fault {
        char *dev;
        FkFile file;
        int fault;
        int times;
} Fault;

typedef struct Count {
        char *dev;
        unsigned n[_FK_FILE_MAX];
} Count;

typedef struct Conn {
        int fd;
        bool hung;
        bool dead;
        char *path;
        char *data;
        size_t len;
} Conn;

typedef struct Msg {
        struct Msg *next;
        size_t len;
        char buf[];
} Msg;

typedef struct Listener {
        char *name;
        ino_t ino;
        int fd;
        bool dead;
        bool lost;
        Msg *head, *tail;
        unsigned n;
} Listener;

typedef struct Child {
        pid_t pid;
        int pidfd;
        int out_fd;
        unsigned flags;
        bool exited;
        bool reported;
        int status;
        struct rusage ru;
        char *out;
        size_t out_len, out_size;
} Child;

struct FakeKernel {
        char *root;
        int sys_fd;
        char *shim, *preload;
        char *req_path, *notify_path;
        int listen_fd, notify_fd;
        bool debug;

        Dev **devs;
        size_t n_devs, size_devs;
        Drv *drvs;
        size_t n_drvs, size_drvs;
        Fault *faults;
        size_t n_faults, size_faults;
        Count *counts;
        size_t n_counts, size_counts;
        Conn *conns;
        size_t n_conns, size_conns;
        Listener *listeners;
        size_t n_listeners, size_listeners;
        Child *children;
        size_t n_children, size_children;
        char **notify; /* every line received, in order */
        size_t n_notify, size_notify, notify_cursor;
        const char *status;

        unsigned long long seqnum;
        int next_group;
        bool lose_uevents;
        unsigned long activity;
        pid_t reaper;
        int reaper_fd;
        FakeKernel *next_live;
};

/* /sys/devices/<parent>/<name>, as the kernel's first level under /sys/devices for the bus; the
 * bus's own name where the table says nothing. */
static const char *const dev_parents[_BUS_MAX] = {
        [BUS_PLATFORM] = "platform",
        [BUS_AMBA] = "platform",
        [BUS_PCI] = "pci0000:00",
};

static const char *bus_name(FkBus b) {
        return bus_to_string(b);
}

static const char *dev_parent(FkBus b) {
        return dev_parents[b] ?: bus_name(b);
}
static const char *const file_names[_FK_FILE_MAX] = { "driver_override", "unbind", "bind", "drivers_probe", "uevent" };

/* --- small helpers; allocation failures abort: this is test code --- */

static void *xrealloc(void *p, size_t n) {
        p = realloc(p, n ? n : 1);
        if (!p)
                abort();
        return p;
}

static char *xstrdup(const char *s) {
        return s ? strcpy(xrealloc(NULL, strlen(s) + 1), s) : NULL;
}

static char *xstrndup(const char *s, size_t n) {
        char *p = strndup(s, n);

        if (!p)
                abort();
        return p;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        return s;
}

/* A copy of a NULL-terminated list (NULL for none), its length in *RET_N. */
static char **strv_copy(const char *const *l, size_t *ret_n) {
        char **c = NULL;
        size_t n = 0;

        for (; l && l[n]; n++) {
                c = xrealloc(c, (n + 1) * sizeof(char *));
                c[n] = xstrdup(l[n]);
        }
        *ret_n = n;
        return c;
}

#define GROW(array, n, size)                                                              \
        do {                                                                              \
                if ((n) >= (size)) {                                                      \
                        (size) = (size) ? (size) * 2 : 16;                                \
                        (array) = xrealloc((array), (size) * sizeof(*(array)));           \
                }                                                                         \
        } while (0)

static long long now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void dbg(const FakeKernel *fk, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dbg(const FakeKernel *fk, const char *fmt, ...) {
        va_list ap;

        if (!fk->debug)
                return;
        va_start(ap, fmt);
        fputs("fk: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

/* --- sysfs files, relative to ROOT/sys --- */

static void mkdir_p(FakeKernel *fk, const char *rel) {
        char *p;

        if (mkdirat(fk->sys_fd, rel, 0755) == 0 || errno != ENOENT)
                return;
        p = xstrdup(rel);
        for (char *s = p; (s = strchr(s + 1, '/'));) {
                *s = '\0';
                (void) mkdirat(fk->sys_fd, p, 0755);
                *s = '/';
        }
        (void) mkdirat(fk->sys_fd, p, 0755);
        free(p);
}

static void put_file(FakeKernel *fk, const char *rel, const char *content, size_t len, mode_t mode) {
        int fd = openat(fk->sys_fd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        if (fd < 0 || write(fd, content, len) != (ssize_t) len)
                fprintf(stderr, "fk: cannot write %s: %m\n", rel);
        if (fd >= 0)
                close(fd);
}

static void put_str(FakeKernel *fk, const char *rel, const char *content) {
        put_file(fk, rel, content, strlen(content), 0644);
}

/* Replaces a file at once: a reader sees the old or the new content, never an empty file. */
static void replace_str(FakeKernel *fk, const char *rel, const char *content) {
        char *tmp = xasprintf("%s.fk-new", rel);

        put_str(fk, tmp, content);
        if (renameat(fk->sys_fd, tmp, fk->sys_fd, rel) < 0)
                fprintf(stderr, "fk: cannot replace %s: %m\n", rel);
        free(tmp);
}

static void put_link(FakeKernel *fk, const char *target, const char *rel) {
        (void) unlinkat(fk->sys_fd, rel, 0);
        if (symlinkat(target, fk->sys_fd, rel) < 0)
                fprintf(stderr, "fk: cannot link %s: %m\n", rel);
}

/* Removes AT/NAME recursively, without following links. */
static void rm_rf_at(int at, const char *name) {
        int fd;
        DIR *d;
        struct dirent *e;

        if (unlinkat(at, name, 0) == 0 || (errno != EISDIR && errno != EPERM))
                return;
        fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        while ((e = readdir(d)))
                if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
                        rm_rf_at(dirfd(d), e->d_name);
        closedir(d);
        (void) unlinkat(at, name, AT_REMOVEDIR);
}

/* --- the model --- */

static Dev *dev_find(const FakeKernel *fk, const char *name) {
        if (!name)
                return NULL;
        for (size_t i = 0; i < fk->n_devs; i++)
                if (streq(fk->devs[i]->name, name))
                        return fk->devs[i];
        return NULL;
}

static Dev *dev_by_path(const FakeKernel *fk, const char *devpath) {
        for (size_t i = 0; i < fk->n_devs; i++)
                if (streq(fk->devs[i]->devpath, devpath))
                        return fk->devs[i];
        return NULL;
}

static Drv *drv_find(const FakeKernel *fk, FkBus bus, const char *name) {
        if (!name)
                return NULL;
        for (size_t i = 0; i < fk->n_drvs; i++)
                if (fk->drvs[i].bus == bus && streq(fk->drvs[i].name, name))
                        return &fk->drvs[i];
        return NULL;
}

static int bus_from_name(const char *s, size_t n) {
        char *name = xstrndup(s, n);
        Bus b = bus_from_string(name);

        free(name);
        return b < 0 ? -1 : (int) b;
}

static Count *count_get(FakeKernel *fk, const char *dev) {
        for (size_t i = 0; i < fk->n_counts; i++)
                if (streq(fk->counts[i].dev, dev))
                        return &fk->counts[i];
        GROW(fk->counts, fk->n_counts, fk->size_counts);
        fk->counts[fk->n_counts] = (Count) { .dev = xstrdup(dev) };
        return &fk->counts[fk->n_counts++];
}

static void dev_free(Dev *d) {
        if (!d)
                return;
        for (size_t i = 0; i < d->n_compatible; i++)
                free(d->compatible[i]);
        free(d->compatible);
        for (size_t i = 0; i < d->n_extra; i++)
                free(d->extra[i]);
        free(d->extra);
        for (size_t i = 0; i < d->n_attrs; i++)
                free(d->attrs[i]);
        free(d->attrs);
        free(d->container);
        free(d->name);
        free(d->devpath);
        free(d->of_fullname);
        free(d->of_name);
        free(d->native);
        free(d->override);
        free(d->driver);
        free(d);
}

/* The value of KEY in a list of "KEY=VALUE", or NULL. */
static const char *kv_get(char *const *list, size_t n_list, const char *key) {
        size_t n = strlen(key);

        for (size_t i = 0; i < n_list; i++)
                if (strncmp(list[i], key, n) == 0 && list[i][n] == '=')
                        return list[i] + n + 1;
        return NULL;
}

static const char *extra_get(const Dev *d, const char *key) {
        return kv_get(d->extra, d->n_extra, key);
}

/* A hex number as the modalias takes it: 0 when the value is not one (hostile specs). */
static unsigned hex_or_zero(const char *s) {
        char *end;
        unsigned long v;

        if (!s)
                return 0;
        errno = 0;
        v = strtoul(s, &end, 16);
        return errno || end == s || v > 0xffffffffUL ? 0 : (unsigned) v;
}

static void modalias_of_or_platform(FILE *f, const Dev *d) {
        if (d->of_fullname) {
                fprintf(f, "of:N%sT(null)", d->of_name);
                for (size_t i = 0; i < d->n_compatible; i++) {
                        fputc('C', f);
                        for (const char *p = d->compatible[i]; *p; p++)
                                fputc(*p == ' ' ? '_' : *p, f);
                }
        } else {
                /* pdev->name: the device name without its ".<id>" */
                size_t n = strlen(d->name);
                const char *dot = strrchr(d->name, '.');

                if (dot && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1))
                        n = (size_t) (dot - d->name);
                fprintf(f, "platform:%.*s", (int) n, d->name);
        }
}

static void modalias_amba(FILE *f, const Dev *d) {
        fprintf(f, "amba:d%08X", d->periphid);
}

/* pci_uevent(): from the IDs and the class (PCI_ID "VVVV:DDDD", PCI_CLASS "CCSSPP"). */
static void modalias_pci(FILE *f, const Dev *d) {
        const char *id = extra_get(d, "PCI_ID"), *sub = extra_get(d, "PCI_SUBSYS_ID");
        unsigned class = hex_or_zero(extra_get(d, "PCI_CLASS"));

        fprintf(f, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", hex_or_zero(id),
                id && strchr(id, ':') ? hex_or_zero(strchr(id, ':') + 1) : 0, hex_or_zero(sub),
                sub && strchr(sub, ':') ? hex_or_zero(strchr(sub, ':') + 1) : 0, (class >> 16) & 0xff,
                (class >> 8) & 0xff, class & 0xff);
}

/* cdx_uevent(): the IDs are sysfs attributes, read back from the spec's attrs. */
static void modalias_cdx(FILE *f, const Dev *d) {
        fprintf(f, "cdx:v%08Xd%08X", hex_or_zero(kv_get(d->attrs, d->n_attrs, "vendor")),
                hex_or_zero(kv_get(d->attrs, d->n_attrs, "device")));
}

/* fsl_mc_bus_uevent(): the vendor (Freescale) and the object type. */
static void modalias_fsl_mc(FILE *f, const Dev *d) {
        fprintf(f, "fsl-mc:v00001957d%.*s", (int) strcspn(d->name, "."), d->name);
}

static void (*const modalias_writers[_BUS_MAX])(FILE *f, const Dev *d) = {
        [BUS_PLATFORM] = modalias_of_or_platform,
        [BUS_AMBA] = modalias_amba,
        [BUS_PCI] = modalias_pci,
        [BUS_CDX] = modalias_cdx,
        [BUS_FSL_MC] = modalias_fsl_mc,
};

static char *modalias(const Dev *d) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                abort();
        (modalias_writers[d->bus] ?: modalias_of_or_platform)(f, d);
        fclose(f);
        return buf;
}

/* The device's uevent variables, one per line, in the kernel's order (dev_uevent(): DRIVER,
 * of_device_uevent(); then the bus: AMBA_ID, MODALIAS). */
static char *props(const Dev *d, bool with_modalias) {
        char *buf = NULL, *m;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                abort();
        if (d->driver)
                fprintf(f, "DRIVER=%s\n", d->driver);
        if (d->of_fullname) {
                fprintf(f, "OF_NAME=%s\nOF_FULLNAME=%s\n", d->of_name, d->of_fullname);
                for (size_t i = 0; i < d->n_compatible; i++)
                        fprintf(f, "OF_COMPATIBLE_%zu=%s\n", i, d->compatible[i]);
                fprintf(f, "OF_COMPATIBLE_N=%zu\n", d->n_compatible);
        }
        if (d->bus == FK_AMBA)
                fprintf(f, "AMBA_ID=%08x\n", d->periphid);
        for (size_t i = 0; i < d->n_extra; i++)
                fprintf(f, "%s\n", d->extra[i]);
        if (with_modalias) {
                m = modalias(d);
                fprintf(f, "MODALIAS=%s\n", m);
                free(m);
        }
        fclose(f);
        return buf;
}

static void update_uevent_file(FakeKernel *fk, const Dev *d) {
        char *p = props(d, true), *rel = xasprintf("%s/uevent", d->devpath);

        replace_str(fk, rel, p);
        free(rel);
        free(p);
}

static void update_override_file(FakeKernel *fk, const Dev *d) {
        char *rel = xasprintf("%s/driver_override", d->devpath), *v = xasprintf("%s\n", d->override ?: "(null)");

        replace_str(fk, rel, v);
        free(v);
        free(rel);
}

/* --- uevents --- */

static void listener_drop_queue(Listener *l) {
        while (l->head) {
                Msg *m = l->head;

                l->head = m->next;
                free(m);
        }
        l->tail = NULL;
        l->n = 0;
}

static void listener_flush(FakeKernel *fk, Listener *l) {
        while (!l->dead && l->head) {
                Msg *m = l->head;

                if (send(l->fd, m->buf, m->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                                return; /* its queue is full: POLLOUT tells when it reads */
                        dbg(fk, "uevent listener %s is gone (%m)", l->name);
                        l->dead = true; /* closed its socket */
                        listener_drop_queue(l);
                        return;
                }
                l->head = m->next;
                if (!l->head)
                        l->tail = NULL;
                l->n--;
                free(m);
                fk->activity++;
        }
}

static void listener_enqueue(Listener *l, const char *buf, size_t len) {
        Msg *m = xrealloc(NULL, sizeof(Msg) + len);

        m->next = NULL;
        m->len = len;
        memcpy(m->buf, buf, len);
        if (l->tail)
                l->tail->next = m;
        else
                l->head = m;
        l->tail = m;
        l->n++;
}

static void listener_push(FakeKernel *fk, Listener *l, const char *buf, size_t len) {
        if (l->dead)
                return;
        if (l->n >= QUEUE_MAX) { /* an overflow, as a netlink socket would have */
                listener_drop_queue(l);
                listener_enqueue(l, FK_ENOBUFS_MARKER, sizeof(FK_ENOBUFS_MARKER));
        }
        listener_enqueue(l, buf, len);
        listener_flush(fk, l);
}

/* Finds the sockets umockdev's preload bound for uevent monitors (ROOT/event<fd>). A socket file
 * whose socket is closed refuses connections: removed, as umockdev does. Listeners are known
 * by inode, so a process that binds the same name does not take the events of another. */
static void listeners_refresh(FakeKernel *fk) {
        DIR *dir = opendir(fk->root);
        struct dirent *e;

        if (!dir)
                return;
        while ((e = readdir(dir))) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                bool known = false;
                int fd;

                if (strncmp(e->d_name, "event", 5) != 0 || e->d_name[5] < '0' || e->d_name[5] > '9')
                        continue;
                if (e->d_type != DT_SOCK && e->d_type != DT_UNKNOWN)
                        continue;
                for (size_t i = 0; i < fk->n_listeners && !known; i++)
                        known = !fk->listeners[i].dead && fk->listeners[i].ino == e->d_ino &&
                                streq(fk->listeners[i].name, e->d_name);
                if (known)
                        continue;
                if (strlen(fk->root) + 1 + strlen(e->d_name) >= sizeof(sa.sun_path))
                        continue;
                strcpy(stpcpy(stpcpy(sa.sun_path, fk->root), "/"), e->d_name);
                fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        continue;
                if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                        if (errno == ECONNREFUSED)
                                (void) unlink(sa.sun_path);
                        close(fd);
                        continue;
                }
                GROW(fk->listeners, fk->n_listeners, fk->size_listeners);
                fk->listeners[fk->n_listeners++] = (Listener) { .name = xstrdup(e->d_name), .ino = e->d_ino, .fd = fd };
                dbg(fk, "uevent listener %s", e->d_name);
        }
        closedir(dir);
}

/* Hands one kernel-format message to every listener (or marks it lost for them). Frees MSG. */
static void broadcast(FakeKernel *fk, char *msg, size_t len) {
        listeners_refresh(fk);
        for (size_t i = 0; i < fk->n_listeners; i++) {
                if (fk->lose_uevents)
                        fk->listeners[i].lost = true;
                else
                        listener_push(fk, &fk->listeners[i], msg, len);
        }
        free(msg);
        fk->activity++;
}

/* Sends ACTION for D: "ACTION@DEVPATH", ACTION, DEVPATH, SUBSYSTEM, EXTRA, the device's
 * variables, SEQNUM, NUL-separated, as the kernel does. */
static void emit(FakeKernel *fk, const Dev *d, const char *action, const char *extra) {
        bool unbind = streq(action, "unbind");
        char *p = props(d, !unbind), *msg = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&msg, &len);

        if (!f)
                abort();
        fprintf(f, "%s@/%s%cACTION=%s%cDEVPATH=/%s%cSUBSYSTEM=%s%c", action, d->devpath, 0, action, 0, d->devpath, 0,
                bus_name(d->bus), 0);
        if (extra)
                fprintf(f, "%s%c", extra, 0);
        for (char *s = p; *s; s++)
                fputc(*s == '\n' ? '\0' : *s, f);
        fprintf(f, "SEQNUM=%llu%c", fk->seqnum++, 0);
        fclose(f);
        free(p);

        dbg(fk, "uevent %s %s%s", action, d->name, fk->lose_uevents ? " (lost)" : "");
        broadcast(fk, msg, len);
}

/* A driver's own uevent (SUBSYSTEM=drivers), as bus_add_driver() sends it after driver_attach(). */
static void emit_driver(FakeKernel *fk, FkBus bus, const char *name, const char *action) {
        char *msg = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&msg, &len);

        if (!f)
                abort();
        fprintf(f, "%s@/bus/%s/drivers/%s%cACTION=%s%cDEVPATH=/bus/%s/drivers/%s%cSUBSYSTEM=drivers%cSEQNUM=%llu%c",
                action, bus_name(bus), name, 0, action, 0, bus_name(bus), name, 0, 0, fk->seqnum++, 0);
        fclose(f);
        broadcast(fk, msg, len);
}

/* --- the kernel's binding --- */

/* The group's links: /sys/kernel/iommu_groups/N/devices/DEV and DEV/iommu_group. */
static void group_show(FakeKernel *fk, Dev *d) {
        char *rel, *link;

        if (d->iommu_group < 0 || d->group_shown)
                return;
        rel = xasprintf("kernel/iommu_groups/%d/devices", d->iommu_group);
        mkdir_p(fk, rel);
        free(rel);
        rel = xasprintf("kernel/iommu_groups/%d/devices/%s", d->iommu_group, d->name);
        link = xasprintf("../../../../%s", d->devpath);
        put_link(fk, link, rel);
        free(rel);
        free(link);
        rel = xasprintf("%s/iommu_group", d->devpath);
        link = xasprintf("../../../kernel/iommu_groups/%d", d->iommu_group);
        put_link(fk, link, rel);
        free(rel);
        free(link);
        d->group_shown = true;
        dbg(fk, "%s: IOMMU group %d", d->name, d->iommu_group);
}

static void group_hide(FakeKernel *fk, Dev *d) {
        char *rel;

        if (!d->group_shown)
                return;
        rel = xasprintf("kernel/iommu_groups/%d/devices/%s", d->iommu_group, d->name);
        (void) unlinkat(fk->sys_fd, rel, 0);
        free(rel);
        rel = xasprintf("kernel/iommu_groups/%d/devices", d->iommu_group);
        if (unlinkat(fk->sys_fd, rel, AT_REMOVEDIR) == 0) {
                free(rel);
                rel = xasprintf("kernel/iommu_groups/%d", d->iommu_group);
                (void) unlinkat(fk->sys_fd, rel, AT_REMOVEDIR);
        }
        free(rel);
        d->group_shown = false;
}

static bool is_vfio(const Drv *drv) {
        return driver_is_vfio(drv->name);
}

/* vfio_pci_probe(): only a normal header; a PCI-to-PCI bridge (class 0x0604xx) has type 1. */
static bool pci_bridge(const Dev *d) {
        const char *class = extra_get(d, "PCI_CLASS");
        size_t n = class ? strlen(class) : 0;

        return n == 5 && strncasecmp(class, "604", 3) == 0;
}

/* vfio-fsl-mc: a dprc, or an object whose container it already has. */
static bool fsl_mc_refused(const FakeKernel *fk, const Dev *d) {
        const Dev *c = dev_find(fk, d->container);

        return strncmp(d->name, "dprc.", 5) != 0 && !(c && streq_ptr(c->driver, "vfio-fsl-mc"));
}

/* platform_match()/amba_match(): the override only, else the driver's match table. */
static bool driver_match(const Dev *d, const Drv *drv) {
        if (d->bus != drv->bus)
                return false;
        if (d->override)
                return streq(d->override, drv->name);
        return d->native && streq(d->native, drv->name);
}

static void bind_now(FakeKernel *fk, Dev *d, const Drv *drv) {
        char *target = xasprintf("../../../bus/%s/drivers/%s", bus_name(d->bus), drv->name);
        char *rel = xasprintf("%s/driver", d->devpath);
        char *back = xasprintf("../../../../%s", d->devpath);
        char *brel = xasprintf("bus/%s/drivers/%s/%s", bus_name(d->bus), drv->name, d->name);

        put_link(fk, back, brel);
        put_link(fk, target, rel);
        free(d->driver);
        d->driver = xstrdup(drv->name);
        update_uevent_file(fk, d);
        dbg(fk, "%s bound to %s", d->name, drv->name);
        emit(fk, d, "bind", NULL);
        free(target);
        free(rel);
        free(back);
        free(brel);
}

static void unbind_now(FakeKernel *fk, Dev *d) {
        char *rel = xasprintf("%s/driver", d->devpath);
        char *brel = xasprintf("bus/%s/drivers/%s/%s", bus_name(d->bus), d->driver, d->name);

        (void) unlinkat(fk->sys_fd, rel, 0);
        (void) unlinkat(fk->sys_fd, brel, 0);
        dbg(fk, "%s unbound from %s", d->name, d->driver);
        free(d->driver);
        d->driver = NULL;
        update_uevent_file(fk, d);
        emit(fk, d, "unbind", NULL);
        free(rel);
        free(brel);
}

/* really_probe(): 0 when bound, else the probe's (positive) error. */
static int really_probe(FakeKernel *fk, Dev *d, const Drv *drv) {
        group_show(fk, d); /* FK_GROUP_AT_PROBE: dma_configure() before the driver's probe */
        if (is_vfio(drv)) {
                if (d->iommu_group < 0) {
                        dbg(fk, "%s: probe with driver %s failed with error -22 (no IOMMU group)", d->name, drv->name);
                        return EINVAL;
                }
                if ((d->flags & FK_NO_RESET) && bus_table[d->bus].reset_by_compatible) {
                        dbg(fk, "%s: probe with driver %s failed with error -2 (no reset)", d->name, drv->name);
                        return ENOENT;
                }
                if ((d->bus == BUS_PCI && pci_bridge(d)) || (d->bus == BUS_FSL_MC && fsl_mc_refused(fk, d))) {
                        dbg(fk, "%s: probe with driver %s failed with error -22", d->name, drv->name);
                        return EINVAL;
                }
        }
        bind_now(fk, d, drv);
        return 0;
}

/* device_attach(): probe errors are not reported. */
static void device_attach(FakeKernel *fk, Dev *d) {
        Drv *drv;

        if (d->driver)
                return;
        drv = drv_find(fk, d->bus, d->override ?: d->native);
        if (drv && driver_match(d, drv))
                (void) really_probe(fk, d, drv);
}

static void remove_now(FakeKernel *fk, Dev *d) {
        char *rel;
        size_t i;

        if (d->driver)
                unbind_now(fk, d);
        rel = xasprintf("bus/%s/devices/%s", bus_name(d->bus), d->name);
        (void) unlinkat(fk->sys_fd, rel, 0);
        free(rel);
        dbg(fk, "%s removed", d->name);
        emit(fk, d, "remove", NULL);
        group_hide(fk, d);
        rm_rf_at(fk->sys_fd, d->devpath);
        for (i = 0; i < fk->n_devs && fk->devs[i] != d; i++)
                ;
        memmove(fk->devs + i, fk->devs + i + 1, (fk->n_devs - i - 1) * sizeof(Dev *));
        fk->n_devs--;
        dev_free(d);
}

/* bus_find_device_by_name(): sysfs_streq() forgives one trailing newline. */
static char *name_from_data(const char *data, size_t len) {
        size_t n = strnlen(data, len);

        if (n > 0 && data[n - 1] == '\n')
                n--;
        return xstrndup(data, n);
}

static bool valid_synth_action(const char *s, size_t n) {
        static const char *const actions[] = { "add", "remove", "change", "move", "online", "offline", "bind", "unbind" };

        for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
                if (strlen(actions[i]) == n && strncmp(s, actions[i], n) == 0)
                        return true;
        return false;
}

#define RESULT_HANG INT_MIN

/* A write of DATA to sys/PATH: the byte count, -errno, or RESULT_HANG. */
static int handle_write(FakeKernel *fk, const char *path, const char *data, size_t len, bool use_faults) {
        char *dir = xstrdup(path), *base = strrchr(dir, '/'), *name = NULL;
        FkFile file = _FK_FILE_MAX;
        Dev *d = NULL;
        Drv *drv = NULL;
        int r = (int) len, bus = -1;

        if (!base)
                goto out;
        *base++ = '\0';
        if (streq(base, "driver_override") || streq(base, "uevent")) {
                file = streq(base, "uevent") ? FK_UEVENT : FK_OVERRIDE;
                if (strncmp(dir, "devices/", 8) != 0)
                        goto out; /* the uevent file of a bus or driver: nothing modelled */
                d = dev_by_path(fk, dir);
                name = xstrdup(strrchr(dir, '/') + 1);
        } else if (streq(base, "drivers_probe") || streq(base, "bind") || streq(base, "unbind")) {
                const char *b = dir + 4, *slash;

                if (strncmp(dir, "bus/", 4) != 0)
                        goto out;
                slash = strchr(b, '/');
                bus = bus_from_name(b, slash ? (size_t) (slash - b) : strlen(b));
                if (bus < 0)
                        goto out;
                if (streq(base, "drivers_probe")) {
                        if (slash)
                                goto out;
                        file = FK_PROBE;
                } else {
                        if (!slash || strncmp(slash, "/drivers/", 9) != 0 || strchr(slash + 9, '/'))
                                goto out;
                        file = streq(base, "bind") ? FK_BIND : FK_UNBIND;
                        drv = drv_find(fk, (FkBus) bus, slash + 9);
                }
                name = name_from_data(data, len);
                d = dev_find(fk, name);
                if (d && d->bus != (FkBus) bus)
                        d = NULL;
        } else
                goto out;

        dbg(fk, "write %s %.*s%s", path, (int) strcspn(data, "\n"), data, use_faults ? "" : " (released)");
        if (use_faults) {
                count_get(fk, name)->n[file]++;
                for (size_t i = 0; i < fk->n_faults; i++) {
                        Fault *f = &fk->faults[i];

                        if (f->times == 0 || f->file != file || !streq(f->dev, name))
                                continue;
                        if (f->times > 0)
                                f->times--;
                        if (f->fault == FK_HANG) {
                                dbg(fk, "fault: %s of %s hangs", file_names[file], name);
                                r = RESULT_HANG;
                        } else if (f->fault == FK_VANISH) {
                                dbg(fk, "fault: %s vanishes during its %s", name, file_names[file]);
                                if (d)
                                        remove_now(fk, d);
                                r = -ENODEV;
                        } else {
                                dbg(fk, "fault: %s of %s fails with %s", file_names[file], name, strerror(f->fault));
                                r = -f->fault;
                        }
                        goto out;
                }
        }

        switch (file) {
        case FK_OVERRIDE: { /* driver_set_override() */
                size_t n = strnlen(data, len);
                const char *nl = memchr(data, '\n', n);

                if (!d) {
                        r = -ENODEV;
                        break;
                }
                if (len >= FK_ATTR_MAX - 1) {
                        r = -EINVAL;
                        break;
                }
                free(d->override);
                d->override = n == 0 || nl == data ? NULL : xstrndup(data, nl ? (size_t) (nl - data) : n);
                update_override_file(fk, d);
                break;
        }
        case FK_UEVENT: { /* kobject_synth_uevent() */
                size_t n = strcspn(data, " \n");

                if (!d)
                        r = -ENODEV;
                else if (!valid_synth_action(data, n))
                        r = -EINVAL;
                else {
                        char *action = xstrndup(data, n);

                        emit(fk, d, action, "SYNTH_UUID=0");
                        free(action);
                }
                break;
        }
        case FK_PROBE: /* drivers_probe_store() */
                if (!d)
                        r = -ENODEV;
                else
                        device_attach(fk, d);
                break;
        case FK_BIND: { /* bind_store() */
                int e;

                if (!drv || !d || !driver_match(d, drv))
                        r = -ENODEV;
                else if (d->driver)
                        r = -EBUSY;
                else if ((e = really_probe(fk, d, drv)) > 0)
                        r = -e;
                break;
        }
        case FK_UNBIND: /* unbind_store() */
                if (!drv || !d || !streq_ptr(d->driver, drv->name))
                        r = -ENODEV;
                else
                        unbind_now(fk, d);
                break;
        default:
                break;
        }
out:
        free(dir);
        free(name);
        return r;
}

/* --- the server: requests of the shims, notify messages, children --- */

static void conn_reply(FakeKernel *fk, Conn *c, int result) {
        FkReply rep = { .magic = FK_PROTO_MAGIC, .result = result };

        (void) fk;
        if (send(c->fd, &rep, sizeof(rep), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EPIPE)
                fprintf(stderr, "fk: cannot answer a write: %m\n");
        close(c->fd);
        c->fd = -1;
        c->dead = true;
        free(c->path);
        free(c->data);
        c->path = c->data = NULL;
}

static void conn_read(FakeKernel *fk, size_t i) {
        static char buf[sizeof(FkRequest) + PATH_MAX + FK_ATTR_MAX + 64];
        FkRequest req;
        ssize_t n = recv(fk->conns[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
        Conn *c = &fk->conns[i];
        int r;

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n < (ssize_t) sizeof(req)) { /* the writer died, or garbage */
                close(c->fd);
                c->fd = -1;
                c->dead = true;
                return;
        }
        memcpy(&req, buf, sizeof(req));
        if (req.magic != FK_PROTO_MAGIC || req.path_len >= PATH_MAX || req.data_len > FK_ATTR_MAX ||
            (size_t) n != sizeof(req) + req.path_len + req.data_len) {
                conn_reply(fk, c, -EIO);
                return;
        }
        c->path = xstrndup(buf + sizeof(req), req.path_len);
        c->data = xrealloc(NULL, req.data_len + 1);
        memcpy(c->data, buf + sizeof(req) + req.path_len, req.data_len);
        c->data[req.data_len] = '\0';
        c->len = req.data_len;
        fk->activity++;
        r = handle_write(fk, c->path, c->data, c->len, true);
        c = &fk->conns[i];
        if (r == RESULT_HANG)
                c->hung = true;
        else
                conn_reply(fk, c, r);
}

static void notify_read(FakeKernel *fk) {
        static char buf[65536];
        ssize_t n;

        while ((n = recv(fk->notify_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0) {
                buf[n] = '\0';
                for (char *line = buf, *end; *line; line = end) {
                        end = line + strcspn(line, "\n");
                        GROW(fk->notify, fk->n_notify, fk->size_notify);
                        fk->notify[fk->n_notify] = xstrndup(line, (size_t) (end - line));
                        if (strncmp(fk->notify[fk->n_notify], "STATUS=", 7) == 0)
                                fk->status = fk->notify[fk->n_notify] + 7;
                        dbg(fk, "notify %s", fk->notify[fk->n_notify]);
                        fk->n_notify++;
                        if (*end)
                                end++;
                }
                fk->activity++;
        }
}

static void child_read(FakeKernel *fk, Child *c) {
        char buf[4096];
        ssize_t n;

        while ((n = read(c->out_fd, buf, sizeof(buf))) > 0) {
                if (c->out_len + (size_t) n + 1 > c->out_size) {
                        c->out_size = (c->out_len + (size_t) n + 1) * 2;
                        c->out = xrealloc(c->out, c->out_size);
                }
                memcpy(c->out + c->out_len, buf, (size_t) n);
                c->out_len += (size_t) n;
                c->out[c->out_len] = '\0';
                if (fk->debug)
                        fwrite(buf, 1, (size_t) n, stderr);
                fk->activity++;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(c->out_fd);
                c->out_fd = -1;
        }
}

static void child_reap(FakeKernel *fk, Child *c) {
        int status;

        if (c->exited || wait4(c->pid, &status, WNOHANG, &c->ru) != c->pid)
                return;
        c->exited = true;
        c->status = status;
        if (c->pidfd >= 0) {
                close(c->pidfd);
                c->pidfd = -1;
        }
        dbg(fk, "child %d exited (status 0x%x)", (int) c->pid, (unsigned) status);
        fk->activity++;
}

enum { W_LISTEN, W_NOTIFY, W_CONN, W_OUT, W_PID, W_LISTENER };

/* One round: waits up to TIMEOUT_MS for anything, handles what is ready. */
static void serve(FakeKernel *fk, int timeout_ms) {
        size_t max = 2 + fk->n_conns + 2 * fk->n_children + fk->n_listeners, n = 0, k;
        struct pollfd *p = xrealloc(NULL, max * sizeof(*p));
        struct {
                int kind;
                size_t idx;
        } *who = xrealloc(NULL, max * sizeof(*who));
        bool need_reap = false;

#define WATCH(fd_, ev_, kind_, idx_)                                             \
        do {                                                                     \
                p[n] = (struct pollfd) { .fd = (fd_), .events = (short) (ev_) }; \
                who[n].kind = (kind_);                                           \
                who[n++].idx = (idx_);                                           \
        } while (0)

        WATCH(fk->listen_fd, POLLIN, W_LISTEN, 0);
        WATCH(fk->notify_fd, POLLIN, W_NOTIFY, 0);
        for (size_t i = 0; i < fk->n_conns; i++)
                if (!fk->conns[i].dead) /* a hung one: watched for its writer's death only */
                        WATCH(fk->conns[i].fd, fk->conns[i].hung ? 0 : POLLIN, W_CONN, i);
        for (size_t i = 0; i < fk->n_children; i++) {
                if (fk->children[i].out_fd >= 0)
                        WATCH(fk->children[i].out_fd, POLLIN, W_OUT, i);
                if (!fk->children[i].exited) {
                        if (fk->children[i].pidfd >= 0)
                                WATCH(fk->children[i].pidfd, POLLIN, W_PID, i);
                        else
                                need_reap = true;
                }
        }
        for (size_t i = 0; i < fk->n_listeners; i++)
                if (!fk->listeners[i].dead && fk->listeners[i].head)
                        WATCH(fk->listeners[i].fd, POLLOUT, W_LISTENER, i);
        if (need_reap && (timeout_ms < 0 || timeout_ms > 20))
                timeout_ms = 20; /* no pidfd: look for exits now and then */

        if (poll(p, n, timeout_ms) > 0)
                for (k = 0; k < n; k++) {
                        size_t i = who[k].idx;

                        if (!p[k].revents)
                                continue;
                        switch (who[k].kind) {
                        case W_LISTEN:
                                for (int fd; (fd = accept4(fk->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
                                        GROW(fk->conns, fk->n_conns, fk->size_conns);
                                        fk->conns[fk->n_conns++] = (Conn) { .fd = fd };
                                }
                                break;
                        case W_NOTIFY:
                                notify_read(fk);
                                break;
                        case W_CONN:
                                if (fk->conns[i].dead)
                                        break;
                                if (fk->conns[i].hung) { /* the writer is gone */
                                        close(fk->conns[i].fd);
                                        fk->conns[i].fd = -1;
                                        fk->conns[i].dead = true;
                                        free(fk->conns[i].path);
                                        free(fk->conns[i].data);
                                        fk->conns[i].path = fk->conns[i].data = NULL;
                                } else
                                        conn_read(fk, i);
                                break;
                        case W_OUT:
                                child_read(fk, &fk->children[i]);
                                break;
                        case W_PID:
                                child_reap(fk, &fk->children[i]);
                                break;
                        case W_LISTENER:
                                listener_flush(fk, &fk->listeners[i]);
                                break;
                        }
                }
        if (need_reap)
                for (size_t i = 0; i < fk->n_children; i++)
                        child_reap(fk, &fk->children[i]);
#undef WATCH
        free(p);
        free(who);

        /* Drop what is closed. */
        for (size_t i = k = 0; i < fk->n_conns; i++)
                if (!fk->conns[i].dead)
                        fk->conns[k++] = fk->conns[i];
        fk->n_conns = k;
        for (size_t i = k = 0; i < fk->n_listeners; i++) {
                if (fk->listeners[i].dead) {
                        listener_drop_queue(&fk->listeners[i]);
                        close(fk->listeners[i].fd);
                        free(fk->listeners[i].name);
                } else
                        fk->listeners[k++] = fk->listeners[i];
        }
        fk->n_listeners = k;
}

/* --- life cycle --- */

static FakeKernel *live; /* for the atexit handler: a failed check exits without fk_free() */

static char *shim_path(void) {
        char exe[PATH_MAX], *slash;
        ssize_t n;

        if (getenv("FK_SHIM"))
                return xstrdup(getenv("FK_SHIM"));
#ifdef FK_SHIM_PATH
        return xstrdup(FK_SHIM_PATH);
#endif
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return xstrdup("fk-shim.so");
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        *slash = '\0';
        return xasprintf("%s/fk-shim.so", exe);
}

/* Where the dynamic linker finds libumockdev-preload.so.0: asked of a throwaway child, which
 * dlopen()s it (in the harness, its constructors would run for nothing). NULL if not installed. */
static const char *preload_path(void) {
        static char *found;
        static bool probed;
        char buf[PATH_MAX];
        ssize_t n;
        int p[2];
        pid_t pid;

        if (probed)
                return found;
        probed = true;
        if (getenv("FK_UMOCKDEV_PRELOAD"))
                return found = xstrdup(getenv("FK_UMOCKDEV_PRELOAD"));
        if (pipe2(p, O_CLOEXEC) < 0)
                return NULL;
        pid = fork();
        if (pid == 0) {
                void *h = dlopen("libumockdev-preload.so.0", RTLD_NOW | RTLD_LOCAL);
                struct link_map *lm = NULL;

                if (h && dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name)
                        (void) !write(p[1], lm->l_name, strlen(lm->l_name));
                _exit(0);
        }
        close(p[1]);
        n = pid < 0 ? -1 : read(p[0], buf, sizeof(buf) - 1);
        close(p[0]);
        if (pid > 0)
                (void) waitpid(pid, NULL, 0);
        if (n > 0 && buf[0] == '/')
                found = xstrndup(buf, (size_t) n);
        return found;
}

bool fk_supported(void) {
        char *shim = shim_path();
        bool ok = true;

        if (!preload_path()) {
                fprintf(stderr, "fk: libumockdev-preload.so.0 not found (install umockdev)\n");
                ok = false;
        }
        if (access(shim, R_OK) < 0) {
                fprintf(stderr, "fk: %s: %m (build it, or set FK_SHIM)\n", shim);
                ok = false;
        }
        free(shim);
        return ok;
}

static int bind_socket(const char *path, int type) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || (type == SOCK_SEQPACKET && listen(fd, 256) < 0)) {
                int e = errno;

                close(fd);
                errno = e;
                return -1;
        }
        return fd;
}

/* A process that removes the testbed when the harness is gone, however it went: a failed
 * check in Check's fork mode leaves with _exit(), without atexit handlers. It holds nothing but
 * the read end of a pipe whose write end only the harness has. */
static pid_t start_reaper(const char *root, int *ret_fd) {
        int p[2], null;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        pid = fork();
        if (pid == 0) {
                char c;

                /* Its own process group: Check's fork mode kills the test's group when a test ends. */
                (void) setpgid(0, 0);
                signal(SIGINT, SIG_IGN); /* ^C of the test run: clean up all the same */
                signal(SIGTERM, SIG_IGN);
                signal(SIGHUP, SIG_IGN);
                if (null >= 0)
                        for (int fd = 0; fd < 3; fd++)
                                dup2(null, fd);
                if (dup2(p[0], 3) < 0 || syscall(SYS_close_range, 4, ~0U, 0) < 0)
                        for (int fd = 4; fd < 1024; fd++)
                                close(fd);
                while (read(3, &c, 1) < 0 && errno == EINTR)
                        ;
                rm_rf_at(AT_FDCWD, root);
                _exit(0);
        }
        if (null >= 0)
                close(null);
        close(p[0]);
        if (pid < 0) {
                close(p[1]);
                return -1;
        }
        *ret_fd = p[1];
        return pid;
}

static void kill_children(FakeKernel *fk) {
        for (size_t i = 0; i < fk->n_children; i++)
                if (!fk->children[i].exited) {
                        (void) kill(fk->children[i].pid, SIGKILL);
                        (void) waitpid(fk->children[i].pid, NULL, 0);
                        fk->children[i].exited = true;
                }
}

static void cleanup_at_exit(void) {
        for (FakeKernel *fk = live; fk; fk = fk->next_live) {
                kill_children(fk);
                if (fk->root)
                        rm_rf_at(AT_FDCWD, fk->root);
        }
}

FakeKernel *fk_new(void) {
        static bool registered;
        FakeKernel *fk;
        const char *base[] = { "devices/platform", "kernel/iommu_groups", "module", "firmware/devicetree/base", "class" };

        if (!fk_supported()) {
                errno = ENOTSUP;
                return NULL;
        }
        fk = xrealloc(NULL, sizeof(*fk));
        *fk = (FakeKernel) { .sys_fd = -1, .listen_fd = -1, .notify_fd = -1, .seqnum = 1, .next_group = 1 };
        fk->debug = !streq(getenv("FK_DEBUG") ?: "0", "0");
        fk->reaper = -1;
        fk->reaper_fd = -1;
        /* On tmpfs unless TMPDIR says otherwise: 1,000 devices on a busy ext4 took 16 s, 0.1 s on
         * /dev/shm. (umockdev redirects only the /dev paths that exist in the testbed.) The
         * layout is umockdev's: ROOT/sys, and its preload binds uevent sockets as ROOT/event<fd>. */
        {
                const char *tmp = getenv("TMPDIR");
                char *t;

                if (!tmp || !*tmp)
                        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
                t = xasprintf("%s/umockdev.XXXXXX", tmp);
                if (!mkdtemp(t)) {
                        int e = errno;

                        fprintf(stderr, "fk: cannot create %s: %m\n", t);
                        free(t);
                        free(fk);
                        errno = e;
                        return NULL;
                }
                fk->root = t;
        }
        fk->reaper = start_reaper(fk->root, &fk->reaper_fd);
        fk->shim = shim_path();
        fk->preload = xstrdup(preload_path());
        fk->req_path = xasprintf("%s/fk-request.sock", fk->root);
        fk->notify_path = xasprintf("%s/fk-notify.sock", fk->root);
        fk->next_live = live;
        live = fk;
        if (!registered) {
                atexit(cleanup_at_exit);
                registered = true;
        }

        {
                char *sys = xasprintf("%s/sys", fk->root);

                (void) mkdir(sys, 0755);
                fk->sys_fd = open(sys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                free(sys);
        }
        fk->listen_fd = bind_socket(fk->req_path, SOCK_SEQPACKET);
        fk->notify_fd = bind_socket(fk->notify_path, SOCK_DGRAM);
        if (fk->sys_fd < 0 || fk->listen_fd < 0 || fk->notify_fd < 0) {
                int e = errno;

                fprintf(stderr, "fk: cannot set up the testbed in %s: %m\n", fk->root);
                fk_free(fk);
                errno = e;
                return NULL;
        }
        for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
                mkdir_p(fk, base[i]);
        put_str(fk, "devices/platform/uevent", "");
        for (int b = 0; b < _BUS_MAX; b++) {
                char *rel = xasprintf("devices/%s", dev_parent(b));

                mkdir_p(fk, rel);
                free(rel);
                rel = xasprintf("bus/%s/devices", bus_name(b));

                mkdir_p(fk, rel);
                free(rel);
                rel = xasprintf("bus/%s/drivers", bus_name(b));
                mkdir_p(fk, rel);
                free(rel);
                rel = xasprintf("bus/%s/drivers_probe", bus_name(b));
                put_file(fk, rel, "", 0, 0200);
                free(rel);
                rel = xasprintf("bus/%s/drivers_autoprobe", bus_name(b));
                put_str(fk, rel, "1\n");
                free(rel);
                rel = xasprintf("bus/%s/uevent", bus_name(b));
                put_file(fk, rel, "", 0, 0200);
                free(rel);
        }
        dbg(fk, "testbed %s", fk->root);
        return fk;
}

void fk_free(FakeKernel *fk) {
        if (!fk)
                return;
        kill_children(fk);
        for (FakeKernel **p = &live; *p; p = &(*p)->next_live)
                if (*p == fk) {
                        *p = fk->next_live;
                        break;
                }
        for (size_t i = 0; i < fk->n_children; i++) {
                if (fk->children[i].pidfd >= 0)
                        close(fk->children[i].pidfd);
                if (fk->children[i].out_fd >= 0)
                        close(fk->children[i].out_fd);
                free(fk->children[i].out);
        }
        free(fk->children);
        for (size_t i = 0; i < fk->n_conns; i++) {
                if (fk->conns[i].fd >= 0)
                        close(fk->conns[i].fd);
                free(fk->conns[i].path);
                free(fk->conns[i].data);
        }
        free(fk->conns);
        for (size_t i = 0; i < fk->n_listeners; i++) {
                listener_drop_queue(&fk->listeners[i]);
                close(fk->listeners[i].fd);
                free(fk->listeners[i].name);
        }
        free(fk->listeners);
        for (size_t i = 0; i < fk->n_devs; i++)
                dev_free(fk->devs[i]);
        free(fk->devs);
        for (size_t i = 0; i < fk->n_drvs; i++)
                free(fk->drvs[i].name);
        free(fk->drvs);
        for (size_t i = 0; i < fk->n_faults; i++)
                free(fk->faults[i].dev);
        free(fk->faults);
        for (size_t i = 0; i < fk->n_counts; i++)
                free(fk->counts[i].dev);
        free(fk->counts);
        for (size_t i = 0; i < fk->n_notify; i++)
                free(fk->notify[i]);
        free(fk->notify);
        if (fk->listen_fd >= 0)
                close(fk->listen_fd);
        if (fk->notify_fd >= 0)
                close(fk->notify_fd);
        if (fk->sys_fd >= 0)
                close(fk->sys_fd);
        if (fk->root)
                rm_rf_at(AT_FDCWD, fk->root);
        if (fk->reaper_fd >= 0)
                close(fk->reaper_fd);
        if (fk->reaper > 0)
                (void) waitpid(fk->reaper, NULL, 0);
        free(fk->root);
        free(fk->shim);
        free(fk->preload);
        free(fk->req_path);
        free(fk->notify_path);
        free(fk);
}

const char *fk_root(const FakeKernel *fk) {
        return fk->root;
}

/* --- the model's API --- */

static bool valid_name(const char *s) {
        return s && *s && strlen(s) < 200 && !strchr(s, '/') && !strchr(s, '\n') && !streq(s, ".") && !streq(s, "..");
}

int fk_device_add(FakeKernel *fk, const FkDeviceSpec *spec) {
        const char *bus;
        char *rel, *link;
        Dev *d;

        if (!spec || (int) spec->bus < 0 || spec->bus >= _BUS_MAX || !valid_name(spec->name) ||
            (spec->of_fullname && spec->of_fullname[0] != '/') || (spec->native && !valid_name(spec->native)))
                return -EINVAL;
        if (dev_find(fk, spec->name))
                return -EEXIST;
        bus = bus_name(spec->bus);
        d = xrealloc(NULL, sizeof(*d));
        *d = (Dev) {
                .bus = spec->bus,
                .name = xstrdup(spec->name),
                .devpath = xasprintf("devices/%s/%s", dev_parent(spec->bus), spec->name),
                .of_fullname = xstrdup(spec->of_fullname),
                .native = xstrdup(spec->native),
                .override = spec->override && *spec->override ? xstrdup(spec->override) : NULL,
                .iommu_group = spec->iommu_group == 0 ? fk->next_group : spec->iommu_group < 0 ? -1 : spec->iommu_group,
                .flags = spec->flags,
                .periphid = spec->periphid,
                .container = xstrdup(spec->container),
        };
        if (d->iommu_group >= fk->next_group)
                fk->next_group = d->iommu_group + 1;
        if (d->of_fullname) {
                const char *last = strrchr(d->of_fullname, '/') + 1;

                d->of_name = xstrndup(last, strcspn(last, "@"));
        }
        d->compatible = strv_copy(spec->compatible, &d->n_compatible);
        d->extra = strv_copy(spec->uevent_extra, &d->n_extra);
        d->attrs = strv_copy(spec->attrs, &d->n_attrs);
        GROW(fk->devs, fk->n_devs, fk->size_devs);
        fk->devs[fk->n_devs++] = d;

        (void) mkdirat(fk->sys_fd, d->devpath, 0755);
        {
                char *p = props(d, true);

                rel = xasprintf("%s/uevent", d->devpath);
                put_str(fk, rel, p);
                free(rel);
                free(p);
        }
        rel = xasprintf("%s/driver_override", d->devpath);
        link = xasprintf("%s\n", d->override ?: "(null)");
        put_str(fk, rel, link);
        free(rel);
        free(link);
        for (size_t i = 0; i < d->n_attrs; i++) {
                size_t n = strcspn(d->attrs[i], "=");
                char *attr = xstrndup(d->attrs[i], n);

                rel = xasprintf("%s/%s", d->devpath, attr);
                link = xasprintf("%s\n", d->attrs[i][n] ? d->attrs[i] + n + 1 : "");
                put_str(fk, rel, link);
                free(attr);
                free(rel);
                free(link);
        }
        if (d->bus == FK_AMBA) {
                rel = xasprintf("%s/id", d->devpath);
                link = xasprintf("%08x\n", d->periphid);
        } else {
                char *m = modalias(d);

                rel = xasprintf("%s/modalias", d->devpath);
                link = xasprintf("%s\n", m);
                free(m);
        }
        put_str(fk, rel, link);
        free(rel);
        free(link);
        rel = xasprintf("%s/subsystem", d->devpath);
        link = xasprintf("../../../bus/%s", bus);
        put_link(fk, link, rel);
        free(rel);
        free(link);
        rel = xasprintf("bus/%s/devices/%s", bus, d->name);
        link = xasprintf("../../../%s", d->devpath);
        put_link(fk, link, rel);
        free(rel);
        free(link);
        if (!(d->flags & FK_GROUP_AT_PROBE))
                group_show(fk, d);
        if (d->of_fullname) {
                char *node = xasprintf("firmware/devicetree/base%s", d->of_fullname), *buf = NULL;
                size_t size = 0;
                FILE *f;

                mkdir_p(fk, node);
                f = open_memstream(&buf, &size);
                if (!f)
                        abort();
                for (size_t i = 0; i < d->n_compatible; i++)
                        fprintf(f, "%s%c", d->compatible[i], 0);
                fclose(f);
                rel = xasprintf("%s/compatible", node);
                put_file(fk, rel, buf, size, 0444);
                free(rel);
                free(buf);
                rel = xasprintf("%s/name", node);
                put_file(fk, rel, d->of_name, strlen(d->of_name) + 1, 0444);
                free(rel);
                rel = xasprintf("%s/of_node", d->devpath);
                link = xasprintf("../../../%s", node);
                put_link(fk, link, rel);
                free(rel);
                free(link);
                free(node);
        }
        dbg(fk, "%s added", d->name);
        emit(fk, d, "add", NULL);
        device_attach(fk, d); /* drivers_autoprobe */
        return 0;
}

int fk_device_remove(FakeKernel *fk, const char *dev) {
        Dev *d = dev_find(fk, dev);

        if (!d)
                return -ENODEV;
        remove_now(fk, d);
        return 0;
}

int fk_uevent(FakeKernel *fk, const char *dev, const char *action) {
        Dev *d = dev_find(fk, dev);

        if (!d)
                return -ENODEV;
        if (!action || !*action || strpbrk(action, "@\n"))
                return -EINVAL;
        emit(fk, d, action, NULL);
        return 0;
}

int fk_native_grab(FakeKernel *fk, const char *dev) {
        Dev *d = dev_find(fk, dev);
        Drv *drv;

        if (!d)
                return -ENODEV;
        if (d->driver)
                return -EBUSY;
        drv = drv_find(fk, d->bus, d->native);
        if (!drv)
                return -ENOENT;
        bind_now(fk, d, drv);
        return 0;
}

static char *module_name(const char *drv) {
        char *m = xstrdup(drv);

        for (char *s = m; *s; s++)
                if (*s == '-')
                        *s = '_';
        return m;
}

int fk_driver_register(FakeKernel *fk, FkBus bus, const char *name) {
        char *dir, *rel, *mod, *link;

        if ((int) bus < 0 || bus >= _BUS_MAX || !valid_name(name))
                return -EINVAL;
        if (drv_find(fk, bus, name))
                return -EEXIST;
        GROW(fk->drvs, fk->n_drvs, fk->size_drvs);
        fk->drvs[fk->n_drvs++] = (Drv) { .bus = bus, .name = xstrdup(name) };

        dir = xasprintf("bus/%s/drivers/%s", bus_name(bus), name);
        mkdir_p(fk, dir);
        rel = xasprintf("%s/bind", dir);
        put_file(fk, rel, "", 0, 0200);
        free(rel);
        rel = xasprintf("%s/unbind", dir);
        put_file(fk, rel, "", 0, 0200);
        free(rel);
        rel = xasprintf("%s/uevent", dir);
        put_file(fk, rel, "", 0, 0200);
        free(rel);
        mod = module_name(name);
        rel = xasprintf("module/%s/drivers", mod);
        mkdir_p(fk, rel);
        free(rel);
        rel = xasprintf("module/%s/drivers/%s:%s", mod, bus_name(bus), name);
        link = xasprintf("../../../%s", dir);
        put_link(fk, link, rel);
        free(rel);
        free(link);
        rel = xasprintf("%s/module", dir);
        link = xasprintf("../../../../module/%s", mod);
        put_link(fk, link, rel);
        free(rel);
        free(link);
        if (streq(name, bus_table[bus].vfio_driver) && bus_table[bus].reset_param_module) {
                rel = xasprintf("module/%s/parameters", bus_table[bus].reset_param_module);
                mkdir_p(fk, rel);
                free(rel);
                rel = xasprintf("module/%s/parameters/reset_required", bus_table[bus].reset_param_module);
                put_str(fk, rel, "Y\n");
                free(rel);
        }
        free(mod);
        free(dir);
        dbg(fk, "driver %s registered on %s", name, bus_name(bus));

        /* driver_attach() */
        for (size_t i = 0; i < fk->n_devs; i++) {
                Dev *d = fk->devs[i];
                Drv *drv = drv_find(fk, bus, name);

                if (!d->driver && driver_match(d, drv))
                        (void) really_probe(fk, d, drv);
        }
        emit_driver(fk, bus, name, "add");
        return 0;
}

int fk_driver_unregister(FakeKernel *fk, FkBus bus, const char *name) {
        Drv *drv = (int) bus >= 0 && bus < _BUS_MAX ? drv_find(fk, bus, name) : NULL;
        char *rel, *mod;
        size_t i;

        if (!drv)
                return -ENOENT;
        for (i = 0; i < fk->n_devs; i++)
                if (fk->devs[i]->bus == bus && streq_ptr(fk->devs[i]->driver, name))
                        unbind_now(fk, fk->devs[i]);
        rel = xasprintf("bus/%s/drivers/%s", bus_name(bus), name);
        rm_rf_at(fk->sys_fd, rel);
        free(rel);
        mod = module_name(name);
        rel = xasprintf("module/%s", mod);
        rm_rf_at(fk->sys_fd, rel);
        free(rel);
        free(mod);
        dbg(fk, "driver %s unregistered from %s", name, bus_name(bus));
        i = (size_t) (drv - fk->drvs);
        free(drv->name);
        memmove(fk->drvs + i, fk->drvs + i + 1, (fk->n_drvs - i - 1) * sizeof(Drv));
        fk->n_drvs--;
        return 0;
}

const char *fk_device_driver(const FakeKernel *fk, const char *dev) {
        Dev *d = dev_find(fk, dev);

        return d ? d->driver : NULL;
}

const char *fk_device_override(const FakeKernel *fk, const char *dev) {
        Dev *d = dev_find(fk, dev);

        return d ? d->override : NULL;
}

bool fk_device_exists(const FakeKernel *fk, const char *dev) {
        return dev_find(fk, dev);
}

unsigned fk_writes(const FakeKernel *fk, const char *dev, FkFile file) {
        unsigned n = 0;

        if (file >= _FK_FILE_MAX)
                return 0;
        for (size_t i = 0; i < fk->n_counts; i++)
                if (!dev || streq(fk->counts[i].dev, dev))
                        n += fk->counts[i].n[file];
        return n;
}

void fk_writes_reset(FakeKernel *fk) {
        for (size_t i = 0; i < fk->n_counts; i++)
                memset(fk->counts[i].n, 0, sizeof(fk->counts[i].n));
}

void fk_fault(FakeKernel *fk, const char *dev, FkFile file, int fault, int times) {
        if (!dev || file >= _FK_FILE_MAX)
                return;
        for (size_t i = 0; i < fk->n_faults; i++)
                if (fk->faults[i].file == file && streq(fk->faults[i].dev, dev)) {
                        fk->faults[i].fault = fault;
                        fk->faults[i].times = times;
                        return;
                }
        GROW(fk->faults, fk->n_faults, fk->size_faults);
        fk->faults[fk->n_faults++] = (Fault) { .dev = xstrdup(dev), .file = file, .fault = fault, .times = times };
}

unsigned fk_hung(const FakeKernel *fk) {
        unsigned n = 0;

        for (size_t i = 0; i < fk->n_conns; i++)
                n += fk->conns[i].hung && !fk->conns[i].dead;
        return n;
}

unsigned fk_release_hung(FakeKernel *fk, int err) {
        unsigned n = 0;

        for (size_t i = 0; i < fk->n_conns; i++) {
                int r;

                if (!fk->conns[i].hung || fk->conns[i].dead)
                        continue;
                r = err ? -abs(err) : handle_write(fk, fk->conns[i].path, fk->conns[i].data, fk->conns[i].len, false);
                conn_reply(fk, &fk->conns[i], r);
                n++;
        }
        return n;
}

void fk_lose_uevents(FakeKernel *fk, bool lose) {
        fk->lose_uevents = lose;
        if (lose)
                return;
        listeners_refresh(fk);
        for (size_t i = 0; i < fk->n_listeners; i++)
                if (fk->listeners[i].lost) {
                        fk->listeners[i].lost = false;
                        dbg(fk, "uevent listener %s: ENOBUFS", fk->listeners[i].name);
                        listener_push(fk, &fk->listeners[i], FK_ENOBUFS_MARKER, sizeof(FK_ENOBUFS_MARKER));
                }
}

unsigned fk_uevent_listeners(FakeKernel *fk) {
        unsigned n = 0;

        listeners_refresh(fk);
        for (size_t i = 0; i < fk->n_listeners; i++)
                n += !fk->listeners[i].dead;
        return n;
}

unsigned fk_uevents_queued(const FakeKernel *fk) {
        unsigned n = 0;

        for (size_t i = 0; i < fk->n_listeners; i++)
                if (!fk->listeners[i].dead)
                        n += fk->listeners[i].n;
        return n;
}

/* --- programs --- */

static Child *child_find(const FakeKernel *fk, pid_t pid) {
        for (size_t i = 0; i < fk->n_children; i++)
                if (fk->children[i].pid == pid)
                        return &fk->children[i];
        return NULL;
}

static const char *env_value(const char *const *env, const char *key) {
        size_t n = strlen(key);

        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
                        return env[i] + n + 1;
        return NULL;
}

static bool env_has_key(const char *const *env, const char *entry) {
        size_t n = strcspn(entry, "=");

        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], entry, n) == 0 && env[i][n] == '=')
                        return true;
        return false;
}

/* The child's environment: ours minus what we set, then ENV, then the fake kernel's. */
static char **child_env(FakeKernel *fk, const char *const *env) {
        static const char *const ours[] = { "LD_PRELOAD=", "UMOCKDEV_DIR=", "FK_SOCKET=", "NOTIFY_SOCKET=", "LISTEN_FDS=",
                                            "LISTEN_PID=", "LISTEN_FDNAMES=", "WATCHDOG_USEC=", "WATCHDOG_PID=", NULL };
        extern char **environ;
        size_t n = 0, k = 0;
        char **e, *pre, *inherited = xstrdup(getenv("LD_PRELOAD") ?: "");
        const char *first = env_value(env, "LD_PRELOAD");
        FILE *f;
        size_t size = 0;

        /* LD_PRELOAD: ENV's first, the shim before umockdev's, then what we run with (valgrind's). */
        f = open_memstream(&pre, &size);
        if (!f)
                abort();
        fprintf(f, "LD_PRELOAD=");
        if (first && *first)
                fprintf(f, "%s:", first);
        fprintf(f, "%s:%s", fk->shim, fk->preload);
        for (char *tok, *save = NULL, *s = inherited; (tok = strtok_r(s, ": ", &save)); s = NULL)
                if (!strstr(tok, "fk-shim") && !strstr(tok, "libumockdev-preload"))
                        fprintf(f, ":%s", tok);
        fclose(f);
        free(inherited);

        while (environ[n])
                n++;
        for (size_t i = 0; env && env[i]; i++)
                n++;
        e = xrealloc(NULL, (n + 8) * sizeof(char *));
        for (size_t i = 0; environ[i]; i++) {
                bool skip = env_has_key(env, environ[i]);

                for (size_t j = 0; ours[j] && !skip; j++)
                        skip = strncmp(environ[i], ours[j], strlen(ours[j])) == 0;
                if (!skip)
                        e[k++] = xstrdup(environ[i]);
        }
        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], "LD_PRELOAD=", 11) != 0)
                        e[k++] = xstrdup(env[i]);
        e[k++] = pre;
        e[k++] = xasprintf("UMOCKDEV_DIR=%s", fk->root);
        e[k++] = xasprintf("FK_SOCKET=%s", fk->req_path);
        e[k++] = xasprintf("NOTIFY_SOCKET=%s", fk->notify_path);
        e[k] = NULL;
        return e;
}

pid_t fk_spawn(FakeKernel *fk, const char *const *argv, const char *const *env, unsigned flags) {
        int pipefd[2], devnull;
        char **e;
        pid_t pid, parent = getpid();

        if (!argv || !argv[0])
                return -EINVAL;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        e = child_env(fk, env);
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                sigset_t none;
                static const char msg[] = "fk: cannot execute the program\n";

                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_DFL);
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(127);
                if (devnull >= 0)
                        dup2(devnull, STDIN_FILENO);
                dup2(pipefd[1], STDOUT_FILENO);
                dup2(pipefd[1], STDERR_FILENO);
                execvpe(argv[0], (char *const *) argv, e);
                (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
                _exit(127);
        }
        for (size_t i = 0; e[i]; i++)
                free(e[i]);
        free(e);
        if (devnull >= 0)
                close(devnull);
        close(pipefd[1]);
        if (pid < 0) {
                int r = -errno;

                close(pipefd[0]);
                return r;
        }
        (void) fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
        GROW(fk->children, fk->n_children, fk->size_children);
        fk->children[fk->n_children++] = (Child) {
                .pid = pid,
#ifdef SYS_pidfd_open /* valgrind 3.19 does not know it: exits are then polled (20 ms) */
                .pidfd = RUNNING_ON_VALGRIND ? -1 : (int) syscall(SYS_pidfd_open, pid, 0),
#else
                .pidfd = -1,
#endif
                .out_fd = pipefd[0],
                .flags = flags,
        };
        if (fk->children[fk->n_children - 1].pidfd >= 0)
                (void) fcntl(fk->children[fk->n_children - 1].pidfd, F_SETFD, FD_CLOEXEC);
        dbg(fk, "spawned %s as %d", argv[0], (int) pid);
        return pid;
}

int fk_kill(FakeKernel *fk, pid_t pid, int sig) {
        Child *c = child_find(fk, pid);

        if (!c || c->exited)
                return -ESRCH;
        return kill(pid, sig) < 0 ? -errno : 0;
}

int fk_wait_exit(FakeKernel *fk, pid_t pid, int timeout_ms, int *ret_status, struct rusage *ret_usage) {
        long long end = now_ms() + timeout_ms;
        Child *c;

        for (;;) {
                c = child_find(fk, pid);
                if (!c)
                        return 0;
                if (c->exited) {
                        /* the output that is still in the pipe */
                        if (c->out_fd >= 0)
                                child_read(fk, c);
                        c->reported = true;
                        if (ret_status)
                                *ret_status = c->status;
                        if (ret_usage)
                                *ret_usage = c->ru;
                        return 1;
                }
                if (now_ms() >= end)
                        return 0;
                serve(fk, (int) (end - now_ms()));
        }
}

int fk_stop(FakeKernel *fk, pid_t pid, int timeout_ms) {
        int status;

        (void) fk_kill(fk, pid, SIGTERM);
        if (fk_wait_exit(fk, pid, timeout_ms, &status, NULL) == 1)
                return status;
        (void) fk_kill(fk, pid, SIGKILL);
        (void) fk_wait_exit(fk, pid, 10000, NULL, NULL);
        return -1;
}

const char *fk_output(const FakeKernel *fk, pid_t pid) {
        Child *c = child_find(fk, pid);

        return c && c->out ? c->out : "";
}

/* --- waiting --- */

static bool child_died(FakeKernel *fk) {
        for (size_t i = 0; i < fk->n_children; i++) {
                Child *c = &fk->children[i];

                if (c->exited && !c->reported && !(c->flags & FK_SPAWN_MAY_EXIT)) {
                        c->reported = true;
                        return true;
                }
        }
        return false;
}

int fk_wait(FakeKernel *fk, FkPredicate pred, void *userdata, int timeout_ms) {
        long long end = now_ms() + timeout_ms, left;

        for (;;) {
                if (pred && pred(fk, userdata))
                        return 1;
                if (child_died(fk))
                        return -ECHILD;
                left = end - now_ms();
                if (left <= 0)
                        return 0;
                serve(fk, (int) left);
        }
}

struct driver_wait {
        const char *dev, *drv;
};

static bool driver_is(FakeKernel *fk, void *userdata) {
        struct driver_wait *w = userdata;

        return streq_ptr(fk_device_driver(fk, w->dev), w->drv);
}

int fk_wait_driver(FakeKernel *fk, const char *dev, const char *drv, int timeout_ms) {
        struct driver_wait w = { dev, drv };

        return fk_wait(fk, driver_is, &w, timeout_ms);
}

struct output_wait {
        pid_t pid;
        const char *needle;
};

static bool output_has(FakeKernel *fk, void *userdata) {
        struct output_wait *w = userdata;

        return strstr(fk_output(fk, w->pid), w->needle);
}

int fk_wait_output(FakeKernel *fk, pid_t pid, const char *needle, int timeout_ms) {
        struct output_wait w = { pid, needle };

        return fk_wait(fk, output_has, &w, timeout_ms);
}

struct notify_wait {
        const char *prefix;
        const char *found;
};

/* Looks at the lines after the one it last returned. */
static bool notify_has(FakeKernel *fk, void *userdata) {
        struct notify_wait *w = userdata;

        for (size_t i = fk->notify_cursor; i < fk->n_notify; i++)
                if (strncmp(fk->notify[i], w->prefix, strlen(w->prefix)) == 0) {
                        w->found = fk->notify[i];
                        fk->notify_cursor = i + 1;
                        return true;
                }
        return false;
}

const char *fk_wait_notify(FakeKernel *fk, const char *prefix, int timeout_ms) {
        struct notify_wait w = { prefix, NULL };

        return fk_wait(fk, notify_has, &w, timeout_ms) == 1 ? w.found : NULL;
}

const char *fk_notify_status(const FakeKernel *fk) {
        return fk->status;
}

int fk_settle(FakeKernel *fk, int idle_ms, int timeout_ms) {
        long long start = now_ms(), end = start + timeout_ms, quiet_since = start, t;
        unsigned long last = fk->activity;

        for (;;) {
                t = now_ms();
                if (fk->activity != last || fk_uevents_queued(fk) > 0) {
                        last = fk->activity;
                        quiet_since = t;
                } else if (t - quiet_since >= idle_ms)
                        return 1;
                if (t >= end)
                        return 0;
                serve(fk, (int) (end - t < idle_ms ? end - t : idle_ms - (t - quiet_since) + 1));
        }
}
