# vmtest-description: the vmtest_hotplug module creates a platform device from
#   an unpopulated DT node: real add/bind uevents (udevd loads nothing new,
#   virtio-mmio takes it), then a rebind to vfio-platform and a VFIO register
#   read, then rmmod: unbind/remove uevents, no error.
run() {
	vm_boot
	vm_load_vfio_platform
	vm_exists "$DEV_HP" && fail "$DEV_HP exists before the module is loaded"
	udevadm monitor --kernel --udev --property --subsystem-match=platform >/tmp/mon.log 2>&1 &
	mon=$!
	sleep 0.5
	vm_hotplug_add
	udevadm settle --timeout=30
	vm_exists "$DEV_HP" || fail "$DEV_HP not created"
	vm_expect_driver "$DEV_HP" virtio-mmio 10
	vm_bind "$DEV_HP" vfio-platform || fail "sysfs writes failed: $(vm_state "$DEV_HP")"
	vm_expect_driver "$DEV_HP" vfio-platform 5
	vm_vfio_open "$DEV_HP" -e "$VIRTIO_MAGIC"
	vm_hotplug_remove
	udevadm settle --timeout=30
	sleep 0.5
	kill "$mon"
	vm_exists "$DEV_HP" && fail "$DEV_HP still exists after rmmod"
	ok "$DEV_HP removed"
	for ev in add bind unbind remove; do
		grep -q "^KERNEL\[.*\] $ev *.*/$DEV_HP (platform)" /tmp/mon.log || fail "no kernel '$ev' uevent for $DEV_HP"
		grep -q "^UDEV *\[.*\] $ev *.*/$DEV_HP (platform)" /tmp/mon.log || fail "no udev '$ev' event for $DEV_HP"
	done
	ok "kernel and udev events: add, bind, unbind, remove"
	grep -q "^OF_FULLNAME=$HP_OF_FULLNAME\$" /tmp/mon.log || fail "no OF_FULLNAME=$HP_OF_FULLNAME in the events"
	grep -q '^MODALIAS=of:Nvirtio_mmioT.*Cvirtio,mmio' /tmp/mon.log || fail "no MODALIAS in the add event"
	grep -q '^DRIVER=vfio-platform$' /tmp/mon.log || fail "no bind event with DRIVER=vfio-platform"
	ok "events carry OF_FULLNAME, MODALIAS, DRIVER"
}
