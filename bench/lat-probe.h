/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* The shared record of bench/lat-probe.so (see lat-probe.c), mapped by the harness too. */
#include <stdint.h>

#define PROBE_MAGIC 0x76706270u /* "vpbp" */
#define PROBE_SLOTS 65536

typedef struct ProbeLog {
        uint32_t magic;
        uint32_t n_events;      /* add uevents received */
        uint32_t n_writes;      /* driver_override writes */
        uint32_t n_execs;       /* processes that loaded the probe (the daemon: 1) */
        uint32_t n_forks;       /* fork() children (pthread_atfork) */
        uint32_t pad;
        uint64_t recv_ns[PROBE_SLOTS];
        uint64_t write_ns[PROBE_SLOTS];
} ProbeLog;
