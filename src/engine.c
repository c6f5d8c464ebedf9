/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagnose.h"
#include "engine.h"
#include "modules-builtin.h"
#include "state.h"

static const char * const bind_status_table[_BIND_STATUS_MAX] = {
        [BIND_ALREADY] = "already",
        [BIND_DONE] = "bound",
        [BIND_FAILED] = "failed",
        [BIND_GONE] = "gone",
        [BIND_TIMEOUT] = "timeout",
        [BIND_REFUSED] = "refused",
        [BIND_PINNED] = "pinned",
};

const char *bind_status_to_string(BindStatus s) {
        return s < _BIND_STATUS_MAX ? bind_status_table[s] : NULL;
}

static void engine_on_hung(const char *attr, void *userdata) {
        Engine *e = userdata;

        /* The next run writes through the worker, which can give up on a write. */
        if (e->state_fd >= 0)
                (void) state_mark_write_hung(e->state_fd, attr);
        if (e->config.on_hung)
                e->config.on_hung(attr, e->config.on_hung_userdata);
}

/* Inline writes cost no thread hand-off (7 futex calls and a dup per write, measured), but a
 * write that hangs holds the caller: AUTO takes that risk only while no write has hung since
 * boot, and watches. */
static int engine_setup_writes(Engine *e) {
        EngineWrites w = e->config.writes;

        if (w == ENGINE_WRITES_AUTO && state_write_ever_hung(e->state_fd))
                w = ENGINE_WRITES_WORKER;
        switch (w) {
        case ENGINE_WRITES_WORKER:
                return worker_new(&e->worker);
        case ENGINE_WRITES_AUTO:
                write_watch_attach(&e->watch);
                return write_watchdog_new(&e->watch, e->config.write_timeout_usec, engine_on_hung, e, &e->watchdog);
        default:
                return 0;
        }
}

int engine_init(Engine *e, int root_fd, const EngineConfig *config, bool with_state) {
        int r;

        *e = (Engine) { .sysfs.fd = -EBADF, .state_fd = -EBADF, .config = *config, .root_fd = root_fd };
        pthread_mutex_init(&e->lock, NULL);
        pthread_mutex_init(&e->modules_lock, NULL);
        r = sysfs_open(root_fd, &e->sysfs);
        if (r < 0)
                return r;
        if (with_state) {
                r = state_open(root_fd, true, &e->state_fd);
                if (r < 0)
                        goto fail;
        }
        r = engine_setup_writes(e);
        if (r < 0)
                goto fail;
        if (config->kernel_release)
                snprintf(e->kernel_release, sizeof e->kernel_release, "%s", config->kernel_release);
        else
                kernel_release_read(root_fd, e->kernel_release, sizeof e->kernel_release);
        return 0;
fail:
        engine_done(e);
        return r;
}

static void guard_free(Guard *g) {
        if (g)
                guard_done(g);
        free(g);
}

void engine_forget_guard(Engine *e) {
        Guard **l;

        pthread_mutex_lock(&e->lock);
        /* A job on another thread may be reading it: keep it until the end. */
        if (e->guard && (l = reallocarray(e->retired, e->n_retired + 1, sizeof(Guard *)))) {
                e->retired = l;
                e->retired[e->n_retired++] = e->guard;
        } else if (e->guard)
                guard_free(e->guard); /* out of memory: only a single-threaded caller gets here unharmed */
        e->guard = NULL;
        pthread_mutex_unlock(&e->lock);
}

const Guard *engine_guard(Engine *e) {
        static const Guard empty = {};
        const Guard *g;

        pthread_mutex_lock(&e->lock);
        if (!e->guard) {
                e->guard = calloc(1, sizeof(Guard));
                if (e->guard && guard_load(e->root_fd, &e->sysfs, e->guard) < 0) {
                        free(e->guard);
                        e->guard = NULL;
                }
        }
        g = e->guard ?: &empty;
        pthread_mutex_unlock(&e->lock);
        return g;
}

