#!/bin/sh
# The systemd units as built: placeholders filled, `systemd-analyze verify` silent on them (it only
# warns about unknown keys and bad values, so any output fails the test), and `systemctl enable
# vfio-platform-bindd` enabling the early unit too. Skips (77) without systemd's tools.
set -eu
units="${top_builddir:-.}/units"
src="${top_srcdir:-.}"
sbindir="${VPB_SBINDIR:-/usr/sbin}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "PASS: $*"; }
ko() { echo "FAIL: $*"; fail=1; }

if ! command -v systemd-analyze >/dev/null || ! command -v systemctl >/dev/null; then
        echo "SKIP: systemd-analyze or systemctl is missing"
        exit 77
fi
names="vfio-platform-bindd.service vfio-platform-bind-early.service vfio-platform-bind.target"
find_unit() { if [ -f "$units/$1" ]; then echo "$units/$1"; else echo "$src/units/$1"; fi; }

# Filled in at build time: no placeholder left, the programs where configure put them.
for n in $names; do
        f=$(find_unit "$n")
        if grep -n '@[a-zA-Z_]*@' "$f"; then ko "$n has unfilled placeholders"; else ok "$n filled"; fi
done
if grep -qx "ExecStart=$sbindir/vfio-platform-bindd" "$units/vfio-platform-bindd.service" &&
        grep -qx "ExecStart=$sbindir/vfio-platform-bindctl apply --early" "$units/vfio-platform-bind-early.service"; then
        ok "ExecStart= in $sbindir"
else
        ko "ExecStart= not in $sbindir"
fi
# One process on the boot's critical path: apply --early writes the udev rule too.
n=$(grep -c '^ExecStart' "$units/vfio-platform-bind-early.service")
if [ "$n" = 1 ]; then ok "the early unit runs one process"; else ko "the early unit runs $n ExecStart= lines"; fi

# verify checks that ExecStart= is executable: point it to stand-ins with the programs' names,
# so that a misspelt program still fails.
mkdir -p "$tmp/units" "$tmp/sbin"
for p in vfio-platform-bindd vfio-platform-bindctl; do
        printf '#!/bin/sh\nexit 0\n' >"$tmp/sbin/$p"
        chmod +x "$tmp/sbin/$p"
done
for n in $names; do
        sed "s|$sbindir/|$tmp/sbin/|g" "$(find_unit "$n")" >"$tmp/units/$n"
done
# shellcheck disable=SC2086 # $names: a list
(cd "$tmp/units" && SYSTEMD_UNIT_PATH="$tmp/units:" systemd-analyze verify --man=no $names) >"$tmp/out" 2>&1 \
        && rc=0 || rc=$?
if [ "$rc" = 0 ] && [ ! -s "$tmp/out" ]; then
        ok "systemd-analyze verify"
else
        ko "systemd-analyze verify (rc=$rc)"
        cat "$tmp/out"
fi

# `systemctl enable vfio-platform-bindd` is all a user does: it enables both units.
root="$tmp/root"
mkdir -p "$root/usr/lib/systemd/system" "$root/etc/systemd/system"
cp "$tmp/units/"* "$root/usr/lib/systemd/system/"
if systemctl --root="$root" enable vfio-platform-bindd.service >"$tmp/out" 2>&1 \
        && [ -L "$root/etc/systemd/system/multi-user.target.wants/vfio-platform-bindd.service" ] \
        && [ -L "$root/etc/systemd/system/vfio-platform-bind.target.wants/vfio-platform-bindd.service" ] \
        && [ -L "$root/etc/systemd/system/sysinit.target.wants/vfio-platform-bind-early.service" ]; then
        ok "systemctl enable vfio-platform-bindd enables both units"
else
        ko "systemctl enable vfio-platform-bindd"
        cat "$tmp/out"
        find "$root/etc" -type l
fi
systemctl --root="$root" disable vfio-platform-bindd.service >/dev/null 2>&1 || true
if [ -z "$(find "$root/etc/systemd/system" -type l)" ]; then
        ok "systemctl disable removes both"
else
        ko "systemctl disable leaves links behind"
        find "$root/etc/systemd/system" -type l
fi

# Bounded restarts that a daemon failing at once really reaches: StartLimitBurst starts, one
# RestartSec apart, must fit in StartLimitIntervalSec with room for their own run time (twice).
# systemd's default (5 in 10 s) with RestartSec=2s is never reached: it restarts forever.
secs() { # VALUE: 500ms, 2s, 1min, 3 (seconds) -> seconds
        echo "$1" | awk '/ms$/ { print $0 / 1000; next } /min$/ { print $0 * 60; next } { print $0 + 0 }'
}
key() { sed -n "s/^$2=//p" "$1" | tail -n 1; }
svc="$tmp/units/vfio-platform-bindd.service"
rs=$(secs "$(key "$svc" RestartSec)") burst=$(key "$svc" StartLimitBurst) iv=$(secs "$(key "$svc" StartLimitIntervalSec)")
if [ "$(key "$svc" Restart)" = on-failure ] && [ -n "$burst" ] && [ -n "$iv" ] &&
        awk -v r="$rs" -v b="$burst" -v i="$iv" 'BEGIN { exit !(b >= 2 && 2 * (b - 1) * r < i) }'; then
        ok "restarts bounded: $burst starts, ${rs}s apart, within ${iv}s"
else
        ko "restart limit not reachable: RestartSec=$rs StartLimitBurst=${burst:-unset} StartLimitIntervalSec=${iv:-unset}"
fi
# The target is reached only when the daemon started: Requires= and After= on it.
tgt="$tmp/units/vfio-platform-bind.target"
if grep -qx 'Requires=vfio-platform-bindd.service' "$tgt" &&
        grep -q '^After=.*vfio-platform-bindd.service' "$tgt"; then
        ok "vfio-platform-bind.target requires the daemon and orders after it"
else
        ko "vfio-platform-bind.target: no Requires= and After= on vfio-platform-bindd.service"
fi

# The sandbox: systemd-analyze security's exposure of the daemon's unit, at most 2.5.
if systemd-analyze security --help 2>&1 | grep -q -- --offline; then
        level=$(systemd-analyze security --offline=true "$tmp/units/vfio-platform-bindd.service" 2>&1 |
                sed -n 's/.*Overall exposure level for vfio-platform-bindd.service: \([0-9.]*\).*/\1/p')
        if [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.5) }'; then
                ok "systemd-analyze security: exposure $level (at most 2.5)"
        else
                ko "systemd-analyze security: exposure '${level:-?}', more than 2.5"
        fi
fi

exit $fail
