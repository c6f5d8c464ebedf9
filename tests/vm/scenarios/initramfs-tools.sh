# vmtest-init: initramfs-tools
# vmtest-requires: vfio-platform-bindctl
# vmtest-cmdline: boot=vmtest
# vmtest-description: the initramfs-tools hook for real: an initramfs built with
#   the project's hook and init-top script (tests/vm/initramfs-tools.sh), where
#   udev's coldplug loads virtio_mmio, the native driver (in the image as
#   MODULES=most puts it). apply --early ran in init-top before udev, so when
#   the real root starts (no udev has run there) the selected devices are on
#   vfio-platform, loaded from the VFIO modules the hook added; the ignored and
#   the unselected device on virtio-mmio; the rule moved along with /run.
boot_policy() {
	cat <<-EOF2
	[protect]
	device = $DEV_RNG_B
	action = ignore

	[targets]
	device = $DEV_RNG_A
	device = $DEV_EMPTY_A
	driver = vfio-platform
	EOF2
}
run() {
	# the real root: the initramfs's udevd was stopped by init-bottom/udev, none started here
	pidof systemd-udevd >/dev/null && fail "a udevd runs in the real root"
	ok "no udevd in the real root"
	_order=/vmtest/init-top.ORDER
	info "init-top ran: $(sed -n 's|^/scripts/init-top/\([^ ]*\) .*|\1|p' "$_order" | tr '\n' ' ')"
	_e=$(grep -n '^/scripts/init-top/early-vfio-platform-bind ' "$_order" | cut -d: -f1)
	_u=$(grep -n '^/scripts/init-top/udev ' "$_order" | cut -d: -f1)
	[ -n "$_e" ] && [ -n "$_u" ] && [ "$_e" -lt "$_u" ] ||
		fail "init-top order: early-vfio-platform-bind at line '${_e}', udev at '${_u}'"
	ok "init-top: early-vfio-platform-bind ran before udev"
	# the native driver came with the initramfs's coldplug and took the devices left to it
	[ -d /sys/module/virtio_mmio ] || fail "virtio_mmio not loaded: the initramfs's coldplug did not run"
	ok "virtio_mmio loaded in the initramfs"
	vm_expect_driver "$DEV_RNG_NOIOMMU" virtio-mmio 1
	vm_expect_driver "$DEV_RNG_B" virtio-mmio 1
	vm_expect_override "$DEV_RNG_B" "(null)"
	# the selected ones, already on vfio-platform (no wait: it happened in the initramfs)
	vm_expect_driver "$DEV_RNG_A" vfio-platform 1
	vm_expect_override "$DEV_RNG_A" vfio-platform
	vm_expect_driver "$DEV_EMPTY_A" vfio-platform 1
	[ -d /sys/module/vfio_platform ] || fail "vfio_platform not loaded"
	# apply --early's rule, moved to the real root with /run, and its records
	[ -s /run/udev/rules.d/60-vfio-platform-bind.rules ] || fail "no udev rule in /run/udev/rules.d"
	ok "the early udev rule is in /run/udev/rules.d"
	[ -f "/run/vfio-platform-bindd/platform/$DEV_RNG_A" ] || fail "no state record for $DEV_RNG_A"
	ok "state record of $DEV_RNG_A in /run/vfio-platform-bindd"
	info "status: $(vfio-platform-bindctl status 2>&1 | grep -E "$DEV_RNG_A|$DEV_EMPTY_A" | tr -s ' ' | tr '\n' '|')"
	# what a VMM does next
	vm_vfio_open "$DEV_RNG_A" -e "$VIRTIO_MAGIC"
}
