#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the benchmark (bench/bench.c) and writes docs/benchmarks.md and docs/benchmarks.png.
# Called by "make bench" (bench/bench.mk) with the programs already built:
#   run.sh --builddir=DIR --srcdir=DIR [vpb-bench options, e.g. --quick]
# As root on Debian it first installs what it needs beyond tools/setup.sh: driverctl (the
# comparison) and python3-matplotlib (the plot). Environment: BENCH_NO_INSTALL=1 skips that;
# BENCH_EVENTS=N, BENCH_IDLE_SECONDS=N change the run; BENCH_DOCS=DIR writes elsewhere.
set -eu

builddir=''
srcdir=''
for a in "$@"; do
        case $a in
        --builddir=*) builddir=${a#*=} ;;
        --srcdir=*) srcdir=${a#*=} ;;
        esac
done
if [ -z "$builddir" ] || [ -z "$srcdir" ]; then
        echo "usage: run.sh --builddir=DIR --srcdir=DIR [options]" >&2
        exit 2
fi
extra=
for a in "$@"; do
        case $a in
        --builddir=* | --srcdir=*) ;;
        *) extra="$extra $a" ;;
        esac
done
docs=${BENCH_DOCS:-$srcdir/docs}

# The extras, from the distribution's archive with its ordinary client.
need=
command -v driverctl >/dev/null 2>&1 || [ -x /usr/sbin/driverctl ] || need="$need driverctl"
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || python3 -c 'import matplotlib' 2>/dev/null || need="$need python3-matplotlib"
if [ -n "$need" ] && [ "${BENCH_NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "# installing:$need"
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086 # $need: separate package names
        if ! apt-get install -y -q --no-install-recommends $need >/dev/null 2>&1; then
                apt-get update -q >/dev/null 2>&1 || true
                # shellcheck disable=SC2086
                apt-get install -y -q --no-install-recommends $need >/dev/null 2>&1 ||
                        echo "# could not install$need: going on without" >&2
        fi
fi

mkdir -p "$builddir/bench" "$docs"
json=$builddir/bench/results.json
out=$builddir/bench/output.txt
start=$(date +%s)
BENCH_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_LOADAVG
# shellcheck disable=SC2086 # $extra: separate options
"$builddir/bench/vpb-bench" \
        --bindd="$builddir/vfio-platform-bindd" \
        --bindctl="$builddir/vfio-platform-bindctl" \
        --probe="$builddir/bench/lat-probe.so" \
        --inject="$builddir/bench/nl-inject.so" \
        --floor="$builddir/bench/vpb-floor" \
        --json="$json" $extra | tee "$out"
echo "# the benchmark took $(( $(date +%s) - start )) s"

# The report: the system's python3 (Debian's matplotlib), else any python3.
py=python3
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null && py=/usr/bin/python3
"$py" "$srcdir/bench/report.py" --json="$json" --srcdir="$srcdir" --builddir="$builddir" \
        --md="$docs/benchmarks.md" --png="$docs/benchmarks.png"
echo
sed -n '/^## Targets/,/^## (a)/p' "$docs/benchmarks.md" | sed '$d'
echo "# written: $docs/benchmarks.md $docs/benchmarks.png"
