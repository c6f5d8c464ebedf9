#!/bin/bash
# shellcheck disable=SC2015 # "A && ok || ko": ok never fails
# Writes stay under --root (issue 13): a device directory symlinked outside the root is never
# written (bind, apply), and a state directory that is a symlink, or not ours, makes the daemon
# and the writing verbs refuse to run.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
# A daemon that does not refuse would run on: bounded.
bindd="timeout 30 ${VALGRIND:-} ${top_builddir:-.}/vfio-platform-bindd"
out=$tmp/outside

"$src/make-fake-sysfs.sh" "$root"
mkdir -p "$root/etc/vfio-platform-bind.d"
printf '[all]\ncompatible = virtio,mmio\n' >"$root/etc/vfio-platform-bind.d/50-all.conf"

# A device whose directory is outside the root, once by a relative link that climbs out of it
# and once by an absolute one. Its files look like a device's, so a write would land.
for how in rel abs; do
        d=$out/c00000$([ $how = rel ] && echo 0 || echo 1).escape
        mkdir -p "$d"
        echo '(null)' >"$d/driver_override"
        printf 'OF_FULLNAME=/escape\nOF_COMPATIBLE_0=virtio,mmio\nOF_COMPATIBLE_N=1\n' >"$d/uevent"
        name=${d##*/}
        if [ $how = rel ]; then
                ln -s "../../../../outside/$name" "$root/sys/bus/platform/devices/$name"
        else
                ln -s "$d" "$root/sys/bus/platform/devices/$name"
        fi
done
$ctl --root="$root" bind c000000.escape --no-load-modules >"$tmp/bind0" 2>&1
$ctl --root="$root" bind c000001.escape --no-load-modules >"$tmp/bind1" 2>&1
$ctl --root="$root" apply --no-load-modules >"$tmp/apply" 2>&1
if [ "$(cat "$out/c000000.escape/driver_override" "$out/c000001.escape/driver_override")" = "(null)
(null)" ]; then
        ok "nothing written through a device link that leaves the root"
else
        ko "a write left the root"; cat "$tmp/bind0" "$tmp/bind1" "$tmp/apply"
fi
grep -q "leads outside the root" "$tmp/bind0" && grep -q "leads outside the root" "$tmp/bind1" &&
        ok "bind says why" || { ko "bind message"; cat "$tmp/bind0" "$tmp/bind1"; }
$ctl --root="$root" status >"$tmp/status" 2>&1
grep -q "c000000.escape .*error" "$tmp/status" && grep -q "reason: its sysfs directory leads outside the root" "$tmp/status" &&
        ok "status lists it as error" || { ko "status"; cat "$tmp/status"; }
# The devices inside the root are still handled.
[ "$(cat "$root/sys/devices/platform/a003c00.virtio_mmio/driver_override")" = vfio-platform ] &&
        ok "apply still binds the devices inside the root" || ko "apply inside the root"
rm -f "$root/sys/bus/platform/devices/"c00000*.escape

# A state directory that is a symlink to a directory outside the root.
rm -rf "$root/run/vfio-platform-bindd"
mkdir -p "$out/state" "$root/run"
ln -s "$out/state" "$root/run/vfio-platform-bindd"
$bindd --root="$root" --no-load-modules >"$tmp/daemon" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "/run/vfio-platform-bindd under $root leads outside the root: refusing to start." "$tmp/daemon" &&
        [ -z "$(ls -A "$out/state")" ] && ok "the daemon refuses a state directory that is a symlink out of the root" ||
        { ko "daemon with a symlinked state dir (exit $rc)"; cat "$tmp/daemon"; ls -la "$out/state"; }
echo '(null)' >"$root/sys/devices/platform/a000000.virtio_mmio/driver_override"
$ctl --root="$root" bind a000000.virtio_mmio --no-load-modules >"$tmp/bind" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "leads outside the root: refusing" "$tmp/bind" && [ -z "$(ls -A "$out/state")" ] &&
        [ "$(cat "$root/sys/devices/platform/a000000.virtio_mmio/driver_override")" = "(null)" ] &&
        ok "bindctl bind refuses it too, and writes nothing" || { ko "bind with a symlinked state dir (exit $rc)"; cat "$tmp/bind"; }

# A symlink that stays inside the root is still not the real directory.
rm -f "$root/run/vfio-platform-bindd"
mkdir -p "$root/elsewhere"
ln -s ../elsewhere "$root/run/vfio-platform-bindd"
$bindd --root="$root" --no-load-modules >"$tmp/daemon" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "/run/vfio-platform-bindd under $root is not a directory (a symlink?): refusing to start." "$tmp/daemon" &&
        [ -z "$(ls -A "$root/elsewhere")" ] && ok "the daemon refuses a state directory that is a symlink inside the root" ||
        { ko "daemon with a state dir symlinked inside the root (exit $rc)"; cat "$tmp/daemon"; }

# The same through a symlinked parent (run -> outside).
rm -f "$root/run/vfio-platform-bindd"
rm -rf "$root/run" # bindctl apply left /run/cdi there too
mkdir -p "$out/run"
ln -s "$out/run" "$root/run"
$bindd --root="$root" --no-load-modules >"$tmp/daemon" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "leads outside the root: refusing to start" "$tmp/daemon" && [ -z "$(ls -A "$out/run")" ] &&
        ok "the daemon refuses a state directory whose parent leads outside" ||
        { ko "daemon with a symlinked /run (exit $rc)"; cat "$tmp/daemon"; ls -la "$out/run"; }
rm -f "$root/run"

# A state directory another user owns (as root only: chown).
if [ "$(id -u)" = 0 ]; then
        mkdir -p "$root/run/vfio-platform-bindd"
        chown 65534 "$root/run/vfio-platform-bindd"
        $bindd --root="$root" --no-load-modules >"$tmp/daemon" 2>&1
        rc=$?
        [ $rc = 1 ] && grep -q "is not owned by root or by our user, or others may write to it: refusing to start" "$tmp/daemon" &&
                ok "the daemon refuses a state directory it does not own" || { ko "foreign state dir (exit $rc)"; cat "$tmp/daemon"; }
fi
# One writable by others.
rm -rf "$root/run/vfio-platform-bindd"
mkdir -p "$root/run/vfio-platform-bindd"
chmod 0777 "$root/run/vfio-platform-bindd"
$ctl --root="$root" bind a000000.virtio_mmio --no-load-modules >"$tmp/bind" 2>&1
[ $? = 1 ] && grep -q "others may write to it" "$tmp/bind" && ok "a state directory writable by others is refused" ||
        { ko "world-writable state dir"; cat "$tmp/bind"; }

exit $fail
