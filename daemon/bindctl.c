/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl: the administrator's tool. Options, the verb table and the helpers the verbs
 * share; each verb in its own file, bindctl-<verb>.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bindctl.h"
#include "builtin-driver.h"
#include "cdi.h"
#include "lock.h"
#include "parse-util.h"
#include "paths.h"
#include "strv.h"
#include "validate.h"


static void help(void) {
        printf("Usage: %s [OPTIONS] COMMAND [ARGS]\n\n"
               "Bind platform devices to vfio-platform as the policy in\n"
               "/etc/vfio-platform-bind.d/*.conf says.\n\n"
               "Commands:\n"
               "  status [--json] [DEVICE...]  Devices, their drivers, and what the policy says\n"
               "  explain DEVICE               Why the policy selects DEVICE or not, and what\n"
               "                               would stop its bind\n"
               "  check [--fdt=DTB] [FILE...]  Validate the policy (or just these files) and\n"
               "                               print the effective rules with their origin;\n"
               "                               with --fdt, the devices Linux would create from\n"
               "                               DTB and what the policy decides for each\n"
               "  apply [--dry-run] [--early]  Bring every device where the policy says, once\n"
               "                               (--early, at boot: the early udev rule first)\n"
               "  bind DEVICE [--driver=NAME] [--persist]\n"
               "                               Bind DEVICE now; --persist also writes a rule\n"
               "  restore DEVICE...|--all      Give devices back to the driver they had\n"
               "  generate [--by=device|path|compatible]\n"
               "                               Print a policy selecting the devices that are\n"
               "                               on vfio-platform or vfio-amba now\n"
               "  generate-rules [--output=-]  Compile the policy into the early udev rule\n"
               "                               /run/udev/rules.d/60-vfio-platform-bind.rules\n"
               "  cdi [BUS]                    Print the CDI spec of the bound devices of BUS,\n"
               "                               or of every bus that has some\n\n"
               "Options:\n"
               "  -h --help                    Show this help\n"
               "     --version                 Show the version\n"
               "     --root=DIR                Take every path (policy, /sys, /run) under DIR\n"
               "     --no-load-modules         Never load a target driver's module\n"
               "     --write-timeout=SEC       Give up waiting for a sysfs write after SEC\n"
               "                               seconds (10)\n"
               "     --cdi-dir=DIR             apply writes the CDI specs there (/run/cdi)\n"
               "     --no-cdi                  apply writes no CDI specs\n",
               program_invocation_short_name);
}

int load_policy(Context *c, char * const *files, Policy **ret) {
        Diagnostics d = {};
        int r;

        r = policy_load(&c->root, files, ret, &d);
        diagnostics_print(&d, stderr);
        diagnostics_clear(&d);
        if (r == -EINVAL)
                return log_error_errno(r, "The policy is invalid.");
        if (r < 0)
                return log_error_errno(r, "Failed to load the policy: %m");
        return 0;
}

/* From the watchdog thread: log.c writes whole lines. */
static void on_write_hung(const char *attr, void *userdata) {
        Context *c = userdata;

        log_warning("A write to %s has not returned in %.3g s: a driver is stuck, and this command waits for it. "
                    "Later runs write through a thread that can give up (until reboot).",
                    strna(attr), (double) c->engine.write_timeout_usec / 1e6);
}

int open_engine(Context *c, Engine *e) {
        EngineConfig config = c->engine;
        int r;

        config.load_modules = c->load_modules;
        config.writes = ENGINE_WRITES_AUTO;
        config.on_hung = on_write_hung;
        config.on_hung_userdata = c;
        r = engine_init(e, c->root.fd, &config, true);
        if (r == -ENOTDIR || r == -EPERM || r == -EXDEV)
                return log_error_errno(r, "/sys or /%s under %s %s: refusing.", STATE_DIR, c->root.path,
                                       r == -ENOTDIR ? "is not a directory (a symlink?)" :
                                       r == -EXDEV ? "leads outside the root" :
                                       "is not owned by root or by our user, or others may write to it");
        if (r < 0)
                return log_error_errno(r, "Cannot open sysfs and the state directory under %s: %m", c->root.path);
        return 0;
}

