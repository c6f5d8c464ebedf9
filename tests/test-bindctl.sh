#!/bin/bash
# vfio-platform-bindctl against the fake QEMU-virt sysfs tree: status (table and JSON), explain,
# apply --dry-run and generate compared with golden files; exit codes; what bind, restore and
# apply write into the tree (no kernel: nothing binds, the files show the intent).
set -u
. "${top_srcdir:-.}/tests/lib.sh"

"$src/make-fake-sysfs.sh" "$root"
install -D -m 0644 "$src/../conf/50-example.conf" "$root/etc/vfio-platform-bind.d/50-example.conf"

golden_test status 0 status
golden_test status-json 0 status --json
golden_test status-one 0 status --json 9000000.pl011
golden_test explain 0 explain a003e00.virtio_mmio
golden_test explain-protected 0 explain 9000000.pl011
golden_test apply-dry-run 0 apply --dry-run --no-load-modules
golden_test unknown-device 2 explain nothere
golden_test bad-device-name 2 status ../../etc
golden_test generate-empty 0 generate

# The boot window: a selected device held by a built-in driver (no loadable module behind it).
rm "$root/sys/bus/platform/drivers/virtio-mmio/module"
mkdir -p "$root/proc"
printf 'ffff800008a1b2c0 t virtio_mmio_init\nffff800008a1b2d0 t virtio_mmio_driver_init\n' >"$root/proc/kallsyms"
run explain a003e00.virtio_mmio >"$tmp/window.out"
grep -qx "Boot window: taken at boot by the built-in driver virtio-mmio, rebound after; remedy: initcall_blacklist=virtio_mmio_driver_init on the kernel command line (or build virtio-mmio as a module)" "$tmp/window.out" &&
        ok "explain names the built-in driver's init call" || { ko "boot window"; cat "$tmp/window.out"; }
ln -s ../../../../devices/platform/a003c00.virtio_mmio "$root/sys/bus/platform/drivers/virtio-mmio/a003c00.virtio_mmio"
run status >"$tmp/window.out"
grep -q "boot: taken at boot by the built-in driver virtio-mmio, rebound after; remedy: build virtio-mmio as a module (it also drives other devices" "$tmp/window.out" &&
        ok "status: a built-in driver with other devices needs a module" || { ko "boot window, shared"; cat "$tmp/window.out"; }
rm "$root/sys/bus/platform/drivers/virtio-mmio/a003c00.virtio_mmio" "$root/proc/kallsyms"
ln -s ../../../../module/virtio_mmio "$root/sys/bus/platform/drivers/virtio-mmio/module"

# --dry-run wrote nothing.
[ "$(cat "$root/sys/devices/platform/a003e00.virtio_mmio/driver_override")" = "(null)" ] &&
        [ ! -s "$root/sys/bus/platform/drivers_probe" ] && ok "dry run writes nothing" || ko "dry run wrote"

# bind: override, unbind from the native driver, probe; the plain tree never binds, so bind
# must fail and say which driver still holds the device.
run bind a003e00.virtio_mmio --no-load-modules >"$tmp/bind.out"
rc=$?
[ $rc = 1 ] && grep -q "not bound to vfio-platform: driver 'virtio-mmio' holds the device instead" "$tmp/bind.out" &&
        [ "$(cat "$root/sys/devices/platform/a003e00.virtio_mmio/driver_override")" = vfio-platform ] &&
        [ "$(cat "$root/sys/bus/platform/drivers/virtio-mmio/unbind")" = a003e00.virtio_mmio ] &&
        [ "$(cat "$root/sys/bus/platform/drivers_probe")" = a003e00.virtio_mmio ] &&
        grep -q '^previous_driver=virtio-mmio$' "$root/run/vfio-platform-bindd/platform/a003e00.virtio_mmio" &&
        ok "bind writes override, unbind, probe and records the previous driver" || { ko "bind (exit $rc)"; cat "$tmp/bind.out"; }

