# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: AMBA bus: the pl061 GPIO (native pl061_gpio, iommus in
#   the DT) selected without driver= goes to the default vfio-amba, which the
#   daemon loads; VFIO open reads its PeriphID0; the console pl011 under an
#   ignore rule keeps uart-pl011; a reload with an empty policy gives the pl061
#   back to pl061_gpio.
run() {
	vm_boot
	vm_bus_expect_driver amba "$DEV_GPIO" pl061_gpio 5
	vm_bus_expect_driver amba "$DEV_UART" uart-pl011 1
	# the iommus of its DT node gave the AMBA device a group on the SMMUv3
	# at its first probe (amba_dma_configure -> of_dma_configure)
	[ "$(vm_bus_group amba "$DEV_GPIO")" != none ] ||
		fail "$DEV_GPIO has no IOMMU group: $(vm_bus_state amba "$DEV_GPIO")"
	ok "$DEV_GPIO has IOMMU group $(vm_bus_group amba "$DEV_GPIO")"
	[ "$(vm_bus_group amba "$DEV_UART")" = none ] || fail "$DEV_UART has an IOMMU group?"
	[ -d /sys/module/vfio_amba ] && fail "vfio_amba loaded before the daemon"
	vm_policy 50-vmtest <<-EOF2
	[console]
	compatible = arm,pl011
	action = ignore

	# gpio-keys uses this GPIO controller (a device link): the guard refuses
	# a supplier unless the rule says so.
	[amba]
	device = $DEV_GPIO
	force = yes
	EOF2
	vfio-platform-bindctl check >/tmp/check.log 2>&1 || fail "bindctl check: $(cat /tmp/check.log)"
	info "status before: $(vfio-platform-bindctl status 2>&1 | grep -E "$DEV_GPIO|$DEV_UART" | tr -s ' ' | tr '\n' '|')"
	vm_bindd_start
	if ! vm_bus_wait_driver amba "$DEV_GPIO" vfio-amba 15; then
		info "daemon log: $(grep "$DEV_GPIO" "$BINDD_LOG" | tr '\n' '|')"
		info "dmesg: $(dmesg | grep -iE 'vfio|pl061' | tail -n 5 | tr '\n' '|')"
		fail "$DEV_GPIO: expected driver vfio-amba, have: $(vm_bus_state amba "$DEV_GPIO")"
	fi
	_t=$(cat /tmp/bindd.start)
	info "amba: $DEV_GPIO on vfio-amba $(echo "$(uptime_s) $_t" | awk '{printf "%.2f", $1 - $2}') s after the daemon's start"
	ok "amba:$DEV_GPIO bound to vfio-amba"
	vm_bus_expect_override amba "$DEV_GPIO" vfio-amba
	[ -d /sys/module/vfio_amba ] || fail "vfio_amba not loaded"
	ok "the daemon loaded vfio_amba"
	vm_bus_expect_driver amba "$DEV_UART" uart-pl011 1   # ignored
	vm_bus_expect_override amba "$DEV_UART" "(null)"
	# PeriphID0 of a PL061 (periphid 0x00041061) reads 0x61
	vm_vfio_open "$DEV_GPIO" -o 0xfe0 -e 0x61
	info "status after: $(vfio-platform-bindctl status 2>&1 | grep -E "$DEV_GPIO|$DEV_UART" | tr -s ' ' | tr '\n' '|')"

	# empty policy + SIGHUP: the pl061 goes back to its native driver
	rm -f "$POLICY_DIR/50-vmtest.conf"
	kill -HUP "$(vm_bindd_pid)"
	sleep 0.5
	vm_bindd_running || { wait "$(vm_bindd_pid)"; fail "the daemon died on SIGHUP (exit status $?)"; }
	vm_bus_expect_driver amba "$DEV_GPIO" pl061_gpio 15
	vm_bus_expect_override amba "$DEV_GPIO" "(null)"
	vm_bus_expect_driver amba "$DEV_UART" uart-pl011 1
	vm_bus_expect_override amba "$DEV_UART" "(null)"
	[ -e "/sys/bus/amba/devices/$DEV_GPIO/gpio" ] || ls "/sys/bus/amba/devices/$DEV_GPIO/" | grep -q gpiochip ||
		fail "$DEV_GPIO: pl061_gpio bound but no gpiochip"
	ok "$DEV_GPIO has its gpiochip again"
	info "daemon log: $(grep -E "$DEV_GPIO|$DEV_UART|vfio.amba" "$BINDD_LOG" | tr '\n' '|')"
	vm_bindd_stop TERM
}
