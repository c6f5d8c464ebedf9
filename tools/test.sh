#!/bin/bash
# The test command of the README: set up, build, run every test suite (the unit and integration
# tests of "make check", then the real-kernel VM suite of "make check-vm" unless --no-vm), and
# print one line "N passed, N failed" for all of them.
# VM_DEB=FILE: the VM suite's systemd guests boot this arm64 package (tools/build-deb.sh --arch
# arm64) as installed; without it they boot the install tree of its cross-build, and its summary
# says so.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
vm=1
[ "${1:-}" = --no-vm ] && vm=0
"$top/tools/setup.sh" || exit 1
"$top/tools/build.sh" || exit 1
cd "${BUILDDIR:-$top/build}"

rc=0
make -j"$(nproc)" check >make-check.out 2>&1 || rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' make-check.out || true
if [ $rc -ne 0 ]; then
        for l in $(grep -lE '^(FAIL|ERROR)' tests/*.log 2>/dev/null); do echo "--- $l"; tail -40 "$l"; done
fi
read -r passed failed skipped < <("$top/tools/summarize.sh" . | sed -E 's/([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
echo "make check: $passed passed, $failed failed, $skipped skipped"

if [ $vm = 1 ]; then
        "$top/tests/vm/run.sh" --require-project >vm.out 2>&1 || rc=1
        tail -n 40 vm.out
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' vm.out | tail -n 1)
        if [ -n "$line" ]; then
                passed=$((passed + $(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")))
                failed=$((failed + $(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")))
        else
                failed=$((failed + 1))
        fi
fi
echo "$passed passed, $failed failed"
exit $rc
