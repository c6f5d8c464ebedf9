/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Storm and soak under the fake kernel (tests/fake-kernel.h): the real daemon against 1,000
 * devices and 100,000 uevents of churn (devices removed and re-added, native drivers winning
 * the race at hotplug and during a vfio-platform reload, change/bind/unbind events), then
 * - storm:  no crash, its RSS flat, the final state of every device exact, STATUS= consistent;
 * - faults: the same while sysfs writes fail at random (EBUSY, EIO, EINVAL, a device that
 *           vanishes mid-write); after the faults are cleared one change per device converges,
 *           and a SIGHUP reload after that writes nothing;
 * - lost:   uevents dropped in windows during the churn, the last one leaving devices misplaced
 *           (re-added and grabbed by native drivers, vfio-platform reloaded); the ENOBUFS rescan
 *           alone converges. Its count is 30,000: every loss costs a full rescan.
 *
 * Event counts are the uevents the harness causes itself (add, remove, the unbind/bind of a
 * driver (un)registration or native grab, change/bind/unbind); the daemon's own writes cause
 * more (reported, not counted). STORM_EVENTS=N overrides the count of every scenario,
 * STORM_SEED=N the random seed. Under valgrind (the harness runs under it; tests/valgrind.sh
 * does not trace children, so the daemon does not) the counts are divided by VALGRIND_DIVISOR:
 * the harness is ~4x slower there, and the point of that run is the harness-side memory
 * checking, not the volume. In an ASan build (harness and daemon instrumented) they are halved:
 * 50,000 still cycles ASan's 256 MB quarantine. The daemon's RSS is checked in every build but
 * ASan's (its quarantine and shadow memory grow by design); there it is only reported. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake-kernel.h"
#include "macro.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifndef ASAN_BUILD
#define ASAN_BUILD 0
#endif

#define T 120000              /* upper bound of any single wait (ms) */
#define N_DEVICES 1000
#define STORM_EVENTS 100000   /* scenario storm and faults (the figure) */
#define LOST_EVENTS 30000     /* scenario lost: each rescan costs a full coldplug */
#define VALGRIND_DIVISOR 10
#define ASAN_DIVISOR 2        /* ASan: harness and daemon ~1.5x slower, the daemon's RSS ~470 MB at 100,000 */
#define BATCH_EVENTS 100      /* uevents caused between two turns of serving the daemon */
#define BACKLOG_MAX 400       /* queued uevents we let the daemon lag behind before waiting */
#define WINDOWS 10            /* vfio-platform reloads with native grabs per scenario */
#define WINDOW_EVERY_MIN 2000 /* ... but not more often than every N uevents (one costs ~1,000) */
#define GRABS_PER_WINDOW 25
/* RSS may grow this much between 10% of the churn and its end. By then every device has been
 * seen, added, removed, bound and recorded; what may remain is malloc's slack (the arenas of the
 * event loop and of the sysfs worker thread, libudev's buffers, sd-event's sources that come and
 * go). Measured: +0 to +68 kB on a ~5.3 MB RSS. 1 MiB, or 10% of the RSS at 10% if that is
 * more: a leak of 12 bytes per uevent (1.1 MB over 90,000) or of 100 bytes per bind fails. */
#define RSS_SLACK_KB 1024
#define RSS_SLACK_PERCENT 10

typedef enum Kind {
        K_EXACT,         /* selected by name (a device= rule); native driver registered */
        K_GLOB,          /* selected by a compatible glob; native driver registered */
        K_GLOB_NONATIVE, /* selected by the glob; its native driver is not registered */
        K_PATH,          /* selected by a path glob; native driver registered */
        K_AMBA,          /* amba, selected by compatible; to vfio-amba */
        K_PROTECTED,     /* the glob would select it, an ignore rule before it protects it */
        K_CONSOLE,       /* amba, protected by an ignore rule */
        K_UNSEL,         /* no rule; native driver registered */
        K_UNSEL_NONE,    /* no rule, no native driver */
        _K_MAX,
} Kind;

