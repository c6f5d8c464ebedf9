#!/bin/bash
# Installs what building and testing vfio-platform-bindd needs on Debian 12 (as root).
set -euo pipefail
packages=(
        build-essential autoconf automake pkg-config
        libsystemd-dev libudev-dev libinih-dev libfdt-dev libkmod-dev
        check umockdev libumockdev-dev valgrind systemd udev bash-completion
        nix-bin   # tests/test-packaging.sh: nix-instantiate parses and evaluates contrib/nixos
        python3   # the JSON and UTF-8 checks of tests/test-hostile-output.sh, test-nothing-silent.sh
        strace    # make bench: the system calls of apply and of its floor (bench/floor.c)
)
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