void engine_done(Engine *e) {
        if (e->watchdog) {
                write_watchdog_free(e->watchdog);
                write_watch_attach(NULL);
        }
        guard_free(e->guard);
        for (size_t i = 0; i < e->n_retired; i++)
                guard_free(e->retired[i]);
        free(e->retired);
        modules_free(e->modules);
        worker_free(e->worker);
        if (e->state_fd >= 0)
                close(e->state_fd);
        sysfs_close(&e->sysfs);
        pthread_mutex_destroy(&e->lock);
        pthread_mutex_destroy(&e->modules_lock);
        *e = (Engine) { .sysfs.fd = -EBADF, .state_fd = -EBADF, .root_fd = -EBADF };
}

/* libkmod's context on first use: its indexes cost memory and time that a daemon whose target
 * driver is already loaded never needs. NULL when module loading is off or impossible. Call
 * with @e->modules_lock held: libkmod is not thread-safe. */
static Modules *engine_modules(Engine *e) {
        if (!e->modules && e->config.load_modules && modules_new(&e->modules) < 0)
                e->modules = NULL;
        return e->modules;
}

_printf_(4, 5) static int report(BindReport *rep, BindStatus status, int error, const char *fmt, ...) {
        va_list ap;

        rep->status = status;
        rep->error = error;
        rep->reason[0] = '\0';
        if (fmt) {
                va_start(ap, fmt);
                vsnprintf(rep->reason, sizeof rep->reason, fmt, ap);
                va_end(ap);
        }
        return 0;
}

/* A failed write: the device may have gone, the write may have hung, or sysfs said no. */
static int report_write(BindReport *rep, int r, const char *what, const char *value) {
        if (r == -ENODEV)
                return report(rep, BIND_GONE, r, "the device went away while writing %s", what);
        if (r == -ETIME)
                return report(rep, BIND_TIMEOUT, r, "writing '%s' to %s did not return in time; abandoned", value, what);
        return report(rep, BIND_FAILED, r, "writing '%s' to %s failed: %s", value, what, strerror(-r));
}

static int write_dev(Engine *e, BindReport *rep, const DeviceInfo *d, const char *attr, const char *value) {
        _cleanup_close_ int fd = sysfs_open_device(&e->sysfs, d->bus, d->name);

        if (fd < 0)
                return fd;
        rep->writes++;
        return worker_write(e->worker, fd, attr, value, e->config.write_timeout_usec);
}

static int write_driver(Engine *e, BindReport *rep, Bus bus, const char *driver, const char *attr, const char *value) {
        _cleanup_close_ int fd = sysfs_open_driver(&e->sysfs, bus, driver);

        if (fd < 0)
                return fd == -ENOENT ? -ENODEV : fd;
        rep->writes++;
        return worker_write(e->worker, fd, attr, value, e->config.write_timeout_usec);
}

static int write_probe(Engine *e, BindReport *rep, const DeviceInfo *d) {
        _cleanup_close_ int fd = sysfs_open_bus(&e->sysfs, d->bus);

        if (fd < 0)
                return fd;
        rep->writes++;
        return worker_write(e->worker, fd, "drivers_probe", d->name, e->config.write_timeout_usec);
}

