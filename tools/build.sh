#!/bin/bash
# Configures and builds in BUILDDIR (default: build/) with any extra configure arguments.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${BUILDDIR:-$top/build}
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1)
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ] || [ -n "${RECONFIGURE:-}" ]; then
        "$top/configure" --enable-werror "$@" >configure.out 2>&1 || { cat configure.out; exit 1; }
fi
make -j"$(nproc)" >/dev/null
