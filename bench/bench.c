/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vpb-bench: what binding costs (issue 7). Run by "make bench" through bench/run.sh.
 *
 * In one run it measures
 *   (a) one "vfio-platform-bindctl --root=DIR apply" pass over 100, 1,000 and 10,000 devices
 *       with policies of 10 and 1,000 rules, in three set-ups:
 *         fk-bind    the fake kernel (tests/fake-kernel.h): binding really happens; every
 *                    selected device gets driver_override, unbind (when a native driver holds
 *                    it), drivers_probe, verify, state record; the program runs under the
 *                    umockdev preload and the fake kernel's write shim;
 *         tree-pin   a plain sysfs tree, devices already on vfio-platform without an override:
 *                    each selected device gets one driver_override write and a state record;
 *         tree-noop  a plain sysfs tree, devices on vfio-platform with the override set: read,
 *                    decide, nothing to write (the pass on an already converged system);
 *       plus each set-up with 0 devices (start-up: policy load, sysfs open);
 *   (b) the daemon's latency from an "add" uevent to its driver_override write, 10,000 events
 *       under the fake kernel, at the harness (send of the uevent .. accept of the write's
 *       request) and inside the daemon (recvmsg() returning the event .. write() called on
 *       driver_override, by bench/lat-probe.so); and the same for a minimal libudev listener
 *       that writes the override at once (the floor of the harness' IPC);
 *   (c) the daemon's peak RSS (VmHWM) with 1,000 devices, under the fake kernel and without
 *       any preload on a plain tree;
 *   (d) its context switches (wake-ups) while idle, with WATCHDOG_USEC=30 s as in the unit;
 *   (e) driverctl --nosave --noprobe -b platform set-override DEV vfio-platform, once per device
 *       the policy selects among 1,000, under the same fake kernel, against our apply.
 *   and, for (b), the same daemon without umockdev: a plain tree under --root, uevents sent to its
 *   netlink socket through bench/nl-inject.so ("direct").
 * It prints a table and writes every figure to --json=FILE (bench/report.py turns that into
 * docs/benchmarks.md and the plot).
 *
 * Profiling aids (bench/PROFILE.md): "vpb-bench --make-tree DIR DEVICES RULES pin|noop" builds
 * one apply pass's plain tree and policy and exits; BENCH_ATTACH="perf record ... -p %d &" is run
 * with the daemon's pid before the hotplug events.
 *
 * Safety: as root it first enters a private mount namespace with /sys and /etc read-only, so
 * that nothing it runs (driverctl included) can change the real ones; device names are
 * "<hex>.vpb-<type>", which no real system has; programs run with --no-load-modules. */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake-kernel.h"
#include "lat-probe.h"

#define TARGET "vfio-platform"

static struct {
        const char *bindd, *bindctl, *probe, *inject, *json, *driverctl, *floor, *strace;
        int idle_seconds;
        int floor_pairs;
        int events, floor_events;
        int sizes[3];
        int n_sizes;
        bool protected_ns;
} cfg = {
        .idle_seconds = 20,
        .events = 10000,
        .floor_events = 2000,
        .floor_pairs = 7,
        .sizes = { 100, 1000, 10000 },
        .n_sizes = 3,
};

/* --- small helpers --- */

static char *live_tree; /* the plain tree in use, removed by die() */
static void rm_rf(const char *path);

static _Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void die(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fputs("vpb-bench: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        if (live_tree)
                rm_rf(live_tree);
        exit(1);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fputs("# ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static double tv_s(struct timeval tv) {
        return (double) tv.tv_sec + (double) tv.tv_usec / 1e6;
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

static void mkdir_p(const char *path) {
        char *p = strdup(path);

        for (char *s = p + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                (void) mkdir(p, 0755);
                *s = '/';
        }
        (void) mkdir(p, 0755);
        free(p);
}

static void put(const char *path, const char *content, size_t len) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || write(fd, content, len) != (ssize_t) len)
                die("cannot write %s: %m", path);
        close(fd);
}

static void puts_file(const char *path, const char *content) {
        put(path, content, strlen(content));
}

static void link_to(const char *target, const char *path) {
        if (symlink(target, path) < 0)
                die("cannot link %s: %m", path);
}

static void rm_rf(const char *path) {
        pid_t pid = fork();

        if (pid == 0) {
                execlp("rm", "rm", "-rf", "--one-file-system", path, (char *) NULL);
                _exit(127);
        }
        if (pid > 0)
                (void) waitpid(pid, NULL, 0);
}

static char *tmp_dir(const char *what) {
        char *t = xasprintf("%s/vpb-bench-%s.XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", what);

        if (!mkdtemp(t))
                die("mkdtemp: %m");
        (void) chmod(t, 0755);
        live_tree = t;
        return t;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array, in µs. */
static double pct_us(const uint64_t *v, size_t n, double p) {
        size_t k;

        if (n == 0)
                return NAN;
        k = (size_t) ceil(p / 100.0 * (double) n);
        if (k < 1)
                k = 1;
        return (double) v[k - 1] / 1000.0;
}

/* --- /proc --- */

static char *read_text(const char *path) {
        static char buf[65536];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return NULL;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return NULL;
        buf[n] = '\0';
        return buf;
}

/* A "Key:   123 kB" line of /proc/PID/status or smaps_rollup, in kB; -1 if absent. */
static long proc_kb(pid_t pid, const char *file, const char *key) {
        char path[400], *t, *p;
        size_t n = strlen(key);

        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        t = read_text(path);
        for (p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, n) == 0 && p[n] == ':')
                        return strtol(p + n + 1, NULL, 10);
        return -1;
}

/* CPU time of every thread of PID, in ns (schedstat: exact, not tick based). */
static uint64_t proc_cpu_ns(pid_t pid) {
        char path[64];
        uint64_t sum = 0;
        struct dirent *e;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
        d = opendir(path);
        if (!d)
                return 0;
        while ((e = readdir(d))) {
                char p[320], *t;

                if (e->d_name[0] == '.')
                        continue;
                snprintf(p, sizeof(p), "/proc/%d/task/%s/schedstat", (int) pid, e->d_name);
                t = read_text(p);
                if (t)
                        sum += strtoull(t, NULL, 10);
        }
        closedir(d);
        return sum;
}

/* Context switches (voluntary + involuntary) of every thread, and the number of threads. */
static uint64_t proc_ctxt(pid_t pid, unsigned *ret_threads) {
        char path[64];
        uint64_t sum = 0;
        unsigned n = 0;
        struct dirent *e;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
        d = opendir(path);
        if (!d)
                return 0;
        while ((e = readdir(d))) {
                char f[320];
                long v, nv;

                if (e->d_name[0] == '.')
                        continue;
                snprintf(f, sizeof(f), "task/%s/status", e->d_name);
                v = proc_kb(pid, f, "voluntary_ctxt_switches");
                nv = proc_kb(pid, f, "nonvoluntary_ctxt_switches");
                sum += (uint64_t) (v > 0 ? v : 0) + (uint64_t) (nv > 0 ? nv : 0);
                n++;
        }
        closedir(d);
        if (ret_threads)
                *ret_threads = n;
        return sum;
}

static unsigned long long forks_since_boot(void) {
        char *t = read_text("/proc/stat"), *p = t ? strstr(t, "\nprocesses ") : NULL;

        return p ? strtoull(p + 11, NULL, 10) : 0;
}

/* The main thread sleeps in epoll_wait() or poll(): it has handled everything queued. */
static bool proc_idle(pid_t pid) {
        char path[64], *t, *p;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        t = read_text(path);
        p = t ? strrchr(t, ')') : NULL;
        if (!p || p[1] != ' ' || p[2] != 'S')
                return false;
        snprintf(path, sizeof(path), "/proc/%d/wchan", (int) pid);
        t = read_text(path);
        return t && (strcmp(t, "do_epoll_wait") == 0 || strncmp(t, "poll_schedule_timeout", 21) == 0 ||
                     strcmp(t, "do_sys_poll") == 0 || strcmp(t, "ep_poll") == 0);
}

/* --- the device set and the policies --- */

static const char *const types[16] = { "uart", "i2c", "spi", "gpio", "dma", "isp", "vpu", "gpu",
                                       "npu",  "eth", "can", "pwm", "wdt",  "adc", "rng", "crypto" };
enum { T_UART = 0, T_WDT = 12, N_VENDORS = 50 };

typedef struct Gen {
        char name[64], path[128], node[32], c0[48], c1[48], native[32];
        int v, s, t;
} Gen;

/* Device I: "<addr>.vpb-<type>" at /soc@0/bus@<I/100>/vpb-<type>@<addr>, compatible
 * "vbVV,sS-<type>", "vbVV,<type>"; the even types have a native driver "vpbbench-<type>". */
static void gen(int i, Gen *g) {
        unsigned addr = 0x10000000u + (unsigned) i * 0x1000u;

        g->t = i % 16;
        g->v = (i / 16) % N_VENDORS;
        g->s = (i / 800) % 10;
        snprintf(g->node, sizeof(g->node), "vpb-%s", types[g->t]);
        snprintf(g->name, sizeof(g->name), "%x.%s", addr, g->node);
        snprintf(g->path, sizeof(g->path), "/soc@0/bus@%d/%s@%x", i / 100, g->node, addr);
        snprintf(g->c0, sizeof(g->c0), "vb%02d,s%d-%s", g->v, g->s, types[g->t]);
        snprintf(g->c1, sizeof(g->c1), "vb%02d,%s", g->v, types[g->t]);
        if (g->t % 2 == 0)
                snprintf(g->native, sizeof(g->native), "vpbbench-%s", types[g->t]);
        else
                g->native[0] = '\0';
}

/* Selected by a bind rule of both policies, whatever comes before: ignore rules only name
 * uart and wdt devices, and the last rule takes every vendor below 40. */
static bool gen_surely_selected(const Gen *g) {
        return g->v < 40 && g->t != T_UART && g->t != T_WDT;
}

static unsigned lcg_state;
static unsigned lcg(unsigned n) {
        lcg_state = lcg_state * 1103515245u + 12345u;
        return (lcg_state >> 8) % n;
}

/* Writes ROOT/etc/vfio-platform-bind.d/{10-protect,50-bench}.conf with NRULES rules in all: exact
 * compatibles, exact device names, path globs, compatible globs (with and without a literal
 * prefix), device globs, and a catch-all glob last. */
static void write_policy(const char *root, int nrules) {
        char *dir = xasprintf("%s/etc/vfio-platform-bind.d", root), *p;
        FILE *f;
        int n = 0;

        mkdir_p(dir);
        lcg_state = 7;
        p = xasprintf("%s/10-protect.conf", dir);
        f = fopen(p, "we");
        if (!f)
                die("%s: %m", p);
        fprintf(f, "# vpb-bench: devices that must never move\n[protect-console]\ncompatible = vb00,uart\naction = ignore\n\n");
        fprintf(f, "[protect-wdt]\npath = /soc@0/bus@*/vpb-wdt@*\naction = ignore\n\n");
        n += 2;
        for (int i = 0; nrules > 10 && i < 8; i++, n++)
                fprintf(f, "[protect-uart-%d]\ncompatible = vb%02d,s%d-uart\naction = ignore\n\n", i, 1 + (int) lcg(49),
                        (int) lcg(10));
        fclose(f);
        free(p);

        p = xasprintf("%s/50-bench.conf", dir);
        f = fopen(p, "we");
        if (!f)
                die("%s: %m", p);
        if (nrules <= 10) {
                fprintf(f, "[isp]\ncompatible = vb0?,s*-isp\n\n"
                           "[video]\ncompatible = *,vpu\n\n"
                           "[gpu]\ndevice = 1*.vpb-gpu\n\n"
                           "[dma]\ncompatible = vb01,dma\n\n"
                           "[one-i2c]\ndevice = 10001000.vpb-i2c\n\n"
                           "[bus3]\npath = /soc@0/bus@3/*\n\n"
                           "[npu]\ncompatible = vb1?,s?-npu\ndriver = vfio-platform\n\n");
                n += 7;
        } else {
                static const int mix[][2] = { /* kind, count */
                        { 0, 400 }, { 1, 300 }, { 2, 150 }, { 3, 100 }, { 4, 30 }, { 5, 9 },
                };
                int left[6], total = 0;

                for (int k = 0; k < 6; k++)
                        total += left[k] = mix[k][1];
                while (total > 0 && n < nrules - 1) {
                        int k = (int) lcg(6), t;
                        Gen g;

                        if (left[k] == 0)
                                continue;
                        left[k]--;
                        total--;
                        do
                                t = (int) lcg(16);
                        while (t == T_UART || t == T_WDT);
                        fprintf(f, "[r%04d]\n", n);
                        switch (k) {
                        case 0: /* an exact compatible */
                                fprintf(f, "compatible = vb%02d,s%d-%s\n", (int) lcg(N_VENDORS), (int) lcg(10), types[t]);
                                break;
                        case 1: /* an exact device name (in the set or not) */
                                gen((int) lcg(20000), &g);
                                fprintf(f, "device = %s\n", g.name);
                                break;
                        case 2: /* a path glob */
                                fprintf(f, "path = /soc@0/bus@%d/vpb-%s@*\n", (int) lcg(200), types[t]);
                                break;
                        case 3: /* a compatible glob with a literal prefix */
                                fprintf(f, "compatible = vb%02d,s*-%s\n", (int) lcg(N_VENDORS), types[t]);
                                break;
                        case 4: /* a device glob */
                                fprintf(f, "device = 1%02x*.vpb-%s\n", (int) lcg(256), types[t]);
                                break;
                        default: /* a glob without a literal prefix: checked for every device */
                                fprintf(f, "compatible = *,s%d-%s\n", (int) lcg(10), types[t]);
                                break;
                        }
                        fputc('\n', f);
                        n++;
                }
        }
        fprintf(f, "[the-rest]\ncompatible = vb[0-3]?,*\n");
        n++;
        fclose(f);
        free(p);
        free(dir);
        if (n != nrules)
                die("policy: %d rules written, %d wanted", n, nrules);
}

/* --- a plain sysfs tree (no kernel behind it) --- */

/* Every device on vfio-platform (PIN: without an override, else with it), in its own IOMMU
 * group, with its DT node. */
static void build_tree(const char *root, int n, bool pin) {
        char *s = xasprintf("%s/sys", root), *p;

        mkdir_p(s);
        free(s);
#define P(...) (p = xasprintf(__VA_ARGS__))
        mkdir_p(P("%s/sys/bus/platform/drivers/%s", root, TARGET)), free(p);
        puts_file(P("%s/sys/bus/platform/drivers/%s/bind", root, TARGET), ""), free(p);
        puts_file(P("%s/sys/bus/platform/drivers/%s/unbind", root, TARGET), ""), free(p);
        puts_file(P("%s/sys/bus/platform/drivers_probe", root), ""), free(p);
        mkdir_p(P("%s/sys/bus/platform/devices", root)), free(p);
        mkdir_p(P("%s/sys/bus/amba/devices", root)), free(p);
        mkdir_p(P("%s/sys/bus/amba/drivers", root)), free(p);
        mkdir_p(P("%s/sys/module/vfio_platform/parameters", root)), free(p);
        puts_file(P("%s/sys/module/vfio_platform/parameters/reset_required", root), "Y\n"), free(p);
        mkdir_p(P("%s/sys/kernel/iommu_groups", root)), free(p);
        mkdir_p(P("%s/sys/devices/platform", root)), free(p);
        mkdir_p(P("%s/run/udev/rules.d", root)), free(p);
        for (int i = 0; i < n; i++) {
                Gen g;
                char *dev, *node, *uevent;

                gen(i, &g);
                dev = xasprintf("%s/sys/devices/platform/%s", root, g.name);
                node = xasprintf("%s/sys/firmware/devicetree/base%s", root, g.path);
                mkdir_p(dev);
                mkdir_p(node);
                uevent = xasprintf("DRIVER=%s\nOF_NAME=%s\nOF_FULLNAME=%s\nOF_COMPATIBLE_0=%s\nOF_COMPATIBLE_1=%s\n"
                                   "OF_COMPATIBLE_N=2\nMODALIAS=of:N%sT(null)C%sC%s\n",
                                   TARGET, g.node, g.path, g.c0, g.c1, g.node, g.c0, g.c1);
                puts_file(P("%s/uevent", dev), uevent), free(p);
                free(uevent);
                puts_file(P("%s/driver_override", dev), pin ? "(null)\n" : TARGET "\n"), free(p);
                link_to(P("../../../bus/platform/drivers/%s", TARGET), s = xasprintf("%s/driver", dev)), free(p), free(s);
                link_to("../../../bus/platform", s = xasprintf("%s/subsystem", dev)), free(s);
                mkdir_p(P("%s/sys/kernel/iommu_groups/%d/devices", root, i + 1)), free(p);
                link_to(P("../../../kernel/iommu_groups/%d", i + 1), s = xasprintf("%s/iommu_group", dev)), free(p), free(s);
                /* The group's character device, as the kernel's class device shows it (the CDI specs). */
                mkdir_p(P("%s/sys/class/vfio/%d", root, i + 1)), free(p);
                puts_file(P("%s/sys/class/vfio/%d/dev", root, i + 1), s = xasprintf("243:%d\n", i)), free(p), free(s);
                link_to(P("../../../firmware/devicetree/base%s", g.path), s = xasprintf("%s/of_node", dev)), free(p), free(s);
                {
                        size_t l0 = strlen(g.c0) + 1, l1 = strlen(g.c1) + 1;
                        char buf[128];

                        memcpy(buf, g.c0, l0);
                        memcpy(buf + l0, g.c1, l1);
                        put(P("%s/compatible", node), buf, l0 + l1), free(p);
                }
                link_to(P("../../../devices/platform/%s", g.name), s = xasprintf("%s/sys/bus/platform/devices/%s", root, g.name)),
                        free(p), free(s);
                free(dev);
                free(node);
        }
#undef P
}

/* --- the fake kernel's timestamps: the harness' own send()/accept4()/recv(), wrapped at link
 * time (-Wl,--wrap=...), so that tests/fake-kernel.c is used unchanged --- */

static struct {
        bool armed;
        const char *dev;     /* the device whose events are timed */
        uint64_t t_add;      /* the add uevent went out */
        uint64_t t_accept;   /* the first write request after it was accepted */
        int first;           /* 0: not seen yet, 1: it was DEV's driver_override, -1: something else */
} lat;

ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags) {
        uint64_t t = now_ns();
        ssize_t r = __real_send(fd, buf, len, flags);

        if (r >= 0 && lat.armed && !lat.t_add && len > 4 && memcmp(buf, "add@", 4) == 0)
                lat.t_add = t;
        return r;
}

int __real_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags);
int __wrap_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags);
int __wrap_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags) {
        int r = __real_accept4(fd, sa, len, flags);

        if (r >= 0 && lat.armed && lat.t_add && !lat.t_accept)
                lat.t_accept = now_ns();
        return r;
}

ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags) {
        ssize_t r = __real_recv(fd, buf, len, flags);
        FkRequest req;

        if (r >= (ssize_t) sizeof(req) && lat.armed && lat.t_accept && lat.first == 0) {
                memcpy(&req, buf, sizeof(req));
                if (req.magic == FK_PROTO_MAGIC && sizeof(req) + req.path_len <= (size_t) r) {
                        char want[256];

                        snprintf(want, sizeof(want), "devices/platform/%s/driver_override", lat.dev);
                        lat.first = strlen(want) == req.path_len &&
                                                    memcmp((char *) buf + sizeof(req), want, req.path_len) == 0 ? 1 : -1;
                }
        }
        return r;
}

