/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* One writer per root: an exclusive flock(2) on run/vfio-platform-bindd/lock under the root.
 * The daemon holds it for its whole life; "vfio-platform-bindctl apply", "bind" and "restore"
 * hold it while they write. The holder writes "PID PROGRAM" into the file, so that the one
 * refused can say who holds it. */
#define LOCK_FILE "lock"

typedef struct LockHolder {
        pid_t pid;              /* 0: unknown */
        char program[64];       /* "vfio-platform-bindd", "vfio-platform-bindctl"; "" unknown */
} LockHolder;

/* Takes the lock in the directory @dir_fd (the state directory) for @program. While another
 * holder whose program is @wait_for holds it, waits up to @wait_usec; any other holder is
 * refused at once. Returns the lock's fd (the lock lasts as long as it is open), or -EBUSY
 * with @ret_holder filled, or another negative errno. */
int lock_take(int dir_fd, const char *program, const char *wait_for, uint64_t wait_usec, LockHolder *ret_holder);
