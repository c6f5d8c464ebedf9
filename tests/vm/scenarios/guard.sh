# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: the guard: a policy that selects every DT device
#   ("compatible = *", no ignore rule) leaves the console UART, the SMMUv3 and
#   the PCIe host on their drivers (the console keeps printing) and binds the
#   other selected devices; "force = yes" moves a device that supplies others.
SMMU=9050000.smmuv3
PCIE=4010000000.pcie
run() {
	vm_boot
	vm_load_vfio_platform
	smmu_drv=$(vm_driver $SMMU) pcie_drv=$(vm_driver $PCIE) uart_drv=$(vm_bus_driver amba "$DEV_UART")
	info "before: $SMMU on $smmu_drv, $PCIE on $pcie_drv, $DEV_UART on $uart_drv"
	[ "$smmu_drv" != none ] && [ "$pcie_drv" != none ] && [ "$uart_drv" != none ] ||
		fail "the host's devices are not bound before the test"
	vm_policy 50-all <<-EOF2
	[all]
	compatible = *
	EOF2
	# force = yes on the GPIO controller, a supplier: gpio-keys uses it.
	vm_policy 40-force <<-EOF2
	[gpio]
	device = $DEV_GPIO
	force = yes
	EOF2
	vfio-platform-bindctl check >/tmp/check.log 2>&1 || fail "check: $(cat /tmp/check.log)"
	grep -q "selects host-critical device $DEV_UART" /tmp/check.log || fail "check does not warn about the console: $(cat /tmp/check.log)"
	grep -q "forces host-critical device $DEV_GPIO" /tmp/check.log || fail "check does not say force: $(cat /tmp/check.log)"
	ok "check exits 0, names the console among the host-critical devices, and says force"
	vm_bindd_start
	vm_expect_all vfio-platform 60 "$DEV_RNG_A" "$DEV_RNG_B" "$DEV_EMPTY_A"
	vm_bus_wait_driver amba "$DEV_GPIO" vfio-amba 30 ||
		fail "force = yes did not move $DEV_GPIO: $(vm_bus_state amba "$DEV_GPIO")"
	ok "force = yes moved $DEV_GPIO to vfio-amba"
	vm_expect_driver $SMMU "$smmu_drv" 1
	vm_expect_override $SMMU "(null)"
	vm_expect_driver $PCIE "$pcie_drv" 1
	vm_expect_override $PCIE "(null)"
	vm_bus_expect_driver amba "$DEV_UART" "$uart_drv" 1
	vm_bus_expect_override amba "$DEV_UART" "(null)"
	vfio-platform-bindctl status --json >/tmp/status.json 2>&1
	for d in $SMMU $PCIE "$DEV_UART"; do
		grep "\"name\": \"$d\"" /tmp/status.json | grep -q '"state": "refused"' ||
			fail "status does not show $d as refused: $(grep "\"name\": \"$d\"" /tmp/status.json)"
	done
	ok "status --json shows the console, the SMMU and the PCIe host as refused"
	info "host-critical: $(grep -o '"name": "[^"]*".*"host_critical": \[[^]]*[^[]\]' /tmp/status.json | sed 's/"path.*host_critical"//' | tr '\n' '|')"
	vm_bindd_running || fail "the daemon exited"
	vm_bindd_stop TERM
	# The console prints this line, and run.sh reads the PASS line after it.
	info "the console still prints after the daemon ran"
}
