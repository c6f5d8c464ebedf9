#!/bin/bash
# vfio-platform-bindctl on a plain PCI tree like the VM's: two virtio-rng with identical IDs on
# their own slots (one on vfio-pci), a two-function slot sharing IOMMU group 5, an e1000e, and the
# host bridge. status (table, JSON), explain, generate against golden files; bind; bridges.
set -u
. "${top_srcdir:-.}/tests/lib.sh"
sys=$root/sys

driver() { # NAME
        mkdir -p "$sys/bus/pci/drivers/$1" "$sys/bus/pci/devices"
        : >"$sys/bus/pci/drivers/$1/bind"
        : >"$sys/bus/pci/drivers/$1/unbind"
        : >"$sys/bus/pci/drivers_probe"
}
device() { # SLOT PCI_ID SUBSYS CLASS DRIVER|- GROUP|-
        local dir=$sys/devices/pci0000:00/$1
        mkdir -p "$dir" "$sys/bus/pci/devices"
        echo '(null)' >"$dir/driver_override"
        printf 'PCI_CLASS=%s\nPCI_ID=%s\nPCI_SUBSYS_ID=%s\nPCI_SLOT_NAME=%s\nMODALIAS=pci:x\n' "$4" "$2" "$3" "$1" >"$dir/uevent"
        ln -sfn "../../../devices/pci0000:00/$1" "$sys/bus/pci/devices/$1"
        if [ "$5" != - ]; then
                driver "$5"
                mkdir -p "$sys/module/${5//-/_}" # loadable modules, not built in
                echo live >"$sys/module/${5//-/_}/initstate"
                ln -sfn "../../../../module/${5//-/_}" "$sys/bus/pci/drivers/$5/module"
                ln -sfn "../../../../bus/pci/drivers/$5" "$dir/driver"
        fi
        if [ "$6" != - ]; then
                mkdir -p "$sys/kernel/iommu_groups/$6/devices"
                ln -sfn "../../../../kernel/iommu_groups/$6" "$dir/iommu_group"
                ln -sfn "../../../../devices/pci0000:00/$1" "$sys/kernel/iommu_groups/$6/devices/$1"
        fi
}
device 0000:00:00.0 1B36:0008 1AF4:1100 60000 - -
device 0000:00:02.0 1AF4:1005 1AF4:0004 FF00 virtio-pci 1
device 0000:00:03.0 1AF4:1005 1AF4:0004 FF00 vfio-pci 2
device 0000:00:05.0 1AF4:1005 1AF4:0004 FF00 virtio-pci 5
device 0000:00:05.1 1AF4:1005 1AF4:0004 FF00 virtio-pci 5
device 0000:00:06.0 8086:10D3 8086:0000 20000 e1000e 6
echo vfio-pci >"$sys/devices/pci0000:00/0000:00:03.0/driver_override"
mkdir -p "$root/etc/vfio-platform-bind.d"
cat >"$root/etc/vfio-platform-bind.d/50-pci.conf" <<'CONF'
# The second of two identical virtio-rng, by slot.
[rng-second]
device = 0000:00:03.0

# One function of a two-function slot: group 5 is not viable while the other stays on virtio-pci.
[half-slot]
device = 0000:00:05.0

[nic]
pci-id = 8086:10d3
class = 0x0200
CONF

golden_test pci-status 0 status
golden_test pci-status-json 0 status --json
golden_test pci-explain-group 0 explain 0000:00:05.0
golden_test pci-apply-dry-run 1 apply --dry-run --no-load-modules
golden_test pci-generate 0 generate
golden_test pci-generate-by-id 0 generate --by=pci-id

# bind: the bus's VFIO driver by default (nothing binds in a plain tree: only the writes show).
run bind 0000:00:02.0 --no-load-modules >"$tmp/bind.out"
[ "$(cat "$sys/devices/pci0000:00/0000:00:02.0/driver_override")" = vfio-pci ] &&
        [ "$(cat "$sys/bus/pci/drivers/virtio-pci/unbind")" = 0000:00:02.0 ] &&
        [ "$(cat "$sys/bus/pci/drivers_probe")" = 0000:00:02.0 ] &&
        ok "bind writes vfio-pci's override, unbinds virtio-pci, probes" || { ko "bind"; cat "$tmp/bind.out"; }

# A bridge is never taken, even by a rule that selects every PCI device.
printf '[all]\nbus = pci\n' >"$root/etc/vfio-platform-bind.d/99-all.conf"
run apply --no-load-modules >"$tmp/apply.out"
[ "$(cat "$sys/devices/pci0000:00/0000:00:00.0/driver_override")" = "(null)" ] &&
        grep -q "0000:00:00.0.*bridge" "$tmp/apply.out" && ok "the host bridge is never taken" ||
        { ko "bridge taken"; cat "$tmp/apply.out"; }

[ $fail = 0 ] && echo "all passed"
exit $fail
