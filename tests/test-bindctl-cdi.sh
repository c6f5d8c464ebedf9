#!/bin/bash
# vfio-platform-bindctl cdi, apply and status --json against the fake QEMU-virt sysfs tree with two
# devices on vfio-platform: the spec against tests/cdi-check (the CDI specification's rules) and
# a golden file, the files apply writes, --no-cdi, the CDI names in status --json.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
check="${top_builddir:-.}/tests/cdi-check"

"$src/make-fake-sysfs.sh" "$root"
# Two devices on vfio-platform with their overrides, as after a bind; group 3's node is known
# from sysfs only, group 5's not at all (the runtime then fills type, major and minor in).
for dev in a003e00.virtio_mmio 9020000.fw-cfg; do
        ln -sfn ../../../bus/platform/drivers/vfio-platform "$root/sys/devices/platform/$dev/driver"
        echo vfio-platform >"$root/sys/devices/platform/$dev/driver_override"
done
mkdir -p "$root/sys/class/vfio/3" "$root/sys/class/misc/vfio" "$root/etc/vfio-platform-bind.d"
echo 243:3 >"$root/sys/class/vfio/3/dev"
echo 10:196 >"$root/sys/class/misc/vfio/dev"
cat >"$root/etc/vfio-platform-bind.d/50-test.conf" <<'CONF'
[uart]
device = a003e00.virtio_mmio
cdi-name = uart2

[fw]
device = 9020000.fw-cfg

[console]
device = 9000000.pl011
action = ignore
CONF

$ctl --root="$root" cdi >"$tmp/spec.json" 2>"$tmp/err"; rc=$?
if [ $rc = 0 ] && cmp -s "$tmp/spec.json" "$src/cdi/bindctl-cdi.json"; then
        ok "cdi prints the golden spec"
else
        ko "cdi (exit $rc)"; diff -u "$src/cdi/bindctl-cdi.json" "$tmp/spec.json"; cat "$tmp/err"
fi
names=$("$check" cdi "$tmp/spec.json" | tr '\n' ' ')
[ "$names" = "9020000.fw-cfg uart2 " ] && ok "the spec is valid CDI and names exactly the bound devices" ||
        ko "checker says: $names"

$ctl --root="$root" cdi platform | cmp -s - "$tmp/spec.json" && ok "cdi platform" || ko "cdi platform"
out=$($ctl --root="$root" cdi amba 2>&1); rc=$?
[ $rc = 0 ] && ! echo "$out" | grep -qv 'No bound amba device' && ok "cdi amba: no device, no spec" ||
        ko "cdi amba (exit $rc): $out"
$ctl --root="$root" cdi nobus >/dev/null 2>&1; [ $? = 2 ] && ok "cdi with an unknown bus exits 2" || ko "cdi nobus"

# status --json: the qualified names, null for the others.
$ctl --root="$root" status --json >"$tmp/status.json"
grep -q '"name": "a003e00.virtio_mmio", .*"cdi": "vfio-platform-bindd.io/platform=uart2"' "$tmp/status.json" &&
        grep -q '"name": "9020000.fw-cfg", .*"cdi": "vfio-platform-bindd.io/platform=9020000.fw-cfg"' "$tmp/status.json" &&
        [ "$(grep -c '"cdi": null' "$tmp/status.json")" = 4 ] && ok "status --json names the CDI devices" ||
        { ko "status --json"; cat "$tmp/status.json"; }

# apply writes the spec (the rest of the tree cannot bind: no kernel) and nothing with --no-cdi.
spec=$root/run/cdi/vfio-platform-bindd.io-platform.json
$ctl --root="$root" --no-cdi apply --no-load-modules >/dev/null 2>&1
[ ! -e "$spec" ] && ok "apply --no-cdi writes no spec" || ko "apply --no-cdi wrote $spec"
$ctl --root="$root" apply --no-load-modules >/dev/null 2>&1
cmp -s "$spec" "$tmp/spec.json" && [ "$(stat -c %a "$spec")" = 644 ] && ok "apply writes the spec, mode 0644" ||
        ko "apply: $(ls -l "$root/run/cdi" 2>&1)"
[ ! -e "$root/run/cdi/vfio-platform-bindd.io-amba.json" ] && ok "no spec for a bus without devices" || ko "amba spec"
# Unbound now: apply removes the spec (a CDI spec without devices is invalid).
rm "$root/sys/devices/platform/a003e00.virtio_mmio/driver" "$root/sys/devices/platform/9020000.fw-cfg/driver"
$ctl --root="$root" apply --no-load-modules >/dev/null 2>&1
[ ! -e "$spec" ] && ok "apply removes the spec when nothing is bound" || ko "spec left behind"
$ctl --root="$root" --cdi-dir=/elsewhere/cdi apply --no-load-modules >/dev/null 2>&1
[ ! -e "$root/elsewhere" ] && ok "no parent directory, no spec and no error" || ko "created $root/elsewhere"
exit $fail
