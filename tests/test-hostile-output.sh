#!/bin/bash
# shellcheck disable=SC2015 # "A && ok || ko": ok never fails
# Device data, records and file names that hold terminal escapes, invalid UTF-8 and newlines,
# through status, status --json, explain and check (issue 13): the human output is valid UTF-8
# with no control byte but newline and tab, the JSON parses (python3's json module), and a file
# name with a newline forges no "FILE:LINE:" line.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
need_python3

"$src/make-fake-sysfs.sh" "$root"
dev=$root/sys/devices/platform/a000000.virtio_mmio
# OF_FULLNAME retitles and clears the terminal; driver_override holds ESC, a C1 CSI and \xff.
printf 'OF_NAME=virtio_mmio\nOF_FULLNAME=/virtio_mmio@a000000\033]0;owned\007\033[2J\377\nOF_COMPATIBLE_0=virtio,mmio\nOF_COMPATIBLE_N=1\n' \
        >"$dev/uevent"
printf 'x\033[31m\302\233\377\n' >"$dev/driver_override"
# A policy file whose name holds a newline, a fake FILE:LINE, ESC and \xff.
pdir=$root/etc/vfio-platform-bind.d
mkdir -p "$pdir"
bad=$(printf '20-a\nforged.conf:1: warning\033[2J\377.conf')
printf '[hostile]\ncompatible = virtio,mmio\n' >"$pdir/$bad"
# A record whose reason holds escapes: the device is selected, unbound, and "failed".
mkdir -p "$root/run/vfio-platform-bindd/platform"
printf 'target=vfio-platform\nstatus=failed\nreason=probe \033]0;pwned\007 \377 failed\n' \
        >"$root/run/vfio-platform-bindd/platform/a000000.virtio_mmio"

# Valid UTF-8; no C0 control but \t and \n, no DEL, no C1 control.
clean() {
        python3 -c '
import sys
b = sys.stdin.buffer.read()
try:
    s = b.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("invalid UTF-8: %s" % e)
bad = [hex(ord(c)) for c in s if (ord(c) < 0x20 and c not in "\t\n") or 0x7f <= ord(c) <= 0x9f]
if bad:
    sys.exit("control characters: %s" % " ".join(bad[:10]))
' <"$1"
}

for cmd in "status" "status a000000.virtio_mmio" "explain a000000.virtio_mmio" "check"; do
        # shellcheck disable=SC2086 # $cmd: the words of the command
        $ctl --root="$root" --no-load-modules $cmd >"$tmp/out" 2>&1
        if clean "$tmp/out" 2>"$tmp/why"; then
                ok "$cmd: clean output"
        else
                ko "$cmd: $(cat "$tmp/why")"
                od -c "$tmp/out" | head -20
        fi
done

# The escapes are shown, not dropped: an administrator sees what is there.
$ctl --root="$root" status a000000.virtio_mmio >"$tmp/status" 2>&1
grep -qF 'x\x1b[31m\xc2\x9b\xff' "$tmp/status" && grep -qF 'probe \x1b]0;pwned\a \xff failed' "$tmp/status" &&
        ok "status shows the override and the reason escaped" || { ko "status escapes"; cat "$tmp/status"; }

# No line of check's output starts with the forged origin.
$ctl --root="$root" check >"$tmp/check" 2>&1
grep -q "^forged.conf:1:" "$tmp/check" && { ko "check: a file name forged a FILE:LINE line"; cat "$tmp/check"; } ||
        { grep -qF '20-a\n' "$tmp/check" && ok "check: the newline in a file name is shown as \\n" || { ko "check output"; cat "$tmp/check"; }; }

# JSON: parses, and the values decode to the device's printable part plus U+FFFD for \xff.
$ctl --root="$root" status --json >"$tmp/json" 2>"$tmp/err"
if python3 -c '
import json, sys
raw = open(sys.argv[1], "rb").read()
doc = json.loads(raw.decode("utf-8"))
d = [x for x in doc["devices"] if x["name"] == "a000000.virtio_mmio"][0]
assert d["path"] == "/virtio_mmio@a000000\x1b]0;owned\x07\x1b[2J\ufffd", repr(d["path"])
assert d["override"] == "x\x1b[31m\x9b\ufffd", repr(d["override"])
assert "\n" in d["rule"]["file"] and d["rule"]["file"].endswith("\ufffd.conf"), repr(d["rule"]["file"])
assert d["state"] == "failed" and d["reason"] == "probe \x1b]0;pwned\x07 \ufffd failed", repr(d)
' "$tmp/json" 2>"$tmp/why" && clean "$tmp/json"; then
        ok "status --json parses and keeps every printable byte"
else
        ko "status --json: $(cat "$tmp/why")"
        head -c 2000 "$tmp/json"
fi
python3 -m json.tool "$tmp/json" >/dev/null && ok "python3 -m json.tool accepts status --json" || ko "json.tool"

exit $fail