/* The 10 slots of i % 10. */
static const Kind kind_of_slot[10] = { K_EXACT, K_EXACT, K_GLOB, K_GLOB_NONATIVE, K_PATH,
                                       K_AMBA, K_PROTECTED, K_CONSOLE, K_UNSEL, K_UNSEL_NONE };

static const char *const dma_compat[] = { "storm,dma", NULL };
static const char *const accel_compat[] = { "storm,accel-v2", "storm,accel", NULL };
static const char *const secure_compat[] = { "storm,accel-secure", "storm,accel", NULL };
static const char *const ipu_compat[] = { "storm,ipu", NULL };
static const char *const pl330_compat[] = { "arm,pl330", "arm,primecell", NULL };
static const char *const pl011_compat[] = { "arm,pl011", "arm,primecell", NULL };
static const char *const gpio_compat[] = { "storm,gpio", NULL };

typedef struct Device {
        char name[48];
        char node[64];
        Kind kind;
        FkDeviceSpec spec;
        bool present;       /* in the model: the device should exist at the end */
        unsigned faults;    /* scenario faults: bit FkFile set when a fault is armed */
        bool vanish_armed;
} Device;

typedef struct Storm {
        FakeKernel *fk;
        pid_t pid;
        Device dev[N_DEVICES];
        unsigned long long rng;
        unsigned long events;  /* uevents caused by the harness */
        unsigned long lost;    /* of which dropped (scenario lost) */
        unsigned long window_every, next_window;
        unsigned windows, grabs, vanished, faults_armed, flaps;
        bool with_faults, with_losses;
} Storm;

static char self_dir[PATH_MAX];

/* --- small helpers --- */

static unsigned long long rnd(Storm *s) { /* xorshift64* */
        s->rng ^= s->rng >> 12;
        s->rng ^= s->rng << 25;
        s->rng ^= s->rng >> 27;
        return s->rng * 2685821657736338717ULL;
}

static unsigned rnd_below(Storm *s, unsigned n) {
        return (unsigned) ((rnd(s) >> 11) % n);
}

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool under_valgrind(void) {
        const char *v = getenv("VALGRIND");

        return RUNNING_ON_VALGRIND || (v && *v);
}

static unsigned long scaled(unsigned long n) {
        const char *e = getenv("STORM_EVENTS");

        if (e && *e)
                return strtoul(e, NULL, 10);
        return under_valgrind() ? n / VALGRIND_DIVISOR : ASAN_BUILD ? n / ASAN_DIVISOR : n;
}

static const char *daemon_path(void) {
        static char path[PATH_MAX + 32];
        const char *b = getenv("top_builddir");

        snprintf(path, sizeof(path), "%s%s/vfio-platform-bindd", b && *b ? b : self_dir, b && *b ? "" : "/..");
        return path;
}

/* The last bytes of the daemon's output, for failure messages. */
static const char *tail(const Storm *s) {
        const char *o = fk_output(s->fk, s->pid);
        size_t n = strlen(o);

        return n > 3000 ? o + n - 3000 : o;
}

static void read_rss(pid_t pid, long *ret_rss, long *ret_hwm) {
        char path[64], line[256];
        FILE *f;

        *ret_rss = *ret_hwm = -1;
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        ck_assert_msg(f, "cannot read %s: %s", path, strerror(errno));
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "VmRSS:", 6) == 0)
                        *ret_rss = strtol(line + 6, NULL, 10);
                else if (strncmp(line, "VmHWM:", 6) == 0)
                        *ret_hwm = strtol(line + 6, NULL, 10);
        }
        fclose(f);
        ck_assert(*ret_rss > 0 && *ret_hwm > 0);
}

static bool selected(Kind k) {
        return k <= K_AMBA;
}

static bool is_amba(Kind k) {
        return k == K_AMBA || k == K_CONSOLE;
}

/* What the device must show at the end: its driver (NULL: unbound) and override. */
static const char *want_driver(Kind k) {
        static const char *const table[_K_MAX] = {
                [K_EXACT] = "vfio-platform", [K_GLOB] = "vfio-platform", [K_GLOB_NONATIVE] = "vfio-platform",
                [K_PATH] = "vfio-platform",  [K_AMBA] = "vfio-amba",     [K_PROTECTED] = "storm-accel",
                [K_CONSOLE] = "uart-pl011",  [K_UNSEL] = "storm-gpio",   [K_UNSEL_NONE] = NULL,
        };
        return table[k];
}

