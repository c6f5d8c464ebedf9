# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-qemu: -device virtio-rng-pci,bus=pcie.0,addr=0x3
# vmtest-timeout-factor: 2
# vmtest-description: every bus at once: a platform device on vfio-platform,
#   the AMBA pl061 on vfio-amba (force = yes: gpio-keys uses it) and a PCI
#   device on vfio-pci, bound by one daemon from one policy; each opens through
#   VFIO; "status" shows them side by side.
RNG_PCI=0000:00:03.0

run() {
	vm_need_pci_keys
	vm_boot
	vm_load_vfio_platform
	vm_bus_expect_driver pci "$RNG_PCI" virtio-pci 10
	vm_policy 50-vmtest <<-EOF2
	[platform]
	device = $DEV_RNG_A

	[amba]
	device = $DEV_GPIO
	force = yes

	[pci]
	bus = pci
	pci-id = 1af4:1005
	EOF2
	vm_bindd_start
	vm_expect_all vfio-platform 20 "$DEV_RNG_A"
	vm_bus_wait_driver amba "$DEV_GPIO" vfio-amba 20 || fail "$DEV_GPIO: $(vm_bus_state amba "$DEV_GPIO")"
	vm_bus_expect_driver pci "$RNG_PCI" vfio-pci 20
	ok "one daemon, three buses: platform, amba and pci devices on their VFIO drivers"
	vm_vfio_open "$DEV_RNG_A" -e "$VIRTIO_MAGIC"
	vm_vfio_open "$RNG_PCI" -e "$VENDOR_VIRTIO"
	vfio-platform-bindctl status >/tmp/status.txt 2>&1
	for d in "$DEV_RNG_A" "$DEV_GPIO" "$RNG_PCI"; do
		grep -Eq "^$d +[a-z]+ +vfio-(platform|amba|pci) +vfio-(platform|amba|pci) .* bound " /tmp/status.txt ||
			fail "status does not show $d bound: $(tr '\n' '|' </tmp/status.txt)"
	done
	ok "status shows the three side by side"
	sed -n '1,/^$/p' /tmp/status.txt | sed 's/^/VMTEST INFO status: /'
	vm_bindd_stop TERM
}
