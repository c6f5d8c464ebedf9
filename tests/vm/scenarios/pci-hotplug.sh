# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-monitor: device_add device_del
# vmtest-qemu: -device pcie-root-port,id=rp1,bus=pcie.0,addr=0xb,chassis=1,slot=1
# vmtest-timeout-factor: 2
# vmtest-description: PCI hotplug through QEMU's monitor (run.sh relays the
#   guest's device_add/device_del): a virtio-rng-pci added behind a root port
#   while the daemon runs and virtio_pci is not loaded (udev loads it: race)
#   ends on vfio-pci; its group holds the root port, which stays on pcieport
#   and does not block "strict"; VFIO opens it; device_del (pciehp, about
#   5 s): the daemon keeps running and logs no error for it.
PORT=0000:00:0b.0
HP=0000:01:00.0

run() {
	vm_need_pci_keys
	# behind a root port the virtio-rng is the modern 1af4:1044 (on pcie.0: 1005)
	vm_policy 50-vmtest <<-EOF2
	[hotplug]
	pci-id = 1af4:1044
	EOF2
	vm_boot
	vm_bus_expect_driver pci "$PORT" pcieport 5
	[ -d /sys/module/virtio_pci ] && fail "virtio_pci loaded before the hotplug"
	[ -e "$PCIP/devices/$HP" ] && fail "$HP exists before device_add"
	vm_bindd_start
	sleep 1
	_t=$(uptime_s)
	vm_qemu device_add virtio-rng-pci,bus=rp1,id=hp1
	vm_wait_path "$PCIP/devices/$HP" 30 || fail "no $HP 30 s after device_add (see HOST monitor lines)"
	ok "$HP appeared $(echo "$(uptime_s) $_t" | awk '{printf "%.1f", $1 - $2}') s after device_add"
	udevadm settle --timeout=30
	vm_bus_expect_driver pci "$HP" vfio-pci 20
	info "pci-hotplug: $HP on vfio-pci $(echo "$(uptime_s) $_t" | awk '{printf "%.2f", $1 - $2}') s after device_add"
	info "virtio_pci loaded: $([ -d /sys/module/virtio_pci ] && echo yes || echo no)"
	vm_bus_expect_override pci "$HP" vfio-pci
	vm_bus_expect_driver pci "$PORT" pcieport 1
	g=$(vm_bus_group pci "$HP")
	[ "$(vm_bus_group pci "$PORT")" = "$g" ] || fail "$PORT and $HP in different groups (ACS?)"
	ok "$HP shares group $g with the root port $PORT"
	vm_vfio_open "$HP" -e "$VENDOR_VIRTIO"
	vm_status_json "$HP"
	vm_json_expect "$STATUS_OBJ" "$HP bound" '"state" *: *"bound"'
	# the root port is a member, but a bridge: it does not make the group unusable
	vm_json_expect_group "$STATUS_OBJ" "$g" true "$PORT $HP" ""

	_t=$(uptime_s)
	vm_qemu device_del hp1
	vm_wait_gone "$PCIP/devices/$HP" 30 || fail "$HP still there 30 s after device_del"
	ok "$HP removed $(echo "$(uptime_s) $_t" | awk '{printf "%.1f", $1 - $2}') s after device_del"
	udevadm settle --timeout=30
	sleep 1
	vm_bindd_running || fail "the daemon exited after the remove"
	grep -iE 'error|fail' "$BINDD_LOG" | grep -q "$HP" && fail "the daemon logged an error for the removed device: $(grep "$HP" "$BINDD_LOG" | tr '\n' '|')"
	ok "remove: no error"
	vm_bus_expect_driver pci "$PORT" pcieport 1
	vm_bindd_stop TERM
}