static void sleep_usec(uint64_t usec) {
        struct timespec ts = { .tv_sec = usec / 1000000, .tv_nsec = (usec % 1000000) * 1000 };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Probing is synchronous for most drivers, but a driver may ask for asynchronous probing: look
 * again, backing off, for a bounded time. */
static int wait_for_driver(Engine *e, DeviceInfo *d, const char *driver) {
        uint64_t waited = 0, step = 1000;

        for (;;) {
                int r = sysfs_refresh_device(&e->sysfs, d);
                if (r < 0)
                        return r;
                if (streq_ptr(d->driver, driver))
                        return 1;
                if (waited >= e->config.verify_timeout_usec)
                        return 0;
                sleep_usec(step);
                waited += step;
                step = step * 2 > 100000 ? 100000 : step * 2;
        }
}

static int read_bool_param(Engine *e, const char *module, const char *param) {
        _cleanup_free_ char *v = NULL;

        if (sysfs_read_module_param(&e->sysfs, module, param, &v) < 0)
                return -1;
        return v[0] == 'Y' || v[0] == 'y' || v[0] == '1';
}

void engine_collect_facts(Engine *e, const DeviceInfo *d, const char *target, BindFacts *ret) {
        char alias[64 + 128];
        BindFacts f = {
                .device = d->name,
                .bus = d->bus,
                .target = target,
                .target_registered = sysfs_driver_registered(&e->sysfs, d->bus, target),
                .module_loading = e->config.load_modules,
                .now_bound = d->driver,
                .has_iommu_group = d->iommu_group != NULL,
                .noiommu = read_bool_param(e, "vfio", "enable_unsafe_noiommu_mode"),
                .reset_required = bus_table[d->bus].reset_param_module
                                          ? read_bool_param(e, bus_table[d->bus].reset_param_module, "reset_required")
                                          : 0,
                .compatible = d->compatibles ? d->compatibles[0] : NULL,
                .reset_by_compatible = bus_table[d->bus].reset_by_compatible,
                .reset_module = -1,
                .kernel_release = e->kernel_release,
        };

        pthread_mutex_lock(&e->modules_lock);
        if (f.reset_by_compatible && f.compatible && driver_is_vfio(target) && engine_modules(e)) {
                snprintf(alias, sizeof alias, "vfio-reset:%s", f.compatible);
                f.reset_module = modules_alias_exists(e->modules, alias);
                if (f.reset_module < 0)
                        f.reset_module = -1;
        }
        pthread_mutex_unlock(&e->modules_lock);
        *ret = f;
}

static void diagnose(Engine *e, const DeviceInfo *d, const char *target, const char *module, int module_error,
                     BindReport *rep) {
        BindFacts f;

        engine_collect_facts(e, d, target, &f);
        f.module = module;
        f.module_error = module_error;
        rep->status = BIND_FAILED;
        diagnose_bind_failure(&f, rep->reason, sizeof rep->reason);
}

static void record(Engine *e, const DeviceInfo *d, const DeviceRecord *prev, const char *target, const char *rule,
                   BindReport *rep) {
        DeviceRecord rec = {
                .previous_driver = prev->previous_driver,
                .previous_override = prev->previous_override,
                .target = (char *) target,
                .rule = (char *) rule,
                .status = (char *) (rep->status <= BIND_DONE ? "bound" : rep->status == BIND_PINNED ? "pending" : "failed"),
                .reason = rep->reason[0] ? (char *) rep->reason : NULL,
        };

        /* Not silent: without its record, a restore cannot know where the device was. */
        if (e->state_fd >= 0 && rep->status != BIND_GONE)
                rep->record_error = state_save(e->state_fd, d->bus, d->name, &rec);
}

/* What the device had before we first touched it, from the record or from now. */
static int previous_state(Engine *e, const DeviceInfo *d, const char *target, DeviceRecord *ret) {
        int r = -ENOENT;

        if (e->state_fd >= 0)
                r = state_load(e->state_fd, d->bus, d->name, ret);
        if (r >= 0)
                return 0;
        *ret = (DeviceRecord) {};
        if ((d->driver && !streq(d->driver, target) && !(ret->previous_driver = strdup(d->driver))) ||
            (d->override && !streq(d->override, target) && !(ret->previous_override = strdup(d->override)))) {
                device_record_done(ret);
                return -ENOMEM;
        }
        return 0;
}

static int ensure_driver(Engine *e, Bus bus, const char *target, char **ret_module) {
        int r = -ENOENT;

        if (sysfs_driver_registered(&e->sysfs, bus, target))
                return 0;
        pthread_mutex_lock(&e->modules_lock);
        if (engine_modules(e)) {
                /* A VMM opening the device needs the type1 IOMMU backend, which nothing else loads. */
                if (driver_is_vfio(target))
                        (void) modules_load(e->modules, "vfio_iommu_type1", NULL);
                r = modules_load(e->modules, target, ret_module);
        }
        pthread_mutex_unlock(&e->modules_lock);
        return r;
}

static int do_bind(Engine *e, DeviceInfo *d, const char *target, BindReport *rep) {
        _cleanup_free_ char *module = NULL;
        int r, module_error;

        if (d->driver && streq(d->driver, target)) {
                if (streq_ptr(d->override, target))
                        return report(rep, BIND_ALREADY, 0, NULL);
                /* Bound but not pinned: pin it, so that a later reprobe cannot move it. */
                r = write_dev(e, rep, d, "driver_override", target);
                if (r < 0)
                        return report_write(rep, r, "driver_override", target);
                return report(rep, BIND_ALREADY, 0, NULL);
        }

        module_error = ensure_driver(e, d->bus, target, &module);

        /* The override first, even when the target is missing: the native driver must not take
         * the device back on the next probe. */
        if (!streq_ptr(d->override, target)) {
                r = write_dev(e, rep, d, "driver_override", target);
                if (r < 0)
                        return report_write(rep, r, "driver_override", target);
                /* A driver may have bound since we looked (the kernel probes a new device right
                 * after its add event): with the override in place, what is bound now is all
                 * that can be. */
                r = sysfs_refresh_device(&e->sysfs, d);
                if (r == -ENODEV)
                        return report(rep, BIND_GONE, r, "the device went away while binding");
                if (r < 0)
                        return report(rep, BIND_FAILED, r, "reading the device back failed: %s", strerror(-r));
                if (streq_ptr(d->driver, target))
                        return report(rep, BIND_DONE, 0, NULL);
        }
        if (!sysfs_driver_registered(&e->sysfs, d->bus, target)) {
                diagnose(e, d, target, module, module_error < 0 ? module_error : 0, rep);
                return 0;
        }

        if (d->driver) {
                r = write_driver(e, rep, d->bus, d->driver, "unbind", d->name);
                /* ENODEV: it was unbound meanwhile; whether the device is still there shows next. */
                if (r < 0 && r != -ENODEV)
                        return report_write(rep, r, "the driver's unbind", d->name);
        }
        r = write_probe(e, rep, d);
        if (r == -ENODEV && sysfs_refresh_device(&e->sysfs, d) == -ENODEV)
                return report(rep, BIND_GONE, r, "the device went away while binding");
        if (r == -ENODEV) /* the device is there, yet the bus says it is not */
                return report(rep, BIND_FAILED, r, "writing '%s' to drivers_probe failed: %s", d->name, strerror(-r));
        if (r < 0)
                return report_write(rep, r, "drivers_probe", d->name);

        r = wait_for_driver(e, d, target);
        if (r == -ENODEV)
                return report(rep, BIND_GONE, r, "the device went away while binding");
        if (r < 0)
                return report(rep, BIND_FAILED, r, "reading the device back failed: %s", strerror(-r));
        if (r > 0)
                return report(rep, BIND_DONE, 0, NULL);
        diagnose(e, d, target, module, 0, rep);
        return 0;
}

int engine_bind(Engine *e, DeviceInfo *d, const char *target, const char *rule, BindReport *ret) {
        int r;

        *ret = (BindReport) {};
        r = sysfs_refresh_device(&e->sysfs, d);
        if (r == -ENODEV)
                return report(ret, BIND_GONE, r, "the device is gone");
        if (r < 0)
                return r;
        return engine_bind_fresh(e, d, target, rule, ret);
}

int engine_bind_fresh(Engine *e, DeviceInfo *d, const char *target, const char *rule, BindReport *ret) {
        DeviceRecord prev = {};
        int r;

        *ret = (BindReport) {};
        r = previous_state(e, d, target, &prev);
        if (r < 0)
                return r;
        r = do_bind(e, d, target, ret);
        if (r >= 0)
                record(e, d, &prev, target, rule, ret);
        device_record_done(&prev);
        return r;
}

int engine_pin_recorded(Engine *e, DeviceInfo *d, const char *target, const char *rule, BindReport *ret) {
        DeviceRecord prev = {};
        int r;

        *ret = (BindReport) {};
        r = previous_state(e, d, target, &prev);
        if (r < 0)
                return r;
        r = streq_ptr(d->override, target) ? 0 : write_dev(e, ret, d, "driver_override", target);
        if (r < 0)
                report_write(ret, r, "driver_override", target);
        else
                report(ret, BIND_PINNED, 0, NULL);
        record(e, d, &prev, target, rule, ret);
        device_record_done(&prev);
        return 0;
}

int engine_unbind(Engine *e, DeviceInfo *d, const char *target) {
        BindReport rep = {};
        int r;

        r = sysfs_refresh_device(&e->sysfs, d);
        if (r < 0 || !d->driver || streq(d->driver, target))
                return r;
        r = write_driver(e, &rep, d->bus, d->driver, "unbind", d->name);
        return r == -ENODEV ? 0 : r; /* unbound meanwhile */
}

int engine_restore(Engine *e, DeviceInfo *d, BindReport *ret) {
        DeviceRecord rec = {};
        const char *override;
        int r;

        *ret = (BindReport) {};
        r = sysfs_refresh_device(&e->sysfs, d);
        if (r == -ENODEV)
                return report(ret, BIND_GONE, r, "the device is gone");
        if (r < 0)
                return r;
        if (e->state_fd >= 0 && state_load(e->state_fd, d->bus, d->name, &rec) < 0)
                rec = (DeviceRecord) {};

        /* The kernel clears an override on a lone newline. */
        override = rec.previous_override ?: "\n";
        r = write_dev(e, ret, d, "driver_override", override);
        if (r < 0) {
                report_write(ret, r, "driver_override", rec.previous_override ?: "");
                goto finish;
        }
        /* Only a driver we put there goes; anything else stays where it is. */
        if (d->driver && (streq_ptr(d->driver, rec.target) || (!rec.target && driver_is_vfio(d->driver)))) {
                r = write_driver(e, ret, d->bus, d->driver, "unbind", d->name);
                if (r == -ETIME && driver_is_vfio(d->driver)) {
                        /* The kernel blocks a VFIO driver's unbind until the user closes the device. */
                        report(ret, BIND_TIMEOUT, r, "in use by a VFIO user: unbinding %s waits until it closes the device",
                               d->driver);
                        goto finish;
                }
                if (r < 0 && r != -ENODEV) {
                        report_write(ret, r, "the driver's unbind", d->name);
                        goto finish;
                }
                r = write_probe(e, ret, d);
                if (r < 0 && r != -ENODEV) {
                        report_write(ret, r, "drivers_probe", d->name);
                        goto finish;
                }
                (void) wait_for_driver(e, d, rec.previous_driver);
        }
        r = sysfs_refresh_device(&e->sysfs, d);
        if (r == -ENODEV)
                report(ret, BIND_GONE, r, "the device went away while restoring");
        else if (rec.previous_driver && !streq_ptr(d->driver, rec.previous_driver))
                report(ret, BIND_FAILED, 0, "'%s' did not take the device back (now: %s)", rec.previous_driver,
                       d->driver ?: "unbound");
        else
                report(ret, BIND_DONE, 0, NULL);
        if (e->state_fd >= 0 && ret->status != BIND_TIMEOUT)
                (void) state_remove(e->state_fd, d->bus, d->name);
finish:
        device_record_done(&rec);
        return 0;
}
