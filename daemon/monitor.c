/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "monitor.h"
#include "validate.h"

/* Room for a storm of uevents between two wake-ups; past that the kernel drops events and we
 * rescan (ENOBUFS). */
#define RECEIVE_BUFFER_SIZE (128 * 1024 * 1024)

struct Monitor {
        struct udev *udev;
        struct udev_monitor *mon;
        sd_event_source *source;
        monitor_handler_t handler;
        void *userdata;
};

static MonitorAction action_from_string(const char *s) {
        static const char * const table[] = {
                [ACTION_ADD] = "add", [ACTION_REMOVE] = "remove", [ACTION_CHANGE] = "change",
                [ACTION_MOVE] = "move", [ACTION_BIND] = "bind", [ACTION_UNBIND] = "unbind",
        };

        for (size_t i = 0; s && i < ELEMENTSOF(table); i++)
                if (streq(s, table[i]))
                        return (MonitorAction) i;
        return ACTION_OTHER;
}

/* "add /bus/platform/drivers/vfio-platform (drivers)": a target driver may have just come. */
static void handle_driver(Monitor *m, struct udev_device *dev, const char *name) {
        const char *devpath = udev_device_get_devpath(dev);

        if (!streq_ptr(udev_device_get_action(dev), "add") || !devpath || !name || !driver_name_is_valid(name))
                return;
        for (Bus bus = 0; bus < _BUS_MAX; bus++) {
                char prefix[64];

                snprintf(prefix, sizeof prefix, "/bus/%s/drivers/", bus_to_string(bus));
                if (strncmp(devpath, prefix, strlen(prefix)) == 0)
                        m->handler(m, ACTION_DRIVER_ADD, bus, name, m->userdata);
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Monitor *m = userdata;

        /* Drain the socket: one wake-up per burst, not per event. */
        for (;;) {
                struct udev_device *dev;
                const char *name;
                Bus bus;

                errno = 0;
                dev = udev_monitor_receive_device(m->mon);
                if (!dev) {
                        if (errno == ENOBUFS)
                                m->handler(m, ACTION_OTHER, _BUS_INVALID, NULL, m->userdata);
                        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == 0)
                                break;
                        if (errno == EINTR)
                                continue;
                        break; /* a malformed message: skip it */
                }
                name = udev_device_get_sysname(dev);
                if (streq_ptr(udev_device_get_subsystem(dev), "drivers"))
                        handle_driver(m, dev, name);
                else {
                        bus = bus_from_string(udev_device_get_subsystem(dev));
                        if (bus >= 0 && name && device_name_is_valid(name))
                                m->handler(m, action_from_string(udev_device_get_action(dev)), bus, name,
                                           m->userdata);
                }
                udev_device_unref(dev);
        }
        return 0;
}

int monitor_new(sd_event *event, monitor_handler_t handler, void *userdata, Monitor **ret) {
        Monitor *m;
        int r;

        m = calloc(1, sizeof(Monitor));
        if (!m)
                return -ENOMEM;
        m->handler = handler;
        m->userdata = userdata;

        m->udev = udev_new();
        if (!m->udev) {
                r = -ENOMEM;
                goto fail;
        }
        /* The kernel's own events: they come before udev's rules run, and without udevd. */
        m->mon = udev_monitor_new_from_netlink(m->udev, "kernel");
        if (!m->mon) {
                r = errno > 0 ? -errno : -EIO;
                goto fail;
        }
        (void) udev_monitor_set_receive_buffer_size(m->mon, RECEIVE_BUFFER_SIZE);
        r = 0;
        for (Bus bus = 0; bus < _BUS_MAX && r >= 0; bus++)
                r = udev_monitor_filter_add_match_subsystem_devtype(m->mon, bus_to_string(bus), NULL);
        if (r >= 0) /* driver registrations: a target driver loaded later */
                r = udev_monitor_filter_add_match_subsystem_devtype(m->mon, "drivers", NULL);
        if (r >= 0)
                r = udev_monitor_enable_receiving(m->mon);
        if (r < 0)
                goto fail;
        r = sd_event_add_io(event, &m->source, udev_monitor_get_fd(m->mon), EPOLLIN, on_io, m);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(m->source, "uevent-monitor");
        *ret = m;
        return 0;
fail:
        monitor_free(m);
        return r;
}

Monitor *monitor_free(Monitor *m) {
        if (!m)
                return NULL;
        sd_event_source_disable_unref(m->source);
        udev_monitor_unref(m->mon);
        udev_unref(m->udev);
        free(m);
        return NULL;
}
