/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nl-inject.so: feeds kernel-format uevents to a program without umockdev, for bench/bench.c's
 * "direct" latency run. Preloaded into the daemon, it turns its uevent netlink socket
 * (socket(AF_NETLINK, ..., NETLINK_KOBJECT_UEVENT)) into a unix datagram socket bound at
 * $BENCH_NL_SOCKET, to which the harness sends messages as the kernel would ("ACTION@DEVPATH",
 * then KEY=VALUE, NUL-separated). What libudev checks is answered as the kernel would:
 * getsockname() gives a netlink address with our pid, recvmsg() says the sender is the kernel
 * (nl_pid 0, multicast group 1); SCM_CREDENTIALS (uid 0) come from SO_PASSCRED on the unix
 * socket. Every other call (files, other sockets) is left alone: unlike umockdev, it adds no
 * work to the daemon's sysfs accesses, which go to a plain tree under --root.
 * Inactive without $BENCH_NL_SOCKET. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define FD_MAX 4096

static bool fake[FD_MAX];

static bool is_fake(int fd) {
        return fd >= 0 && fd < FD_MAX && fake[fd];
}

/* The next definition, looked up once. */
#define NEXT(name)                                                                      \
        ({                                                                              \
                static __typeof__(&name) next_##name;                                   \
                if (!next_##name)                                                       \
                        next_##name = (__typeof__(&name)) dlsym(RTLD_NEXT, #name);      \
                next_##name;                                                            \
        })

EXPORT int socket(int domain, int type, int protocol) {
        int fd;

        if (domain != AF_NETLINK || protocol != NETLINK_KOBJECT_UEVENT || !getenv("BENCH_NL_SOCKET"))
                return NEXT(socket)(domain, type, protocol);
        fd = NEXT(socket)(AF_UNIX, SOCK_DGRAM | (type & (SOCK_CLOEXEC | SOCK_NONBLOCK)), 0);
        if (fd >= 0 && fd < FD_MAX)
                fake[fd] = true;
        return fd;
}

EXPORT int close(int fd) {
        if (fd >= 0 && fd < FD_MAX)
                fake[fd] = false;
        return NEXT(close)(fd);
}

EXPORT int bind(int fd, const struct sockaddr *sa, socklen_t len) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        const char *path = getenv("BENCH_NL_SOCKET");

        if (!is_fake(fd))
                return NEXT(bind)(fd, sa, len);
        if (strlen(path) >= sizeof(un.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        strcpy(un.sun_path, path);
        (void) unlink(path);
        return NEXT(bind)(fd, (struct sockaddr *) &un, sizeof(un));
}

EXPORT int getsockname(int fd, struct sockaddr *sa, socklen_t *len) {
        struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_pid = (unsigned) getpid(), .nl_groups = 1 };

        if (!is_fake(fd))
                return NEXT(getsockname)(fd, sa, len);
        memcpy(sa, &nl, *len < sizeof(nl) ? *len : sizeof(nl));
        *len = sizeof(nl);
        return 0;
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
        if (is_fake(fd) && level == SOL_NETLINK)
                return 0;
        return NEXT(setsockopt)(fd, level, name, val, len);
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
        socklen_t room = msg ? msg->msg_namelen : 0; /* the unix sender's address overwrites it */
        ssize_t r = NEXT(recvmsg)(fd, msg, flags);

        if (r >= 0 && is_fake(fd) && msg->msg_name && room >= sizeof(struct sockaddr_nl)) {
                struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = 1 };

                memcpy(msg->msg_name, &nl, sizeof(nl));
                msg->msg_namelen = sizeof(nl);
        }
        return r;
}
