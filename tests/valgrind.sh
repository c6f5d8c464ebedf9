#!/bin/bash
# Runs a test program under valgrind; any error or definite leak fails it. valgrind's own messages
# reach stderr through a filter that drops only its warnings about system calls it does not know
# (3.19 has no openat2, whose ENOSYS the programs handle by design): tests compare the programs'
# stderr with golden files. exec keeps the PID, which the tests signal and wait for.
export CK_FORK=no
exec 9> >(grep --line-buffered -v -e 'WARNING: unhandled .* syscall' -e 'You may be able to write your own handler' \
        -e 'README_MISSING_SYSCALL_OR_IOCTL' -e 'Nevertheless we consider this a bug' \
        -e 'valgrind.org/support/bug_reports' >&2)
exec valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite --child-silent-after-fork=yes --log-fd=9 "$@"
