# vmtest-qemu: -device virtio-rng-pci,bus=pcie.0,addr=0x3 -device virtio-rng-pci,bus=pcie.0,addr=0x7 -device virtio-rng-pci,bus=pcie.0,addr=0x5.0,multifunction=on -device virtio-rng-pci,bus=pcie.0,addr=0x5.1 -device e1000e,bus=pcie.0,addr=0x9,romfile=
# vmtest-timeout-factor: 2
# vmtest-description: PCI by plain sysfs writes, no daemon (the kernel facts the
#   pci-* scenarios rely on): two virtio-rng-pci with identical IDs have one
#   IOMMU group each, one goes to vfio-pci and the other stays; a multifunction
#   slot is one group: with one function on vfio-pci it is not viable
#   (SET_CONTAINER fails EPERM), with both it opens and reads the vendor ID;
#   an e1000e goes to vfio-pci and back to e1000e.
RNG_A=0000:00:03.0
RNG_B=0000:00:07.0
MF_0=0000:00:05.0
MF_1=0000:00:05.1
NIC=0000:00:09.0

run() {
	vm_boot
	for d in $RNG_A $RNG_B $MF_0 $MF_1; do vm_bus_expect_driver pci "$d" virtio-pci 10; done
	vm_bus_expect_driver pci "$NIC" e1000e 10
	[ "$(vm_pci_id "$RNG_A")" = "$(vm_pci_id "$RNG_B")" ] ||
		fail "$RNG_A and $RNG_B differ: $(vm_pci_id "$RNG_A") $(vm_pci_id "$RNG_B")"
	ok "$RNG_A and $RNG_B are both $(vm_pci_id "$RNG_A"), class $(cat "$PCIP/devices/$RNG_A/class")"
	for d in $(vm_pci_devices); do info "pci: $(vm_bus_state pci "$d") id=$(vm_pci_id "$d") class=$(cat "$PCIP/devices/$d/class")"; done
	# groups: one per slot, one for both functions of slot 5
	vm_pci_expect_groups $RNG_A $RNG_B $MF_0 $MF_1 $NIC
	ga=$(vm_bus_group pci "$RNG_A") gb=$(vm_bus_group pci "$RNG_B")
	g0=$(vm_bus_group pci "$MF_0") g1=$(vm_bus_group pci "$MF_1")
	[ "$ga" != none ] && [ "$gb" != none ] && [ "$ga" != "$gb" ] ||
		fail "identical devices in different slots: groups $ga and $gb"
	[ "$g0" != none ] && [ "$g0" = "$g1" ] || fail "multifunction slot: groups $g0 and $g1, expected one"
	[ "$g0" != "$ga" ] && [ "$g0" != "$gb" ] || fail "slot 5 shares a group with slot 3 or 7"
	ok "groups: $RNG_A $ga, $RNG_B $gb, $MF_0 and $MF_1 $g0"
	[ "$(ls "/sys/kernel/iommu_groups/$g0/devices" | sort | tr '\n' ' ')" = "$MF_0 $MF_1 " ] ||
		fail "group $g0 members: $(ls "/sys/kernel/iommu_groups/$g0/devices")"
	ok "group $g0 members: $MF_0 $MF_1"

	vm_load_vfio_pci
	# identical IDs: the slot decides
	vm_bus_bind pci "$RNG_B" vfio-pci || fail "sysfs writes failed: $(vm_bus_state pci "$RNG_B")"
	vm_bus_expect_driver pci "$RNG_B" vfio-pci 5
	vm_bus_expect_driver pci "$RNG_A" virtio-pci 1
	[ -c "/dev/vfio/$gb" ] || fail "no /dev/vfio/$gb"
	vm_vfio_open "$RNG_B" -e "$VENDOR_VIRTIO"

	# one function of the multifunction slot: the group is not viable
	vm_bus_bind pci "$MF_0" vfio-pci || fail "sysfs writes failed: $(vm_bus_state pci "$MF_0")"
	vm_bus_expect_driver pci "$MF_0" vfio-pci 5
	vm_bus_expect_driver pci "$MF_1" virtio-pci 1
	[ -c "/dev/vfio/$g0" ] || fail "no /dev/vfio/$g0"
	vm_vfio_expect_not_viable "$MF_0"
	# both: viable
	vm_bus_bind pci "$MF_1" vfio-pci || fail "sysfs writes failed: $(vm_bus_state pci "$MF_1")"
	vm_bus_expect_driver pci "$MF_1" vfio-pci 5
	vm_vfio_open "$MF_0" -e "$VENDOR_VIRTIO"
	vm_vfio_open "$MF_1" -e "$VENDOR_VIRTIO"

	# e1000e: to vfio-pci and back
	vm_bus_bind pci "$NIC" vfio-pci || fail "sysfs writes failed: $(vm_bus_state pci "$NIC")"
	vm_bus_expect_driver pci "$NIC" vfio-pci 5
	vm_vfio_open "$NIC" -e "$VENDOR_INTEL"

	# restore: every device back on its native driver
	for d in $RNG_B $MF_0 $MF_1; do
		vm_bus_restore pci "$d" || fail "restore writes failed: $(vm_bus_state pci "$d")"
		vm_bus_expect_driver pci "$d" virtio-pci 5
		vm_bus_expect_override pci "$d" "(null)"
	done
	vm_bus_restore pci "$NIC" || fail "restore writes failed: $(vm_bus_state pci "$NIC")"
	vm_bus_expect_driver pci "$NIC" e1000e 5
	vm_bus_expect_override pci "$NIC" "(null)"
}
