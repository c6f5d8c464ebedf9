#!/bin/bash
# bash completion: commands, options, and device names from a --root tree. Skips (77) without
# the bash-completion package.
set -u
src="${top_srcdir:-.}"
[ -r /usr/share/bash-completion/bash_completion ] || { echo "bash-completion not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$src/tests/make-fake-sysfs.sh" "$tmp/root"
fail=0
ok() { echo "PASS: $*"; }
ko() { echo "FAIL: $*"; fail=1; }

# complete WORDS...: the completions bash offers for the last word.
complete_line() {
        bash --norc --noprofile -c '
                . /usr/share/bash-completion/bash_completion
                . "$1"; shift
                COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
                COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                _vfio_platform_bindctl vfio-platform-bindctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$src/shell-completion/vfio-platform-bindctl" "$@"
}

out=$(complete_line vfio-platform-bindctl st)
[ "$out" = status ] && ok "command" || ko "command: '$out'"
out=$(complete_line vfio-platform-bindctl --root="$tmp/root" explain a003)
[ "$out" = "$(printf 'a003c00.virtio_mmio\na003e00.virtio_mmio')" ] && ok "device names under --root" || ko "device names: '$out'"
out=$(complete_line vfio-platform-bindctl --root="$tmp/root" status 9000)
[ "$out" = 9000000.pl011 ] && ok "amba device names" || ko "amba device names: '$out'"
mkdir -p "$tmp/root/sys/devices/pci0000:00/0000:00:02.0" "$tmp/root/sys/bus/pci/devices"
ln -s ../../../devices/pci0000:00/0000:00:02.0 "$tmp/root/sys/bus/pci/devices/0000:00:02.0"
out=$(complete_line vfio-platform-bindctl --root="$tmp/root" bind 0000:00)
[ "$out" = 0000:00:02.0 ] && ok "pci device names" || ko "pci device names: '$out'"
out=$(complete_line vfio-platform-bindctl generate --by=pci)
[ "$out" = pci-id ] && ok "--by= takes the PCI keys" || ko "--by=pci: '$out'"
out=$(complete_line vfio-platform-bindctl apply --d)
[ "$out" = --dry-run ] && ok "a command's options" || ko "options: '$out'"
out=$(complete_line vfio-platform-bindctl generate --by=pa)
[ "$out" = path ] && ok "option values" || ko "option values: '$out'"
exit $fail
