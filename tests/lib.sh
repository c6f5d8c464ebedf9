# shellcheck shell=sh
# shellcheck disable=SC2034 # the variables are for the tests that source this file
# What the shell tests of vfio-platform-bindctl share; sourced, after "set -u" (or "set -eu"):
#   . "${top_srcdir:-.}/tests/lib.sh"
# Sets ctl (the program, under $VALGRIND when set), src (tests/ of the source tree), tmp (a
# temporary directory, removed at exit), root ($tmp/root, made by the test), golden (the golden
# files of tests/bindctl) and fail (0 until ko is called). POSIX sh: test-bindctl-check.sh is one.

ctl="${VALGRIND:-} ${top_builddir:-.}/vfio-platform-bindctl"
src="${top_srcdir:-.}/tests"
golden="$src/bindctl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
fail=0

ok() { echo "PASS: $*"; }
ko() { echo "FAIL: $*"; fail=1; }

# The tests that check output with python3 skip (77) without it.
need_python3() {
        command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
}

# bindctl on $root, stdout and stderr together, with the temporary root and the machine's kernel
# and modules taken out; returns bindctl's exit status.
run() {
        run_rc=0
        $ctl --root="$root" "$@" >"$tmp/.run" 2>&1 || run_rc=$?
        sed -e "s|$root|@ROOT@|g" -e "s|^  kernel: .*|  kernel: @KERNEL@|" -e "/^  reset module:/d" "$tmp/.run"
        return "$run_rc"
}

# NAME EXPECTED-STATUS ARGS...: run ARGS, compare with $golden/NAME.expected.
golden_test() {
        gt_name=$1 gt_want=$2
        shift 2
        gt_rc=0
        run "$@" >"$tmp/$gt_name.out" || gt_rc=$?
        if [ "$gt_rc" = "$gt_want" ] && cmp -s "$tmp/$gt_name.out" "$golden/$gt_name.expected"; then
                ok "$gt_name"
        else
                ko "$gt_name (exit $gt_rc, wanted $gt_want)"
                diff -u "$golden/$gt_name.expected" "$tmp/$gt_name.out" | head -40
        fi
}
