#!/bin/bash
# shellcheck disable=SC2015 # "A && ok || ko": ok never fails
# Devices are never dropped in silence (issue 13): one whose uevent or driver_override holds a
# NUL, or whose driver link names no valid driver, is listed by status with state "error" and
# the reason (table and JSON), counted, and status exits 1; a device name of 252-255 bytes gets
# its state record (under a bounded file name), and older records stay readable.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_python3

"$src/make-fake-sysfs.sh" "$root"
sys=$root/sys
device() { # NAME DRIVER|- : a virtio,mmio platform device
        local dir=$sys/devices/platform/$1
        mkdir -p "$dir"
        echo '(null)' >"$dir/driver_override"
        printf 'OF_NAME=v\nOF_FULLNAME=/v@%s\nOF_COMPATIBLE_0=virtio,mmio\nOF_COMPATIBLE_N=1\n' "${1%%.*}" >"$dir/uevent"
        ln -sfn "../../../devices/platform/$1" "$sys/bus/platform/devices/$1"
        [ "$2" = - ] || ln -sfn "../../../bus/platform/drivers/$2" "$dir/driver"
}

# --- unreadable devices ---
device b000000.nul-uevent -
printf 'OF_NAME=v\nOF_FULLNAME=/v\0@b\nOF_COMPATIBLE_N=0\n' >"$sys/devices/platform/b000000.nul-uevent/uevent"
device b000100.nul-override -
printf 'vfio\0platform\n' >"$sys/devices/platform/b000100.nul-override/driver_override"
mkdir -p "$sys/bus/platform/drivers/odd driver!"
device b000200.odd-driver 'odd driver!'

$ctl --root="$root" status >"$tmp/out" 2>"$tmp/err"
rc=$?
for want in "b000000.nul-uevent .*error .*" "reason: its uevent holds a NUL byte" \
            "b000100.nul-override .*error" "reason: its driver_override holds a NUL byte" \
            "b000200.odd-driver .*error" "reason: its driver link does not name a valid driver"; do
        grep -q -- "$want" "$tmp/out" || { ko "status table: no '$want'"; cat "$tmp/out"; }
done
[ $rc = 1 ] && grep -q '^Devices that cannot be read$' "$tmp/out" && grep -qx '3 devices could not be read (state "error").' "$tmp/err" &&
        grep -q 'a003e00.virtio_mmio' "$tmp/out" &&
        ok "status lists the unreadable devices as error with their reasons, counts them, exits 1" ||
        { ko "status (exit $rc)"; cat "$tmp/out" "$tmp/err"; }

$ctl --root="$root" status --json >"$tmp/json" 2>/dev/null
python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["errors"] == 3, doc["errors"]
by = {d["name"]: d for d in doc["devices"]}
assert by["b000000.nul-uevent"]["state"] == "error" and by["b000000.nul-uevent"]["reason"] == "its uevent holds a NUL byte"
assert by["b000100.nul-override"]["reason"] == "its driver_override holds a NUL byte"
assert by["b000200.odd-driver"]["reason"] == "its driver link does not name a valid driver"
assert by["a003e00.virtio_mmio"]["state"] != "error"
' "$tmp/json" && ok "status --json: state error, reason, errors=3" || { ko "status --json"; cat "$tmp/json"; }

$ctl --root="$root" status b000100.nul-override >"$tmp/one" 2>&1
[ $? = 1 ] && grep -q "b000100.nul-override .*error" "$tmp/one" && ok "status DEVICE lists it too" || { ko "status DEVICE"; cat "$tmp/one"; }

$ctl --root="$root" explain b000000.nul-uevent >"$tmp/explain" 2>&1
[ $? = 1 ] && grep -q "Cannot read device 'b000000.nul-uevent': its uevent holds a NUL byte" "$tmp/explain" &&
        ok "explain says why it cannot read the device" || { ko "explain"; cat "$tmp/explain"; }

rm -rf "$sys/devices/platform/b000"* "$sys/bus/platform/devices/b000"*

# --- long names ---
n255=c000000.$(printf 'x%.0s' $(seq 1 247))
n252=${n255:0:252}
n251=${n255:0:251}
[ ${#n255} = 255 ] || { ko "test set-up: ${#n255}"; exit 1; }
device "$n255" virtio-mmio
device "$n252" virtio-mmio
device "$n251" virtio-mmio
mkdir -p "$root/etc/vfio-platform-bind.d"
printf '[all]\ncompatible = virtio,mmio\n' >"$root/etc/vfio-platform-bind.d/50-all.conf"
for name in "$n255" "$n252"; do
        # The plain tree never binds: the bind fails, and the record says so.
        $ctl --root="$root" bind "$name" --no-load-modules >"$tmp/bind" 2>&1
        $ctl --root="$root" status "$name" >"$tmp/st" 2>&1
        if grep -q "failed" "$tmp/st" && grep -q "reason: driver 'virtio-mmio' holds the device instead" "$tmp/st" &&
                grep -rlq "^name=$name\$" "$root/run/vfio-platform-bindd/platform-long/" && ! grep -q "record could not" "$tmp/bind"; then
                ok "a ${#name}-byte name gets its record, and status reads it"
        else
                ko "${#name}-byte name"; cat "$tmp/bind" "$tmp/st"; ls -R "$root/run/vfio-platform-bindd"
        fi
done
# 251 bytes: where records always were (a record from before is still read).
printf 'target=vfio-platform\nprevious_driver=virtio-mmio\nstatus=failed\nreason=from an older version\n' \
        >"$root/run/vfio-platform-bindd/platform/$n251"
$ctl --root="$root" status "$n251" >"$tmp/st" 2>&1
grep -q "reason: from an older version" "$tmp/st" && ok "a 251-byte name's record stays where it was" ||
        { ko "251-byte record"; cat "$tmp/st"; }
# restore drops the long record.
$ctl --root="$root" restore "$n255" >"$tmp/restore" 2>&1
grep -rlq "^name=$n255\$" "$root/run/vfio-platform-bindd/platform-long/" && { ko "restore left the long record"; cat "$tmp/restore"; } ||
        ok "restore removes the long name's record"
grep -rlq "^name=$n252\$" "$root/run/vfio-platform-bindd/platform-long/" && ok "and only that one" || ko "restore removed another record"

exit $fail
