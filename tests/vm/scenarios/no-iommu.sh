# vmtest-description: a target without "iommus" in the DT (so no IOMMU group)
#   does not bind to vfio-platform; the kernel's reason is in dmesg; clearing
#   the override gives the device back to its native driver.
run() {
	vm_boot
	vm_load_vfio_platform
	d=$DEV_RNG_NOIOMMU
	vm_expect_driver "$d" virtio-mmio
	[ "$(vm_group "$d")" = none ] || fail "$d has an IOMMU group: $(vm_state "$d")"
	ok "$d has no iommu_group"
	vm_bind "$d" vfio-platform
	info "drivers_probe write status: $?"
	sleep 0.5
	[ "$(vm_driver "$d")" = none ] || fail "$d bound to $(vm_driver "$d") without an IOMMU group"
	ok "$d stays unbound: $(vm_state "$d")"
	msg=$(dmesg | grep "$d" | grep -iE 'fail|error|iommu' | tail -n 3)
	info "dmesg: $msg"
	echo "$msg" | grep -q 'failed with error -22' || fail "no 'failed with error -22' in dmesg for $d"
	ok "kernel says: probe failed with error -22 (EINVAL)"

	# an empty slot without iommus: same
	vm_bind "$DEV_EMPTY_NOIOMMU" vfio-platform
	sleep 0.5
	[ "$(vm_driver "$DEV_EMPTY_NOIOMMU")" = none ] || fail "$DEV_EMPTY_NOIOMMU bound without an IOMMU group"
	ok "$DEV_EMPTY_NOIOMMU stays unbound"

	vm_restore "$d" || fail "restore writes failed: $(vm_state "$d")"
	vm_expect_driver "$d" virtio-mmio 5
}
