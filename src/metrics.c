/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "fs-util.h"
#include "metrics.h"
#include "strbuf.h"

#define PREFIX "vfio_platform_bindd_"

static const char * const failure_reason_table[_FAILURE_REASON_MAX] = {
        [FAILURE_PROBE] = "probe",
        [FAILURE_WRITE] = "write",
        [FAILURE_TIMEOUT] = "timeout",
        [FAILURE_ERROR] = "error",
};

const char *failure_reason_to_string(FailureReason r) {
        return r >= 0 && r < _FAILURE_REASON_MAX ? failure_reason_table[r] : NULL;
}

FailureReason failure_reason_of(int error, const BindReport *rep) {
        if (error < 0)
                return FAILURE_ERROR;
        if (rep->status == BIND_TIMEOUT)
                return FAILURE_TIMEOUT;
        /* The engine's diagnosis of a probe that did not take leaves no errno; every failing
         * write or read back does. */
        return rep->error < 0 ? FAILURE_WRITE : FAILURE_PROBE;
}

static void header(StrBuf *b, const char *name, const char *type, const char *help) {
        strbuf_printf(b, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped, as the format wants. */
static void label_value(StrBuf *b, const char *s) {
        for (; *s; s++)
                if (*s == '\\' || *s == '"')
                        strbuf_printf(b, "\\%c", *s);
                else if (*s == '\n')
                        strbuf_puts(b, "\\n");
                else
                        strbuf_printf(b, "%c", *s);
}

char *metrics_format(const Metrics *m) {
        StrBuf b = {};

        header(&b, "build_info", "gauge", "The version of vfio-platform-bindd that writes this file.");
        strbuf_puts(&b, PREFIX "build_info{version=\"");
        label_value(&b, m->version);
        strbuf_puts(&b, "\"} 1\n");

        /* Every bus and state, zeros included: an alert on failed > 0 needs the series to exist. */
        header(&b, "devices", "gauge", "Devices present, by bus and by what the policy made of them.");
        for (Bus bus = 0; bus < _BUS_MAX; bus++)
                for (unsigned s = 0; s < m->n_states; s++)
                        strbuf_printf(&b, PREFIX "devices{bus=\"%s\",state=\"%s\"} %u\n", bus_to_string(bus),
                                      m->states[s], m->devices[bus * m->n_states + s]);

        header(&b, "bind_failures_total", "counter", "Binds that did not end on the target driver, by reason.");
        for (FailureReason r = 0; r < _FAILURE_REASON_MAX; r++)
                strbuf_printf(&b, PREFIX "bind_failures_total{reason=\"%s\"} %" PRIu64 "\n",
                              failure_reason_table[r], m->bind_failures[r]);

        /* A gauge of devices, not a counter of events: a refused device is refused again at
         * every event that concerns it. */
        header(&b, "refused_devices", "gauge",
               "Devices the policy selects that the host needs, left on their driver, by reason (one device may have several).");
        for (GuardReason r = 0; r < _GUARD_REASON_MAX; r++)
                strbuf_printf(&b, PREFIX "refused_devices{reason=\"%s\"} %u\n", guard_reason_to_string(r), m->refused[r]);

        header(&b, "abandoned_writes_total", "counter",
               "Sysfs writes that did not return in time; each leaves a thread blocked in the kernel.");
        strbuf_printf(&b, PREFIX "abandoned_writes_total %" PRIu64 "\n", m->abandoned_writes);

        header(&b, "policy_reload_total", "counter", "Policy reloads (SIGHUP), by result.");
        strbuf_printf(&b, PREFIX "policy_reload_total{result=\"success\"} %" PRIu64 "\n", m->reloads_success);
        strbuf_printf(&b, PREFIX "policy_reload_total{result=\"failure\"} %" PRIu64 "\n", m->reloads_failure);

        header(&b, "policy_last_reload_success", "gauge",
               "1 when the last load of the policy succeeded, 0 when the daemon kept the previous one.");
        strbuf_printf(&b, PREFIX "policy_last_reload_success %d\n", m->last_reload_success);

        header(&b, "policy_last_reload_timestamp_seconds", "gauge",
               "When the policy in force was loaded, in seconds since the epoch.");
        strbuf_printf(&b, PREFIX "policy_last_reload_timestamp_seconds %" PRIu64 ".%03" PRIu64 "\n",
                      m->last_reload_usec / 1000000, m->last_reload_usec / 1000 % 1000);
        return strbuf_take(&b);
}

int metrics_write(int root_fd, const char *dir, const Metrics *m) {
        _cleanup_close_ int dfd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;

        if (dfd < 0)
                return -errno;
        text = metrics_format(m);
        if (!text)
                return -ENOMEM;
        return write_file_atomic_at(dfd, METRICS_FILE, text, strlen(text), 0644);
}
