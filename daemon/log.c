/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <systemd/sd-journal.h>

#include "escape.h"
#include "log.h"
#include "policy.h"

static int max_level = LOG_INFO;
static bool prefix_level;
static bool to_journal;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

/* Under systemd, stderr is a stream to the journal: "<N>" prefixes carry the level. */
void log_setup(void) {
        const char *e = getenv("JOURNAL_STREAM"), *lvl = getenv("VFIO_PLATFORM_BIND_LOG_LEVEL");
        unsigned long dev, ino;
        struct stat st;

        if (e && sscanf(e, "%lu:%lu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
            st.st_dev == dev && st.st_ino == ino)
                prefix_level = to_journal = true;
        if (lvl && streq(lvl, "debug"))
                max_level = LOG_DEBUG;
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) {
        int saved = errno, e = error < 0 ? -error : error;
        va_list ap;

        (void) file;
        (void) line;
        if (level <= max_level) {
                char buf[2048], shown[4 * sizeof buf];

                /* %m means the error we were given, not whatever errno happens to be. */
                errno = e;
                va_start(ap, fmt);
                vsnprintf(buf, sizeof buf, fmt, ap);
                va_end(ap);
                /* Messages carry device names, file names and sysfs values: escaped (escape.h). */
                cescape_text_buf(buf, shown, sizeof shown);
                if (prefix_level)
                        fprintf(stderr, "<%d>%s\n", level, shown);
                else
                        fprintf(stderr, "%s\n", shown);
        }
        errno = saved;
        return e > 0 ? -e : (error < 0 ? error : -EIO);
}

int log_device_internal(int level, int error, const char *bus, const char *device, const Rule *rule,
                        const char *fmt, ...) {
        int saved = errno, e = error < 0 ? -error : error;
        char raw[2048], msg[4 * sizeof raw], dev[4 * 256];
        va_list ap;

        if (level > max_level)
                goto finish;
        errno = e;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof raw, fmt, ap);
        va_end(ap);
        cescape_text_buf(raw, msg, sizeof msg);
        cescape_buf(device, dev, sizeof dev);
        device = dev; /* the journal field too: it is what a reader greps for */

        if (!to_journal) {
                fprintf(stderr, "%s: %s\n", device, msg);
                goto finish;
        }
        if (rule)
                sd_journal_send("MESSAGE=%s: %s", device, msg, "PRIORITY=%d", level,
                                "VFIO_PLATFORM_DEVICE=%s", device, "VFIO_PLATFORM_BUS=%s", bus,
                                "VFIO_PLATFORM_RULE=%s", rule->name, "VFIO_PLATFORM_RULE_FILE=%s", rule->file,
                                "VFIO_PLATFORM_RULE_LINE=%u", rule->line, "ERRNO=%d", e, NULL);
        else
                sd_journal_send("MESSAGE=%s: %s", device, msg, "PRIORITY=%d", level,
                                "VFIO_PLATFORM_DEVICE=%s", device, "VFIO_PLATFORM_BUS=%s", bus, "ERRNO=%d", e, NULL);
finish:
        errno = saved;
        return e > 0 ? -e : -EIO;
}
