#!/bin/bash
# The test command of the README: set up, build, run every test suite, print the summary.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/setup.sh"
"$top/tools/build.sh"
cd "${BUILDDIR:-$top/build}"
rc=0
make -j"$(nproc)" check >make-check.out 2>&1 || rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' make-check.out || true
if [ $rc -ne 0 ]; then
        for l in $(grep -lE '^(FAIL|ERROR)' tests/*.log 2>/dev/null); do echo "--- $l"; tail -40 "$l"; done
fi
"$top/tools/summarize.sh" .
exit $rc
