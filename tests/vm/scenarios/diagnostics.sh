# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: vfio-platform not loaded: the daemon loads it; a
#   selected device without an IOMMU group gets a message naming the missing
#   IOMMU group.
run() {
	vm_boot
	[ -d /sys/module/vfio_platform ] && fail "vfio_platform loaded before the daemon"
	vm_policy 50-vmtest <<-EOF2
	[targets]
	device = $DEV_RNG_A
	device = $DEV_RNG_NOIOMMU
	EOF2
	vm_bindd_start
	vm_expect_all vfio-platform 15 "$DEV_RNG_A"
	[ -d /sys/module/vfio_platform ] || fail "vfio_platform not loaded"
	ok "the daemon loaded vfio_platform"
	sleep 2
	[ "$(vm_driver "$DEV_RNG_NOIOMMU")" = vfio-platform ] && fail "$DEV_RNG_NOIOMMU bound without IOMMU?"
	info "no-IOMMU device: $(vm_state "$DEV_RNG_NOIOMMU")"
	grep "$DEV_RNG_NOIOMMU" "$BINDD_LOG" | grep -qiE 'iommu.group' ||
		fail "no message naming the missing IOMMU group for $DEV_RNG_NOIOMMU"
	ok "message: $(grep "$DEV_RNG_NOIOMMU" "$BINDD_LOG" | grep -i 'iommu' | head -1)"
	vm_bindd_running || fail "the daemon exited"
}