static const char *want_override(Kind k) {
        return selected(k) ? want_driver(k) : NULL;
}

/* --- set-up --- */

static int find_libasan(struct dl_phdr_info *info, size_t size, void *userdata) {
        const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;

        (void) size;
        if (base && strncmp(base, "/libasan.so", 11) == 0) {
                snprintf(userdata, PATH_MAX, "%s", info->dlpi_name);
                return 1;
        }
        return 0;
}

/* The libasan this program runs with (the daemon was built with the same flags), or NULL. */
static const char *libasan_path(void) {
        static char path[PATH_MAX];

        if (!path[0])
                dl_iterate_phdr(find_libasan, path);
        return path[0] ? path : NULL;
}

static void device_init(Device *d, unsigned i) {
        unsigned addr = 0x10000000u + i * 0x1000u;

        d->kind = kind_of_slot[i % 10];
        d->spec = (FkDeviceSpec) { .bus = FK_PLATFORM, .name = d->name, .of_fullname = d->node };
        switch (d->kind) {
        case K_EXACT:
                snprintf(d->name, sizeof(d->name), "%x.dma", addr);
                snprintf(d->node, sizeof(d->node), "/soc/dma@%x", addr);
                d->spec.compatible = dma_compat;
                d->spec.native = "storm-dma";
                break;
        case K_GLOB:
        case K_GLOB_NONATIVE:
                snprintf(d->name, sizeof(d->name), "%x.accel", addr);
                snprintf(d->node, sizeof(d->node), "/soc/accel@%x", addr);
                d->spec.compatible = accel_compat;
                d->spec.native = d->kind == K_GLOB ? "storm-accel" : "storm-accel-legacy"; /* never registered */
                break;
        case K_PATH:
                snprintf(d->name, sizeof(d->name), "%x.ipu", addr);
                snprintf(d->node, sizeof(d->node), "/soc/ipu@%x", addr);
                d->spec.compatible = ipu_compat;
                d->spec.native = "storm-ipu";
                break;
        case K_AMBA:
                snprintf(d->name, sizeof(d->name), "%x.dma-controller", addr);
                snprintf(d->node, sizeof(d->node), "/soc/dma-controller@%x", addr);
                d->spec.bus = FK_AMBA;
                d->spec.compatible = pl330_compat;
                d->spec.native = "dma-pl330";
                d->spec.periphid = 0x00241330;
                break;
        case K_PROTECTED:
                snprintf(d->name, sizeof(d->name), "%x.secure", addr);
                snprintf(d->node, sizeof(d->node), "/soc/secure@%x", addr);
                d->spec.compatible = secure_compat;
                d->spec.native = "storm-accel";
                break;
        case K_CONSOLE:
                snprintf(d->name, sizeof(d->name), "%x.serial", addr);
                snprintf(d->node, sizeof(d->node), "/soc/serial@%x", addr);
                d->spec.bus = FK_AMBA;
                d->spec.compatible = pl011_compat;
                d->spec.native = "uart-pl011";
                d->spec.periphid = 0x00241011;
                break;
        case K_UNSEL:
        case K_UNSEL_NONE:
                snprintf(d->name, sizeof(d->name), "%x.gpio", addr);
                snprintf(d->node, sizeof(d->node), "/soc/gpio@%x", addr);
                d->spec.compatible = gpio_compat;
                d->spec.native = d->kind == K_UNSEL ? "storm-gpio" : NULL;
                break;
        default:
                abort();
        }
}

