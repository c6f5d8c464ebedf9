#!/bin/bash
# The README's first command: set up, build, and run the tool on the shipped example policy
# against a built-in device set (a plain sysfs tree shaped like QEMU's arm64 virt machine).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
"$top/tools/build.sh"
ctl="${BUILDDIR:-$top/build}/vfio-platform-bindctl"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
"$top/tests/make-fake-sysfs.sh" "$root"
install -D -m 0644 "$top/conf/50-example.conf" "$root/etc/vfio-platform-bind.d/50-example.conf"
run() { echo; echo "+ vfio-platform-bindctl $*"; "$ctl" --root="$root" "$@"; }
run check
run status
run explain a003e00.virtio_mmio
run apply --dry-run --no-load-modules
