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

/* A plain sysfs tree under @root (no kernel behind it: writes land in files). */
void tu_sysfs_bus(const char *root, const char *bus);
void tu_sysfs_driver(const char *root, const char *bus, const char *driver);
/* A device with its uevent text, bound to @driver when not NULL, and an IOMMU group when >= 0. */
void tu_sysfs_device(const char *root, const char *bus, const char *name, const char *uevent, const char *driver,
                     int iommu_group);
/* The content of a file under @root, or NULL. */
char *tu_read_at(const char *root, const char *rel);