static void write_policy(Storm *s, const char *path) {
        FILE *f = fopen(path, "we");

        ck_assert_ptr_nonnull(f);
        fputs("# tests/test-storm.c\n"
              "[protect-secure]\ncompatible = storm,accel-secure\naction = ignore\n\n"
              "[protect-console]\ncompatible = arm,pl011\naction = ignore\n\n"
              "[by-name]\n",
              f);
        for (unsigned i = 0; i < N_DEVICES; i++)
                if (s->dev[i].kind == K_EXACT)
                        fprintf(f, "device = %s\n", s->dev[i].name);
        fputs("driver = vfio-platform\n\n"
              "[accel-glob]\ncompatible = storm,accel-*\n\n"
              "[ipu-by-path]\npath = /soc/ipu@*\n\n"
              "[amba-dma]\ncompatible = arm,pl330\n",
              f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(chmod(path, 0644), 0);
}

static Storm *storm_new(unsigned long long seed, bool with_faults, bool with_losses) {
        static const char *const platform_drivers[] = { "vfio-platform", "storm-dma", "storm-accel", "storm-ipu", "storm-gpio", NULL };
        static const char *const amba_drivers[] = { "vfio-amba", "dma-pl330", "uart-pl011", NULL };
        Storm *s = calloc(1, sizeof(Storm));
        char root_arg[PATH_MAX + 16], policy[PATH_MAX], policy_arg[PATH_MAX + 16], asan[512],
             preload[PATH_MAX + 16] = "STORM_NO_PRELOAD=1";
        const char *argv[] = { daemon_path(), root_arg, policy_arg, "--no-load-modules", "--log-level=notice", NULL };
        const char *env[] = { asan, preload, NULL };
        const char *line, *old = getenv("ASAN_OPTIONS");

        ck_assert_ptr_nonnull(s);
        s->rng = seed ? seed : 1;
        s->with_faults = with_faults;
        s->with_losses = with_losses;
        s->fk = fk_new();
        ck_assert_ptr_nonnull(s->fk);
        for (const char *const *d = platform_drivers; *d; d++)
                ck_assert_int_eq(fk_driver_register(s->fk, FK_PLATFORM, *d), 0);
        for (const char *const *d = amba_drivers; *d; d++)
                ck_assert_int_eq(fk_driver_register(s->fk, FK_AMBA, *d), 0);
        for (unsigned i = 0; i < N_DEVICES; i++) {
                device_init(&s->dev[i], i);
                ck_assert_int_eq(fk_device_add(s->fk, &s->dev[i].spec), 0);
                s->dev[i].present = true;
        }

        snprintf(policy, sizeof(policy), "%s/storm.conf", fk_root(s->fk));
        write_policy(s, policy);
        snprintf(root_arg, sizeof(root_arg), "--root=%s", fk_root(s->fk));
        snprintf(policy_arg, sizeof(policy_arg), "--policy=%s", policy);
        /* An ASan-built daemon under umockdev's preload; keep the rest of the caller's options.
         * And libasan first: umockdev's fclose() calls glibc's straight from dlopen("libc.so.6"),
         * past ASan's interceptor, so ASan never forgets an open_memstream() FILE it saw; when
         * its allocator hands out that address again (after ~256 MB of quarantine, some 10,000
         * binds into the storm: the state file is formatted with open_memstream()), the next
         * open_memstream() dies on "CHECK failed: sanitizer_common_interceptors.inc:352
         * ((h.created())) != (0)". With libasan first, the daemon's fclose() reaches ASan. */
        snprintf(asan, sizeof(asan), "ASAN_OPTIONS=%s%sverify_asan_link_order=0", old ?: "", old && *old ? ":" : "");
        if (ASAN_BUILD && libasan_path())
                snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", libasan_path());
        s->pid = fk_spawn(s->fk, argv, env, 0);
        ck_assert_int_gt(s->pid, 0);
        line = fk_wait_notify(s->fk, "READY=1", T);
        ck_assert_msg(line, "no READY=1 from the daemon:\n%s", tail(s));
        return s;
}

/* --- the churn; each returns the uevents it caused --- */

static unsigned count_bound_to(Storm *s, const char *drv) {
        unsigned n = 0;

        for (unsigned i = 0; i < N_DEVICES; i++)
                n += s->dev[i].present && streq_ptr(fk_device_driver(s->fk, s->dev[i].name), drv);
        return n;
}

static unsigned op_remove(Storm *s, Device *d) {
        unsigned n = fk_device_driver(s->fk, d->name) ? 2 : 1; /* unbind, remove */

        ck_assert_int_eq(fk_device_remove(s->fk, d->name), 0);
        d->present = false;
        return n;
}

static unsigned op_add(Storm *s, Device *d) {
        ck_assert_int_eq(fk_device_add(s->fk, &d->spec), 0);
        d->present = true;
        return 1 + !!fk_device_driver(s->fk, d->name); /* add, and bind if its native driver took it */
}

/* vfio-platform reloaded: its devices are unbound, native drivers grab some of them while it is
 * away (the override does not stop fk_native_grab(): the race the daemon must win back), and
 * it comes back and takes the others. The daemon is not served meanwhile. */
static unsigned op_vfio_window(Storm *s) {
        unsigned n = count_bound_to(s, "vfio-platform"), grabs = 0;

        ck_assert_int_eq(fk_driver_unregister(s->fk, FK_PLATFORM, "vfio-platform"), 0);
        for (unsigned tries = 0; tries < 4 * GRABS_PER_WINDOW && grabs < GRABS_PER_WINDOW; tries++) {
                Device *d = &s->dev[rnd_below(s, N_DEVICES)];

                if (d->present && selected(d->kind) && !is_amba(d->kind) && fk_native_grab(s->fk, d->name) == 0)
                        grabs++;
        }
        ck_assert_int_eq(fk_driver_register(s->fk, FK_PLATFORM, "vfio-platform"), 0);
        s->windows++;
        s->grabs += grabs;
        return n + grabs + count_bound_to(s, "vfio-platform");
}

static void arm_fault(Storm *s) {
        static const FkFile files[] = { FK_OVERRIDE, FK_UNBIND, FK_PROBE };
        static const int errnos[] = { EBUSY, EIO, EINVAL };
        Device *d = &s->dev[rnd_below(s, N_DEVICES)];
        FkFile file = files[rnd_below(s, ELEMENTSOF(files))];
        bool vanish = rnd_below(s, 100) < 3;

        if (!selected(d->kind)) /* the daemon writes nothing for the others */
                return;
        fk_fault(s->fk, d->name, file, vanish ? FK_VANISH : errnos[rnd_below(s, ELEMENTSOF(errnos))],
                 vanish ? 1 : 1 + (int) rnd_below(s, 3));
        d->faults |= 1u << file;
        d->vanish_armed |= vanish;
        s->faults_armed++;
}

/* A device whose armed FK_VANISH fired is gone: the model follows. */
static void note_vanished_one(Storm *s, Device *d) {
        if (d->vanish_armed && d->present && !fk_device_exists(s->fk, d->name)) {
                d->present = false;
                s->vanished++;
        }
}

static void note_vanished(Storm *s) {
        for (unsigned i = 0; i < N_DEVICES; i++)
                note_vanished_one(s, &s->dev[i]);
}

static void clear_faults(Storm *s) {
        for (unsigned i = 0; i < N_DEVICES; i++) {
                for (FkFile f = 0; f < _FK_FILE_MAX; f++)
                        if (s->dev[i].faults & (1u << f))
                                fk_fault(s->fk, s->dev[i].name, f, 0, 0);
                s->dev[i].faults = 0;
                s->dev[i].vanish_armed = false;
        }
}

static unsigned churn_op(Storm *s) {
        Device *d = &s->dev[rnd_below(s, N_DEVICES)];
        unsigned p = rnd_below(s, 100), n;

        /* The daemon's jobs run on several threads: a vanish may fire in any request the harness
         * serves, not only in serve(). */
        note_vanished_one(s, d);
        if (!d->present)
                return op_add(s, d);
        if (p < 30)
                return op_remove(s, d);
        if (p < 40) { /* flap: gone and back before the daemon looks */
                s->flaps++;
                n = op_remove(s, d);
                return n + op_add(s, d);
        }
        if (p < 45) /* a native driver wins a race, if the device is free right now */
                return fk_native_grab(s->fk, d->name) == 0;
        if (p < 50) { /* spurious bind/unbind events: the state does not change */
                ck_assert_int_eq(fk_uevent(s->fk, d->name, p < 48 ? "bind" : "unbind"), 0);
                return 1;
        }
        ck_assert_int_eq(fk_uevent(s->fk, d->name, "change"), 0);
        return 1;
}

/* Devices not where they should be at the end, now. */
static unsigned misplaced(Storm *s) {
        unsigned n = 0;

        for (unsigned i = 0; i < N_DEVICES; i++) {
                const Device *d = &s->dev[i];

                if (fk_device_exists(s->fk, d->name) != d->present)
                        n++;
                else if (d->present && (!streq_ptr(fk_device_driver(s->fk, d->name), want_driver(d->kind)) ||
                                        !streq_ptr(fk_device_override(s->fk, d->name), want_override(d->kind))))
                        n++;
        }
        return n;
}

/* The last word of scenario lost: with uevents dropped, selected devices come back (their native
 * driver grabs them at once, the override went with the device), others come and go, and
 * vfio-platform reloads while native drivers grab its devices. Only the ENOBUFS rescan can put
 * them right: nothing follows. */
static void final_lost_window(Storm *s) {
        unsigned long before = s->events;
        unsigned flapped = 0;

        fk_lose_uevents(s->fk, true);
        for (unsigned tries = 0; tries < 1000 && flapped < 50; tries++) {
                Device *d = &s->dev[rnd_below(s, N_DEVICES)];

                if (d->present && selected(d->kind) && d->kind != K_GLOB_NONATIVE) {
                        s->events += op_remove(s, d);
                        s->events += op_add(s, d);
                        flapped++;
                }
        }
        for (unsigned k = 0; k < 40; k++) {
                Device *d = &s->dev[rnd_below(s, N_DEVICES)];

                s->events += d->present ? op_remove(s, d) : op_add(s, d);
        }
        s->events += op_vfio_window(s);
        s->lost += s->events - before;
        ck_assert_uint_gt(misplaced(s), 0);
        fk_lose_uevents(s->fk, false); /* the daemon reads ENOBUFS next */
}

static bool backlog_low(FakeKernel *fk, void *userdata) {
        return fk_uevents_queued(fk) <= *(unsigned *) userdata;
}

/* One turn of serving the daemon: at least one round, then until it lags by at most
 * BACKLOG_MAX uevents. */
static void serve(Storm *s) {
        unsigned max = BACKLOG_MAX;
        int r;

        r = fk_wait(s->fk, NULL, NULL, 1);
        ck_assert_msg(r == 0, "the daemon exited during the storm:\n%s", tail(s));
        r = fk_wait(s->fk, backlog_low, &max, T);
        ck_assert_msg(r == 1, "the daemon %s (%u uevents queued):\n%s", r == 0 ? "stopped reading uevents" : "exited",
                      fk_uevents_queued(s->fk), tail(s));
        if (s->with_faults)
                note_vanished(s);
}

/* Runs the churn until the harness has caused TARGET more uevents. */
static void churn(Storm *s, unsigned long target) {
        unsigned long every = s->window_every, end = s->events + target, next_window = s->next_window;
        unsigned batches = 0;

        while (s->events < end) {
                unsigned long batch_end = s->events + BATCH_EVENTS;
                bool lose = s->with_losses && batches % 20 == 19;

                if (lose)
                        fk_lose_uevents(s->fk, true);
                if (s->with_faults)
                        for (int k = 0; k < 5; k++)
                                arm_fault(s);
                if (s->events >= next_window) {
                        s->events += op_vfio_window(s);
                        next_window += every;
                }
                while (s->events < batch_end) {
                        unsigned n = churn_op(s);

                        s->events += n;
                        if (lose)
                                s->lost += n;
                }
                if (lose)
                        fk_lose_uevents(s->fk, false); /* the daemon reads ENOBUFS next */
                serve(s);
                batches++;
        }
        s->next_window = next_window;
}

static void settle(Storm *s) {
        int r = fk_settle(s->fk, 300, T);

        ck_assert_msg(r == 1, "the fake kernel did not settle:\n%s", tail(s));
        ck_assert_msg(kill(s->pid, 0) == 0, "the daemon is gone:\n%s", tail(s));
        ck_assert_uint_eq(fk_uevents_queued(s->fk), 0);
}

/* --- the final state --- */

static void assert_final_state(Storm *s) {
        char msg[2048] = "", status[128];
        size_t len = 0;
        unsigned bad = 0, bound = 0, protected = 0;
        const char *got;

        for (unsigned i = 0; i < N_DEVICES; i++) {
                const Device *d = &s->dev[i];
                bool exists = fk_device_exists(s->fk, d->name);
                const char *drv = fk_device_driver(s->fk, d->name), *ovr = fk_device_override(s->fk, d->name);

                if (d->present) {
                        bound += selected(d->kind);
                        protected += d->kind == K_PROTECTED || d->kind == K_CONSOLE;
                }
                if (exists == d->present &&
                    (!exists || (streq_ptr(drv, want_driver(d->kind)) && streq_ptr(ovr, want_override(d->kind)))))
                        continue;
                if (bad++ < 10 && len < sizeof(msg) - 200)
                        len += (size_t) snprintf(msg + len, sizeof(msg) - len,
                                                 "  %s: %s, driver %s, override %s; want %s, driver %s, override %s\n", d->name,
                                                 exists ? "present" : "absent", drv ?: "none", ovr ?: "(null)",
                                                 d->present ? "present" : "absent", want_driver(d->kind) ?: "none",
                                                 want_override(d->kind) ?: "(null)");
        }
        ck_assert_msg(bad == 0, "%u of %d devices are not where they should be:\n%s\ndaemon:\n%s", bad, N_DEVICES, msg, tail(s));

        snprintf(status, sizeof(status), "%u device%s bound, 0 failed, %u protected", bound, bound == 1 ? "" : "s", protected);
        got = fk_notify_status(s->fk);
        ck_assert_msg(got && streq(got, status), "STATUS=%s, want %s\ndaemon:\n%s", got ?: "(none)", status, tail(s));
}

static void report(Storm *s, const char *name, double secs, long rss10, long hwm10, long rss, long hwm) {
        fprintf(stderr,
                "storm %s: %lu uevents by the harness (%lu lost, %u vfio reloads, %u native grabs, %u flaps, %u faults armed, "
                "%u vanished) + %u unbind and %u drivers_probe writes by the daemon in %.1f s: %.0f uevents/s; "
                "daemon RSS %ld kB at 10%%, %ld kB at the end (%+ld kB), peak %ld kB (%ld kB at 10%%)%s%s\n",
                name, s->events, s->lost, s->windows, s->grabs, s->flaps, s->faults_armed, s->vanished,
                fk_writes(s->fk, NULL, FK_UNBIND), fk_writes(s->fk, NULL, FK_PROBE), secs, s->events / secs, rss10, rss,
                rss - rss10, hwm, hwm10, under_valgrind() ? " [valgrind: scaled down]" : "",
                ASAN_BUILD ? " [ASan: RSS not checked]" : "");
}

static void assert_rss_flat(long rss10, long rss) {
        long slack = rss10 * RSS_SLACK_PERCENT / 100;

        if (slack < RSS_SLACK_KB)
                slack = RSS_SLACK_KB;
        if (ASAN_BUILD)
                return;
        ck_assert_msg(rss <= rss10 + slack, "daemon RSS grew from %ld kB at 10%% of the churn to %ld kB at the end (allowed +%ld kB)",
                      rss10, rss, slack);
}

static void stop(Storm *s) {
        int status = fk_stop(s->fk, s->pid, T);

        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the daemon did not exit cleanly (status %d):\n%s", status,
                      tail(s));
        fk_free(s->fk);
        free(s);
}

