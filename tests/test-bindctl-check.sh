#!/bin/sh
# vfio-platform-bindctl check: the golden output on the example policy, the exit codes, and the
# FILE:LINE messages of a broken drop-in in a --root tree.
set -eu
ctl="${VALGRIND:-} ${top_builddir:-.}/vfio-platform-bindctl"
src="${top_srcdir:-.}/tests"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "PASS: $*"; }
ko() { echo "FAIL: $*"; fail=1; }

# A good file: exit 0, golden output.
(cd "$src/policy/good" && $ctl check example.conf) >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
[ "$rc" = 0 ] && cmp -s "$tmp/out" "$src/policy/good/example.expected" && [ ! -s "$tmp/err" ] \
        && ok "check on a good file" || { ko "check on a good file (rc=$rc)"; diff -u "$src/policy/good/example.expected" "$tmp/out" || true; cat "$tmp/err"; }

# A --root tree with a broken drop-in: exit 1, FILE:LINE on stderr, nothing on stdout.
mkdir -p "$tmp/root/etc/vfio-platform-bind.d"
printf '[a]\ndevice = x\nfoo = bar\n' >"$tmp/root/etc/vfio-platform-bind.d/10-bad.conf"
$ctl --root="$tmp/root" check >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
exp="$tmp/root/etc/vfio-platform-bind.d/10-bad.conf:3: unknown key 'foo': use compatible, path, device, action or driver
The policy is invalid."
[ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "$exp" ] && [ ! -s "$tmp/out" ] \
        && ok "check on a broken --root" || { ko "check on a broken --root (rc=$rc)"; cat "$tmp/err"; }

# An empty root: valid, no rules.
mkdir -p "$tmp/empty"
$ctl --root="$tmp/empty" check >"$tmp/out" 2>&1 && rc=0 || rc=$?
[ "$rc" = 0 ] && grep -qx '# 0 rules from 0 files' "$tmp/out" && ok "check on an empty root" || ko "check on an empty root (rc=$rc)"

# Usage errors: exit 2.
$ctl frobnicate >/dev/null 2>&1 && rc=0 || rc=$?
[ "$rc" = 2 ] && ok "unknown command exits 2" || ko "unknown command exits $rc"
$ctl --root="$tmp/nonexistent" check >/dev/null 2>&1 && rc=0 || rc=$?
[ "$rc" = 2 ] && ok "missing root exits 2" || ko "missing root exits $rc"
$ctl --version | grep -q '^vfio-platform-bindd ' && ok "--version" || ko "--version"

exit $fail
