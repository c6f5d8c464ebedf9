/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void diagnostics_add(Diagnostics *d, const char *file, unsigned line, bool warning, const char *fmt, ...) {
        Diagnostic *items, *e;
        va_list ap;
        int r;

        if (!warning)
                d->n_errors++;

        items = reallocarray(d->items, d->n + 1, sizeof(Diagnostic));
        if (!items) {
                d->oom = true;
                return;
        }
        d->items = items;
        e = &d->items[d->n];
        *e = (Diagnostic) { .line = line, .warning = warning };

        e->file = strdup(file ?: "");
        va_start(ap, fmt);
        r = vasprintf(&e->message, fmt, ap);
        va_end(ap);
        if (r < 0 || !e->file) {
                free(e->file);
                if (r >= 0)
                        free(e->message);
                d->oom = true;
                return;
        }
        d->n++;
}

void diagnostic_format(const Diagnostic *e, FILE *f) {
        if (e->line > 0)
                fprintf(f, "%s:%u: %s%s\n", e->file, e->line, e->warning ? "warning: " : "", e->message);
        else
                fprintf(f, "%s: %s%s\n", e->file, e->warning ? "warning: " : "", e->message);
}

void diagnostics_print(const Diagnostics *d, FILE *f) {
        for (size_t i = 0; i < d->n; i++)
                diagnostic_format(&d->items[i], f);
        if (d->oom)
                fputs("Out of memory while collecting policy messages.\n", f);
}

bool diagnostics_failed(const Diagnostics *d) {
        return d->n_errors > 0 || d->oom;
}

void diagnostics_clear(Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].file);
                free(d->items[i].message);
        }
        free(d->items);
        *d = (Diagnostics) {};
}
