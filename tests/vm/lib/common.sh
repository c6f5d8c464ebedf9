# Shared settings of the VM harness (sourced by prepare.sh and run.sh).
# shellcheck shell=bash

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC_ROOT=$(cd "$VM_DIR/../.." && pwd)
VM_CACHE=${VM_CACHE:-/var/cache/vfio-platform-bindd-vm}
TRIPLET=aarch64-linux-gnu

# Host packages (Debian 12 amd64).  No :arm64 package is installed on the
# host: libfdt-dev is not Multi-Arch: same (its arm64 flavour would remove the
# host's amd64 one) and the others would tie the host's versions; the arm64
# -dev packages are extracted (dpkg -x) into a sysroot, $VM_CACHE/cross.
HOST_PKGS="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
 binutils-aarch64-linux-gnu device-tree-compiler cpio kmod xz-utils patch make
 autoconf automake libtool pkgconf systemd"
# arm64 packages of the cross-build sysroot (plus their lib* dependencies).
CROSS_PKGS="libsystemd-dev libudev-dev libinih-dev libkmod-dev libfdt-dev"

# Guest user space (arm64 packages, extracted with dpkg -x).  Libraries these
# need are added by prepare.sh (dependency closure restricted to lib*).
GUEST_PKGS="busybox-static udev kmod libsystemd0 libudev1 libinih1 libfdt1 libkmod2"
# Libraries copied whole into the guest for the project's programs (the
# rest of the guest's libraries is the ELF closure of its binaries).
GUEST_RUNTIME_LIBS="libsystemd.so.0 libudev.so.1 libinih.so.1 libfdt.so.1 libkmod.so.2"

# The systemd guest (scenarios with "# vmtest-init: systemd"): a Debian root whose PID 1 is
# systemd 252, from these arm64 packages and their whole Depends: closure (apt resolves it
# against an empty dpkg status), extracted into a merged-/usr tree without maintainer scripts.
SYSTEMD_PKGS="systemd systemd-sysv udev kmod util-linux coreutils procps bash dash grep sed
 findutils mawk base-passwd base-files libinih1 libfdt1 libkmod2 libsystemd0 libudev1"
# Pulled in by the closure but of no use in the guest (perl alone is 40 MB unpacked).
SYSTEMD_SKIP_RE='^(perl|perl-base|perl-modules-.*|libperl.*|lib.*-perl|usrmerge|debconf|adduser|dpkg|init-system-helpers)$'

# Kernel modules for the guest (plus their modules.dep closure).
# PCI (scenarios/pci-*.sh): vfio-pci (+ vfio-pci-core), the native virtio-pci
# and e1000e; QEMU's pcie.0 and pci-host-generic are built in.
GUEST_MODULES="virtio_mmio virtio_rng qemu_fw_cfg vfio vfio_iommu_type1 vfio_virqfd
 vfio_pci virtio_pci e1000e"

# The virtual machine.  Every -device virtio-rng-device fills a virtio-mmio
# slot from the top: a003e00, a003c00, a003a00, a003800.
QEMU_MACHINE="virt,iommu=smmuv3"
QEMU_BASE_ARGS=(-M "$QEMU_MACHINE" -cpu cortex-a57 -smp 1 -m 1024 -nographic -nic none -no-reboot)
QEMU_DEVICE_ARGS=(-device virtio-rng-device -device virtio-rng-device
                  -device virtio-rng-device -device virtio-rng-device)
# The systemd guest: two CPUs (systemd and udevd run in parallel with the test) and more
# memory (its root is about 100 MB of initramfs). The DTB is dumped with these arguments too:
# one dumped with -smp 1 shows one CPU.
QEMU_SYSTEMD_ARGS=(-M "$QEMU_MACHINE" -cpu cortex-a57 -smp 2 -m 1536 -nographic -nic none -no-reboot)

# Device-tree edits (see README.md, "The guest's devices").
#   node path (at the root of QEMU's DT) -> SMMUv3 stream ID of its iommus
DT_IOMMU_NODES="
/virtio_mmio@a003c00 0x10
/virtio_mmio@a003a00 0x11
/virtio_mmio@a000000 0x20
/virtio_mmio@a000200 0x21
/virtio_mmio@a000400 0x22
/virtio_mmio@a000600 0x23
/virtio_mmio@a000800 0x24
/virtio_mmio@a000a00 0x25
/virtio_mmio@a000c00 0x26
/virtio_mmio@a000e00 0x27
/fw-cfg@9020000 0x30
/pl061@9030000 0x50
"
# Moved under /hp-parent (not populated at boot), with iommus.
DT_HOTPLUG_NODE=/virtio_mmio@a003e00
DT_HOTPLUG_SID=0x40
# Extra node with neither a driver nor a region: device "vmtest-soc:vfio-test".
DT_SOC_SID=0x31

log() { echo "${LOG_PREFIX:-vm}: $*" >&2; }
die() { echo "${LOG_PREFIX:-vm}: error: $*" >&2; exit 1; }

# Stamps: a step is redone when the key (a hash of its inputs) changes.
stamp_ok() { [ -f "$VM_CACHE/stamps/$1" ] && [ "$(cat "$VM_CACHE/stamps/$1")" = "$2" ]; }
stamp_set() { mkdir -p "$VM_CACHE/stamps"; printf '%s\n' "$2" > "$VM_CACHE/stamps/$1"; }
hash_of() { # files and strings -> one hash
	local a
	for a in "$@"; do
		if [ -f "$a" ]; then sha256sum "$a"; else printf '%s\n' "$a"; fi
	done | sha256sum | cut -c1-16
}
