/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "macro.h"

/* Problems found in the policy, each tied to FILE:LINE. Library code collects them; the programs
 * decide how to print them (stderr, journal). LINE 0 means the whole file. */
typedef struct Diagnostic {
        char *file;
        unsigned line;
        bool warning;
        char *message;
} Diagnostic;

/* At most this many messages are kept for one file (between diagnostics_begin_file() and
 * diagnostics_end_file()): a file of junk must not cost memory and time in proportion to its
 * lines squared. The rest are counted, and summed up in one last message. */
#define DIAG_FILE_MAX 100

typedef struct Diagnostics {
        Diagnostic *items;
        size_t n;
        size_t n_errors;        /* counts the messages not kept, too */
        bool oom; /* a message was lost to memory exhaustion; counts as an error */
        bool capping;           /* inside begin_file/end_file */
        size_t file_kept, file_dropped, file_dropped_errors;
} Diagnostics;

void diagnostics_add(Diagnostics *d, const char *file, unsigned line, bool warning, const char *fmt, ...)
        _printf_(5, 6);
#define diag_error(d, file, line, ...) diagnostics_add(d, file, line, false, __VA_ARGS__)
#define diag_warn(d, file, line, ...) diagnostics_add(d, file, line, true, __VA_ARGS__)

void diagnostics_begin_file(Diagnostics *d);
/* Adds "FILE: … and N more messages" when some were not kept. */
void diagnostics_end_file(Diagnostics *d, const char *file);

/* Prints "FILE:LINE: message" or "FILE:LINE: warning: message", one per line. */
void diagnostic_format(const Diagnostic *e, FILE *f);
void diagnostics_print(const Diagnostics *d, FILE *f);
bool diagnostics_failed(const Diagnostics *d);
void diagnostics_clear(Diagnostics *d);
