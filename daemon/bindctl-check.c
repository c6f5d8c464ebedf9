/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl check [--fdt=DTB] [FILE...]: validate the policy; with --fdt, the devices a device tree would give. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bindctl.h"
#include "dtb.h"
#include "strv.h"

/* The devices a kernel would create from a DTB, and what the policy says of each. */
static int check_fdt(const Policy *p, const char *path) {
        _cleanup_free_ char *error = NULL;
        _cleanup_free_ void *blob = NULL;
        DeviceInfo *devs = NULL;
        size_t size, n = 0;
        int r;

        r = fdt_read_file(path, &blob, &size);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", path);
        r = fdt_list_devices(blob, size, &devs, &n, &error);
        if (r < 0) {
                if (error)
                        log_error("%s: %s", path, error);
                return log_error_errno(r, "%s: not a usable device tree.", path);
        }
        printf("\n# %zu device%s that Linux would create from %s\n", n, n == 1 ? "" : "s", path);
        printf("%-32s %-8s %-40s %s\n", "DEVICE", "BUS", "DT PATH", "DECISION");
        for (size_t i = 0; i < n; i++) {
                const DeviceInfo *d = &devs[i];
                Decision dec;

                policy_decide(p, d, &dec);
                printf("%-32s %-8s %-40s ", d->name, bus_to_string(d->bus), d->of_fullname ?: "-");
                if (!dec.rule)
                        printf("-\n");
                else if (dec.verdict == VERDICT_BIND)
                        printf("bind to %s by %s (%s:%u)\n", dec.driver, dec.rule->name, dec.rule->file, dec.rule->line);
                else
                        printf("protected by %s (%s:%u)\n", dec.rule->name, dec.rule->file, dec.rule->line);
        }
        fdt_devices_free(devs, n);
        return 0;
}

int verb_check(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        int r;

        r = load_policy(c, strv_length(c->args) > 0 ? c->args : NULL, &p);
        if (r < 0)
                return EXIT_FAILED;

        printf("# %zu rule%s from %zu file%s\n", p->n_rules, p->n_rules == 1 ? "" : "s",
               strv_length(p->files), strv_length(p->files) == 1 ? "" : "s");
        STRV_FOREACH(f, p->files)
                printf("#   %s\n", *f);
        if (c->fdt)
                r = check_fdt(p, c->fdt);
        else {
                if (p->n_rules > 0)
                        putchar('\n');
                policy_dump(p, stdout);
        }
        if (fflush(stdout) != 0)
                r = -EIO;
        return r < 0 ? EXIT_FAILED : EXIT_SUCCESS;
}