int take_lock(Context *c, Engine *e) {
        LockHolder h = {};
        int r;

        r = lock_take(e->state_fd, "vfio-platform-bindctl", "vfio-platform-bindctl", 10 * 1000000ULL, &h);
        if (r == -EBUSY && streq(h.program, "vfio-platform-bindd"))
                return log_error_errno(r, "vfio-platform-bindd (PID %ld) runs on %s and manages the devices: change "
                                       "the policy and reload it, or stop the daemon first.", (long) h.pid, c->root.path);
        if (r == -EBUSY)
                return log_error_errno(r, "%s (PID %ld) holds /%s/%s under %s; try again.",
                                       h.program[0] ? h.program : "another process", (long) h.pid, STATE_DIR,
                                       LOCK_FILE, c->root.path);
        if (r < 0)
                return log_error_errno(r, "Cannot lock /%s/%s under %s: %m", STATE_DIR, LOCK_FILE, c->root.path);
        return r;
}

/* Why a device could not be read, for its "error" row and for messages. */
static char *read_error(int r, const char *what) {
        char *s = NULL;

        if (r == -EXDEV)
                r = asprintf(&s, "its sysfs directory leads outside the root%s%s", what ? " at " : "", strempty(what));
        else if (r == -EBADMSG && what && (streq(what, "driver") || streq(what, "iommu_group")))
                r = asprintf(&s, "its %s link does not name a valid %s", what,
                             streq(what, "driver") ? "driver" : "IOMMU group");
        else if (r == -EBADMSG && what)
                r = asprintf(&s, "its %s holds a NUL byte", what);
        else
                r = asprintf(&s, "%s%s%s", what ?: "", what ? ": " : "", strerror(-r));
        return r < 0 ? NULL : s;
}

/* A device that exists but cannot be read is not dropped: with @ret_error, it comes back with
 * only its name and bus, and the reason. */
static int read_device(Engine *e, Bus bus, const char *name, DeviceInfo **ret, char **ret_error) {
        _cleanup_device_info_ DeviceInfo *d = NULL;
        const char *what = NULL;
        int r;

        r = sysfs_read_device_what(&e->sysfs, bus, name, ret, &what);
        if (r >= 0 || r == -ENODEV || r == -ENOMEM || r == -EINVAL || !ret_error)
                return r;
        d = calloc(1, sizeof(DeviceInfo));
        if (!d || !(d->name = strdup(name)) || !(*ret_error = read_error(r, what)))
                return -ENOMEM;
        d->bus = bus;
        *ret = TAKE_PTR(d);
        return 0;
}

static int find_device_full(Engine *e, const char *name, DeviceInfo **ret, char **ret_error) {
        const char *what = NULL;
        int r = -ENODEV;

        if (!device_name_is_valid(name)) {
                log_error("Invalid device name '%s': a device name is 1-%d printable characters without '/' and is "
                          "not '.' or '..'.", name, DEVICE_NAME_MAX);
                return -EINVAL;
        }
        for (Bus bus = 0; bus < _BUS_MAX && r == -ENODEV; bus++)
                r = ret_error ? read_device(e, bus, name, ret, ret_error)
                              : sysfs_read_device_what(&e->sysfs, bus, name, ret, &what);
        if (r == -ENODEV)
                log_error("No device '%s' on any bus.", name);
        else if (r < 0) {
                _cleanup_free_ char *why = read_error(r, what);
                log_error_errno(r, "Cannot read device '%s': %s", name, why ?: strerror(-r));
        }
        return r;
}

int find_device(Engine *e, const char *name, DeviceInfo **ret) {
        return find_device_full(e, name, ret, NULL);
}