/* --- the fake kernel's device set --- */

static FakeKernel *fk_setup(int n) {
        FakeKernel *fk = fk_new();
        char *p;

        if (!fk)
                die("cannot set up the fake kernel: %m");
        if (fk_driver_register(fk, FK_PLATFORM, TARGET) < 0 || fk_driver_register(fk, FK_AMBA, "vfio-amba") < 0)
                die("driver registration failed");
        for (int t = 0; t < 16; t += 2) {
                char drv[32];

                snprintf(drv, sizeof(drv), "vpbbench-%s", types[t]);
                if (fk_driver_register(fk, FK_PLATFORM, drv) < 0)
                        die("driver registration failed");
        }
        for (int i = 0; i < n; i++) {
                Gen g;
                const char *compat[] = { g.c0, g.c1, NULL };

                gen(i, &g);
                FkDeviceSpec spec = {
                        .bus = FK_PLATFORM, .name = g.name, .of_fullname = g.path, .compatible = compat,
                        .native = g.native[0] ? g.native : NULL,
                };
                if (fk_device_add(fk, &spec) < 0)
                        die("fk_device_add %s failed", g.name);
        }
        mkdir_p(p = xasprintf("%s/run/udev/rules.d", fk_root(fk)));
        free(p);
        return fk;
}

