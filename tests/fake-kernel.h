/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A fake kernel for integration tests: runs real programs (the daemon, sh, udevadm) against a
 * umockdev sysfs tree with kernel-like, synchronous driver binding, uevents and fault injection.
 *
 * How it works. The test process (the "harness") owns a umockdev testbed directory (ROOT/sys,
 * on /dev/shm unless TMPDIR is set) and a model of every bus of the bus table. Spawned
 * programs run with
 *     LD_PRELOAD=fk-shim.so:libumockdev-preload.so.0
 * umockdev redirects every /sys path into the testbed; fk-shim.so catches write(), writev(),
 * pwrite() on the files driver_override, drivers_probe, bind, unbind and uevent of the testbed
 * and asks the harness over a unix socket. The harness applies the kernel's semantics (links,
 * uevent file, driver_override file, uevents) and answers; the writer's call returns only then,
 * with the byte count or the errno the kernel would give. The harness answers only while it
 * waits (fk_wait*(), fk_settle()): a program blocked on a write makes progress then.
 *
 * The harness neither links libumockdev nor runs under its preload, and it sends the uevents
 * itself (see fake-kernel.c: umockdev 0.17's sender needs the preload and kills the sending
 * process when a listener's queue is full; umockdev_testbed_new() leaves a glib thread running
 * that valgrind reports). A listener that does not read loses nothing; a loss can be forced
 * (ENOBUFS). Caveat of umockdev: a monitor socket is bound as ROOT/event<fd>, and a second
 * process whose monitor gets the same fd number replaces that name. The harness keeps serving a
 * listener it has seen (it stays connected), so call fk_uevent_listeners() after starting each
 * monitoring program (or wait for its READY=1) before starting the next one.
 *
 * Modelled (Linux 6.1 semantics): driver_override store ("\n" or "" clears, first newline
 * ends the name, >= 4095 bytes EINVAL, > 4096 E2BIG); drivers_probe (ENODEV for an unknown
 * device, no-op when bound, otherwise the override driver or else the native driver, probe
 * errors not reported); bind (ENODEV unless the driver matches, EBUSY when bound, probe errors
 * reported); unbind (ENODEV unless bound to that driver); writes to "uevent" (synthetic event,
 * SYNTH_UUID=0); driver registration attaching matching unbound devices, unregistration
 * unbinding them; device add (add, then autoprobe) and remove (unbind if bound, then remove).
 * The VFIO drivers (driver_is_vfio()) refuse (probe error) a device without an IOMMU group
 * (EINVAL); where the bus's VFIO driver looks a reset up by compatible (platform, amba), one
 * flagged FK_NO_RESET (ENOENT). vfio-pci also refuses a PCI-to-PCI bridge (PCI_CLASS 604xx:
 * not a normal header, EINVAL); vfio-fsl-mc takes a dprc, and another object only when its
 * container is bound to vfio-fsl-mc (EINVAL otherwise). A VFIO driver has no match table: it
 * takes a device only through driver_override (vfio-cdx upstream, vfio-pci without new_id).
 * Every other driver accepts what it matches (FkDeviceSpec.native). PCI IOMMU groups appear at
 * the first probe with FK_GROUP_AT_PROBE (before: no iommu_group link, no
 * /sys/kernel/iommu_groups/N/devices/DEV). Devices live in /sys/devices/<parent>/<name>:
 * "platform" for platform and amba, "pci0000:00" for PCI, the bus's name otherwise.
 * uevents: kernel-format netlink messages, "ACTION@DEVPATH" then ACTION, DEVPATH, SUBSYSTEM,
 * DRIVER (when bound), OF_NAME, OF_FULLNAME, OF_COMPATIBLE_<i>, OF_COMPATIBLE_N, AMBA_ID (amba),
 * the spec's uevent_extra (PCI_*), MODALIAS, SEQNUM; unbind events carry no DRIVER and no MODALIAS (as measured on 6.1).
 *
 * Not modelled: stdio writes (fopen/fprintf: glibc writes internally, the shim cannot see them;
 * they land in the plain file with no effect), module loading (/sys/module/<mod> only appears
 * when a driver is registered), asynchronous probing, deferred probes, dmesg, buses outside the
 * bus table, nested device parents (PCI bridges, DPRC containers: the tree is flat), PCI config
 * space and the vendor/device/class attributes of PCI devices, driver kobject events.
 *
 * Running the daemon: give it the testbed as its root, so that its root-relative sysfs paths
 * are the very files umockdev shows as /sys (the shim acts on both) and its state goes to
 * ROOT/run, not to the real /run:
 *     pid = fk_spawn(fk, (const char *const[]) { "./vfio-platform-bindd", "--root=ROOT",
 *                    "--policy=ROOT/test.conf", "--no-load-modules", NULL }, NULL, 0);
 *     ck_assert_ptr_nonnull(fk_wait_notify(fk, "READY=1", 10000));
 * An ASan-built child needs ENV { "ASAN_OPTIONS=verify_asan_link_order=0", NULL } (or libasan
 * in ENV's LD_PRELOAD, which goes first).
 *
 * Cleanup: spawned children die with the harness (PR_SET_PDEATHSIG); fk_free() and an atexit
 * handler kill them; a small reaper process removes the testbed when the harness is gone, also
 * after Check's fork mode _exit()s on a failed assertion. FK_DEBUG=1 in the environment logs
 * requests and events and copies the children's output to stderr. Times are in milliseconds. */

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "bus.h"

typedef struct FakeKernel FakeKernel;

/* The buses are the project's bus table (src/bus.h): every row exists in the testbed as
 * /sys/bus/<bus_to_string()>/{devices,drivers,drivers_probe}, and the VFIO drivers are the
 * table's (driver_is_vfio()). */
typedef Bus FkBus;
#define FK_PLATFORM BUS_PLATFORM
#define FK_AMBA BUS_AMBA
#define FK_PCI BUS_PCI
#define FK_CDX BUS_CDX
#define FK_FSL_MC BUS_FSL_MC

/* The files whose writes the fake kernel acts on (and counts). */
typedef enum FkFile {
        FK_OVERRIDE, /* /sys/devices/PARENT/DEV/driver_override */
        FK_UNBIND,   /* /sys/bus/BUS/drivers/DRV/unbind (also reached as DEV/driver/unbind) */
        FK_BIND,     /* /sys/bus/BUS/drivers/DRV/bind */
        FK_PROBE,    /* /sys/bus/BUS/drivers_probe */
        FK_UEVENT,   /* /sys/devices/PARENT/DEV/uevent */
        _FK_FILE_MAX,
} FkFile;

#define FK_NO_IOMMU (-1) /* FkDeviceSpec.iommu_group: no IOMMU group */
/* FkDeviceSpec.flags: */
#define FK_NO_RESET 1u /* VFIO probes fail with ENOENT (no reset handler); only on buses whose VFIO
                        * driver looks a reset up by compatible (bus_table[].reset_by_compatible) */
#define FK_GROUP_AT_PROBE 2u /* the IOMMU group (and its links) appears at the first probe of the
                              * device, whichever driver it is, as for PCI (iommu_probe_device()) */

typedef struct FkDeviceSpec {
        FkBus bus;
        const char *name;              /* "a000000.virtio_mmio", "soc:gpio-keys" */
        const char *of_fullname;       /* "/virtio_mmio@a000000"; NULL: no DT node, no OF_* */
        const char *const *compatible; /* NULL-terminated, may be NULL */
        const char *native;            /* the driver whose match table fits it, or NULL */
        const char *override;          /* initial driver_override, NULL: "(null)" */
        int iommu_group;               /* 0: a group of its own; N > 0: group N; FK_NO_IOMMU */
        unsigned flags;                /* FK_NO_RESET, FK_GROUP_AT_PROBE */
        unsigned periphid;             /* AMBA_ID of an amba device */
        /* Bus variables of its uevent (and of its uevent file), NULL-terminated "KEY=VALUE", as
         * the bus's uevent callback writes them, after OF_* and before MODALIAS; e.g. for PCI:
         * "PCI_CLASS=FF00", "PCI_ID=1AF4:1005", "PCI_SUBSYS_ID=1AF4:1100",
         * "PCI_SLOT_NAME=0000:00:03.0". Taken as given (hostile values welcome). */
        const char *const *uevent_extra;
        /* Extra sysfs attributes of the device, NULL-terminated "NAME=CONTENT" (a newline is
         * appended): CDX's "vendor=0x10ee", "device=0x8084". Taken as given. */
        const char *const *attrs;
        /* fsl-mc: the DPRC container ("dprc.2") of an object; vfio-fsl-mc takes a dprc, and an
         * object only when its container is bound to vfio-fsl-mc (as upstream). */
        const char *container;
} FkDeviceSpec;

/* Special faults for fk_fault(); a positive value is an errno. */
#define FK_HANG (-1)   /* the write never returns (until fk_release_hung()) */
#define FK_VANISH (-2) /* the device is removed (unbind, remove uevents) and the write fails ENODEV */
#define FK_ALWAYS (-1) /* fk_fault() times: every write */

/* Spawn flags. */
#define FK_SPAWN_MAY_EXIT 1u /* its exit does not interrupt fk_wait() (sh -c ..., a helper) */

/* --- life cycle --- */

/* True when the umockdev preload and fk-shim.so are there; otherwise says why on stderr.
 * Test programs exit 77 (skip) when false. The shim is $FK_SHIM or the built one. */
bool fk_supported(void);
/* A testbed with every bus of the table, no device, no driver. NULL on error (errno). */
FakeKernel *fk_new(void);
/* Kills (SIGKILL) and reaps the children still running, removes the testbed. NULL-safe. */
void fk_free(FakeKernel *fk);
const char *fk_root(const FakeKernel *fk); /* the testbed ($UMOCKDEV_DIR); sysfs is ROOT/sys */

/* --- the kernel model; every change writes sysfs and emits uevents at once --- */

/* Adds a device (add uevent), then probes it like the kernel (bind uevent if a driver takes it).
 * 0, -EEXIST, -EINVAL. */
int fk_device_add(FakeKernel *fk, const FkDeviceSpec *spec);
/* Unbinds it if bound (unbind uevent), removes it (remove uevent) and its sysfs files. */
int fk_device_remove(FakeKernel *fk, const char *dev);
/* Emits ACTION (add, change, bind, unbind, remove, ...) for DEV with its current properties,
 * changing nothing. */
int fk_uevent(FakeKernel *fk, const char *dev, const char *action);
/* The device's native driver binds it now, override or not, as if it won a race (bind uevent).
 * -EBUSY if bound, -ENOENT if it has no native driver or that driver is not registered. */
int fk_native_grab(FakeKernel *fk, const char *dev);
/* Registers a driver: creates /sys/bus/BUS/drivers/DRV (and /sys/module/<mod>), binds the
 * unbound devices it matches, then sends the driver's "add" uevent (SUBSYSTEM=drivers).
 * -EEXIST if registered. */
int fk_driver_register(FakeKernel *fk, FkBus bus, const char *drv);
/* Unbinds its devices (unbind uevents) and removes it. */
int fk_driver_unregister(FakeKernel *fk, FkBus bus, const char *drv);

const char *fk_device_driver(const FakeKernel *fk, const char *dev);   /* NULL: unbound */
const char *fk_device_override(const FakeKernel *fk, const char *dev); /* NULL: "(null)" */
bool fk_device_exists(const FakeKernel *fk, const char *dev);
/* Writes seen on FILE naming DEV (DEV NULL: every device), faulted ones included. */
unsigned fk_writes(const FakeKernel *fk, const char *dev, FkFile file);
void fk_writes_reset(FakeKernel *fk);

/* The next TIMES writes (FK_ALWAYS: all; 0: remove the fault) on FILE naming DEV fail with
 * FAULT: a positive errno, FK_HANG or FK_VANISH. A faulted write changes nothing. */
void fk_fault(FakeKernel *fk, const char *dev, FkFile file, int fault, int times);
unsigned fk_hung(const FakeKernel *fk); /* writes hanging now */
/* Ends the hanging writes: ERR 0 applies each write as the kernel would, else it fails with
 * ERR. Returns how many were released. */
unsigned fk_release_hung(FakeKernel *fk, int err);

/* While LOSE is true, uevents are dropped; when it goes back to false, every listener that lost
 * one gets ENOBUFS from its next recvmsg() (the shim returns it), as after a netlink overflow. */
void fk_lose_uevents(FakeKernel *fk, bool lose);
unsigned fk_uevent_listeners(FakeKernel *fk); /* uevent sockets bound in the testbed now */
unsigned fk_uevents_queued(const FakeKernel *fk); /* sent but not yet taken by a listener */

/* --- programs --- */

/* fork/exec ARGV[0] (PATH searched) with the environment plus ENV ("K=V", NULL-terminated,
 * may be NULL; an LD_PRELOAD there goes first), LD_PRELOAD=fk-shim.so:libumockdev-preload.so.0,
 * UMOCKDEV_DIR, FK_SOCKET, NOTIFY_SOCKET (a datagram socket of the harness). stdin is
 * /dev/null; stdout and stderr are collected (fk_output()). Returns the pid, or -errno. */
pid_t fk_spawn(FakeKernel *fk, const char *const *argv, const char *const *env, unsigned flags);
int fk_kill(FakeKernel *fk, pid_t pid, int sig);
/* Serves until PID exits: 1 (status in *ret_status, usage in *ret_usage, both optional),
 * 0 on timeout. */
int fk_wait_exit(FakeKernel *fk, pid_t pid, int timeout_ms, int *ret_status, struct rusage *ret_usage);
/* SIGTERM, fk_wait_exit(), SIGKILL after the timeout. Returns the wait status (-1 if killed). */
int fk_stop(FakeKernel *fk, pid_t pid, int timeout_ms);
/* What PID wrote on stdout and stderr so far ("" for an unknown pid). */
const char *fk_output(const FakeKernel *fk, pid_t pid);

/* --- waiting; the harness serves the shims, notify messages, outputs and uevents meanwhile --- */

typedef bool (*FkPredicate)(FakeKernel *fk, void *userdata);
/* Serves until PRED holds: 1; 0 on timeout; -ECHILD when a child spawned without
 * FK_SPAWN_MAY_EXIT exits first. PRED NULL: serves for the whole timeout, returns 0. */
int fk_wait(FakeKernel *fk, FkPredicate pred, void *userdata, int timeout_ms);
/* Serves until DEV is bound to DRV (DRV NULL: unbound). Same returns as fk_wait(). */
int fk_wait_driver(FakeKernel *fk, const char *dev, const char *drv, int timeout_ms);
/* Serves until the output of PID contains NEEDLE. Same returns as fk_wait(). */
int fk_wait_output(FakeKernel *fk, pid_t pid, const char *needle, int timeout_ms);
/* Serves until a notify line (messages are split at newlines) that comes after the line this
 * function last returned starts with PREFIX ("READY=1", "STATUS="); returns that line (valid
 * until fk_free()), NULL on timeout or when a child exits (see fk_wait()). */
const char *fk_wait_notify(FakeKernel *fk, const char *prefix, int timeout_ms);
const char *fk_notify_status(const FakeKernel *fk); /* the last STATUS= value, or NULL */
/* Serves until nothing happened (no request, notify, output, uevent queued) for IDLE_MS: 1;
 * 0 if TIMEOUT_MS passed first. */
int fk_settle(FakeKernel *fk, int idle_ms, int timeout_ms);

/* --- the wire protocol between fk-shim.so and the harness (internal) --- */

#include <stdint.h>

/* One SOCK_SEQPACKET connection to $FK_SOCKET per write: an FkRequest followed by the path
 * (relative to ROOT/sys, no NUL) and the data; the answer is an FkReply. A hanging write gets no
 * answer until fk_release_hung(). */
#define FK_PROTO_MAGIC 0x666b3031u /* "fk01" */
#define FK_ATTR_MAX 4096           /* PAGE_SIZE: sysfs refuses longer writes with E2BIG */
typedef struct FkRequest {
        uint32_t magic;
        int32_t pid;
        int32_t tid;
        uint32_t path_len;
        uint32_t data_len;
} FkRequest;
typedef struct FkReply {
        uint32_t magic;
        int32_t result; /* bytes written, or -errno */
} FkReply;
/* A uevent datagram starting with this makes the shim's recvmsg() fail with ENOBUFS. */
#define FK_ENOBUFS_MARKER "fk-enobufs@/"
