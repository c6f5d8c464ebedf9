/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "apply.h"

/* What became of a device, as both programs count it. */
typedef enum DeviceState {
        STATE_UNSELECTED,
        STATE_IGNORED,
        STATE_BOUND,
        STATE_FAILED,
        STATE_REFUSED,          /* selected, but the host needs it (guard.h) */
        _STATE_MAX,
} DeviceState;

/* Logs the outcome of apply_device() (@error: its return value) and says where the device is.
 * @previous: what the device was before, so that a refusal is logged once, not at every event. */
DeviceState report_apply(Bus bus, const char *name, int error, const ApplyResult *res, bool dry_run,
                         DeviceState previous);