static unsigned fk_count_on(FakeKernel *fk, int n, const char *drv, char ***ret_names) {
        unsigned k = 0;

        for (int i = 0; i < n; i++) {
                Gen g;

                gen(i, &g);
                if (drv && fk_device_driver(fk, g.name) && strcmp(fk_device_driver(fk, g.name), drv) == 0) {
                        if (ret_names) {
                                *ret_names = realloc(*ret_names, (k + 2) * sizeof(char *));
                                (*ret_names)[k] = strdup(g.name);
                                (*ret_names)[k + 1] = NULL;
                        }
                        k++;
                }
        }
        return k;
}

/* --- (a) apply --- */

typedef struct ApplyRes {
        const char *setup;
        int n, rules;
        double wall, cpu, user, sys;
        unsigned bound;
        int status;
} ApplyRes;

static ApplyRes applies[64];
static size_t n_applies;

static void print_apply(const ApplyRes *a) {
        printf("apply %-9s %6d dev %5d rules  wall %8.3f s  cpu %8.3f s (user %.3f sys %.3f)", a->setup, a->n, a->rules,
               a->wall, a->cpu, a->user, a->sys);
        if (a->n > 0)
                printf("  %7.1f us/dev cpu  %7.1f us/dev wall", a->cpu / a->n * 1e6, a->wall / a->n * 1e6);
        printf("  bound %u  exit %d\n", a->bound, a->status);
        fflush(stdout);
}

static void apply_tree(int n, int rules, bool pin) {
        char *root = tmp_dir("tree"), *rootarg = xasprintf("--root=%s", root);
        const char *argv[] = { cfg.bindctl, rootarg, "--no-load-modules", "apply", NULL };
        ApplyRes *a = &applies[n_applies++];
        struct rusage ru;
        uint64_t t0, t1;
        int status = 0;
        pid_t pid;

        build_tree(root, n, pin);
        write_policy(root, rules);
        t0 = now_ns();
        pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the benchmark */

                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
                execv(argv[0], (char *const *) argv);
                _exit(127);
        }
        if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
                die("cannot run %s: %m", cfg.bindctl);
        t1 = now_ns();
        *a = (ApplyRes) {
                .setup = pin ? "tree-pin" : "tree-noop", .n = n, .rules = rules,
                .wall = (double) (t1 - t0) / 1e9, .user = tv_s(ru.ru_utime), .sys = tv_s(ru.ru_stime),
                .status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
        };
        a->cpu = a->user + a->sys;
        /* What the pass left: state records (pin) or nothing. */
        {
                char *sd = xasprintf("%s/run/vfio-platform-bindd/platform", root);
                DIR *d = opendir(sd);
                struct dirent *e;

                while (d && (e = readdir(d)))
                        a->bound += e->d_name[0] != '.';
                if (d)
                        closedir(d);
                free(sd);
        }
        print_apply(a);
        rm_rf(root);
        live_tree = NULL;
        free(root);
        free(rootarg);
}

static char **selected_1000; /* the devices our apply bound at 1,000 x 10 rules (for driverctl) */

static void apply_fk(int n, int rules) {
        FakeKernel *fk = fk_setup(n);
        char *rootarg = xasprintf("--root=%s", fk_root(fk));
        const char *argv[] = { cfg.bindctl, rootarg, "--no-load-modules", "apply", NULL };
        ApplyRes *a = &applies[n_applies++];
        struct rusage ru;
        uint64_t t0, t1;
        int status = 0;
        pid_t pid;

        write_policy(fk_root(fk), rules);
        t0 = now_ns();
        pid = fk_spawn(fk, argv, NULL, FK_SPAWN_MAY_EXIT);
        if (pid < 0 || fk_wait_exit(fk, pid, 600000, &status, &ru) != 1)
                die("bindctl apply under the fake kernel did not finish");
        t1 = now_ns();
        *a = (ApplyRes) {
                .setup = "fk-bind", .n = n, .rules = rules,
                .wall = (double) (t1 - t0) / 1e9, .user = tv_s(ru.ru_utime), .sys = tv_s(ru.ru_stime),
                .status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
        };
        a->cpu = a->user + a->sys;
        a->bound = fk_count_on(fk, n, TARGET, n == 1000 && rules == 10 && !selected_1000 ? &selected_1000 : NULL);
        if (a->status != 0)
                note("bindctl apply exited %d; its output ends: %.400s", a->status,
                     strlen(fk_output(fk, pid)) > 400 ? fk_output(fk, pid) + strlen(fk_output(fk, pid)) - 400 : fk_output(fk, pid));
        print_apply(a);
        fk_free(fk);
        free(rootarg);
}

/* --- (f) apply against the floor: bench/floor.c, the bare system calls of the same pass --- */

typedef struct RunRes {
        double wall, user, sys;
        int status;
} RunRes;

