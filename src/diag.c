/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "escape.h"
#include "macro.h"

static void diagnostics_addv(Diagnostics *d, const char *file, unsigned line, bool warning, const char *fmt,
                             va_list ap) {
        Diagnostic *items, *e;
        int r;

        items = reallocarray(d->items, d->n + 1, sizeof(Diagnostic));
        if (!items) {
                d->oom = true;
                return;
        }
        d->items = items;
        e = &d->items[d->n];
        *e = (Diagnostic) { .line = line, .warning = warning };

        e->file = strdup(file ?: "");
        r = vasprintf(&e->message, fmt, ap);
        if (r < 0 || !e->file) {
                free(e->file);
                if (r >= 0)
                        free(e->message);
                d->oom = true;
                return;
        }
        d->n++;
}

void diagnostics_add(Diagnostics *d, const char *file, unsigned line, bool warning, const char *fmt, ...) {
        va_list ap;

        if (!warning)
                d->n_errors++;
        if (d->capping && d->file_kept >= DIAG_FILE_MAX) {
                d->file_dropped++;
                d->file_dropped_errors += !warning;
                return;
        }
        d->file_kept += d->capping;
        va_start(ap, fmt);
        diagnostics_addv(d, file, line, warning, fmt, ap);
        va_end(ap);
}

static void diagnostics_add_summary(Diagnostics *d, const char *file, bool warning, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        diagnostics_addv(d, file, 0, warning, fmt, ap);
        va_end(ap);
}

void diagnostics_begin_file(Diagnostics *d) {
        d->capping = true;
        d->file_kept = d->file_dropped = d->file_dropped_errors = 0;
}

void diagnostics_end_file(Diagnostics *d, const char *file) {
        /* Not counted again: the messages it stands for were. */
        if (d->file_dropped > 0)
                diagnostics_add_summary(d, file, d->file_dropped_errors == 0, "… and %zu more message%s (%zu error%s)",
                                        d->file_dropped, d->file_dropped == 1 ? "" : "s", d->file_dropped_errors,
                                        d->file_dropped_errors == 1 ? "" : "s");
        d->capping = false;
        d->file_kept = d->file_dropped = d->file_dropped_errors = 0;
}

/* Escaped (escape.h): a file name holding a newline must not forge a "FILE:LINE:" line. */
void diagnostic_format(const Diagnostic *e, FILE *f) {
        fputs_cescaped(e->file, f);
        if (e->line > 0)
                fprintf(f, ":%u", e->line);
        fprintf(f, ": %s", e->warning ? "warning: " : "");
        fputs_cescaped_text(e->message, f);
        fputc('\n', f);
}

static void diagnostics_print_to(const Diagnostics *d, FILE *f) {
        for (size_t i = 0; i < d->n; i++)
                diagnostic_format(&d->items[i], f);
        if (d->oom)
                fputs("Out of memory while collecting policy messages.\n", f);
}

/* Formatted in memory first and written at once: stderr is unbuffered, and the escaping writes
 * piece by piece (one write(2) per character: 15,000 for a policy's 100 warnings). */
void diagnostics_print(const Diagnostics *d, FILE *f) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *m;

        if (d->n == 0 && !d->oom)
                return;
        m = open_memstream(&buf, &size);
        if (!m) {
                diagnostics_print_to(d, f);
                return;
        }
        diagnostics_print_to(d, m);
        if (fclose(m) != 0) {
                diagnostics_print_to(d, f);
                return;
        }
        fwrite(buf, 1, size, f);
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
