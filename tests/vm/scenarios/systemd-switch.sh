# vmtest-init: systemd
# vmtest-timeout-factor: 3
# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-cmdline: vfio_platform_bindd=0
# vmtest-description: systemd 252 as PID 1, units enabled and a policy in place,
#   but vfio_platform_bindd=0 on the kernel command line: neither unit runs,
#   no device moves, no udev rule, vfio-platform-bind.target not reached.
boot_policy() {
	cat <<-EOF2
	[targets]
	device = $DEV_RNG_A
	device = $DEV_EMPTY_A
	driver = vfio-platform

	[amba]
	device = $DEV_GPIO
	EOF2
}
run() {
	D=vfio-platform-bindd.service E=vfio-platform-bind-early.service
	grep -qw vfio_platform_bindd=0 /proc/cmdline || fail "no vfio_platform_bindd=0 on the command line"
	vm_sd_snap "$D" "$E" vfio-platform-bind.target vmtest-consumer.service
	vm_sd_expect "$E" ConditionResult no
	vm_sd_expect "$D" ConditionResult no
	vm_sd_expect "$D" ActiveState inactive
	vm_sd_expect "$D" ExecMainStartTimestampMonotonic 0
	vm_sd_expect vfio-platform-bind.target ActiveState inactive
	vm_sd_expect vfio-platform-bind.target AssertResult no
	vm_sd_expect vmtest-consumer.service ActiveState inactive
	vm_expect_driver "$DEV_RNG_A" virtio-mmio 5
	vm_expect_override "$DEV_RNG_A" "(null)"
	vm_expect_driver "$DEV_EMPTY_A" none 1
	vm_expect_override "$DEV_EMPTY_A" "(null)"
	vm_bus_expect_driver amba "$DEV_GPIO" pl061_gpio 1
	vm_bus_expect_override amba "$DEV_GPIO" "(null)"
	[ -z "$(ls /run/udev/rules.d 2>/dev/null)" ] || fail "udev rules written: $(ls /run/udev/rules.d)"
	ok "no udev rule in /run/udev/rules.d"
	[ ! -d /sys/module/vfio_platform ] || fail "vfio_platform loaded"
	ok "vfio_platform not loaded"
}