void devices_done(Devices *l) {
        for (size_t i = 0; i < l->n; i++) {
                device_info_free(l->devs[i]);
                free(l->errors[i]);
        }
        free(l->devs);
        free(l->errors);
        *l = (Devices) {};
}

/* Takes @d and @error; frees them when they cannot be appended. */
static int devices_append(Devices *l, DeviceInfo *d, char *error) {
        DeviceInfo **nd = reallocarray(l->devs, l->n + 1, sizeof(DeviceInfo *));
        char **ne = nd ? reallocarray(l->errors, l->n + 1, sizeof(char *)) : NULL;

        if (nd)
                l->devs = nd;
        if (ne)
                l->errors = ne;
        if (!nd || !ne) {
                device_info_free(d);
                free(error);
                return log_oom();
        }
        l->devs[l->n] = d;
        l->errors[l->n++] = error;
        return 0;
}

static int collect_one(Bus bus, const char *name, int error, void *userdata) {
        void **u = userdata;
        DeviceInfo *d = NULL;
        char *why = NULL;
        int r;

        if (!name)
                return log_error_errno(error, "Cannot list %s devices: %m", bus_to_string(bus));
        r = read_device(u[0], bus, name, &d, &why);
        if (r == -ENODEV)
                return 0; /* gone meanwhile */
        if (r < 0)
                return r;
        return devices_append(u[1], d, why);
}

