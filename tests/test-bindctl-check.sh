#!/bin/sh
# vfio-platform-bindctl check: the golden output on the example policy, the exit codes, and the
# FILE:LINE messages of a broken drop-in in a --root tree.
set -eu
. "${top_srcdir:-.}/tests/lib.sh"

# A good file: exit 0, golden output.
(cd "$src/policy/good" && $ctl check example.conf) >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
[ "$rc" = 0 ] && cmp -s "$tmp/out" "$src/policy/good/example.expected" && [ ! -s "$tmp/err" ] \
        && ok "check on a good file" || { ko "check on a good file (rc=$rc)"; diff -u "$src/policy/good/example.expected" "$tmp/out" || true; cat "$tmp/err"; }

# A --root tree with a broken drop-in: exit 1, FILE:LINE on stderr, nothing on stdout.
mkdir -p "$tmp/root/etc/vfio-platform-bind.d"
printf '[a]\ndevice = x\nfoo = bar\n' >"$tmp/root/etc/vfio-platform-bind.d/10-bad.conf"
$ctl --root="$tmp/root" check >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
exp="$tmp/root/etc/vfio-platform-bind.d/10-bad.conf:3: unknown key 'foo': use compatible, path, device, bus, pci-id, class, cdx-id, mc-type, action, driver, group, force, cdi-name
The policy is invalid."
[ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "$exp" ] && [ ! -s "$tmp/out" ] \
        && ok "check on a broken --root" || { ko "check on a broken --root (rc=$rc)"; cat "$tmp/err"; }

# The four-UART case: a rule meant for a second UART names the console's compatible. check exits
# 0 (no policy error) but warns, naming the console, though the rule's device is not even here.
"$src/make-fake-sysfs.sh" "$tmp/uart"
mkdir -p "$tmp/uart/sys/class/tty/ttyAMA0" "$tmp/uart/sys/class/tty/console" "$tmp/uart/etc/vfio-platform-bind.d"
echo "tty0 ttyAMA0" >"$tmp/uart/sys/class/tty/console/active"
ln -s ../../../devices/platform/9000000.pl011 "$tmp/uart/sys/class/tty/ttyAMA0/device"
printf '[uart2]\ncompatible = arm,pl011\ndevice = 9040000.pl011\n' >"$tmp/uart/etc/vfio-platform-bind.d/50-uart.conf"
$ctl --root="$tmp/uart" check >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
[ "$rc" = 0 ] && grep -q "50-uart.conf:2: warning: rule 'uart2': compatible 'arm,pl011' matches the console 9000000.pl011" "$tmp/err" &&
        ok "check warns about a rule whose compatible is the console's" || { ko "four-UART warning (rc=$rc)"; cat "$tmp/err"; }
# ... and with the console's own device selected, it names it as host-critical.
printf '[all-uarts]\ncompatible = arm,pl011\n' >"$tmp/uart/etc/vfio-platform-bind.d/50-uart.conf"
$ctl --root="$tmp/uart" check >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
[ "$rc" = 0 ] && grep -q "selects host-critical device 9000000.pl011; it is refused (add force = yes to move it anyway): the console: /dev/ttyAMA0" "$tmp/err" &&
        ok "check names the host-critical console a rule selects" || { ko "host-critical warning (rc=$rc)"; cat "$tmp/err"; }

# An empty root: valid, no rules.
mkdir -p "$tmp/empty"
$ctl --root="$tmp/empty" check >"$tmp/out" 2>&1 && rc=0 || rc=$?
[ "$rc" = 0 ] && grep -qx '# 0 rules from 0 files' "$tmp/out" && ok "check on an empty root" || ko "check on an empty root (rc=$rc)"

# Rules the match index cannot anchor (no literal start or end): a warning above 256, exit 0;
# the same number with a literal suffix ("*,x1") is indexed: no warning.
mkdir -p "$tmp/globs/etc/vfio-platform-bind.d"
i=0; while [ $i -lt 300 ]; do printf '[u%d]\ncompatible = *,x%d*\n' $i $i; i=$((i + 1)); done \
        >"$tmp/globs/etc/vfio-platform-bind.d/50-globs.conf"
$ctl --root="$tmp/globs" check >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
[ "$rc" = 0 ] && grep -q "^warning: 300 rules have no literal start or end" "$tmp/err" &&
        ok "check warns about 300 unindexable patterns" || { ko "unindexable warning (rc=$rc)"; cat "$tmp/err"; }
i=0; while [ $i -lt 300 ]; do printf '[u%d]\ncompatible = *,x%d\n' $i $i; i=$((i + 1)); done \
        >"$tmp/globs/etc/vfio-platform-bind.d/50-globs.conf"
