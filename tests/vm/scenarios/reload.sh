# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: SIGHUP reload: a new rule binds its device, a removed rule
#   gives its device back to the native driver, a broken policy keeps the old
#   one.
run() {
	vm_boot
	vm_load_vfio_platform
	vm_policy 50-vmtest <<-EOF2
	[first]
	device = $DEV_RNG_A
	EOF2
	vm_bindd_start
	vm_expect_all vfio-platform 15 "$DEV_RNG_A"
	vm_policy 50-vmtest <<-EOF2
	[second]
	device = $DEV_RNG_B
	EOF2
	kill -HUP "$(vm_bindd_pid)"
	sleep 0.5
	vm_bindd_running || { wait "$(vm_bindd_pid)"; fail "the daemon died on SIGHUP (exit status $?)"; }
	vm_expect_driver "$DEV_RNG_B" vfio-platform 15
	vm_expect_driver "$DEV_RNG_A" virtio-mmio 15
	vm_expect_override "$DEV_RNG_A" "(null)"
	# broken policy: refused, old one kept
	vm_policy 60-broken <<-EOF2
	[broken]
	nonsense-key = 1
	EOF2
	kill -HUP "$(vm_bindd_pid)"
	sleep 2
	vm_bindd_running || fail "the daemon exited on a broken policy"
	vm_expect_driver "$DEV_RNG_B" vfio-platform 1
	grep -q '60-broken.conf:[0-9]*:' "$BINDD_LOG" || fail "no FILE:LINE error for the broken policy in the log"
	ok "broken policy refused with FILE:LINE, old policy kept"
}