# status now reports the recorded failure with its reason.
run status a003e00.virtio_mmio >"$tmp/st.out"
grep -q "failed" "$tmp/st.out" && grep -q "reason: driver 'virtio-mmio' holds the device instead" "$tmp/st.out" &&
        ok "status shows the recorded failure" || { ko "status after failed bind"; cat "$tmp/st.out"; }

# restore: the override is cleared and the record dropped.
run restore a003e00.virtio_mmio >"$tmp/restore.out"
[ "$(cat "$root/sys/devices/platform/a003e00.virtio_mmio/driver_override")" = "" ] &&
        [ ! -e "$root/run/vfio-platform-bindd/platform/a003e00.virtio_mmio" ] &&
        grep -q "the policy still selects it" "$tmp/restore.out" &&
        ok "restore clears the override, drops the record, warns about the policy" || { ko "restore"; cat "$tmp/restore.out"; }
run restore >/dev/null; [ $? = 2 ] && ok "restore without devices or --all exits 2" || ko "restore usage"

# --persist: a rule that an earlier ignore rule shadows is not kept.
run bind 9000000.pl011 --driver=vfio-amba --persist --no-load-modules >"$tmp/persist.out"
ls "$root/etc/vfio-platform-bind.d/" | grep -q bindctl && ko "persist kept a shadowed rule" ||
        ok "persist refuses a rule an ignore rule shadows"

# A device with ':' and '-' in its name (gpio-keys has both in real trees as soon:gpio-keys).
mkdir -p "$root/sys/devices/platform/soc:gpio-keys"
echo '(null)' >"$root/sys/devices/platform/soc:gpio-keys/driver_override"
echo 'OF_FULLNAME=/soc/gpio-keys' >"$root/sys/devices/platform/soc:gpio-keys/uevent"
ln -s ../../../devices/platform/soc:gpio-keys "$root/sys/bus/platform/devices/soc:gpio-keys"
run bind soc:gpio-keys --driver=uio_pdrv_genirq --no-load-modules >"$tmp/colon.out"
[ "$(cat "$root/sys/devices/platform/soc:gpio-keys/driver_override")" = uio_pdrv_genirq ] &&
        grep -q "driver 'uio_pdrv_genirq' is not registered and module loading is off" "$tmp/colon.out" &&
        ok "a name with ':' and '-'" || { ko "a name with ':' and '-'"; cat "$tmp/colon.out"; }

# generate-rules: the early udev rule, installed under the root, and the same text on stdout.
run generate-rules >"$tmp/rules.out"
rc=$?
rules=$root/run/udev/rules.d/60-vfio-platform-bind.rules
[ $rc = 0 ] && [ -f "$rules" ] && grep -q '^ENV{OF_COMPATIBLE_0}=="arm,pl011", GOTO="vfio_platform_bind_r0_compatible"$' "$rules" &&
        grep -q '^KERNEL=="a003e00.virtio_mmio|a003c00.virtio_mmio", ENV{.VFIO_PLATFORM_BIND_DRIVER}="vfio-platform", GOTO="vfio_platform_bind_apply"$' "$rules" &&
        grep -q '^ENV{OF_FULLNAME}=="/soc@0/isp@32e10000", GOTO="vfio_platform_bind_apply"$' "$rules" &&
        [ ! -e "$root/run/udev/rules.d/.60-vfio-platform-bind.rules.tmp" ] &&
        ok "generate-rules installs the rule" || { ko "generate-rules (exit $rc)"; cat "$tmp/rules.out"; head -30 "$rules"; }
run generate-rules --output=- >"$tmp/rules.stdout"
sed "s|$root|@ROOT@|g" "$rules" | cmp -s "$tmp/rules.stdout" - && ok "generate-rules --output=- prints the same rule" || ko "generate-rules --output=-"

