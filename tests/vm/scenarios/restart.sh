# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: SIGKILL the daemon and start it again: same end state,
#   and no device is unbound or rebound needlessly (no uevent for them).
run() {
	vm_boot
	vm_load_vfio_platform
	vm_policy 50-vmtest <<-EOF2
	[targets]
	device = $DEV_RNG_A
	device = $DEV_EMPTY_A
	EOF2
	vm_bindd_start
	vm_expect_all vfio-platform 15 "$DEV_RNG_A" "$DEV_EMPTY_A"
	vm_bindd_stop KILL
	udevadm monitor --kernel --subsystem-match=platform >/tmp/mon.log 2>&1 &
	mon=$!
	sleep 0.5
	vm_bindd_start
	vm_expect_all vfio-platform 15 "$DEV_RNG_A" "$DEV_EMPTY_A"
	sleep 3
	vm_bindd_running || fail "the restarted daemon exited"
	vm_expect_all vfio-platform 1 "$DEV_RNG_A" "$DEV_EMPTY_A"
	kill "$mon"
	if grep -E " (unbind|bind) .*/($DEV_RNG_A|$DEV_EMPTY_A) " /tmp/mon.log; then
		fail "a device was rebound after the restart"
	fi
	ok "no unbind/bind uevent after the restart"
}
