/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-platform-bindctl cdi [BUS], and the CDI specs that apply writes and the names status shows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bindctl.h"
#include "cdi.h"

/* The devices of @devs that belong in a CDI spec (pointing into @devs and @p), decided as the
 * daemon decides (IOMMU groups in view). */
static int cdi_select(Engine *e, const Policy *p, DeviceInfo **devs, size_t n, CdiDevice **ret, size_t *ret_n) {
        CdiDevice *cds = calloc(n ?: 1, sizeof(CdiDevice));
        size_t m = 0;

        if (!cds)
                return log_oom();
        for (size_t i = 0; i < n; i++) {
                IommuGroup group = {};
                Decision dec;

                if (apply_decide(e, p, devs[i], &group, &dec) >= 0)
                        m += cdi_device_of(devs[i], &dec, &cds[m]);
                iommu_group_done(&group);
        }
        *ret = cds;
        *ret_n = m;
        return 0;
}

int status_cdi_names(DeviceInfo **devs, StatusRow *rows, size_t n, char ***ret) {
        _cleanup_free_ CdiDevice *cds = calloc(n ?: 1, sizeof(CdiDevice));
        _cleanup_free_ size_t *where = calloc(n ?: 1, sizeof(size_t));
        char **names = NULL, **q = NULL;
        size_t m = 0;

        if (!cds || !where || !(names = calloc(n + 1, sizeof(char *))))
                return log_oom();
        for (size_t i = 0; i < n; i++)
                if (cdi_device_of(devs[i], &rows[i].decision, &cds[m]))
                        where[m++] = i;
        if (cdi_qualified_names(cds, m, &q) < 0) {
                free(names);
                return log_oom();
        }
        for (size_t k = 0; k < m; k++)
                rows[where[k]].cdi = names[where[k]] = q[k];
        free(q);
        *ret = names;
        return 0;
}

int write_cdi_specs_of(Context *c, CdiDevice *cds, size_t n) {
        CdiNode container;
        int r;

        cdi_resolve_nodes(c->root.fd, cds, n, &container);
        r = cdi_write_specs(c->root.fd, c->cdi_dir, cds, n, &container);
        /* No parent directory (no /run): no specs, as for the daemon. */
        if (r == -ENOENT) {
                log_debug_errno(r, "No /%s: no CDI specs.", c->cdi_dir);
                r = 0;
        } else if (r < 0)
                log_error_errno(r, "Cannot write the CDI specs in /%s: %m", c->cdi_dir);
        return r;
}

int write_cdi_specs(Context *c, Engine *e, const Policy *p) {
        _cleanup_free_ CdiDevice *cds = NULL;
        Devices l = {};
        size_t m = 0;
        char **saved = c->args;
        int r;

        c->args = NULL; /* every device */
        r = collect_devices(c, e, &l);
        c->args = saved;
        if (r < 0)
                return r;
        r = cdi_select(e, p, l.devs, l.n, &cds, &m);
        if (r >= 0)
                r = write_cdi_specs_of(c, cds, m);
        devices_done(&l);
        return r;
}

int verb_cdi(Context *c) {
        _cleanup_policy_ Policy *p = NULL;
        _cleanup_free_ CdiDevice *cds = NULL;
        Devices l = {};
        CdiNode container;
        size_t m = 0;
        Bus only = _BUS_INVALID;
        Engine e;
        int r;

        if (c->args[0]) {
                only = bus_from_string(c->args[0]);
                if (only < 0) {
                        log_error("Unknown bus '%s'.", c->args[0]);
                        return EXIT_USAGE;
                }
                c->args = NULL;
        }
        if (load_policy(c, NULL, &p) < 0)
                return EXIT_FAILED;
        c->load_modules = false;
        if (open_engine(c, &e) < 0)
                return EXIT_FAILED;
        r = collect_devices(c, &e, &l);
        if (r >= 0)
                r = cdi_select(&e, p, l.devs, l.n, &cds, &m);
        if (r >= 0)
                cdi_resolve_nodes(c->root.fd, cds, m, &container);
        for (Bus bus = 0; bus < _BUS_MAX && r >= 0; bus++) {
                _cleanup_free_ char *text = NULL;

                if (only >= 0 && bus != only)
                        continue;
                r = cdi_spec_format(bus, cds, m, &container, &text);
                if (r < 0)
                        log_error_errno(r, "Cannot format the CDI spec of the %s bus: %m", bus_to_string(bus));
                else if (text)
                        fputs(text, stdout);
                else if (only >= 0)
                        log_info("No bound %s device: no spec (a CDI spec needs a device).", bus_to_string(bus));
        }
        devices_done(&l);
        engine_done(&e);
        if (fflush(stdout) != 0)
                r = -EIO;
        return r < 0 ? EXIT_FAILED : EXIT_SUCCESS;
}
