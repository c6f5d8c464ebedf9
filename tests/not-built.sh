#!/bin/sh
# Run by "make check" only when configure left tests out (--enable-tests=auto without Check or
# umockdev, or --enable-tests=no): says which and why, and skips, so that the summary counts it.
echo "SKIP: not built: ${TESTS_SKIPPED:-?}"
echo "SKIP: tools/setup.sh installs the test dependencies; then run configure again"
exit 77
