# vmtest-description: plain sysfs rebind of a virtio-rng slot from virtio-mmio
#   to vfio-platform (driver_override, unbind, drivers_probe), VFIO open and a
#   register read, then back to the native driver; an empty slot too.
run() {
	vm_boot
	vm_expect_driver "$DEV_RNG_A" virtio-mmio
	vm_expect_override "$DEV_RNG_A" "(null)"
	vm_load_vfio_platform

	vm_bind "$DEV_RNG_A" vfio-platform || fail "sysfs writes failed: $(vm_state "$DEV_RNG_A")"
	vm_expect_driver "$DEV_RNG_A" vfio-platform 5
	vm_expect_override "$DEV_RNG_A" vfio-platform
	g=$(vm_group "$DEV_RNG_A")
	[ "$g" != none ] && [ -c "/dev/vfio/$g" ] || fail "no /dev/vfio/GROUP: $(vm_state "$DEV_RNG_A")"
	ok "IOMMU group $g, /dev/vfio/$g"
	vm_vfio_open "$DEV_RNG_A" -e "$VIRTIO_MAGIC"

	# an empty slot: no driver held it, it binds the same way
	vm_bind "$DEV_EMPTY_A" vfio-platform || fail "sysfs writes failed: $(vm_state "$DEV_EMPTY_A")"
	vm_expect_driver "$DEV_EMPTY_A" vfio-platform 5
	vm_vfio_open "$DEV_EMPTY_A" -e "$VIRTIO_MAGIC"

	# restore: clear the override, unbind, drivers_probe -> virtio-mmio again
	vm_restore "$DEV_RNG_A" || fail "restore writes failed: $(vm_state "$DEV_RNG_A")"
	vm_expect_driver "$DEV_RNG_A" virtio-mmio 5
	vm_expect_override "$DEV_RNG_A" "(null)"
}
