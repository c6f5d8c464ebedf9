# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-repeat: 2
# vmtest-description: hotplug "add" of a selected device while its native
#   driver is loaded and ready: the device ends on vfio-platform (taken back if
#   virtio-mmio won); "remove": no error.
run() {
	vm_policy 50-vmtest <<-EOF2
	[hotplug]
	device = $DEV_HP
	EOF2
	vm_boot
	vm_expect_driver "$DEV_RNG_A" virtio-mmio        # virtio_mmio is loaded
	if vfio-platform-bindctl --help 2>&1 | grep -q generate-rules; then
		vfio-platform-bindctl generate-rules >/tmp/rules.log 2>&1 || fail "generate-rules: $(cat /tmp/rules.log)"
	fi
	vm_bindd_start
	sleep 1
	vm_hotplug_add
	udevadm settle --timeout=30
	vm_expect_all vfio-platform 15 "$DEV_HP"
	vm_vfio_open "$DEV_HP" -e "$VIRTIO_MAGIC"
	vm_expect_driver "$DEV_RNG_A" virtio-mmio 1      # not selected
	vm_hotplug_remove
	udevadm settle --timeout=30
	sleep 1
	vm_bindd_running || fail "the daemon exited after the remove"
	ok "remove: daemon still running"
}
