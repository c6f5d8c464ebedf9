#!/bin/bash
# Static analysis: cppcheck and clang's scan-build, both with no reports. Prints one line
# "N passed, N failed" (one per analyzer).
# unix.Malloc is off in scan-build: clang 14's analyzer does not model __attribute__((cleanup)),
# so every _cleanup_free_ path is reported as a leak; leaks are covered at run time instead, by
# valgrind and LeakSanitizer over the whole test suite.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0

if cppcheck -q --enable=warning,performance,portability --error-exitcode=1 --inline-suppr --std=c11 \
        -I "$top/src" -D__GNUC__ --suppress=missingIncludeSystem "$top"/src/*.c "$top"/daemon/*.c; then
        echo "PASS: cppcheck"; passed=$((passed + 1))
else
        echo "FAIL: cppcheck"; failed=$((failed + 1))
fi

out=${BUILDDIR:-$top/build-scan}
rm -rf "$out" && mkdir -p "$out"
if (cd "$out" && "$top/configure" --disable-tests >/dev/null 2>&1 &&
        scan-build --status-bugs -disable-checker unix.Malloc -o "$out/report" make -j"$(nproc)" >scan.log 2>&1); then
        echo "PASS: scan-build"; passed=$((passed + 1))
else
        echo "FAIL: scan-build"; grep -E 'warning:|error:' "$out/scan.log" | head -n 30
        failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
