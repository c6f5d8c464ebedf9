# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: the README's demo: the shipped example policy
#   (conf/50-example.conf) on a freshly booted guest; bindctl status before and
#   after the daemon ran; the selected device opened through VFIO.
run() {
	vm_boot
	_example=$(find /usr/share/doc -name 50-example.conf | head -n 1)
	[ -n "$_example" ] || fail "the example policy is not installed"
	mkdir -p "$POLICY_DIR"
	cp "$_example" "$POLICY_DIR/50-example.conf"
	echo "==== DEMO $POLICY_DIR/50-example.conf"
	cat "$POLICY_DIR/50-example.conf"
	echo "==== DEMO vfio-platform-bindctl status   (before the daemon; vfio-platform not loaded)"
	vfio-platform-bindctl status
	echo "==== DEMO vfio-platform-bindd   (its log)"
	vm_bindd_start
	vm_expect_all vfio-platform 20 "$DEV_RNG_A"
	sleep 0.5
	cat "$BINDD_LOG"
	echo "==== DEMO vfio-platform-bindctl status   (after)"
	vfio-platform-bindctl status
	echo "==== DEMO a user program opens $DEV_RNG_A through VFIO"
	vm_vfio_open "$DEV_RNG_A" -e "$VIRTIO_MAGIC"
	echo "==== DEMO END"
	vm_bindd_stop TERM
}
