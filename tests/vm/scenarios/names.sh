# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: the daemon binds devices whose names contain '-' and ':'
#   (9020000.fw-cfg held by qemu_fw_cfg, vmtest-soc:vfio-test never probed,
#   so without an iommu_group until its first probe).
run() {
	vm_boot
	vm_load_vfio_platform
	vm_policy 50-vmtest <<-EOF2
	[dash]
	device = $DEV_FWCFG

	[colon]
	path = /vmtest-soc/vfio-test
	EOF2
	vm_bindd_start
	vm_expect_all vfio-platform 15 "$DEV_FWCFG" "$DEV_SOC"
	vm_vfio_open "$DEV_FWCFG"
	vm_vfio_open "$DEV_SOC" -n
}