int collect_devices(Context *c, Engine *e, Devices *ret) {
        Devices l = {};
        int r = 0;

        STRV_FOREACH(a, c->args) {
                DeviceInfo *d = NULL;
                char *why = NULL;

                r = find_device_full(e, *a, &d, &why);
                if (r >= 0)
                        r = devices_append(&l, d, why);
                if (r < 0)
                        break;
        }
        if (r >= 0 && strv_length(c->args) == 0)
                r = sysfs_foreach_device(&e->sysfs, collect_one, (void *[]) { e, &l });
        if (r < 0) {
                devices_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

char *boot_window(Context *c, Engine *e, const DeviceInfo *d, const Decision *dec, const char *recorded_driver) {
        const char *native = d->driver && !streq_ptr(d->driver, dec->driver) ? d->driver : recorded_driver;
        char remedy[512];
        BuiltinDriver b;
        char *s;

        if (dec->verdict != VERDICT_BIND || !native || driver_is_vfio(native) ||
            builtin_driver_facts(c->root.fd, &e->sysfs, d->bus, native, d->name, &b) < 0 || !b.builtin)
                return NULL;
        builtin_driver_remedy(&b, native, remedy, sizeof remedy);
        if (asprintf(&s, "taken at boot by the built-in driver %s, rebound after; remedy: %s", native, remedy) < 0)
                return NULL;
        return s;
}

void rule_name_for(const char *prefix, const char *s, char *buf, size_t size) {
        size_t n = snprintf(buf, size, "%s", prefix);

        for (; *s && n + 1 < size && n < RULE_NAME_MAX; s++)
                buf[n++] = strchr("_.:@+-", *s) || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                                           (*s >= '0' && *s <= '9') ? *s : '_';
        buf[n] = '\0';
}

static const struct {
        const char *name;
        int (*run)(Context *c);
        size_t min_args, max_args;
} verbs[] = {
        { "check", verb_check, 0, SIZE_MAX },
        { "status", verb_status, 0, SIZE_MAX },
        { "explain", verb_explain, 1, 1 },
        { "apply", verb_apply, 0, 0 },
        { "bind", verb_bind, 1, 1 },
        { "restore", verb_restore, 0, SIZE_MAX },
        { "generate", verb_generate, 0, 0 },
        { "generate-rules", verb_generate_rules, 0, 0 },
        { "cdi", verb_cdi, 0, 1 },
};

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_ROOT, ARG_JSON, ARG_DRY_RUN, ARG_EARLY, ARG_DRIVER, ARG_PERSIST, ARG_ALL,
               ARG_BY, ARG_NO_LOAD, ARG_WRITE_TIMEOUT, ARG_FDT, ARG_OUTPUT, ARG_CDI_DIR, ARG_NO_CDI };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "root", required_argument, NULL, ARG_ROOT },
                { "json", no_argument, NULL, ARG_JSON },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "early", no_argument, NULL, ARG_EARLY },
                { "driver", required_argument, NULL, ARG_DRIVER },
                { "persist", no_argument, NULL, ARG_PERSIST },
                { "all", no_argument, NULL, ARG_ALL },
                { "by", required_argument, NULL, ARG_BY },
                { "no-load-modules", no_argument, NULL, ARG_NO_LOAD },
                { "write-timeout", required_argument, NULL, ARG_WRITE_TIMEOUT },
                { "fdt", required_argument, NULL, ARG_FDT },
                { "output", required_argument, NULL, ARG_OUTPUT },
                { "cdi-dir", required_argument, NULL, ARG_CDI_DIR },
                { "no-cdi", no_argument, NULL, ARG_NO_CDI },
                {}
        };
        Context c = {
                .root = { .fd = -EBADF, .path = "/" },
                .load_modules = true,
                .by = "device",
                .engine = ENGINE_CONFIG_DEFAULT,
                .cdi_dir = CDI_DIR,
        };
        const char *verb;
        int opt, r;

        log_setup();
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_VERSION:
                        puts(PACKAGE_STRING);
                        return EXIT_SUCCESS;
                case ARG_ROOT:
                        c.root.path = optarg;
                        break;
                case ARG_JSON:
                        c.json = true;
                        break;
                case ARG_DRY_RUN:
                        c.dry_run = true;
                        break;
                case ARG_EARLY:
                        c.early = true;
                        break;
                case ARG_DRIVER:
                        c.driver = optarg;
                        break;
                case ARG_PERSIST:
                        c.persist = true;
                        break;
                case ARG_ALL:
                        c.all = true;
                        break;
                case ARG_BY:
                        c.by = optarg;
                        break;
                case ARG_NO_LOAD:
                        c.load_modules = false;
                        break;
                case ARG_WRITE_TIMEOUT:
                        if (parse_seconds(optarg, &c.engine.write_timeout_usec) < 0) {
                                log_error("Invalid number of seconds: %s", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_FDT:
                        c.fdt = optarg;
                        break;
                case ARG_OUTPUT:
                        if (!streq(optarg, "-")) {
                                log_error("--output= takes only '-' (standard output).");
                                return EXIT_USAGE;
                        }
                        c.output = optarg;
                        break;
                case ARG_CDI_DIR:
                        optarg += strspn(optarg, "/"); /* under --root, like every path */
                        if (isempty(optarg)) {
                                log_error("--cdi-dir= needs a directory.");
                                return EXIT_USAGE;
                        }
                        c.cdi_dir = optarg;
                        break;
                case ARG_NO_CDI:
                        c.cdi_dir = NULL;
                        break;
                default:
                        return EXIT_USAGE;
                }

        if (optind >= argc) {
                log_error("A command is needed; see --help.");
                return EXIT_USAGE;
        }
        verb = argv[optind];

        c.root.fd = open(c.root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c.root.fd < 0) {
                log_error_errno(errno, "Cannot open root directory %s: %m", c.root.path);
                return EXIT_USAGE;
        }

        r = -1;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                size_t n = (size_t) (argc - optind - 1);

                if (!streq(verb, verbs[i].name))
                        continue;
                if (n < verbs[i].min_args || n > verbs[i].max_args) {
                        log_error("Wrong number of arguments for '%s'; see --help.", verbs[i].name);
                        r = EXIT_USAGE;
                        break;
                }
                c.args = argv + optind + 1;
                r = verbs[i].run(&c);
                break;
        }
        if (r < 0) {
                log_error("Unknown command '%s'; see --help.", verb);
                r = EXIT_USAGE;
        }
        close(c.root.fd);
        return r;
}
