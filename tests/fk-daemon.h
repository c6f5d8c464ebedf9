/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "fake-kernel.h"

/* The real vfio-platform-bindd under the fake kernel, shared by the daemon's test programs:
 * ROOT/etc/vfio-platform-bind.d/test.conf is its policy (--policy=), where vfio-platform-bindctl
 * finds it too; under "make check VALGRIND=..." the daemon runs under $VALGRIND. */

#define FKD_T 60000 /* the longest any wait may take (ms): generous for valgrind */

/* Writes the policy atomically: a reload must never see half a file. */
void fkd_write_policy(FakeKernel *fk, const char *text);
/* Starts the daemon with --root, --policy, --no-load-modules, --write-timeout=2 (unless @extra
 * has a --write-timeout), --log-level=debug and @extra (NULL-terminated, may be NULL), with
 * @env added. Does not wait. */
pid_t fkd_spawn(FakeKernel *fk, const char *const *extra, const char *const *env);
/* The same, and waits for READY=1. */
pid_t fkd_start(FakeKernel *fk, const char *const *extra, const char *const *env);
/* SIGTERM: a clean exit, status 0 (under valgrind: no error, no definite leak). */
void fkd_stop(FakeKernel *fk, pid_t pid);

void fkd_assert_on(FakeKernel *fk, const char *dev, const char *driver, const char *override);
void fkd_wait_on(FakeKernel *fk, const char *dev, const char *driver);
void fkd_wait_output(FakeKernel *fk, pid_t pid, const char *needle);
/* Runs @prog of the build tree (vfio-platform-bindctl, ...) with --root and @args; does not wait. */
pid_t fkd_spawn_tool(FakeKernel *fk, const char *prog, const char *const *args);
/* The same, and waits: its exit status (128 + N for signal N). */
int fkd_run_tool(FakeKernel *fk, const char *prog, const char *const *args, pid_t *ret_pid);
/* How often @needle occurs in the output of @pid. */
unsigned fkd_count_output(FakeKernel *fk, pid_t pid, const char *needle);
