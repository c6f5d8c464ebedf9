/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <check.h>

#include "diag.h"
#include "policy.h"

/* A fresh temporary directory, removed by tu_rm_rf(). */
char *tu_mkdtemp(void);
void tu_rm_rf(const char *path);
/* Writes @content to @dir/@rel, creating the parent directories. */
void tu_write(const char *dir, const char *rel, const char *content);
void tu_mkdir_p(const char *dir, const char *rel);
char *tu_read(const char *path);
/* All messages, as the programs print them. */
char *tu_diag_string(const Diagnostics *d);
/* Parses @text as one file named "t.conf" and finalizes. */
Policy *tu_parse(const char *text, Diagnostics *d);
/* Runs the suite, exits with the number of failures (77 when @skip_reason is set). */
int tu_run(Suite *s);