static unsigned long long seed(void) {
        const char *e = getenv("STORM_SEED");

        return e && *e ? strtoull(e, NULL, 0) : 0x5eed5eedULL;
}

/* The three scenarios share the run: 10% of churn, a pause to measure, 90%, then the end. */
static void run_scenario(const char *name, bool with_faults, bool with_losses, unsigned long events) {
        unsigned long long sd = seed();
        Storm *s = storm_new(sd, with_faults, with_losses);
        long rss10, hwm10, rss, hwm;
        double t0 = now_s(), secs;

        s->window_every = events / WINDOWS < WINDOW_EVERY_MIN ? WINDOW_EVERY_MIN : events / WINDOWS;
        s->next_window = s->window_every / 2;
        fprintf(stderr, "storm %s: seed 0x%llx, %lu uevents, daemon %d\n", name, sd, events, (int) s->pid);
        churn(s, events / 10);
        settle(s);
        read_rss(s->pid, &rss10, &hwm10);
        churn(s, events - events / 10);

        if (with_faults) {
                /* Faults off; a few may still have left devices half-way: one change each. */
                note_vanished(s);
                clear_faults(s);
                settle(s);
                fprintf(stderr, "storm %s: before the final change: STATUS=%s\n", name, fk_notify_status(s->fk) ?: "(none)");
                for (unsigned i = 0; i < N_DEVICES; i++)
                        if (s->dev[i].present) {
                                ck_assert_int_eq(fk_uevent(s->fk, s->dev[i].name, "change"), 0);
                                s->events++;
                        }
        }
        if (with_losses) {
                settle(s);
                final_lost_window(s);
        }
        settle(s);
        secs = now_s() - t0;
        read_rss(s->pid, &rss, &hwm);
        report(s, name, secs, rss10, hwm10, rss, hwm);

        assert_final_state(s);
        if (with_losses)
                ck_assert_msg(strstr(fk_output(s->fk, s->pid), "Uevents were lost"), "no rescan after lost uevents:\n%s", tail(s));
        else
                ck_assert_msg(!strstr(fk_output(s->fk, s->pid), "Uevents were lost"), "uevents were lost:\n%s", tail(s));
        if (with_faults)
                ck_assert_uint_gt(s->faults_armed, 0);
        assert_rss_flat(rss10, rss);
        if (with_faults) {
                /* A reload with the same policy after all this moves nothing. */
                fk_writes_reset(s->fk);
                ck_assert_int_eq(fk_kill(s->fk, s->pid, SIGHUP), 0);
                ck_assert_msg(fk_wait_notify(s->fk, "RELOADING=1", T), "no RELOADING=1:\n%s", tail(s));
                ck_assert_msg(fk_wait_notify(s->fk, "READY=1", T), "no READY=1 after the reload:\n%s", tail(s));
                settle(s);
                assert_final_state(s);
                ck_assert_uint_eq(fk_writes(s->fk, NULL, FK_UNBIND), 0);
                ck_assert_uint_eq(fk_writes(s->fk, NULL, FK_PROBE), 0);
        }
        stop(s);
}

