# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-repeat: 5
# vmtest-description: the boot path: udevd, "apply --early" (overrides before
#   coldplug, native modules not loaded yet), udev coldplug, then the daemon:
#   selected devices end on vfio-platform, whichever side won the race.
run() {
	vm_need_verb vfio-platform-bindctl apply
	vm_policy 50-vmtest <<-EOF2
	[targets]
	device = $DEV_RNG_A
	device = $DEV_RNG_B
	device = $DEV_EMPTY_A
	device = $DEV_FWCFG
	EOF2
	[ -d /sys/module/virtio_mmio ] && fail "virtio_mmio already loaded before coldplug"
	vm_start_udevd
	vfio-platform-bindctl apply --early >/tmp/early.log 2>&1 || fail "apply --early: $(cat /tmp/early.log)"
	for d in "$DEV_RNG_A" "$DEV_RNG_B" "$DEV_EMPTY_A" "$DEV_FWCFG"; do
		vm_expect_override "$d" vfio-platform
	done
	# the udev rule of the boot path: apply --early writes it too (one process at boot)
	[ -s /run/udev/rules.d/60-vfio-platform-bind.rules ] || fail "apply --early wrote no udev rule: $(cat /tmp/early.log)"
	vm_coldplug
	for d in "$DEV_RNG_A" "$DEV_RNG_B" "$DEV_EMPTY_A" "$DEV_FWCFG"; do
		info "after coldplug, before the daemon: $(vm_state "$d")"
	done
	vm_bindd_start
	vm_expect_all vfio-platform 15 "$DEV_RNG_A" "$DEV_RNG_B" "$DEV_EMPTY_A" "$DEV_FWCFG"
	vm_expect_driver "$DEV_RNG_NOIOMMU" virtio-mmio 1    # not selected
	vm_vfio_open "$DEV_RNG_B" -e "$VIRTIO_MAGIC"
}
