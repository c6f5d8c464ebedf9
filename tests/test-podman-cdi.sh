#!/bin/bash
# Does a real container runtime consume our spec? Debian 12's podman (4.3, CDI library 0.5)
# against a spec that vfio-platform-bindctl writes for a fake tree whose group node is a copy of
# /dev/null (mknod c 1 3: harmless). Offline: the image is a static busybox imported from a tar.
# Podman 4.3 reads specs only from /etc/cdi and /run/cdi: the spec goes to /run/cdi under a
# name of its own and is removed at exit. Where crun can start containers, the container lists
# /dev/vfio; where it cannot (crun refuses a cgroup v1/v2 hybrid whose v2 part has controllers,
# as on the machines this was written on), the test checks the OCI config podman generated from
# the spec instead, and says so. Skips (77) without podman, root or a static busybox, or when
# /run/cdi already holds a spec of our kind (a real daemon's).
set -u
ctl="${top_builddir:-.}/vfio-platform-bindctl"
src="${top_srcdir:-.}/tests"
skip() { echo "SKIP: $*"; exit 77; }
command -v podman >/dev/null || skip "no podman"
[ "$(id -u)" = 0 ] || skip "not root"
busybox=$(command -v busybox) || skip "no busybox"
ldd "$busybox" >/dev/null 2>&1 && skip "$busybox is not static (package busybox-static)"
grep -lqs '"kind": "vfio-platform-bindd.io/platform"' /run/cdi/*.json /etc/cdi/*.json && skip "a spec of our kind exists already"

tmp=$(mktemp -d)
tag="localhost/vfio-platform-bindd-test:$$"
spec=/run/cdi/vfio-platform-bindd-test-$$.json
ctr=""
made_cdi_dir=0
[ -d /run/cdi ] || made_cdi_dir=1
# shellcheck disable=SC2317 # called through the trap
cleanup() {
        [ -n "$ctr" ] && podman rm -f "$ctr" >/dev/null 2>&1
        podman rmi -f "$tag" >/dev/null 2>&1
        rm -rf "$tmp" "$spec"
        [ "$made_cdi_dir" = 1 ] && rmdir /run/cdi 2>/dev/null
}
trap cleanup EXIT
fail=0
ok() { echo "PASS: $*"; }
ko() { echo "FAIL: $*"; fail=1; }

# The tree: two devices on vfio-platform in group 3, whose node is a copy of /dev/null.
root=$tmp/root
"$src/make-fake-sysfs.sh" "$root"
for dev in a003e00.virtio_mmio 9020000.fw-cfg; do
        ln -sfn ../../../bus/platform/drivers/vfio-platform "$root/sys/devices/platform/$dev/driver"
        echo vfio-platform >"$root/sys/devices/platform/$dev/driver_override"
        ln -sfn ../../../kernel/iommu_groups/3 "$root/sys/devices/platform/$dev/iommu_group"
done
mkdir -p "$root/dev/vfio" "$root/etc/vfio-platform-bind.d" /run/cdi
mknod "$root/dev/vfio/3" c 1 3 || skip "mknod refused"
mknod "$root/dev/vfio/vfio" c 1 5 # /dev/zero's numbers
printf '[u]\ndevice = a003e00.virtio_mmio\ncdi-name = uart2\n\n[f]\ndevice = 9020000.fw-cfg\n' \
        >"$root/etc/vfio-platform-bind.d/t.conf"
"$ctl" --root="$root" cdi >"$spec" || { ko "bindctl cdi"; exit 1; }
grep -q '"path": "/dev/vfio/3", "type": "c", "major": 1, "minor": 3' "$spec" && ok "the spec has the node's numbers" ||
        { ko "spec"; cat "$spec"; }

mkdir -p "$tmp/rootfs/bin"
cp "$busybox" "$tmp/rootfs/bin/busybox"
for a in sh ls env; do ln -s busybox "$tmp/rootfs/bin/$a"; done
tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" . && podman import -q "$tmp/rootfs.tar" "$tag" >/dev/null ||
        skip "podman import failed"

# Podman as root sets RLIMIT_NOFILE and RLIMIT_NPROC above ours by default; crun may not raise
# them without CAP_SYS_RESOURCE: ask for lower ones.
run_opts=(--network=none --ulimit nofile=1024:1024 --ulimit nproc=1000:1000)
ctr=$(podman create "${run_opts[@]}" --device vfio-platform-bindd.io/platform=uart2 \
        --device vfio-platform-bindd.io/platform=9020000.fw-cfg "$tag" /bin/sh -c 'ls -l /dev/vfio; env' 2>"$tmp/err") ||
        { ko "podman create: $(cat "$tmp/err")"; exit 1; }
if out=$(podman start -a "$ctr" 2>&1); then
        echo "$out" | grep -Eq '^c.* 1, +3 .* 3$' && echo "$out" | grep -Eq '^c.* 1, +5 .* vfio$' &&
                echo "$out" | grep -qx 'VFIO_PLATFORM_BINDD_DEVICE_UART2=/sys/bus/platform/devices/a003e00.virtio_mmio' &&
                ok "the container sees /dev/vfio/3 and /dev/vfio/vfio and the variable" || { ko "container"; echo "$out"; }
else
        echo "NOTE: the container did not start: $out"
        echo "NOTE: checking the OCI config that podman generated from the spec instead"
        cfg=$(podman inspect --format '{{.StaticDir}}' "$ctr")/config.json
        tr -d ' \n' <"$cfg" >"$tmp/cfg"
        grep -q '{"path":"/dev/vfio/3","type":"c","major":1,"minor":3' "$tmp/cfg" &&
                grep -q '{"path":"/dev/vfio/vfio","type":"c","major":1,"minor":5' "$tmp/cfg" &&
                grep -q '"VFIO_PLATFORM_BINDD_DEVICE_UART2=/sys/bus/platform/devices/a003e00.virtio_mmio"' "$tmp/cfg" &&
                grep -q '"VFIO_PLATFORM_BINDD_DEVICE_9020000_FW_CFG=/sys/bus/platform/devices/9020000.fw-cfg"' "$tmp/cfg" &&
                grep -q '{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}' "$tmp/cfg" &&
                ok "podman resolved both CDI names into device nodes, cgroup rules and variables" ||
                { ko "OCI config"; cat "$cfg"; }
fi
[ "$(grep -o '"path":"/dev/vfio/3"' "$tmp/cfg" 2>/dev/null | wc -l)" -le 1 ] || ko "the shared group node is listed twice"

# An unknown name is refused.
if bad=$(podman create "${run_opts[@]}" --device vfio-platform-bindd.io/platform=nothere "$tag" /bin/true 2>&1); then
        podman init "$bad" >"$tmp/init" 2>&1
        grep -qi "unresolvable CDI devices" "$tmp/init" && ok "an unknown CDI name is refused at init" ||
                { ko "unknown name accepted: $(cat "$tmp/init")"; }
        podman rm -f "$bad" >/dev/null 2>&1
else
        echo "$bad" | grep -qi "CDI" && ok "an unknown CDI name is refused" || ko "unknown name: $bad"
fi
exit $fail
