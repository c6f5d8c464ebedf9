# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-repeat: 2
# vmtest-description: hotplug "add" of a selected device while its native
#   module (virtio_mmio) is not loaded: udev loads it (race), the device ends
#   on vfio-platform; "remove" with the daemon running: no error.
run() {
	vm_policy 50-vmtest <<-EOF2
	[hotplug]
	path = $HP_OF_FULLNAME
	EOF2
	vm_start_udevd          # no coldplug: virtio_mmio stays unloaded
	[ -d /sys/module/virtio_mmio ] && fail "virtio_mmio loaded already"
	if vfio-platform-bindctl --help 2>&1 | grep -q generate-rules; then
		vfio-platform-bindctl generate-rules >/tmp/rules.log 2>&1 || fail "generate-rules: $(cat /tmp/rules.log)"
	fi
	vm_bindd_start
	sleep 1
	vm_hotplug_add
	udevadm settle --timeout=30
	vm_expect_all vfio-platform 15 "$DEV_HP"
	info "virtio_mmio loaded: $([ -d /sys/module/virtio_mmio ] && echo yes || echo no)"
	vm_vfio_open "$DEV_HP" -e "$VIRTIO_MAGIC"
	vm_hotplug_remove
	udevadm settle --timeout=30
	sleep 1
	vm_bindd_running || fail "the daemon exited after the remove"
	grep -iE 'error|fail' "$BINDD_LOG" | grep -q "$DEV_HP" && fail "daemon logged an error for the removed device"
	ok "remove: no error"
}
