/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Bounds for everything that comes from a policy file, a uevent or sysfs. */
#define RULE_NAME_MAX 64
#define DRIVER_NAME_MAX 64
#define DEVICE_NAME_MAX 255     /* NAME_MAX: a device name is a directory name in sysfs */
#define COMPATIBLE_MAX 128
#define DT_PATH_MAX 1024
#define POLICY_LINE_MAX 4096
#define RULE_VALUES_MAX 1024    /* values of one key in one rule */
#define CDI_NAME_MAX 128        /* ours: the CDI specification sets no bound */

bool utf8_is_valid(const char *s, size_t len);
bool glob_has_magic(const char *s);
/* NULL when fine, else a static description of what is wrong. */
const char *glob_check(const char *s);

/* A device name is one sysfs directory entry: never "", ".", "..", never contains '/'. */
bool device_name_is_valid(const char *s);
bool driver_name_is_valid(const char *s);
bool rule_name_is_valid(const char *s);
/* The grammars of the Container Device Interface specification (and of its Go parser): a device
 * name is letters, digits and "_.:-", starting and ending with a letter or digit; a vendor or a
 * class starts with a letter, ends with a letter or digit, and has letters, digits and "_.-" in
 * between. */
bool cdi_device_name_is_valid(const char *s);
bool cdi_vendor_or_class_is_valid(const char *s);

/* The value checks accept glob characters too; they return NULL or a static reason. */
const char *compatible_check(const char *s);
const char *dt_path_check(const char *s);
const char *device_pattern_check(const char *s);
const char *pci_id_check(const char *s);
const char *pci_class_check(const char *s);
const char *mc_type_check(const char *s);
