#!/bin/sh
# Runs a test program under valgrind; any error or definite leak fails it.
export CK_FORK=no
exec valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite --child-silent-after-fork=yes "$@"
