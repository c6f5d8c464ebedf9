/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindd: keeps the devices the policy selects on their target driver. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "cdi.h"
#include "lock.h"
#include "log.h"
#include "manager.h"
#include "metrics.h"
#include "parse-util.h"
#include "paths.h"
#include "state.h"
#include "strv.h"

static void help(void) {
        printf("Usage: %s [OPTIONS]\n\n"
               "Bind the platform devices that the policy in /etc/vfio-platform-bind.d/ selects\n"
               "to their target driver, at start and on every uevent.\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version\n"
               "     --root=DIR             Take every path (policy, /sys, /run) under DIR\n"
               "     --policy=FILE          Read this policy file instead of the directories\n"
               "                            (may be repeated)\n"
               "     --no-load-modules      Never load a target driver's module\n"
               "     --keep-on-reload       Leave devices that a new policy no longer selects\n"
               "                            on their driver instead of restoring them\n"
               "     --write-timeout=SEC    Abandon a sysfs write after SEC seconds (10)\n"
               "     --verify-timeout=SEC   Wait up to SEC seconds for a probe to show (0.1)\n"
               "     --cdi-dir=DIR          Write CDI specs of the bound devices into DIR\n"
               "                            (/run/cdi; on when its parent exists)\n"
               "     --no-cdi               Write no CDI specs\n"
               "     --metrics-dir=DIR      Write vfio_platform_bindd.prom into DIR when it\n"
               "                            exists (/var/lib/prometheus/node-exporter)\n"
               "     --no-metrics           Write no metrics\n"
               "     --log-level=LEVEL      debug, info, notice, warning or err (info)\n",
               program_invocation_short_name);
}