$ctl --root="$tmp/globs" check >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
[ "$rc" = 0 ] && ! grep -q "literal start or end" "$tmp/err" &&
        ok "300 globs with a literal suffix: no warning" || { ko "suffix globs warned (rc=$rc)"; cat "$tmp/err"; }

# Usage errors: exit 2.
$ctl frobnicate >/dev/null 2>&1 && rc=0 || rc=$?
[ "$rc" = 2 ] && ok "unknown command exits 2" || ko "unknown command exits $rc"
$ctl --root="$tmp/nonexistent" check >/dev/null 2>&1 && rc=0 || rc=$?
[ "$rc" = 2 ] && ok "missing root exits 2" || ko "missing root exits $rc"
$ctl --version | grep -q '^vfio-platform-bindd ' && ok "--version" || ko "--version"


# check --fdt reads the built-in modules of the root's kernel: the golden runs use a root with a
# fixed release and no lib/modules, never the host's.
mkdir -p "$tmp/nomods/proc/sys/kernel"
echo 6.18.0-golden >"$tmp/nomods/proc/sys/kernel/osrelease"

# check --fdt: the devices of a real board's DTB (Raspberry Pi 4) against the example policy.
(cd "$src/policy/good" && $ctl --root="$tmp/nomods" check --fdt="$src/fdt/bcm2711-rpi-4-b.dtb" example.conf) >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
[ "$rc" = 0 ] && grep -q '^# 54 devices that Linux would create from' "$tmp/out" &&
        grep -Eq '^fe201000.serial +amba +/soc/serial@7e201000 +protected by console \(example.conf:6\)$' "$tmp/out" &&
        grep -Eq '^fe215040.serial +platform +/soc/serial@7e215040 +-$' "$tmp/out" &&
        ok "check --fdt on a real DTB" || { ko "check --fdt on a real DTB (rc=$rc)"; head -20 "$tmp/out" "$tmp/err"; }

# check --fdt with a policy that selects everything, on each real board: the console, the IOMMUs,
# the interrupt controllers and the suppliers are refused (golden files, tests/fdt/BOARD.guard).
for b in bcm2711-rpi-4-b rk3328-rock64 sun50i-a64-pine64-plus imx8mq-evk juno; do
        (cd "$src/fdt" && $ctl --root="$tmp/nomods" check --fdt="$b.dtb" all.conf) >"$tmp/$b.out" 2>&1 && rc=0 || rc=$?
        if [ "$rc" = 0 ] && cmp -s "$tmp/$b.out" "$src/fdt/$b.guard"; then
                ok "check --fdt flags the host-critical devices of $b"
        else
                ko "check --fdt host-critical on $b (rc=$rc)"
                diff -u "$src/fdt/$b.guard" "$tmp/$b.out" | head -30
        fi
done

# The boot window, offline: a kernel whose modules.builtin.modinfo (NUL-separated module.key=value
# records, as kbuild writes it) says which built-in modules claim which compatibles, and whose
# kallsyms has some of their init functions; the Ethernet is claimed twice (smsc_lan9118 is made
# up: either can take it at boot). Golden: tests/fdt/juno.window.
mkdir -p "$tmp/mods/proc/sys/kernel" "$tmp/mods/lib/modules/6.18.0-golden"
echo 6.18.0-golden >"$tmp/mods/proc/sys/kernel/osrelease"
printf '%s\0' \
        hdlcd.file=drivers/gpu/drm/arm/hdlcd hdlcd.license='GPL v2' hdlcd.description='ARM HDLCD DRM driver' \
        hdlcd.alias=of:N*T*Carm,hdlcd hdlcd.alias=of:N*T*Carm,hdlcdC* \
        leds_syscon.alias=of:N*T*Cregister-bit-led leds_syscon.alias=of:N*T*Cregister-bit-ledC* \
        smsc911x.license=GPL smsc911x.version=2008-10-21 smsc911x.alias=platform:smsc911x \
        smsc911x.alias=of:N*T*Csmsc,lan9115 smsc911x.alias=of:N*T*Csmsc,lan9115C* \
        smsc_lan9118.alias=of:N*T*Csmsc,lan9118 smsc_lan9118.alias=of:N*T*Csmsc,lan9118C* \
        gpio_keys.alias=platform:gpio-keys gpio_keys.alias=of:N*T*Cgpio-keys gpio_keys.alias=of:N*T*Cgpio-keysC* \
        i2c_designware_platform.alias=of:N*T*Csnps,designware-i2c \
        i2c_designware_platform.alias=of:N*T*Csnps,designware-i2cC* \
        >"$tmp/mods/lib/modules/6.18.0-golden/modules.builtin.modinfo"
