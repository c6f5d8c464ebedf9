# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: daemon coldplug after udev's: a selected device held by
#   its native module driver, a selected unbound one, one protected by an
#   ignore rule, one not selected.
run() {
	vm_boot
	vm_load_vfio_platform
	vm_policy 50-vmtest <<-EOF2
	[protect]
	device = $DEV_RNG_B
	action = ignore

	[targets]
	device = $DEV_RNG_A
	device = $DEV_EMPTY_A
	device = $DEV_RNG_B
	driver = vfio-platform
	EOF2
	vfio-platform-bindctl check >/tmp/check.log 2>&1 || fail "bindctl check: $(cat /tmp/check.log)"
	ok "vfio-platform-bindctl check accepts the policy"
	info "status before: $(vfio-platform-bindctl status 2>&1 | tr '\n' '|')"
	vm_bindd_start
	vm_expect_all vfio-platform 15 "$DEV_RNG_A" "$DEV_EMPTY_A"
	vm_expect_override "$DEV_RNG_A" vfio-platform
	vm_expect_override "$DEV_EMPTY_A" vfio-platform
	vm_expect_driver "$DEV_RNG_B" virtio-mmio 1          # ignored
	vm_expect_override "$DEV_RNG_B" "(null)"
	vm_expect_driver "$DEV_RNG_NOIOMMU" virtio-mmio 1    # not selected
	vm_expect_override "$DEV_RNG_NOIOMMU" "(null)"
	vm_vfio_open "$DEV_RNG_A" -e "$VIRTIO_MAGIC"
	vm_vfio_open "$DEV_EMPTY_A" -e "$VIRTIO_MAGIC"
	info "status after: $(vfio-platform-bindctl status 2>&1 | tr '\n' '|')"
	vm_bindd_running || fail "the daemon exited"
	vm_bindd_stop TERM
	vm_expect_driver "$DEV_RNG_A" vfio-platform 1        # SIGTERM: bindings stay
}