/* Runs ARGV with its output to /dev/null (or to OUT), and what it cost. */
static RunRes run_quiet(const char *const *argv, const char *out) {
        struct rusage ru;
        uint64_t t0 = now_ns();
        int status = 0;
        pid_t pid = fork();

        if (pid == 0) {
                int null = open(out ?: "/dev/null", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the benchmark */
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
                execv(argv[0], (char *const *) argv);
                _exit(127);
        }
        if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
                die("cannot run %s: %m", argv[0]);
        return (RunRes) {
                .wall = (double) (now_ns() - t0) / 1e9, .user = tv_s(ru.ru_utime), .sys = tv_s(ru.ru_stime),
                .status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
        };
}

/* A pin tree again as built: no override, no state record, no CDI spec. */
static void tree_unpin(const char *root, int n) {
        char *p;

        for (int i = 0; i < n; i++) {
                Gen g;

                gen(i, &g);
                puts_file(p = xasprintf("%s/sys/devices/platform/%s/driver_override", root, g.name), "(null)\n"), free(p);
        }
        rm_rf(p = xasprintf("%s/run/vfio-platform-bindd", root)), free(p);
        rm_rf(p = xasprintf("%s/run/cdi", root)), free(p);
}

/* The names of the state records apply left: what it pinned. */
static unsigned list_records(const char *root, const char *list) {
        char *sd = xasprintf("%s/run/vfio-platform-bindd/platform", root);
        FILE *f = fopen(list, "we");
        DIR *d = opendir(sd);
        struct dirent *e;
        unsigned n = 0;

        if (!f)
                die("%s: %m", list);
        while (d && (e = readdir(d)))
                if (e->d_name[0] != '.') {
                        fprintf(f, "%s\n", e->d_name);
                        n++;
                }
        if (d)
                closedir(d);
        fclose(f);
        free(sd);
        return n;
}

/* System calls of one run, counted by strace -c -f: the "total" line; 0 without strace. */
typedef struct Calls {
        unsigned long total;
        char top[512];  /* the most frequent ones, "name n, ..." */
} Calls;

static Calls count_calls(const char *const *argv, const char *tmp) {
        Calls c = {};
        const char *sargv[16];
        char *out = xasprintf("%s/strace.out", tmp), *line = NULL;
        size_t n = 0, size = 0, k = 0;
        FILE *f;

        if (!cfg.strace)
                goto done;
        sargv[n++] = cfg.strace;
        sargv[n++] = "-f";
        sargv[n++] = "-c";
        sargv[n++] = "-U";
        sargv[n++] = "name,calls";
        sargv[n++] = "-S";
        sargv[n++] = "calls";
        sargv[n++] = "-o";
        sargv[n++] = out;
        for (size_t i = 0; argv[i] && n < 15; i++)
                sargv[n++] = argv[i];
        sargv[n] = NULL;
        if (run_quiet(sargv, NULL).status != 0)
                note("strace %s failed", argv[0]);
        f = fopen(out, "re");
        while (f && getline(&line, &size, f) > 0) {
                char name[64];
                unsigned long calls;

                if (sscanf(line, " %63s %lu", name, &calls) != 2)
                        continue;
                if (strcmp(name, "total") == 0)
                        c.total = calls;
                else if (k < sizeof(c.top) - 80 && calls > 0)
                        k += (size_t) snprintf(c.top + k, sizeof(c.top) - k, "%s%s %lu", k ? ", " : "", name, calls);
        }
        if (f)
                fclose(f);
        free(line);
done:
        unlink(out);
        free(out);
        return c;
}

typedef struct FloorRes {
        const char *setup;      /* "noop" (converged) or "pin" */
        int n, rules, pairs;
        unsigned pinned;
        double apply_cpu, floor_cpu, ratio;             /* medians; ratio: median of the pairs' */
        double apply_wall, floor_wall, wall_ratio;
        double apply_user, floor_user;
        double cdi_cpu, cdi_ratio;                      /* apply as shipped: CDI specs written too */
        Calls apply_calls, floor_calls, cdi_calls;
} FloorRes;

static FloorRes floors[4];
static size_t n_floors;

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
        qsort(v, (size_t) n, sizeof(double), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* apply and the floor back to back on the same tree, PAIRS times, the order alternating. */
static void measure_apply_floor(int n, int rules, bool pin) {
        char *root = tmp_dir("floor"), *rootarg = xasprintf("--root=%s", root);
        char *list = xasprintf("%s/pinned.list", root);
        /* The floor writes no CDI spec: apply is compared without (--no-cdi), and as shipped. */
        const char *apply_argv[] = { cfg.bindctl, rootarg, "--no-load-modules", "--no-cdi", "apply", NULL };
        const char *cdi_argv[] = { cfg.bindctl, rootarg, "--no-load-modules", "apply", NULL };
        const char *floor_argv[] = { cfg.floor, root, pin ? list : NULL, NULL };
        FloorRes *f = &floors[n_floors++];
        int pairs = cfg.floor_pairs;
        double ac[16], fc[16], r[16], aw[16], fw[16], wr[16], au[16], fu[16], cc[16], cr[16];

        build_tree(root, n, pin);
        write_policy(root, rules);
        *f = (FloorRes) { .setup = pin ? "pin" : "noop", .n = n, .rules = rules, .pairs = pairs };
        /* A first pass of each warms the caches; apply's tells what to pin. */
        if (run_quiet(apply_argv, NULL).status != 0)
                die("apply failed on the floor's tree");
        if (pin) {
                f->pinned = list_records(root, list);
                tree_unpin(root, n);
        }
        if (run_quiet(floor_argv, NULL).status != 0)
                die("vpb-floor failed");
        for (int k = 0; k < pairs; k++) {
                RunRes a, b, c;

                for (int j = 0; j < 2; j++) {
                        bool apply_turn = (j == 0) == (k % 2 == 0);

                        if (pin)
                                tree_unpin(root, n);
                        *(apply_turn ? &a : &b) = run_quiet(apply_turn ? apply_argv : floor_argv, NULL);
                }
                if (pin)
                        tree_unpin(root, n);
                c = run_quiet(cdi_argv, NULL);
                if (a.status != 0 || b.status != 0 || c.status != 0)
                        die("apply (exit %d, %d) or vpb-floor (exit %d) failed", a.status, c.status, b.status);
                cc[k] = c.user + c.sys;
                cr[k] = cc[k] / (b.user + b.sys);
                ac[k] = a.user + a.sys;
                fc[k] = b.user + b.sys;
                r[k] = ac[k] / fc[k];
                aw[k] = a.wall;
                fw[k] = b.wall;
                wr[k] = a.wall / b.wall;
                au[k] = a.user;
                fu[k] = b.user;
        }
        f->apply_cpu = median(ac, pairs);
        f->floor_cpu = median(fc, pairs);
        f->ratio = median(r, pairs);
        f->apply_wall = median(aw, pairs);
        f->floor_wall = median(fw, pairs);
        f->wall_ratio = median(wr, pairs);
        f->apply_user = median(au, pairs);
        f->floor_user = median(fu, pairs);
        f->cdi_cpu = median(cc, pairs);
        f->cdi_ratio = median(cr, pairs);
        if (pin)
                tree_unpin(root, n);
        f->apply_calls = count_calls(apply_argv, root);
        if (pin)
                tree_unpin(root, n);
        f->floor_calls = count_calls(floor_argv, root);
        if (pin)
                tree_unpin(root, n);
        f->cdi_calls = count_calls(cdi_argv, root);
        printf("floor %-4s %6d dev %5d rules  %d pairs: apply cpu %.3f s, floor %.3f s: %.2fx (wall %.3f / %.3f s: %.2fx)",
               f->setup, n, rules, pairs, f->apply_cpu, f->floor_cpu, f->ratio, f->apply_wall, f->floor_wall, f->wall_ratio);
        if (f->apply_calls.total && f->floor_calls.total)
                printf("; system calls per device: apply %.1f, floor %.1f", (double) f->apply_calls.total / n,
                       (double) f->floor_calls.total / n);
        printf("\nfloor %-4s %6d dev %5d rules  apply with CDI specs: cpu %.3f s: %.2fx the floor", f->setup, n, rules,
               f->cdi_cpu, f->cdi_ratio);
        if (f->cdi_calls.total)
                printf("; system calls per device %.1f", (double) f->cdi_calls.total / n);
        printf("\n");
        rm_rf(root);
        live_tree = NULL;
        free(root);
        free(rootarg);
        free(list);
}

/* --- (b) latency --- */

typedef struct LatRes {
        const char *who;
        size_t n, errors;
        uint64_t *harness;      /* ns, sorted */
        uint64_t *inside;       /* ns, sorted; NULL for the floor */
        size_t n_inside;
        double cpu_per_event_us; /* the listener's CPU over the run / events */
        double wall_s;
} LatRes;

static bool bound_and_seen(FakeKernel *fk, void *userdata) {
        return lat.t_accept && lat.first != 0 && fk_device_driver(fk, lat.dev) &&
               strcmp(fk_device_driver(fk, lat.dev), TARGET) == 0;
}

static bool override_seen(FakeKernel *fk, void *userdata) {
        return lat.t_accept && lat.first != 0 && fk_device_override(fk, lat.dev) &&
               strcmp(fk_device_override(fk, lat.dev), TARGET) == 0;
}

static bool pid_idle(FakeKernel *fk, void *userdata) {
        return proc_idle(*(pid_t *) userdata);
}

/* Waits until PID sleeps in its event loop again: spins without serving for a while, then
 * serves in 1 ms slices. Idleness is read from /proc, which wakes no poll(): one fk_wait()
 * of 10 s would look again only when the fake kernel has something to do, and a daemon that
 * finishes its work without a last request to the fake kernel (a CDI spec written, a log
 * line) would cost every event the whole 10 s. */
static bool wait_idle(FakeKernel *fk, pid_t pid) {
        uint64_t deadline = now_ns() + 10000000000ull;

        for (int i = 0; i < 100; i++) {
                if (proc_idle(pid))
                        return true;
                struct timespec ts = { 0, 10000 };
                nanosleep(&ts, NULL);
        }
        while (now_ns() < deadline) {
                int r = fk_wait(fk, pid_idle, &pid, 1);

                if (r != 0)
                        return r == 1;
        }
        return false;
}

/* Adds N new devices from index FIRST on, one at a time, each selected by the policy; times the
 * first write; waits for PID to be idle before the next. */
static void run_events(FakeKernel *fk, pid_t pid, int first, int n, FkPredicate done, LatRes *res) {
        int i = first;
        uint64_t t0 = now_ns(), cpu0 = proc_cpu_ns(pid);

        res->harness = calloc((size_t) n, sizeof(uint64_t));
        for (int k = 0; k < n; i++) {
                Gen g;
                const char *compat[] = { g.c0, g.c1, NULL };

                gen(i, &g);
                if (!gen_surely_selected(&g))
                        continue;
                FkDeviceSpec spec = {
                        .bus = FK_PLATFORM, .name = g.name, .of_fullname = g.path, .compatible = compat,
                        .native = g.native[0] ? g.native : NULL,
                };
                lat = (typeof(lat)) { .armed = true, .dev = g.name };
                if (fk_device_add(fk, &spec) < 0)
                        die("fk_device_add %s failed", g.name);
                if (fk_wait(fk, done, NULL, 10000) != 1 || lat.first != 1)
                        res->errors++;
                else
                        res->harness[res->n++] = lat.t_accept - lat.t_add;
                lat.armed = false;
                if (!wait_idle(fk, pid))
                        res->errors++;
                k++;
        }
        res->wall_s = (double) (now_ns() - t0) / 1e9;
        res->cpu_per_event_us = (double) (proc_cpu_ns(pid) - cpu0) / 1e3 / n;
        qsort(res->harness, res->n, sizeof(uint64_t), cmp_u64);
}

static void print_lat(const LatRes *r) {
        printf("latency %-7s %zu events (%zu errors): harness median %.1f us p99 %.1f us max %.1f us", r->who, r->n,
               r->errors, pct_us(r->harness, r->n, 50), pct_us(r->harness, r->n, 99), pct_us(r->harness, r->n, 100));
        if (r->inside)
                printf("; inside median %.1f us p99 %.1f us max %.1f us", pct_us(r->inside, r->n_inside, 50),
                       pct_us(r->inside, r->n_inside, 99), pct_us(r->inside, r->n_inside, 100));
        printf("; cpu %.1f us/event\n", r->cpu_per_event_us);
        fflush(stdout);
}

/* The floor: a libudev listener that writes the override on every add, nothing else. */
static int listener_main(void) {
        struct udev *u = udev_new();
        struct udev_monitor *m = udev_monitor_new_from_netlink(u, "kernel");

        if (!m)
                return 1;
        udev_monitor_filter_add_match_subsystem_devtype(m, "platform", NULL);
        udev_monitor_enable_receiving(m);
        printf("listening\n");
        fflush(stdout);
        for (;;) {
                struct pollfd p = { .fd = udev_monitor_get_fd(m), .events = POLLIN };
                struct udev_device *d;

                if (poll(&p, 1, -1) < 0)
                        continue;
                d = udev_monitor_receive_device(m);
                if (!d)
                        continue;
                if (strcmp(udev_device_get_action(d) ?: "", "add") == 0) {
                        char path[PATH_MAX];
                        int fd;

                        snprintf(path, sizeof(path), "/sys/devices/platform/%s/driver_override", udev_device_get_sysname(d));
                        fd = open(path, O_WRONLY | O_CLOEXEC);
                        if (fd >= 0) {
                                if (write(fd, TARGET, strlen(TARGET)) < 0)
                                        fprintf(stderr, "write %s: %m\n", path);
                                close(fd);
                        }
                }
                udev_device_unref(d);
        }
}

static LatRes lat_floor;

static void measure_floor(void) {
        FakeKernel *fk = fk_setup(0);
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        pid_t pid;

        if (n <= 0)
                die("readlink /proc/self/exe: %m");
        self[n] = '\0';
        pid = fk_spawn(fk, (const char *const[]) { self, "--listener", NULL }, NULL, 0);
        if (pid < 0 || fk_wait_output(fk, pid, "listening", 10000) != 1 || fk_uevent_listeners(fk) < 1)
                die("the floor listener did not start: %s", fk_output(fk, pid));
        lat_floor.who = "floor";
        run_events(fk, pid, 0, cfg.floor_events, override_seen, &lat_floor);
        print_lat(&lat_floor);
        fk_free(fk);
}

/* --- the daemon: coldplug, RSS, idle, latency, spawned processes --- */

typedef struct Rss {
        long hwm, rss, anon, file, shmem, pss, uss;
} Rss;

static Rss read_rss(pid_t pid) {
        Rss r = {
                .hwm = proc_kb(pid, "status", "VmHWM"),
                .rss = proc_kb(pid, "status", "VmRSS"),
                .anon = proc_kb(pid, "status", "RssAnon"),
                .file = proc_kb(pid, "status", "RssFile"),
                .shmem = proc_kb(pid, "status", "RssShmem"),
                .pss = proc_kb(pid, "smaps_rollup", "Pss"),
        };
        long pc = proc_kb(pid, "smaps_rollup", "Private_Clean"), pd = proc_kb(pid, "smaps_rollup", "Private_Dirty");

        r.uss = pc >= 0 && pd >= 0 ? pc + pd : -1;
        return r;
}

static struct {
        int devices, rules;
        double ready_wall, ready_cpu;
        Rss rss_ready, rss_after;
        double idle_seconds;
        uint64_t idle_ctxt;
        unsigned idle_watchdog, threads_before, threads_after;
        unsigned long long forks;
        unsigned spawned;       /* processes the daemon started (exec'd or forked), from the probe */
        LatRes lat;
        /* direct: no umockdev, uevents injected (bench/nl-inject.so), plain tree */
        LatRes direct;
        unsigned direct_spawned;
        bool direct_ok;
        int exit_status;
        /* without any preload, on a plain tree */
        Rss plain_rss0, plain_rss;
        double plain_ready_wall, plain_ready_cpu;
        bool plain_ok;
} dmn;

static void print_rss(const char *what, const Rss *r) {
        printf("rss %-26s VmHWM %5ld kB  VmRSS %5ld kB (anon %ld, file %ld, shmem %ld)  Pss %ld kB  USS %ld kB\n", what,
               r->hwm, r->rss, r->anon, r->file, r->shmem, r->pss, r->uss);
        fflush(stdout);
}

static void measure_daemon(void) {
        const int ndev = 1000;
        FakeKernel *fk = fk_setup(ndev);
        char *rootarg = xasprintf("--root=%s", fk_root(fk)), *probe_file, *probe_env, *preload_env;
        const char *argv[] = { cfg.bindd, rootarg, "--no-load-modules", NULL };
        ProbeLog *plog;
        uint64_t t0, ctxt0;
        unsigned long long forks0;
        int fd;
        pid_t pid;

        write_policy(fk_root(fk), 1000);
        dmn.devices = ndev;
        dmn.rules = 1000;

        /* The probe's shared record. */
        probe_file = xasprintf("%s/lat-probe.bin", fk_root(fk));
        fd = open(probe_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ftruncate(fd, sizeof(ProbeLog)) < 0)
                die("%s: %m", probe_file);
        plog = mmap(NULL, sizeof(ProbeLog), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (plog == MAP_FAILED)
                die("mmap: %m");
        plog->magic = PROBE_MAGIC;
        probe_env = xasprintf("BENCH_PROBE_FILE=%s", probe_file);
        preload_env = xasprintf("LD_PRELOAD=%s", cfg.probe);

        /* Coldplug: from exec to READY=1. The unit's WatchdogSec=30s. */
        t0 = now_ns();
        pid = fk_spawn(fk, argv, (const char *const[]) { "WATCHDOG_USEC=30000000", probe_env, preload_env, NULL }, 0);
        if (pid < 0 || !fk_wait_notify(fk, "READY=1", 120000))
                die("the daemon did not get ready: %s", pid < 0 ? "" : fk_output(fk, pid));
        dmn.ready_wall = (double) (now_ns() - t0) / 1e9;
        dmn.ready_cpu = (double) proc_cpu_ns(pid) / 1e9;
        printf("daemon coldplug %d devices, %d rules: READY=1 after %.3f s wall, %.3f s cpu (%.1f us/dev); bound %u\n",
               ndev, dmn.rules, dmn.ready_wall, dmn.ready_cpu, dmn.ready_cpu / ndev * 1e6,
               fk_count_on(fk, ndev, TARGET, NULL));
        /* The bind uevents of its own binds come back after READY=1: let them pass. */
        if (fk_settle(fk, 300, 60000) != 1 || !wait_idle(fk, pid))
                note("the daemon did not settle after coldplug");
        dmn.rss_ready = read_rss(pid);
        print_rss("daemon fk 1000 dev", &dmn.rss_ready);

        /* Idle: context switches of every thread while nothing happens; watchdog pings counted. */
        ctxt0 = proc_ctxt(pid, &dmn.threads_before);
        t0 = now_ns();
        for (;;) {
                int64_t left = (int64_t) cfg.idle_seconds * 1000 - (int64_t) ((now_ns() - t0) / 1000000);

                if (left <= 0)
                        break;
                if (fk_wait_notify(fk, "WATCHDOG=1", (int) left))
                        dmn.idle_watchdog++;
        }
        dmn.idle_seconds = (double) (now_ns() - t0) / 1e9;
        dmn.idle_ctxt = proc_ctxt(pid, NULL) - ctxt0;
        printf("idle %.1f s: %llu context switches (%u threads), %u watchdog pings -> %.1f wake-ups/min, %.1f not watchdog\n",
               dmn.idle_seconds, (unsigned long long) dmn.idle_ctxt, dmn.threads_before, dmn.idle_watchdog,
               (double) dmn.idle_ctxt * 60 / dmn.idle_seconds,
               ((double) dmn.idle_ctxt - dmn.idle_watchdog) * 60 / dmn.idle_seconds);
        fflush(stdout);

        /* A profiling aid: BENCH_ATTACH="perf record -g -o FILE -p %d &" runs before the events. */
        if (getenv("BENCH_ATTACH")) {
                char *cmd = xasprintf(getenv("BENCH_ATTACH"), (int) pid);

                note("running %s", cmd);
                if (system(cmd) != 0)
                        note("%s failed", cmd);
                fk_wait(fk, NULL, NULL, 2000);
                free(cmd);
        }

        /* Hotplug: one add uevent at a time, new devices after the first 1,000. */
        forks0 = forks_since_boot();
        dmn.lat.who = "daemon";
        run_events(fk, pid, ndev, cfg.events, bound_and_seen, &dmn.lat);
        dmn.forks = forks_since_boot() - forks0;
        proc_ctxt(pid, &dmn.threads_after);
        dmn.rss_after = read_rss(pid);

        /* The probe's pairs: event k's receipt and the override write that followed it. */
        dmn.lat.inside = calloc(PROBE_SLOTS, sizeof(uint64_t));
        for (unsigned k = 0; k < plog->n_events && k < PROBE_SLOTS; k++)
                if (plog->write_ns[k] > plog->recv_ns[k])
                        dmn.lat.inside[dmn.lat.n_inside++] = plog->write_ns[k] - plog->recv_ns[k];
        qsort(dmn.lat.inside, dmn.lat.n_inside, sizeof(uint64_t), cmp_u64);
        dmn.spawned = plog->n_execs - 1 + plog->n_forks;
        print_lat(&dmn.lat);
        printf("hotplug: the daemon started %u processes during %d events (system-wide: %llu); threads %u -> %u\n",
               dmn.spawned, cfg.events, dmn.forks, dmn.threads_before, dmn.threads_after);
        print_rss("daemon fk after events", &dmn.rss_after);
        dmn.exit_status = fk_stop(fk, pid, 10000);
        munmap(plog, sizeof(ProbeLog));
        fk_free(fk);
        free(rootarg);
        free(probe_file);
        free(probe_env);
        free(preload_env);
}

/* The daemon without the fake kernel or umockdev: a plain tree of NDEV devices (pinned at
 * coldplug), the real uevent netlink socket (it only listens; paths stay under --root). */
static bool daemon_plain(int ndev, Rss *ret, double *ret_wall, double *ret_cpu) {
        char *root = tmp_dir("plain"), *rootarg = xasprintf("--root=%s", root), *sock = xasprintf("%s/notify", root);
        char *notify = xasprintf("NOTIFY_SOCKET=%s", sock);
        const char *argv[] = { cfg.bindd, rootarg, "--no-load-modules", NULL };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        bool ok = false;
        uint64_t t0;
        int fd, status;
        pid_t pid;

        build_tree(root, ndev, true);
        write_policy(root, 1000);
        strncpy(sa.sun_path, sock, sizeof(sa.sun_path) - 1);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                die("notify socket: %m");
        t0 = now_ns();
        pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the benchmark */
                const char *env[] = { notify, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
                execve(argv[0], (char *const *) argv, (char *const *) env);
                _exit(127);
        }
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                char buf[4096];
                ssize_t n;

                if (poll(&p, 1, 60000) <= 0)
                        break;
                n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        break;
                buf[n] = '\0';
                if (strncmp(buf, "READY=1", 7) == 0 || strstr(buf, "\nREADY=1")) {
                        ok = true;
                        break;
                }
        }
        if (ok) {
                *ret_wall = (double) (now_ns() - t0) / 1e9;
                *ret_cpu = (double) proc_cpu_ns(pid) / 1e9;
                usleep(200000);
                *ret = read_rss(pid);
        }
        kill(pid, SIGTERM);
        (void) waitpid(pid, &status, 0);
        close(fd);
        rm_rf(root);
        live_tree = NULL;
        free(root);
        free(rootarg);
        free(sock);
        free(notify);
        return ok;
}

/* --- (b) again, without umockdev: the daemon on a plain tree, uevents through nl-inject.so --- */

/* Device I, not bound, in its own IOMMU group, as the kernel shows it right after "add". */
static void tree_add_device(const char *root, int i, char *msg, size_t size, size_t *ret_len, unsigned long long seq) {
        Gen g;
        char *dev, *p, *s;
        size_t n;

        gen(i, &g);
        dev = xasprintf("%s/sys/devices/platform/%s", root, g.name);
        mkdir_p(dev);
        p = xasprintf("%s/uevent", dev);
        s = xasprintf("OF_NAME=%s\nOF_FULLNAME=%s\nOF_COMPATIBLE_0=%s\nOF_COMPATIBLE_1=%s\nOF_COMPATIBLE_N=2\n"
                      "MODALIAS=of:N%sT(null)C%sC%s\n", g.node, g.path, g.c0, g.c1, g.node, g.c0, g.c1);
        puts_file(p, s);
        free(p);
        free(s);
        puts_file(p = xasprintf("%s/driver_override", dev), "(null)\n"), free(p);
        link_to("../../../bus/platform", p = xasprintf("%s/subsystem", dev)), free(p);
        mkdir_p(p = xasprintf("%s/sys/kernel/iommu_groups/%d/devices", root, i + 1)), free(p);
        s = xasprintf("../../../kernel/iommu_groups/%d", i + 1);
        link_to(s, p = xasprintf("%s/iommu_group", dev)), free(p), free(s);
        s = xasprintf("../../../devices/platform/%s", g.name);
        link_to(s, p = xasprintf("%s/sys/bus/platform/devices/%s", root, g.name)), free(p), free(s);
        free(dev);
        n = (size_t) snprintf(msg, size,
                              "add@/devices/platform/%s%cACTION=add%cDEVPATH=/devices/platform/%s%cSUBSYSTEM=platform%c"
                              "OF_NAME=%s%cOF_FULLNAME=%s%cOF_COMPATIBLE_0=%s%cOF_COMPATIBLE_1=%s%cOF_COMPATIBLE_N=2%c"
                              "MODALIAS=of:N%sT(null)C%sC%s%cSEQNUM=%llu%c",
                              g.name, 0, 0, g.name, 0, 0, g.node, 0, g.path, 0, g.c0, 0, g.c1, 0, 0, g.node, g.c0, g.c1, 0,
                              seq, 0);
        *ret_len = n;
}

/* Reads the notify messages queued on FD: the daemon blocks on a full datagram queue. */
static void drain(int fd) {
        char buf[4096];

        while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
                ;
}

static bool measure_direct(void) {
        const int ndev = 1000;
        char *root = tmp_dir("direct"), *rootarg = xasprintf("--root=%s", root);
        char *nl = xasprintf("%s/nl.sock", root), *notify = xasprintf("%s/notify.sock", root);
        char *probe_file = xasprintf("%s/lat-probe.bin", root);
        char *env_nl = xasprintf("BENCH_NL_SOCKET=%s", nl), *env_notify = xasprintf("NOTIFY_SOCKET=%s", notify);
        char *env_probe = xasprintf("BENCH_PROBE_FILE=%s", probe_file);
        char *env_preload = xasprintf("LD_PRELOAD=%s:%s", cfg.probe, cfg.inject);
        const char *argv[] = { cfg.bindd, rootarg, "--no-load-modules", "--verify-timeout=0", NULL };
        struct sockaddr_un nl_sa = { .sun_family = AF_UNIX }, sa = { .sun_family = AF_UNIX };
        LatRes *res = &dmn.direct;
        ProbeLog *plog;
        bool ok = false;
        int fd, nfd, sfd, status;
        uint64_t cpu0, t0;
        pid_t pid;

        build_tree(root, ndev, true);
        write_policy(root, 1000);
        fd = open(probe_file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || ftruncate(fd, sizeof(ProbeLog)) < 0)
                die("%s: %m", probe_file);
        plog = mmap(NULL, sizeof(ProbeLog), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (plog == MAP_FAILED)
                die("mmap: %m");
        plog->magic = PROBE_MAGIC;

        strncpy(sa.sun_path, notify, sizeof(sa.sun_path) - 1);
        nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (nfd < 0 || bind(nfd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                die("notify socket: %m");
        strncpy(nl_sa.sun_path, nl, sizeof(nl_sa.sun_path) - 1);
        sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sfd < 0)
                die("socket: %m");

        pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the benchmark */
                const char *env[] = { env_nl, env_notify, env_probe, env_preload, "WATCHDOG_USEC=30000000",
                                      "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
                execve(argv[0], (char *const *) argv, (char *const *) env);
                _exit(127);
        }
        for (;;) {
                struct pollfd p = { .fd = nfd, .events = POLLIN };
                char buf[4096];
                ssize_t n;

                if (poll(&p, 1, 60000) <= 0)
                        goto out;
                n = recv(nfd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        goto out;
                buf[n] = '\0';
                if (strncmp(buf, "READY=1", 7) == 0 || strstr(buf, "\nREADY=1"))
                        break;
        }
        for (int i = 0; i < 1000 && !proc_idle(pid); i++)
                usleep(1000);

        if (getenv("BENCH_ATTACH")) { /* a profiling aid, as in measure_daemon() */
                char *cmd = xasprintf(getenv("BENCH_ATTACH"), (int) pid);

                note("running %s", cmd);
                if (system(cmd) != 0)
                        note("%s failed", cmd);
                sleep(2);
                free(cmd);
        }
        res->who = "direct";
        res->harness = calloc((size_t) cfg.events, sizeof(uint64_t));
        res->inside = calloc((size_t) cfg.events, sizeof(uint64_t));
        cpu0 = proc_cpu_ns(pid);
        t0 = now_ns();
        for (int i = ndev, k = 0; k < cfg.events; i++) {
                char msg[2048];
                size_t len;
                uint64_t t_send, deadline;
                unsigned writes;
                Gen g;

                gen(i, &g);
                if (!gen_surely_selected(&g))
                        continue;
                tree_add_device(root, i, msg, sizeof(msg), &len, (unsigned long long) i);
                writes = plog->n_writes;
                t_send = now_ns();
                if (sendto(sfd, msg, len, 0, (struct sockaddr *) &nl_sa, sizeof(nl_sa)) != (ssize_t) len)
                        die("sendto %s: %m", nl);
                /* Sleeping, not spinning: the daemon and its worker have both CPUs. */
                deadline = t_send + 5000000000ull;
                while (*(volatile uint32_t *) &plog->n_writes == writes && now_ns() < deadline) {
                        struct timespec ts = { 0, 20000 };
                        nanosleep(&ts, NULL);
                }
                if (plog->n_writes == writes || (unsigned) k >= plog->n_events || !plog->write_ns[k])
                        res->errors++;
                else {
                        res->harness[res->n++] = plog->write_ns[k] - t_send;
                        res->inside[res->n_inside++] = plog->write_ns[k] - plog->recv_ns[k];
                }
                for (int w = 0; drain(nfd), !proc_idle(pid); w++) {
                        struct timespec ts = { 0, 10000 };

                        if (w > 100000) {
                                char path[64];

                                snprintf(path, sizeof(path), "/proc/%d/wchan", (int) pid);
                                die("the daemon does not get idle (event %d, wchan %s)", k, read_text(path) ?: "?");
                        }
                        nanosleep(&ts, NULL);
                }
                k++;
        }
        res->wall_s = (double) (now_ns() - t0) / 1e9;
        res->cpu_per_event_us = (double) (proc_cpu_ns(pid) - cpu0) / 1e3 / cfg.events;
        qsort(res->harness, res->n, sizeof(uint64_t), cmp_u64);
        qsort(res->inside, res->n_inside, sizeof(uint64_t), cmp_u64);
        dmn.direct_spawned = plog->n_execs - 1 + plog->n_forks;
        print_lat(res);
        printf("hotplug direct: the daemon started %u processes during %d events\n", dmn.direct_spawned, cfg.events);
        ok = true;
out:
        kill(pid, SIGTERM);
        (void) waitpid(pid, &status, 0);
        close(nfd);
        close(sfd);
        munmap(plog, sizeof(ProbeLog));
        rm_rf(root);
        live_tree = NULL;
        free(root);
        free(rootarg);
        free(nl);
        free(notify);
        free(probe_file);
        free(env_nl);
        free(env_notify);
        free(env_probe);
        free(env_preload);
        return ok;
}

/* --- (e) driverctl --- */

static struct {
        unsigned calls, failed;
        double wall, cpu;
        bool ran;
        const char *skipped;
} dctl;

static void measure_driverctl(void) {
        FakeKernel *fk;
        char *p, *t;
        uint64_t t0;

        if (!cfg.driverctl) {
                dctl.skipped = "driverctl not installed";
                return;
        }
        if (!selected_1000) {
                dctl.skipped = "no 1,000-device apply ran";
                return;
        }
        fk = fk_setup(1000);
        /* driverctl runs modprobe unless the module's directory exists. */
        mkdir_p(p = xasprintf("%s/sys/module/%s", fk_root(fk), TARGET));
        free(p);
        t0 = now_ns();
        for (char **d = selected_1000; *d; d++) {
                const char *argv[] = { cfg.driverctl, "--nosave", "--noprobe", "-b", "platform", "set-override", *d, TARGET, NULL };
                struct rusage ru;
                int status;
                pid_t pid = fk_spawn(fk, argv, NULL, FK_SPAWN_MAY_EXIT);

                if (pid < 0 || fk_wait_exit(fk, pid, 60000, &status, &ru) != 1)
                        die("driverctl did not finish");
                dctl.cpu += tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
                dctl.calls++;
                /* bash's echo writes through stdio, which the fake kernel's shim does not see: the
                 * override lands in the testbed's file, not in the model. Read the file back. */
                p = xasprintf("%s/sys/devices/platform/%s/driver_override", fk_root(fk), *d);
                t = read_text(p);
                free(p);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !t || strncmp(t, TARGET "\n", strlen(TARGET) + 1) != 0) {
                        if (dctl.failed++ == 0)
                                note("driverctl %s: %s", *d, fk_output(fk, pid));
                }
        }
        dctl.wall = (double) (now_ns() - t0) / 1e9;
        dctl.ran = true;
        printf("driverctl: %u calls (%u failed): wall %.3f s, cpu %.3f s -> %.1f us cpu/device\n", dctl.calls, dctl.failed,
               dctl.wall, dctl.cpu, dctl.cpu / dctl.calls * 1e6);
        fflush(stdout);
        fk_free(fk);
}

/* --- safety --- */

static void protect(void) {
        if (geteuid() != 0)
                return;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                note("no private mount namespace (%m): relying on umockdev and --nosave alone");
                return;
        }
        if (mount(NULL, "/sys", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0 ||
            mount("/etc", "/etc", NULL, MS_BIND, NULL) < 0 ||
            mount(NULL, "/etc", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
                note("cannot make /sys and /etc read-only (%m): relying on umockdev and --nosave alone");
                return;
        }
        cfg.protected_ns = true;
}

/* --- output --- */

/* A JSON number, or null for NaN (a run that did not happen). */
static const char *jf(double v) {
        static char bufs[8][32];
        static unsigned i;
        char *b = bufs[i++ % 8];

        if (isnan(v))
                return "null";
        snprintf(b, sizeof(bufs[0]), "%.2f", v);
        return b;
}

static void json_lat(FILE *f, const char *key, const LatRes *r) {
        fprintf(f, "  \"%s\": {\"events\": %zu, \"errors\": %zu, \"wall_s\": %.3f, \"cpu_per_event_us\": %s,\n", key, r->n,
                r->errors, r->wall_s, r->n ? jf(r->cpu_per_event_us) : "null");
        fprintf(f, "    \"harness_us\": {\"median\": %s, \"p90\": %s, \"p99\": %s, \"max\": %s},\n",
                jf(pct_us(r->harness, r->n, 50)), jf(pct_us(r->harness, r->n, 90)), jf(pct_us(r->harness, r->n, 99)),
                jf(pct_us(r->harness, r->n, 100)));
        fprintf(f, "    \"inside_us\": {\"n\": %zu, \"median\": %s, \"p90\": %s, \"p99\": %s, \"max\": %s},\n",
                r->n_inside, jf(pct_us(r->inside, r->n_inside, 50)), jf(pct_us(r->inside, r->n_inside, 90)),
                jf(pct_us(r->inside, r->n_inside, 99)), jf(pct_us(r->inside, r->n_inside, 100)));
        fprintf(f, "    \"harness_samples_us\": [");
        for (size_t i = 0; i < r->n; i++)
                fprintf(f, "%s%.1f", i ? "," : "", (double) r->harness[i] / 1e3);
        fprintf(f, "],\n    \"inside_samples_us\": [");
        for (size_t i = 0; r->inside && i < r->n_inside; i++)
                fprintf(f, "%s%.1f", i ? "," : "", (double) r->inside[i] / 1e3);
        fprintf(f, "]}");
}

static void json_rss(FILE *f, const char *key, const Rss *r) {
        fprintf(f, "  \"%s\": {\"VmHWM\": %ld, \"VmRSS\": %ld, \"RssAnon\": %ld, \"RssFile\": %ld, \"RssShmem\": %ld, \"Pss\": %ld, \"USS\": %ld}",
                key, r->hwm, r->rss, r->anon, r->file, r->shmem, r->pss, r->uss);
}

static void write_json(void) {
        FILE *f = fopen(cfg.json, "we");

        if (!f)
                die("%s: %m", cfg.json);
        fprintf(f, "{\n  \"protected_namespace\": %s,\n  \"apply\": [\n", cfg.protected_ns ? "true" : "false");
        for (size_t i = 0; i < n_applies; i++) {
                const ApplyRes *a = &applies[i];

                fprintf(f, "    {\"setup\": \"%s\", \"devices\": %d, \"rules\": %d, \"wall_s\": %.6f, \"cpu_s\": %.6f, "
                           "\"user_s\": %.6f, \"sys_s\": %.6f, \"bound\": %u, \"exit\": %d}%s\n",
                        a->setup, a->n, a->rules, a->wall, a->cpu, a->user, a->sys, a->bound, a->status,
                        i + 1 < n_applies ? "," : "");
        }
        fprintf(f, "  ],\n  \"apply_floor\": [\n");
        for (size_t i = 0; i < n_floors; i++) {
                const FloorRes *x = &floors[i];

                fprintf(f, "    {\"setup\": \"%s\", \"devices\": %d, \"rules\": %d, \"pairs\": %d, \"pinned\": %u, "
                           "\"apply_cpu_s\": %.6f, \"floor_cpu_s\": %.6f, \"ratio\": %.4f, \"apply_user_s\": %.6f, "
                           "\"floor_user_s\": %.6f, \"apply_wall_s\": %.6f, \"floor_wall_s\": %.6f, \"wall_ratio\": %.4f, "
                           "\"cdi_cpu_s\": %.6f, \"cdi_ratio\": %.4f, \"cdi_syscalls\": %lu, \"cdi_top\": \"%s\", "
                           "\"apply_syscalls\": %lu, \"floor_syscalls\": %lu, \"apply_top\": \"%s\", \"floor_top\": \"%s\"}%s\n",
                        x->setup, x->n, x->rules, x->pairs, x->pinned, x->apply_cpu, x->floor_cpu, x->ratio, x->apply_user,
                        x->floor_user, x->apply_wall, x->floor_wall, x->wall_ratio, x->cdi_cpu, x->cdi_ratio, x->cdi_calls.total,
                        x->cdi_calls.top, x->apply_calls.total,
                        x->floor_calls.total, x->apply_calls.top, x->floor_calls.top, i + 1 < n_floors ? "," : "");
        }
        fprintf(f, "  ],\n  \"daemon\": {\"devices\": %d, \"rules\": %d, \"ready_wall_s\": %.6f, \"ready_cpu_s\": %.6f, "
                   "\"idle_s\": %.3f, \"idle_ctxt\": %llu, \"idle_watchdog\": %u, \"threads_before\": %u, "
                   "\"threads_after\": %u, \"forks_during_events\": %llu, \"exit_status\": %d,\n",
                dmn.devices, dmn.rules, dmn.ready_wall, dmn.ready_cpu, dmn.idle_seconds, (unsigned long long) dmn.idle_ctxt,
                dmn.idle_watchdog, dmn.threads_before, dmn.threads_after, dmn.forks, dmn.exit_status);
        fprintf(f, "  \"plain_ok\": %s, \"plain_ready_wall_s\": %.6f, \"plain_ready_cpu_s\": %.6f},\n",
                dmn.plain_ok ? "true" : "false", dmn.plain_ready_wall, dmn.plain_ready_cpu);
        json_rss(f, "rss_fk_ready", &dmn.rss_ready);
        fprintf(f, ",\n");
        json_rss(f, "rss_fk_after_events", &dmn.rss_after);
        fprintf(f, ",\n");
        json_rss(f, "rss_plain_0", &dmn.plain_rss0);
        fprintf(f, ",\n");
        json_rss(f, "rss_plain_1000", &dmn.plain_rss);
        fprintf(f, ",\n");
        json_lat(f, "latency_daemon", &dmn.lat);
        fprintf(f, ",\n");
        json_lat(f, "latency_floor", &lat_floor);
        fprintf(f, ",\n");
        json_lat(f, "latency_direct", &dmn.direct);
        fprintf(f, ",\n  \"spawned\": {\"fk\": %u, \"direct\": %u, \"direct_ok\": %s}", dmn.spawned, dmn.direct_spawned,
                dmn.direct_ok ? "true" : "false");
        fprintf(f, ",\n  \"driverctl\": {\"ran\": %s, \"skipped\": \"%s\", \"calls\": %u, \"failed\": %u, \"wall_s\": %.6f, "
                   "\"cpu_s\": %.6f}\n}\n",
                dctl.ran ? "true" : "false", dctl.skipped ?: "", dctl.calls, dctl.failed, dctl.wall, dctl.cpu);
        if (fclose(f) != 0)
                die("%s: %m", cfg.json);
}

static char *find_program(const char *name) {
        const char *path = getenv("PATH") ?: "";
        char *dirs = xasprintf("%s:/usr/sbin:/sbin:/usr/bin:/bin", path), *save = NULL;

        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                char *p = xasprintf("%s/%s", d, name);

                if (access(p, X_OK) == 0) {
                        free(dirs);
                        return p;
                }
                free(p);
        }
        free(dirs);
        return NULL;
}

/* Whether the comma-separated list ONLY names PART. */
static bool wants(const char *only, const char *part) {
        size_t n = strlen(part);

        for (const char *p = only; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (strncmp(p, part, n) == 0 && (p[n] == ',' || p[n] == '\0'))
                        return true;
        return false;
}

int main(int argc, char **argv) {
        const char *only = "apply,apply-floor,floor,daemon,direct,plain,driverctl";

        if (argc > 1 && strcmp(argv[1], "--listener") == 0)
                return listener_main();
        /* For profiling (bench/PROFILE.md): the plain tree and policy of one apply pass, kept. */
        if (argc == 6 && strcmp(argv[1], "--make-tree") == 0) {
                umask(022);
                build_tree(argv[2], atoi(argv[3]), strcmp(argv[5], "pin") == 0);
                write_policy(argv[2], atoi(argv[4]));
                return 0;
        }
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (strncmp(a, "--bindd=", 8) == 0)
                        cfg.bindd = a + 8;
                else if (strncmp(a, "--bindctl=", 10) == 0)
                        cfg.bindctl = a + 10;
                else if (strncmp(a, "--probe=", 8) == 0)
                        cfg.probe = a + 8;
                else if (strncmp(a, "--inject=", 9) == 0)
                        cfg.inject = a + 9;
                else if (strncmp(a, "--floor=", 8) == 0)
                        cfg.floor = a + 8;
                else if (strncmp(a, "--json=", 7) == 0)
                        cfg.json = a + 7;
                else if (strncmp(a, "--only=", 7) == 0)
                        only = a + 7;
                else if (strcmp(a, "--quick") == 0) {
                        cfg.n_sizes = 2;
                        cfg.events = 1000;
                        cfg.floor_events = 500;
                        cfg.idle_seconds = 5;
                        cfg.floor_pairs = 3;
                } else
                        die("unknown argument %s; usage: vpb-bench --bindd=PATH --bindctl=PATH --probe=PATH --inject=PATH --json=FILE "
                            "[--floor=PATH] [--quick] [--only=apply,apply-floor,floor,daemon,direct,plain,driverctl]\n"
                            "       vpb-bench --make-tree DIR DEVICES RULES pin|noop", a);
        }
        if (!cfg.bindd || !cfg.bindctl || !cfg.probe || !cfg.inject || !cfg.json)
                die("--bindd, --bindctl, --probe, --inject and --json are required");
        if (getenv("BENCH_EVENTS"))
                cfg.events = atoi(getenv("BENCH_EVENTS"));
        if (getenv("BENCH_IDLE_SECONDS"))
                cfg.idle_seconds = atoi(getenv("BENCH_IDLE_SECONDS"));
        if (!fk_supported())
                die("the fake kernel is not available (umockdev, tests/fk-shim.so)");
        umask(022);
        protect();
        cfg.driverctl = find_program("driverctl");
        setvbuf(stdout, NULL, _IOLBF, 0);

        if (wants(only, "apply"))
                for (int rules = 10; rules <= 1000; rules *= 100) {
                        apply_tree(0, rules, true);
                        for (int s = 0; s < cfg.n_sizes; s++)
                                apply_tree(cfg.sizes[s], rules, false);
                        for (int s = 0; s < cfg.n_sizes; s++)
                                apply_tree(cfg.sizes[s], rules, true);
                        apply_fk(0, rules);
                        for (int s = 0; s < cfg.n_sizes; s++)
                                apply_fk(cfg.sizes[s], rules);
                }
        if (wants(only, "apply-floor")) {
                if (!cfg.floor)
                        die("apply-floor needs --floor=PATH (bench/vpb-floor)");
                cfg.strace = find_program("strace");
                if (!cfg.strace)
                        note("no strace: the system calls are not counted");
                measure_apply_floor(cfg.sizes[cfg.n_sizes - 1], 1000, false);
                measure_apply_floor(cfg.sizes[cfg.n_sizes - 1], 1000, true);
        }
        if (wants(only, "floor"))
                measure_floor();
        if (wants(only, "daemon"))
                measure_daemon();
        if (wants(only, "direct")) {
                dmn.direct_ok = measure_direct();
                if (!dmn.direct_ok)
                        note("the direct latency run failed (the daemon did not get ready)");
        }
        if (wants(only, "plain")) {
                double w, c;

                dmn.plain_ok = daemon_plain(0, &dmn.plain_rss0, &w, &c) &&
                               daemon_plain(1000, &dmn.plain_rss, &dmn.plain_ready_wall, &dmn.plain_ready_cpu);
                if (dmn.plain_ok) {
                        print_rss("daemon plain 0 dev", &dmn.plain_rss0);
                        print_rss("daemon plain 1000 dev", &dmn.plain_rss);
                        printf("daemon plain coldplug 1000 dev (pin): %.3f s wall, %.3f s cpu\n", dmn.plain_ready_wall,
                               dmn.plain_ready_cpu);
                } else
                        note("the daemon without the fake kernel did not get ready (no uevent netlink socket?)");
        }
        if (wants(only, "driverctl")) {
                if (!selected_1000 && !wants(only, "apply"))
                        apply_fk(1000, 10);
                measure_driverctl();
        }
        write_json();
        return 0;
}
