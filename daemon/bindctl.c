/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl: the administrator's tool. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "log.h"
#include "macro.h"
#include "policy-load.h"
#include "strv.h"

typedef struct Context {
        Root root;
        char **args;    /* the verb's arguments */
} Context;

/* Exit codes, as documented in vfio-platform-bindctl(8). */
enum {
        EXIT_INVALID = 1,       /* the policy is invalid, or an operation failed */
        EXIT_USAGE = 2,         /* bad command line, unknown device */
};

static void help(void) {
        printf("Usage: %s [OPTIONS] COMMAND [ARGS]\n\n"
               "Bind platform devices to vfio-platform as the policy in\n"
               "/etc/vfio-platform-bind.d/*.conf says.\n\n"
               "Commands:\n"
               "  check [FILE...]     Validate the policy (or just these files) and print\n"
               "                      the effective rules with their origin\n\n"
               "Options:\n"
               "  -h --help           Show this help\n"
               "     --version        Show the version\n"
               "     --root=DIR       Use DIR as the root for every path (policy, /sys, /run)\n",
               program_invocation_short_name);
}

static int load_policy(Context *c, char * const *files, Policy **ret) {
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

static int verb_check(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        int r;

        r = load_policy(c, strv_length(c->args) > 0 ? c->args : NULL, &p);
        if (r < 0)
                return EXIT_INVALID;

        printf("# %zu rule%s from %zu file%s\n", p->n_rules, p->n_rules == 1 ? "" : "s",
               strv_length(p->files), strv_length(p->files) == 1 ? "" : "s");
        STRV_FOREACH(f, p->files)
                printf("#   %s\n", *f);
        if (p->n_rules > 0)
                putchar('\n');
        policy_dump(p, stdout);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_INVALID;
}

static const struct {
        const char *name;
        int (*run)(Context *c);
        size_t min_args, max_args;
} verbs[] = {
        { "check", verb_check, 0, SIZE_MAX },
};

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_ROOT };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "root", required_argument, NULL, ARG_ROOT },
                {}
        };
        Context c = { .root = { .fd = -EBADF, .path = "/" } };
        int opt, r;

        log_setup();
        while ((opt = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
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
                default:
                        return EXIT_USAGE;
                }

        if (optind >= argc) {
                log_error("A command is needed; see --help.");
                return EXIT_USAGE;
        }

        c.root.fd = open(c.root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c.root.fd < 0) {
                log_error_errno(errno, "Cannot open root directory %s: %m", c.root.path);
                return EXIT_USAGE;
        }

        r = -1;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                size_t n = (size_t) (argc - optind - 1);

                if (!streq(argv[optind], verbs[i].name))
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
                log_error("Unknown command '%s'; see --help.", argv[optind]);
                r = EXIT_USAGE;
        }
        close(c.root.fd);
        return r;
}
