#!/bin/bash
# Configures and builds in BUILDDIR (default: build/) with any extra configure arguments. The
# tests are required (--enable-tests=yes): a missing test dependency fails here, not silently.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$top/build}
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1)
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ] || [ -n "${RECONFIGURE:-}" ]; then
        "$top/configure" --enable-werror --enable-tests=yes "$@" >configure.out 2>&1 || { cat configure.out; exit 1; }
fi
make -j"$(nproc)" >/dev/null
