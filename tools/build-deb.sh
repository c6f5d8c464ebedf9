#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the Debian package from the release tarball ("make dist"), as Debian 12 (as root):
#
#   tools/build-deb.sh [--arch arm64] [--no-check] [--no-deps] [--lintian] OUTDIR
#
# Prints the path of the .deb on its last line (everything else goes to stderr and to
# OUTDIR/build-deb-ARCH.log). The tarball is unpacked in OUTDIR, debian/ from this tree is added
# (3.0 (quilt): debian/README.source), then "dpkg-buildpackage -b -us -uc" runs, with "-a ARCH"
# when ARCH is not the machine's.
#   --arch ARCH  cross-build for ARCH (arm64 tested): the :ARCH build dependencies are installed
#                next to the native ones (dpkg --add-architecture). All of them co-install except
#                libfdt-dev (not Multi-Arch: same): its headers are architecture-independent and
#                come from the native libfdt-dev; the linker gets libfdt1:ARCH's library through
#                a private directory with the libfdt.so link that libfdt-dev:ARCH would have had.
#   --no-check   DEB_BUILD_OPTIONS=nocheck and the nocheck profile: no tests, no test dependencies
#   --no-deps    install nothing (the dependencies are there already)
#   --lintian    run lintian on the .deb; its errors fail the build
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
arch="" check=1 deps=1 lint=0 out=""
while [ $# -gt 0 ]; do
        case $1 in
        --arch) arch=$2; shift ;;
        --arch=*) arch=${1#*=} ;;
        --no-check) check=0 ;;
        --no-deps) deps=0 ;;
        --lintian) lint=1 ;;
        -h|--help) sed -n '3,20p' "$0"; exit 0 ;;
        -*) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
        *) out=$1 ;;
        esac
        shift
done
[ -n "$out" ] || { echo "usage: tools/build-deb.sh [--arch ARCH] [--no-check] [--no-deps] [--lintian] OUTDIR" >&2; exit 2; }
build_arch=$(dpkg --print-architecture)
arch=${arch:-$build_arch}
mkdir -p "$out"
out=$(cd "$out" && pwd)
logf=$out/build-deb-$arch.log
: >"$logf"
say() { echo "build-deb: $*" >&2; echo "build-deb: $*" >>"$logf"; }
run() { "$@" >>"$logf" 2>&1 || { say "failed: $* (log: $logf)"; tail -n 30 "$logf" >&2; exit 1; }; }

# --- dependencies -----------------------------------------------------------------------------
# The build dependencies of debian/control, by name: apt-get build-dep cannot be used for the
# cross-build (it would replace the native libfdt-dev by libfdt-dev:ARCH).
bdeps=(debhelper pkgconf systemd udev libsystemd-dev libudev-dev libinih-dev libkmod-dev libfdt-dev)
tdeps=(check libumockdev-dev umockdev bash-completion)
cross_libs=(libsystemd-dev libudev-dev libinih-dev libkmod-dev libfdt1 pkgconf)
apt_install() {
        export DEBIAN_FRONTEND=noninteractive
        local missing=() p
        for p in "$@"; do
                dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
        done
        [ ${#missing[@]} -gt 0 ] || return 0
        say "apt-get install ${missing[*]}"
        run apt-get update -q
        run apt-get install -y -q --no-install-recommends "${missing[@]}"
}
if [ "$deps" = 1 ]; then
        pkgs=(dpkg-dev autoconf automake xz-utils "${bdeps[@]}")
        [ "$lint" = 0 ] || pkgs+=(lintian)
        [ "$check" = 0 ] || [ "$arch" != "$build_arch" ] || pkgs+=("${tdeps[@]}")
        if [ "$arch" != "$build_arch" ]; then
                if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
                        say "dpkg --add-architecture $arch"
                        dpkg --add-architecture "$arch"
                        dpkg-query -W -f='${db:Status-Abbrev}' "libfdt1:$arch" 2>/dev/null | grep -q '^ii' ||
                                run apt-get update -q
                fi
                pkgs+=("crossbuild-essential-$arch")
                for p in "${cross_libs[@]}"; do pkgs+=("$p:$arch"); done
        fi
        apt_install "${pkgs[@]}"
fi

# --- the release tarball ------------------------------------------------------------------------
version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
debversion=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
if [ "${debversion%-*}" != "$version" ]; then
        say "debian/changelog is at ${debversion%-*}, configure.ac at $version: add a changelog entry (dch -v $version-1)"
        exit 1
fi
tarball=vfio-platform-bindd-$version.tar.xz
rm -rf "$out/dist" "$out/vfio-platform-bindd-$version"
mkdir -p "$out/dist"
say "make dist ($tarball)"
[ -x "$top/configure" ] || run sh -c "cd '$top' && ./autogen.sh"
run sh -c "cd '$out/dist' && '$top/configure' --enable-tests=no && make dist"
cp "$out/dist/$tarball" "$out/vfio-platform-bindd_$version.orig.tar.xz"
run tar -xf "$out/vfio-platform-bindd_$version.orig.tar.xz" -C "$out"
src=$out/vfio-platform-bindd-$version
cp -a "$top/debian" "$src/"

# --- dpkg-buildpackage --------------------------------------------------------------------------
bp=(dpkg-buildpackage -b -us -uc)
if [ "$check" = 0 ]; then
        export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }nocheck"
        export DEB_BUILD_PROFILES="${DEB_BUILD_PROFILES:+$DEB_BUILD_PROFILES }nocheck"
fi
if [ "$arch" != "$build_arch" ]; then
        triplet=$(dpkg-architecture -a "$arch" -q DEB_HOST_MULTIARCH 2>/dev/null)
        libfdt=/usr/lib/$triplet/libfdt.so.1
        [ -e "$libfdt" ] || { say "$libfdt is missing: apt-get install libfdt1:$arch"; exit 1; }
        ln -sfn "$libfdt" "$out/dist/libfdt.so"
        export DEB_LDFLAGS_APPEND="-L$out/dist"
        # -d: libfdt-dev:ARCH is deliberately not installed (see above).
        bp+=(-a "$arch" -d)
fi
say "${bp[*]} in $src"
start=$(date +%s)
run sh -c "cd '$src' && ${bp[*]}"
deb=$(ls "$out"/vfio-platform-bindd_"$debversion"_"$arch".deb)
say "built $deb in $(( $(date +%s) - start )) s"
if [ "$lint" = 1 ]; then
        say "lintian $deb"
        lintian --tag-display-limit 0 --display-info "$deb" >"$out/lintian-$arch.txt" 2>&1 || true
        cat "$out/lintian-$arch.txt" >&2
        if grep -q '^E: ' "$out/lintian-$arch.txt"; then say "lintian reports errors"; exit 1; fi
fi
echo "$deb"