printf '%s\n' 'ffff800008a1b2c4 t gpio_keys_init' 'ffff800008a1b2c8 t hdlcd_platform_driver_init' \
        'ffff800008a1b2d0 d __initcall__kmod_smsc911x__312_2696_smsc911x_init_module6' \
        'ffff800008a1b2d4 t smsc911x_init_module' 'ffff800008a1b2f0 t syscon_led_driver_init' \
        >"$tmp/mods/proc/kallsyms"
(cd "$src/fdt" && $ctl --root="$tmp/mods" check --fdt=juno.dtb window.conf) >"$tmp/window.out" 2>&1 && rc=0 || rc=$?
if [ "$rc" = 0 ] && cmp -s "$tmp/window.out" "$src/fdt/juno.window"; then
        ok "check --fdt predicts the boot window of built-in drivers"
else
        ko "check --fdt boot window (rc=$rc)"
        diff -u "$src/fdt/juno.window" "$tmp/window.out" | head -30
fi
# Without the file it says so once, and the table is the same without the window lines.
(cd "$src/fdt" && $ctl --root="$tmp/nomods" check --fdt=juno.dtb window.conf) >"$tmp/out" 2>&1 && rc=0 || rc=$?
grep -v 'modules.builtin.modinfo' "$tmp/out" >"$tmp/out.table" || true
grep -v -e 'boot window: ' -e 'modules.builtin.modinfo' "$src/fdt/juno.window" >"$tmp/window.table" || true
[ "$rc" = 0 ] && [ "$(grep -c 'modules.builtin.modinfo' "$tmp/out")" = 1 ] &&
        grep -qx '# No /lib/modules/6.18.0-golden/modules.builtin.modinfo: the boot window of built-in drivers is not predicted' "$tmp/out" &&
        cmp -s "$tmp/out.table" "$tmp/window.table" &&
        ok "check --fdt without modules.builtin.modinfo says the window is not predicted" ||
        { ko "check --fdt without modules.builtin.modinfo (rc=$rc)"; cat "$tmp/out"; }
# A kernel from before 6.18 records no of: alias of its built-in drivers, only what they spell
# out with MODULE_ALIAS() (Debian's 6.1 arm64 kernel: 94 aliases, none of them of:): said, not
# taken for "no window".
mkdir -p "$tmp/old/proc/sys/kernel" "$tmp/old/lib/modules/6.1.0-old"
echo 6.1.0-old >"$tmp/old/proc/sys/kernel/osrelease"
printf '%s\0' amba_pl011.license=GPL amba_pl011.alias=amba:d00041011 gpio_pl061.file=drivers/gpio/gpio-pl061 \
        rtc_pl031.alias=amba:d00041031 >"$tmp/old/lib/modules/6.1.0-old/modules.builtin.modinfo"
(cd "$src/fdt" && $ctl --root="$tmp/old" check --fdt=juno.dtb window.conf) >"$tmp/out" 2>&1 && rc=0 || rc=$?
[ "$rc" = 0 ] && grep -qx "# /lib/modules/6.1.0-old/modules.builtin.modinfo has no of: aliases (kernels before 6.18 do not record built-in drivers' match tables): the boot window of built-in drivers is not predicted" "$tmp/out" &&
        ! grep -q 'boot window: ' "$tmp/out" && ok "check --fdt says a kernel without of: aliases cannot predict the window" ||
        { ko "check --fdt on a kernel without of: aliases (rc=$rc)"; head -8 "$tmp/out"; }

# A truncated DTB: a clear error and exit 1, never a crash.
head -c 100 "$src/fdt/juno.dtb" >"$tmp/trunc.dtb"
(cd "$src/policy/good" && $ctl check --fdt="$tmp/trunc.dtb" example.conf) >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
[ "$rc" = 1 ] && grep -qx "$tmp/trunc.dtb: truncated device tree: header says 26981 bytes, got 100" "$tmp/err" &&
        ok "check --fdt on a truncated DTB" || { ko "check --fdt on a truncated DTB (rc=$rc)"; cat "$tmp/err"; }
printf 'not a device tree at all, just text\n' >"$tmp/text.dtb"
(cd "$src/policy/good" && $ctl check --fdt="$tmp/text.dtb" example.conf) >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
[ "$rc" = 1 ] && grep -q "not a usable device tree" "$tmp/err" && ok "check --fdt on a text file" || { ko "check --fdt on text (rc=$rc)"; cat "$tmp/err"; }

exit $fail
