#!/bin/bash
# The README's first command: set up and boot an arm64 VM (QEMU, Debian's 6.1 kernel with a real
# vfio-platform driver, systemd-udevd) with the shipped example policy, and show
# vfio-platform-bindctl status before and after vfio-platform-bindd ran. With --shell, the guest
# is left at a shell instead (type "poweroff -f" to leave). With --offline, no VM: the same tool
# on a built-in fake device tree (nothing binds there).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
root=""   # the offline demo's fake tree, removed at exit

offline() {
        "$top/tools/setup.sh"
        "$top/tools/build.sh"
        local ctl="${BUILDDIR:-$top/build}/vfio-platform-bindctl"
        # Global, not local: the EXIT trap runs after offline() has returned, when a local
        # would be gone (set -u then failed the demo with "root: unbound variable").
        root=$(mktemp -d)
        trap 'rm -rf "$root"' EXIT
        "$top/tests/make-fake-sysfs.sh" "$root"
        install -D -m 0644 "$top/conf/50-example.conf" "$root/etc/vfio-platform-bind.d/50-example.conf"
        run() { echo; echo "+ vfio-platform-bindctl $*"; "$ctl" --root="$root" "$@"; }
        run check
        run status
        run explain a003e00.virtio_mmio
        run apply --dry-run --no-load-modules
}

case "${1:-}" in
--offline)
        offline
        ;;
--shell)
        exec "$top/tests/vm/run.sh" --require-project --shell
        ;;
*)
        rc=0
        "$top/tests/vm/run.sh" --require-project demo || rc=$?
        log="${VM_CACHE:-/var/cache/vfio-platform-bindd-vm}/run/logs/demo.log"
        echo
        if [ -f "$log" ]; then
                # The guest's console, from the demo's first heading to its end.
                sed -n '/^==== DEMO /,/^==== DEMO END/p' "$log" | tr -d '\r' |
                        sed -e 's/^==== DEMO END$//' -e 's/^==== DEMO \(.*\)/\n### \1/'
                grep -a 'VMTEST CHECK demo: .*magic' "$log" | tr -d '\r' | sed 's/^VMTEST CHECK demo: /vfio-open: /' || true
        fi
        exit $rc
        ;;
esac
