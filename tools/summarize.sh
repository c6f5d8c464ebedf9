#!/bin/bash
# Counts test cases in automake test logs under DIR: Check's "Checks: N, Failures: F, Errors: E"
# line when the test is a Check program, the "PASS:"/"FAIL:" lines a shell test prints, else the
# test's own result. Prints "N passed, N failed, N skipped".
set -euo pipefail
dir=${1:-.}
passed=0 failed=0 skipped=0
for trs in $(find "$dir" -name '*.trs' | sort); do
        log=${trs%.trs}.log
        result=$(sed -n 's/^:test-result: //p' "$trs" | head -1)
        if [ "$result" = SKIP ]; then
                skipped=$((skipped + 1))
                continue
        fi
        summary=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -1 || true)
        if [ -n "$summary" ]; then
                read -r checks failures errors < <(echo "$summary" | sed -E 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/')
                passed=$((passed + checks - failures - errors))
                failed=$((failed + failures + errors))
                # A crash after the summary still fails the program.
                [ "$result" = PASS ] || [ $((failures + errors)) -gt 0 ] || failed=$((failed + 1))
                continue
        fi
        p=$(grep -c '^PASS: ' "$log" || true)
        f=$(grep -c '^FAIL: ' "$log" || true)
        if [ $((p + f)) -gt 0 ]; then
                passed=$((passed + p))
                failed=$((failed + f))
                [ "$result" = PASS ] || [ "$f" -gt 0 ] || failed=$((failed + 1))
        elif [ "$result" = PASS ]; then
                passed=$((passed + 1))
        else
                failed=$((failed + 1))
        fi
done
echo "$passed passed, $failed failed, $skipped skipped"