static int parse_level(const char *s) {
        static const char * const levels[] = {
                [LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
        };

        for (size_t i = 0; i < ELEMENTSOF(levels); i++)
                if (levels[i] && streq(levels[i], s))
                        return (int) i;
        return -EINVAL;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        if (si->ssi_signo == SIGHUP) {
                log_info("Reloading the policy (SIGHUP).");
                (void) manager_reload(m);
                return 0;
        }
        log_info("Exiting on signal %u; bindings stay.", si->ssi_signo);
        manager_stop(m);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* One daemon per root: a second one would write the same records and race the first's binds.
 * A vfio-platform-bindctl that holds the lock for a moment is waited for. */
static int take_lock(const Root *root) {
        _cleanup_close_ int dir_fd = -EBADF;
        LockHolder h = {};
        int r;

        r = state_open(root->fd, true, &dir_fd);
        if (r == -ENOTDIR || r == -EPERM || r == -EXDEV)
                return log_error_errno(r, "/%s under %s %s: refusing to start.", STATE_DIR, root->path,
                                       r == -ENOTDIR ? "is not a directory (a symlink?)" :
                                       r == -EXDEV ? "leads outside the root" :
                                       "is not owned by root or by our user, or others may write to it");
        if (r < 0)
                return log_error_errno(r, "Cannot open %s under %s: %m", "/" STATE_DIR, root->path);
        r = lock_take(dir_fd, "vfio-platform-bindd", "vfio-platform-bindctl", 10 * 1000000ULL, &h);
        if (r == -EBUSY)
                return log_error_errno(r, "%s (PID %ld) holds /%s/%s under %s: only one daemon runs per root; exiting.",
                                       h.program[0] ? h.program : "another process", (long) h.pid, STATE_DIR,
                                       LOCK_FILE, root->path);
        if (r < 0)
                return log_error_errno(r, "Cannot lock /%s/%s under %s: %m", STATE_DIR, LOCK_FILE, root->path);
        return r;
}

static int run(const Root *root, const EngineConfig *config, bool keep, char **policy_files, const PublishConfig *pc) {
        _cleanup_close_ int lock_fd = -EBADF;
        Manager *m = NULL;
        sigset_t mask;
        int r;

        /* Before any thread exists: the device job threads must inherit the mask, or a signal
         * meant for the event loop kills the process through one of them. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        lock_fd = take_lock(root);
        if (lock_fd < 0)
                return lock_fd;
        r = manager_new(root, config, keep, policy_files, &m);
        if (r < 0)
                return r;
        r = publisher_new(m, pc, &m->publisher);
        if (r < 0) {
                log_oom();
                goto finish;
        }
        r = manager_load_policy(m);
        if (r < 0)
                goto finish;

        for (int sig = SIGHUP; sig <= SIGTERM; sig++)
                if (sigismember(&mask, sig) == 1 && (r = sd_event_add_signal(m->event, NULL, sig, on_signal, m)) < 0) {
                        log_error_errno(r, "Failed to watch signal %d: %m", sig);
                        goto finish;
                }
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the watchdog: %m, ignoring");

        /* Listen first, then enumerate: a device that appears in between is not missed. */
        r = manager_start_monitor(m);
        if (r < 0)
                goto finish;
        /* READY=1 when every device's job is back, from the loop: signals and the watchdog are
         * served meanwhile. */
        m->ready_pending = true;
        manager_coldplug(m);

        r = sd_event_loop(m->event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        (void) sd_notify(false, "STOPPING=1");
finish:
        /* A job still writing keeps the daemon's lock: no second writer until the process is gone. */
        if (manager_free_at_exit(m))
                TAKE_FD(lock_fd);
        return r;
}

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_ROOT, ARG_POLICY, ARG_NO_LOAD, ARG_KEEP, ARG_WRITE_TIMEOUT,
               ARG_VERIFY_TIMEOUT, ARG_LOG_LEVEL, ARG_CDI_DIR, ARG_NO_CDI, ARG_METRICS_DIR, ARG_NO_METRICS };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "root", required_argument, NULL, ARG_ROOT },
                { "policy", required_argument, NULL, ARG_POLICY },
                { "no-load-modules", no_argument, NULL, ARG_NO_LOAD },
                { "keep-on-reload", no_argument, NULL, ARG_KEEP },
                { "write-timeout", required_argument, NULL, ARG_WRITE_TIMEOUT },
                { "verify-timeout", required_argument, NULL, ARG_VERIFY_TIMEOUT },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "cdi-dir", required_argument, NULL, ARG_CDI_DIR },
                { "no-cdi", no_argument, NULL, ARG_NO_CDI },
                { "metrics-dir", required_argument, NULL, ARG_METRICS_DIR },
                { "no-metrics", no_argument, NULL, ARG_NO_METRICS },
                {}
        };
        EngineConfig config = ENGINE_CONFIG_DEFAULT;
        _cleanup_strv_free_ char **policy_files = NULL;
        Root root = { .fd = -EBADF, .path = "/" };
        PublishConfig pc = { .cdi_dir = CDI_DIR, .metrics_dir = METRICS_DIR };
        bool keep = false;
        int opt, r;

        log_setup();
        /* One malloc arena for the job threads too: a device job allocates little, and an arena
         * per thread would cost more resident memory than the daemon has otherwise. */
        (void) mallopt(M_ARENA_MAX, 1);
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_VERSION:
                        puts(PACKAGE_STRING);
                        return EXIT_SUCCESS;
                case ARG_ROOT:
                        root.path = optarg;
                        break;
                case ARG_POLICY:
                        if (strv_extend(&policy_files, optarg) < 0)
                                return log_oom(), EXIT_FAILURE;
                        break;
                case ARG_NO_LOAD:
                        config.load_modules = false;
                        break;
                case ARG_KEEP:
                        keep = true;
                        break;
                case ARG_WRITE_TIMEOUT:
                case ARG_VERIFY_TIMEOUT:
                        if (parse_seconds(optarg, opt == ARG_WRITE_TIMEOUT ? &config.write_timeout_usec
                                                                           : &config.verify_timeout_usec) < 0) {
                                log_error("Invalid number of seconds: %s", optarg);
                                return 2;
                        }
                        break;
                case ARG_LOG_LEVEL:
                        r = parse_level(optarg);
                        if (r < 0) {
                                log_error("Unknown log level: %s", optarg);
                                return 2;
                        }
                        log_set_max_level(r);
                        break;
                case ARG_CDI_DIR:
                case ARG_METRICS_DIR:
                        /* Under --root like every other path: "/run/cdi" is "run/cdi" there. */
                        optarg += strspn(optarg, "/");
                        if (isempty(optarg)) {
                                log_error("--%s= needs a directory.", opt == ARG_CDI_DIR ? "cdi-dir" : "metrics-dir");
                                return 2;
                        }
                        *(opt == ARG_CDI_DIR ? &pc.cdi_dir : &pc.metrics_dir) = optarg;
                        break;
                case ARG_NO_CDI:
                        pc.cdi_dir = NULL;
                        break;
                case ARG_NO_METRICS:
                        pc.metrics_dir = NULL;
                        break;
                default:
                        return 2;
                }
        if (optind < argc) {
                log_error("This program takes no arguments; see --help.");
                return 2;
        }

        root.fd = open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root.fd < 0) {
                log_error_errno(errno, "Cannot open root directory %s: %m", root.path);
                return 2;
        }
        r = run(&root, &config, keep, policy_files, &pc);
        close(root.fd);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
