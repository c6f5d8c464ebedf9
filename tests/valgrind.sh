#!/bin/sh
# Runs a test program under valgrind; any error or definite leak fails it. valgrind's own messages
# go to files of their own, not to the program's stderr, which tests compare with golden files;
# they are copied to stderr when they hold more than the warnings about system calls that this
# valgrind does not know (3.19 has no openat2, whose ENOSYS the programs handle by design).
export CK_FORK=no
log=$(mktemp -d "${TMPDIR:-/tmp}/valgrind.XXXXXX") || exit 99
valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite --child-silent-after-fork=yes --log-file="$log/vg.%p" "$@"
rc=$?
for f in "$log"/vg.*; do
        [ -s "$f" ] || continue
        if grep -v -e 'WARNING: unhandled .* syscall' -e 'You may be able to write your own handler' \
                -e 'README_MISSING_SYSCALL_OR_IOCTL' -e 'Nevertheless we consider this a bug' \
                -e 'valgrind.org/support/bug_reports' "$f" | grep -q .; then
                cat "$f" >&2
        fi
done
rm -rf "$log"
exit $rc