START_TEST(test_storm) {
        run_scenario("plain", false, false, scaled(STORM_EVENTS));
}
END_TEST

START_TEST(test_storm_faults) {
        run_scenario("faults", true, false, scaled(STORM_EVENTS));
}
END_TEST

START_TEST(test_storm_lost_uevents) {
        run_scenario("lost", false, true, scaled(LOST_EVENTS));
}
END_TEST

int main(void) {
        Suite *su;
        TCase *tc;
        SRunner *sr;
        char *slash;
        ssize_t n;
        int failed;

        if (!fk_supported())
                return 77;
        n = readlink("/proc/self/exe", self_dir, sizeof(self_dir) - 1);
        if (n <= 0)
                return 1;
        self_dir[n] = '\0';
        slash = strrchr(self_dir, '/');
        if (slash)
                *slash = '\0';
        if (access(daemon_path(), X_OK) < 0) {
                fprintf(stderr, "%s: %s\n", daemon_path(), strerror(errno));
                return 1;
        }

        su = suite_create("storm");
        tc = tcase_create("storm");
        tcase_set_timeout(tc, 900);
        tcase_add_test(tc, test_storm);
        tcase_add_test(tc, test_storm_faults);
        tcase_add_test(tc, test_storm_lost_uevents);
        suite_add_tcase(su, tc);
        sr = srunner_create(su);
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
