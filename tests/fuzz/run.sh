#!/bin/bash
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) and runs each
# for SECONDS (default 60) on its seed corpus. Prints "N passed, N failed" (one per target).
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
shift || true
out=${FUZZ_BUILDDIR:-$top/build-fuzz}
mkdir -p "$out"
CC=${CLANG:-clang}
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$top/src -include $out/config.h"
cflags="$cflags $(pkg-config --cflags inih 2>/dev/null)"
libs="$(pkg-config --libs inih) -lfdt"
printf '#define PACKAGE_STRING "vfio-platform-bindd fuzz"\n#define _GNU_SOURCE 1\n' >"$out/config.h"

# What a device is (the bus table and its readers), and what the policy is.
device="src/device.c src/bus.c src/bus-pci.c src/bus-cdx.c src/bus-fsl-mc.c src/sysfs-attr.c src/strv.c src/validate.c"
policy="src/policy.c src/policy-shadow.c src/match.c src/match-keys.c src/hashmap.c src/diag.c src/escape.c $device"
declare -A sources=(
        [policy]="tests/fuzz/fuzz-policy.c $policy"
        [printers]="tests/fuzz/fuzz-printers.c src/status.c src/iommu-group.c src/guard.c src/sysfs.c src/fs-util.c src/diagnose.c $policy"
        [uevent]="tests/fuzz/fuzz-uevent.c $device"
        [dtb]="tests/fuzz/fuzz-dtb.c src/dtb.c src/hashmap.c $device"
)
[ -f "$top/tests/fuzz/fuzz-udev-rules.c" ] &&
        sources[udev-rules]="tests/fuzz/fuzz-udev-rules.c tests/udev-eval.c src/udev-rules.c $policy"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(printf '%s\n' "${!sources[@]}" | sort))

passed=0 failed=0
for t in "${targets[@]}"; do
        bin=$out/fuzz-$t
        srcs=()
        for s in ${sources[$t]}; do srcs+=("$top/$s"); done
        if ! $CC $cflags -o "$bin" "${srcs[@]}" $libs 2>"$out/fuzz-$t.build.log"; then
                echo "FAIL: fuzz-$t does not build"; tail -n 20 "$out/fuzz-$t.build.log"
                failed=$((failed + 1)); continue
        fi
        corpus=$out/corpus-$t
        mkdir -p "$corpus" "$out/crashes-$t"
        seeds=$top/tests/fuzz/seeds-$t
        if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
                -artifact_prefix="$out/crashes-$t/" "$corpus" "$seeds" >"$out/fuzz-$t.log" 2>&1; then
                echo "PASS: fuzz-$t ($(grep -oE '#[0-9]+' "$out/fuzz-$t.log" | tail -n 1 | tr -d '#') runs in $secs s)"
                passed=$((passed + 1))
        else
                echo "FAIL: fuzz-$t; crash inputs in $out/crashes-$t/"
                grep -E 'ERROR|SUMMARY|==[0-9]+==' "$out/fuzz-$t.log" | head -n 20
                failed=$((failed + 1))
        fi
done
echo "$passed passed, $failed failed"
[ $failed = 0 ]
