/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <syslog.h>

#include "macro.h"

/* Logging for the programs (library code in src/ does not log: it returns errors). To stderr,
 * with "<N>" syslog prefixes when stderr is the journal, so levels survive. The daemon adds
 * structured journal fields through log_struct() in daemon/. */
void log_set_max_level(int level);
int log_get_max_level(void);
void log_setup(void);

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...) log_internal(level, error, __FILE__, __LINE__, __VA_ARGS__)
#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)
#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)
#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")

/* A message about one device, with the device, its bus, the rule and its origin as structured
 * journal fields when logging to the journal; "NAME: message" on stderr otherwise. @rule may be
 * NULL. */
typedef struct Rule Rule;
int log_device_internal(int level, int error, const char *bus, const char *device, const Rule *rule,
                        const char *fmt, ...) _printf_(6, 7);
#define log_device_full_errno(level, error, bus, device, rule, ...) \
        log_device_internal(level, error, bus, device, rule, __VA_ARGS__)
#define log_device(level, bus, device, rule, ...) \
        (void) log_device_internal(level, 0, bus, device, rule, __VA_ARGS__)
