/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <libkmod.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "modules.h"

/* libkmod is opened on first use, not linked: it pulls in libcrypto, about 1.9 MB of resident
 * memory (1.45 MB of mapped pages, 0.4 MB of its own heap) for a daemon that needs a module only
 * when a target driver is missing, which is rare once vfio-platform is loaded. */
static struct {
        void *handle;
        struct kmod_ctx *(*new)(const char *, const char * const *);
        struct kmod_ctx *(*unref)(struct kmod_ctx *);
        void (*set_log_priority)(struct kmod_ctx *, int);
        int (*new_from_lookup)(struct kmod_ctx *, const char *, struct kmod_list **);
        struct kmod_list *(*list_next)(const struct kmod_list *, const struct kmod_list *);
        struct kmod_module *(*get_module)(const struct kmod_list *);
        const char *(*get_name)(const struct kmod_module *);
        int (*probe_insert)(struct kmod_module *, unsigned, const char *,
                            int (*)(struct kmod_module *, const char *, const char *, void *), const void *,
                            void (*)(struct kmod_module *, bool, void *));
        struct kmod_module *(*module_unref)(struct kmod_module *);
        int (*unref_list)(struct kmod_list *);
} kmod;

struct Modules {
        struct kmod_ctx *ctx;
};

static int kmod_open(void) {
        void *h;

        if (kmod.handle)
                return 0;
        h = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return -EOPNOTSUPP;
#define SYM(field, name)                                \
        if (!(*(void **) &kmod.field = dlsym(h, name))) \
                goto fail
        SYM(new, "kmod_new");
        SYM(unref, "kmod_unref");
        SYM(set_log_priority, "kmod_set_log_priority");
        SYM(new_from_lookup, "kmod_module_new_from_lookup");
        SYM(list_next, "kmod_list_next");
        SYM(get_module, "kmod_module_get_module");
        SYM(get_name, "kmod_module_get_name");
        SYM(probe_insert, "kmod_module_probe_insert_module");
        SYM(module_unref, "kmod_module_unref");
        SYM(unref_list, "kmod_module_unref_list");
#undef SYM
        kmod.handle = h;
        return 0;
fail:
        dlclose(h);
        return -EOPNOTSUPP;
}

int modules_new(Modules **ret) {
        Modules *m = calloc(1, sizeof(Modules));

        if (!m)
                return -ENOMEM;
        *ret = m; /* the context comes with the first lookup */
        return 0;
}

static int modules_ctx(Modules *m) {
        int r;

        if (m->ctx)
                return 0;
        r = kmod_open();
        if (r < 0)
                return r;
        m->ctx = kmod.new(NULL, NULL);
        if (!m->ctx)
                return -ENOMEM;
        /* libkmod logs to stderr by default: we report errors ourselves. */
        kmod.set_log_priority(m->ctx, 0);
        return 0;
}

Modules *modules_free(Modules *m) {
        if (!m)
                return NULL;
        if (m->ctx)
                kmod.unref(m->ctx);
        free(m);
        return NULL;
}

/* Aliases, built-in modules and module names ('-' and '_' alike), as modprobe resolves them. */
static int lookup(Modules *m, const char *name, struct kmod_list **ret) {
        struct kmod_list *l = NULL;
        int r;

        r = modules_ctx(m);
        if (r < 0)
                return r;
        r = kmod.new_from_lookup(m->ctx, name, &l);
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
        for (i = l; i; i = kmod.list_next(l, i)) {
                struct kmod_module *mod = kmod.get_module(i);

                if (ret_module && !*ret_module)
                        *ret_module = strdup(kmod.get_name(mod));
                r = kmod.probe_insert(mod, KMOD_PROBE_IGNORE_LOADED, NULL, NULL, NULL, NULL);
                kmod.module_unref(mod);
                if (r == 0)
                        break;
                if (r > 0) /* blacklisted or similar: kmod's positive codes */
                        r = -EPERM;
        }
        kmod.unref_list(l);
        return r;
}

int modules_alias_exists(Modules *m, const char *alias) {
        struct kmod_list *l = NULL;
        int r;

        r = lookup(m, alias, &l);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        kmod.unref_list(l);
        return 1;
}
