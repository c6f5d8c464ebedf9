/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libkmod.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "modules.h"

struct Modules {
        struct kmod_ctx *ctx;
};

int modules_new(Modules **ret) {
        Modules *m = calloc(1, sizeof(Modules));

        if (!m)
                return -ENOMEM;
        m->ctx = kmod_new(NULL, NULL);
        if (!m->ctx) {
                free(m);
                return -ENOMEM;
        }
        /* libkmod logs to stderr by default: we report errors ourselves. */
        kmod_set_log_priority(m->ctx, 0);
        *ret = m;
        return 0;
}

Modules *modules_free(Modules *m) {
        if (!m)
                return NULL;
        kmod_unref(m->ctx);
        free(m);
        return NULL;
}

/* Aliases, built-in modules and module names ('-' and '_' alike), as modprobe resolves them. */
static int lookup(Modules *m, const char *name, struct kmod_list **ret) {
        struct kmod_list *l = NULL;
        int r;

        r = kmod_module_new_from_lookup(m->ctx, name, &l);
        if (r < 0)
                return r;
        if (!l)
                return -ENOENT;
        *ret = l;
        return 0;
}

int modules_load(Modules *m, const char *name, char **ret_module) {
        struct kmod_list *l = NULL, *i;
        int r = -ENOENT;

        r = lookup(m, name, &l);
        if (r < 0)
                return r;
        kmod_list_foreach(i, l) {
                struct kmod_module *mod = kmod_module_get_module(i);

                if (ret_module && !*ret_module)
                        *ret_module = strdup(kmod_module_get_name(mod));
                r = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_LOADED, NULL, NULL, NULL, NULL);
                kmod_module_unref(mod);
                if (r == 0)
                        break;
                if (r > 0) /* blacklisted or similar: kmod's positive codes */
                        r = -EPERM;
        }
        kmod_module_unref_list(l);
        return r;
}

int modules_alias_exists(Modules *m, const char *alias) {
        struct kmod_list *l = NULL;
        int r;

        r = kmod_module_new_from_lookup(m->ctx, alias, &l);
        if (r < 0)
                return r;
        r = l != NULL;
        kmod_module_unref_list(l);
        return r;
}
