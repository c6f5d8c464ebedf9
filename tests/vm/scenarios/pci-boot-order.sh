# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-repeat: 2
# vmtest-qemu: -device virtio-rng-pci,bus=pcie.0,addr=0x3 -device virtio-rng-pci,bus=pcie.0,addr=0x7 -device e1000e,bus=pcie.0,addr=0x9,romfile=
# vmtest-timeout-factor: 2
# vmtest-description: the boot path for PCI: udevd, "apply --early" (and its
#   early udev rule before coldplug while the native drivers (virtio_pci,
#   e1000e) are modules not loaded yet, then udev's coldplug loads them, then
#   the daemon: the selected virtio-rng (by slot) and e1000e (by pci-id) end
#   on vfio-pci, the unselected twin on virtio-pci.
RNG_A=0000:00:03.0
RNG_B=0000:00:07.0
NIC=0000:00:09.0

run() {
	vm_need_verb vfio-platform-bindctl apply
	vm_need_pci_keys
	vm_policy 50-vmtest <<-EOF2
	[second-rng]
	device = $RNG_B

	[nic]
	pci-id = 8086:10d3
	EOF2
	for m in virtio_pci e1000e vfio_pci; do
		[ -d "/sys/module/$m" ] && fail "$m already loaded before coldplug"
	done
	for d in $RNG_A $RNG_B $NIC; do
		[ "$(vm_bus_driver pci "$d")" = none ] || fail "$d bound before coldplug: $(vm_bus_state pci "$d")"
	done
	ok "before coldplug: virtio_pci, e1000e, vfio_pci not loaded, the PCI devices unbound"
	vm_start_udevd
	vfio-platform-bindctl apply --early >/tmp/early.log 2>&1 || fail "apply --early: $(cat /tmp/early.log)"
	vm_bus_expect_override pci "$RNG_B" vfio-pci
	vm_bus_expect_override pci "$NIC" vfio-pci
	vm_bus_expect_override pci "$RNG_A" "(null)"
	# apply --early wrote the udev rule too (one process at boot)
	[ -s /run/udev/rules.d/60-vfio-platform-bind.rules ] || fail "apply --early wrote no udev rule: $(cat /tmp/early.log)"
	vm_coldplug
	for d in $RNG_A $RNG_B $NIC; do info "after coldplug, before the daemon: $(vm_bus_state pci "$d")"; done
	info "modules after coldplug: $(lsmod | awk 'NR > 1 {print $1}' | grep -E 'virtio_pci|e1000e|vfio' | tr '\n' ' ')"
	# the native drivers came while the overrides held: they took nothing
	vm_bus_expect_driver pci "$RNG_A" virtio-pci 10
	for d in $RNG_B $NIC; do
		case $(vm_bus_driver pci "$d") in
		none|vfio-pci) ;;
		*) fail "a native driver took $d during coldplug: $(vm_bus_state pci "$d")" ;;
		esac
	done
	vm_bindd_start
	vm_bus_expect_driver pci "$RNG_B" vfio-pci 20
	vm_bus_expect_driver pci "$NIC" vfio-pci 20
	_t=$(cat /tmp/bindd.start)
	info "pci-boot-order: $RNG_B and $NIC on vfio-pci $(echo "$(uptime_s) $_t" | awk '{printf "%.2f", $1 - $2}') s after the daemon's start"
	vm_bus_expect_driver pci "$RNG_A" virtio-pci 1
	# a never-probed device got its group at the vfio-pci probe
	vm_pci_expect_groups $RNG_A $RNG_B $NIC
	vm_vfio_open "$RNG_B" -e "$VENDOR_VIRTIO"
	vm_vfio_open "$NIC" -e "$VENDOR_INTEL"
	vm_bindd_stop TERM
}