# apply --early installs the same rule in the same process, before the overrides; --dry-run and
# plain apply leave it alone.
cp "$rules" "$tmp/rules.want"
rm "$rules"
run apply --early --dry-run --no-load-modules >/dev/null
run apply --no-cdi --no-load-modules >/dev/null
[ ! -e "$rules" ] && ok "apply and apply --early --dry-run write no rule" || ko "apply without --early wrote the rule"
echo '(null)' >"$root/sys/devices/platform/a003e00.virtio_mmio/driver_override"
run apply --early --no-cdi --no-load-modules >"$tmp/early.out"
cmp -s "$rules" "$tmp/rules.want" && grep -q "^Wrote /run/udev/rules.d/60-vfio-platform-bind.rules.$" "$tmp/early.out" &&
        [ "$(cat "$root/sys/devices/platform/a003e00.virtio_mmio/driver_override")" = vfio-platform ] &&
        ok "apply --early installs the rule generate-rules installs, and the overrides" ||
        { ko "apply --early and the rule"; cat "$tmp/early.out"; diff "$tmp/rules.want" "$rules" | head; }
# The rule cannot be written (its directory is a file): the devices still get their overrides,
# and the exit status says it failed.
rm -r "$root/run/udev/rules.d"
touch "$root/run/udev/rules.d"
echo '(null)' >"$root/sys/devices/platform/a003e00.virtio_mmio/driver_override"
run apply --early --no-cdi --no-load-modules >"$tmp/early.out"
rc=$?
[ $rc = 1 ] && grep -q "Cannot write /run/udev/rules.d/60-vfio-platform-bind.rules" "$tmp/early.out" &&
        [ "$(cat "$root/sys/devices/platform/a003e00.virtio_mmio/driver_override")" = vfio-platform ] &&
        ok "apply --early: no rule, still the overrides, exit 1" || { ko "apply --early without a rule (exit $rc)"; cat "$tmp/early.out"; }

# apply --early on a device no driver holds: the override and a "pending" record only; neither
# a module nor a probe (udev's coldplug probes it through the rule). One held by a driver is
# unbound from it too.
dev=$root/sys/devices/platform/a003e00.virtio_mmio
rm -r "$root/run/udev/rules.d" "$root/run/vfio-platform-bindd/platform"
mkdir -p "$root/run/udev/rules.d"
mv "$dev/driver" "$tmp/driver.link"
echo '(null)' >"$dev/driver_override"
: >"$root/sys/bus/platform/drivers_probe"
: >"$root/sys/bus/platform/drivers/virtio-mmio/unbind"
run apply --early --no-cdi --no-load-modules >"$tmp/early.out"
rc=$?
[ $rc = 0 ] && [ "$(cat "$dev/driver_override")" = vfio-platform ] && [ ! -s "$root/sys/bus/platform/drivers_probe" ] &&
        grep -qx "status=pending" "$root/run/vfio-platform-bindd/platform/a003e00.virtio_mmio" &&
        grep -q "^a003e00.virtio_mmio: pinned to vfio-platform by rule virtio-passthrough (@ROOT@/etc/vfio-platform-bind.d/50-example.conf:11) (was unbound): it binds when probed$" "$tmp/early.out" &&
        ok "apply --early pins a free device: override and pending record, no probe" ||
        { ko "apply --early on a free device (exit $rc)"; cat "$tmp/early.out"; cat "$root/run/vfio-platform-bindd/platform/a003e00.virtio_mmio"; }
mv "$tmp/driver.link" "$dev/driver"
rm -r "$root/run/vfio-platform-bindd/platform"
echo '(null)' >"$dev/driver_override"
run apply --early --no-cdi --no-load-modules >"$tmp/early.out"
grep -qx a003e00.virtio_mmio "$root/sys/bus/platform/drivers/virtio-mmio/unbind" &&
        [ ! -s "$root/sys/bus/platform/drivers_probe" ] && [ "$(cat "$dev/driver_override")" = vfio-platform ] &&
        grep -qx "previous_driver=virtio-mmio" "$root/run/vfio-platform-bindd/platform/a003e00.virtio_mmio" &&
        ok "apply --early unbinds a device a driver holds, and records that driver" ||
        { ko "apply --early on a held device"; cat "$tmp/early.out"; }

exit $fail
