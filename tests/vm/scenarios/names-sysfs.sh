# vmtest-description: devices with '-' and ':' in their names (9020000.fw-cfg
#   held by qemu_fw_cfg; vmtest-soc:vfio-test, no driver, no region) rebind by
#   plain sysfs writes; a device no driver ever probed has no iommu_group until
#   its first probe (the group is made at probe time).  Known kernel
#   behaviour recorded here: qemu_fw_cfg cannot probe again after an unbind
#   (probe fails with -16 EBUSY until the module is reloaded), so a restore
#   does not always bring the native driver back.
run() {
	vm_boot
	vm_load_vfio_platform
	vm_expect_driver "$DEV_FWCFG" fw_cfg
	vm_exists "$DEV_SOC" || fail "$DEV_SOC missing"
	g0=$(vm_group "$DEV_SOC")
	info "$DEV_SOC before any probe: $(vm_state "$DEV_SOC")"
	[ "$g0" = none ] && ok "$DEV_SOC: no iommu_group before its first probe although its DT node has iommus"

	vm_bind "$DEV_FWCFG" vfio-platform || fail "sysfs writes failed: $(vm_state "$DEV_FWCFG")"
	vm_expect_driver "$DEV_FWCFG" vfio-platform 5
	vm_vfio_open "$DEV_FWCFG"

	vm_bind "$DEV_SOC" vfio-platform || fail "sysfs writes failed: $(vm_state "$DEV_SOC")"
	vm_expect_driver "$DEV_SOC" vfio-platform 5
	[ "$(vm_group "$DEV_SOC")" != none ] || fail "$DEV_SOC bound without a group?"
	ok "$DEV_SOC now in IOMMU group $(vm_group "$DEV_SOC")"
	vm_vfio_open "$DEV_SOC" -n

	vm_restore "$DEV_FWCFG" || fail "restore writes failed: $(vm_state "$DEV_FWCFG")"
	sleep 0.5
	if [ "$(vm_driver "$DEV_FWCFG")" = fw_cfg ]; then
		ok "$DEV_FWCFG back on fw_cfg"
	else
		dmesg | grep -q "fw_cfg: probe of $DEV_FWCFG failed with error -16" ||
			fail "$DEV_FWCFG not restored: $(vm_state "$DEV_FWCFG")"
		info "$DEV_FWCFG: qemu_fw_cfg refuses a second probe (error -16) after an unbind: $(vm_state "$DEV_FWCFG")"
		# reloading the module brings it back
		vm_restore "$DEV_SOC" >/dev/null 2>&1
		rmmod qemu_fw_cfg && modprobe qemu_fw_cfg || fail "reloading qemu_fw_cfg failed"
		vm_expect_driver "$DEV_FWCFG" fw_cfg 5
	fi
}
