# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-qemu: -device virtio-rng-pci,bus=pcie.0,addr=0x3 -device virtio-rng-pci,bus=pcie.0,addr=0x7 -device e1000e,bus=pcie.0,addr=0x9,romfile=
# vmtest-timeout-factor: 2
# vmtest-description: PCI selection through the daemon: of two virtio-rng-pci
#   with identical IDs, the one named by its slot goes to vfio-pci (loaded by
#   the daemon) and the other stays on virtio-pci; an e1000e selected by
#   pci-id and class goes to vfio-pci; both open through VFIO; a pci-id rule
#   whose class does not match takes nothing; "status" of the PCI devices
#   equals its golden text and its JSON has the bus and the group; a reload
#   without the e1000e's rule gives it back to e1000e.
RNG_A=0000:00:03.0
RNG_B=0000:00:07.0
NIC=0000:00:09.0
CONF=$POLICY_DIR/50-vmtest.conf

run() {
	vm_need_pci_keys
	vm_boot
	vm_bus_expect_driver pci "$RNG_A" virtio-pci 10
	vm_bus_expect_driver pci "$RNG_B" virtio-pci 10
	vm_bus_expect_driver pci "$NIC" e1000e 10
	vm_pci_expect_groups "$RNG_A" "$RNG_B" "$NIC"
	[ "$(vm_pci_id "$RNG_A")" = "$(vm_pci_id "$RNG_B")" ] || fail "$RNG_A and $RNG_B have different IDs"
	[ -d /sys/module/vfio_pci ] && fail "vfio_pci loaded before the daemon"
	# [not-a-nic] names the rng's ID with a class it does not have: no match
	vm_policy 50-vmtest <<-EOF2
	[not-a-nic]
	pci-id = 1af4:1005
	class = 0x0200

	[second-rng]
	device = $RNG_B

	[nic]
	pci-id = 8086:10D3
	class = 0x0200
	EOF2
	vfio-platform-bindctl check >/tmp/check.log 2>&1 || fail "bindctl check: $(cat /tmp/check.log)"
	vm_bindd_start
	vm_bus_expect_driver pci "$RNG_B" vfio-pci 20
	vm_bus_expect_driver pci "$NIC" vfio-pci 20
	_t=$(cat /tmp/bindd.start)
	info "pci-select: $RNG_B and $NIC on vfio-pci $(echo "$(uptime_s) $_t" | awk '{printf "%.2f", $1 - $2}') s after the daemon's start"
	vm_bus_expect_override pci "$RNG_B" vfio-pci
	vm_bus_expect_override pci "$NIC" vfio-pci
	vm_bus_expect_driver pci "$RNG_A" virtio-pci 1
	vm_bus_expect_override pci "$RNG_A" "(null)"
	[ -d /sys/module/vfio_pci ] || fail "vfio_pci not loaded"
	ok "the daemon loaded vfio_pci"
	vm_vfio_open "$RNG_B" -e "$VENDOR_VIRTIO"
	vm_vfio_open "$NIC" -e "$VENDOR_INTEL"

	# status --json: the bus, the group (one member, viable), the decision
	vm_status_json "$RNG_B"
	vm_json_expect "$STATUS_OBJ" "$RNG_B on the pci bus" '"bus" *: *"pci"'
	vm_json_expect "$STATUS_OBJ" "$RNG_B bound" '"state" *: *"bound"'
	vm_json_expect "$STATUS_OBJ" "$RNG_B in group $(vm_bus_group pci "$RNG_B")" \
		"\"iommu_group\" *: *\"$(vm_bus_group pci "$RNG_B")\""
	vm_json_expect_group "$STATUS_OBJ" "$(vm_bus_group pci "$RNG_B")" true "$RNG_B" ""
	vm_status_json "$RNG_A"
	vm_json_expect "$STATUS_OBJ" "$RNG_A unselected" '"decision" *: *"(none|unselected)"'
	vm_json_expect "$STATUS_OBJ" "$RNG_A on virtio-pci" '"driver" *: *"virtio-pci"'

	# golden text of status on the PCI devices (sections, columns, rules)
	vfio-platform-bindctl status "$RNG_A" "$RNG_B" "$NIC" >/tmp/status.txt 2>&1 ||
		fail "bindctl status: $(cat /tmp/status.txt)"
	vm_expect_golden "status of the PCI devices" /tmp/status.txt <<-EOF2
	Devices on a user space driver (vfio-platform, vfio-amba, ...)
	DEVICE BUS DRIVER OVERRIDE GROUP STATE RULE
	0000:00:07.0 pci vfio-pci vfio-pci @GROUP:0000:00:07.0@ bound second-rng ($CONF:5)
	0000:00:09.0 pci vfio-pci vfio-pci @GROUP:0000:00:09.0@ bound nic ($CONF:8)

	Devices on a native driver
	DEVICE BUS DRIVER OVERRIDE GROUP STATE RULE
	0000:00:03.0 pci virtio-pci - @GROUP:0000:00:03.0@ unselected -
	EOF2

	# reload without [nic]: the e1000e goes back to e1000e, the rng stays
	vm_policy 50-vmtest <<-EOF2
	[second-rng]
	device = $RNG_B
	EOF2
	kill -HUP "$(vm_bindd_pid)"
	sleep 0.5
	vm_bindd_running || { wait "$(vm_bindd_pid)"; fail "the daemon died on SIGHUP (exit status $?)"; }
	vm_bus_expect_driver pci "$NIC" e1000e 20
	vm_bus_expect_override pci "$NIC" "(null)"
	[ -d "$PCIP/devices/$NIC/net" ] || fail "$NIC: e1000e bound but no network interface"
	ok "$NIC has its network interface again: $(ls "$PCIP/devices/$NIC/net")"
	vm_bus_expect_driver pci "$RNG_B" vfio-pci 1
	vm_bus_expect_driver pci "$RNG_A" virtio-pci 1
	vm_bindd_stop TERM
	# bindings stay after the daemon's exit
	vm_bus_expect_driver pci "$RNG_B" vfio-pci 1
}
