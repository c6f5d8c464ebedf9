# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-qemu: -device virtio-rng-pci,bus=pcie.0,addr=0x5.0,multifunction=on -device virtio-rng-pci,bus=pcie.0,addr=0x5.1 -device virtio-rng-pci,bus=pcie.0,addr=0x3
# vmtest-timeout-factor: 2
# vmtest-description: IOMMU groups through the daemon: a multifunction slot is
#   one group; "group = strict" (the default) with one function selected binds
#   nothing, and status --json names the other function as the blocker; a
#   reload with "group = whole" binds both, the group opens through VFIO
#   (viable, SET_CONTAINER) and reads the vendor ID; a reload with an empty
#   policy gives both back to virtio-pci.
MF_0=0000:00:05.0
MF_1=0000:00:05.1
RNG=0000:00:03.0

# wait_ready [SECONDS=30]: until the daemon has been through its coldplug (its
# "Ready:" line: only a point to look at the end state from, never a check)
wait_ready() {
	_n=$(( ${1:-30} * 10 ))
	while [ "$_n" -gt 0 ]; do
		grep -q 'Ready:' "$BINDD_LOG" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	info "no 'Ready:' line from the daemon after ${1:-30} s"
}

run() {
	vm_need_pci_keys
	vm_boot
	for d in $MF_0 $MF_1 $RNG; do vm_bus_expect_driver pci "$d" virtio-pci 10; done
	vm_pci_expect_groups $MF_0 $MF_1 $RNG
	G=$(vm_bus_group pci "$MF_0")
	[ "$(vm_bus_group pci "$MF_1")" = "$G" ] || fail "$MF_0 and $MF_1 are not in one group"
	ok "$MF_0 and $MF_1 share group $G"

	# strict (the default): one function selected, the other on virtio-pci
	vm_policy 50-vmtest <<-EOF2
	[one-function]
	device = $MF_0
	EOF2
	vm_bindd_start
	wait_ready
	sleep 1   # give a wrong bind the chance to show
	for d in $MF_0 $MF_1; do
		vm_bus_expect_driver pci "$d" virtio-pci 1
		vm_bus_expect_override pci "$d" "(null)"
	done
	ok "strict: nothing of group $G bound"
	vm_status_json "$MF_0"
	info "status --json $MF_0: $STATUS_OBJ"
	vm_json_expect "$STATUS_OBJ" "$MF_0 on the pci bus" '"bus" *: *"pci"'
	vm_json_expect "$STATUS_OBJ" "$MF_0 selected" '"decision" *: *"bind"'
	vm_json_expect_group "$STATUS_OBJ" "$G" false "$MF_0 $MF_1" "$MF_1"
	vfio-platform-bindctl explain "$MF_0" >/tmp/explain.txt 2>&1
	sed 's/^/explain: /' /tmp/explain.txt
	grep -q "$MF_1" /tmp/explain.txt || fail "bindctl explain $MF_0 does not name the blocker $MF_1"
	ok "bindctl explain $MF_0 names $MF_1"
	grep -q "$MF_1" "$BINDD_LOG" || fail "the daemon's log does not name the blocker $MF_1"
	ok "the daemon's log names $MF_1: $(grep "$MF_1" "$BINDD_LOG" | head -n 1)"
	vm_bus_expect_driver pci "$RNG" virtio-pci 1

	# whole: both functions, in one pass
	vm_policy 50-vmtest <<-EOF2
	[whole-slot]
	device = $MF_0
	group = whole
	EOF2
	# (the kernel's bind and unbind uevents of the pci bus while the group moves: issue 16's
	# "one pass", overrides first, one unbind each, then the probes, no re-probe by virtio-pci)
	udevadm monitor --kernel --property --subsystem-match=pci >/tmp/group-uevents.txt 2>&1 &
	_mon=$!
	sleep 0.5
	kill -HUP "$(vm_bindd_pid)"
	sleep 0.5
	vm_bindd_running || { wait "$(vm_bindd_pid)"; fail "the daemon died on SIGHUP (exit status $?)"; }
	for d in $MF_0 $MF_1; do
		vm_bus_expect_driver pci "$d" vfio-pci 20
		vm_bus_expect_override pci "$d" vfio-pci
	done
	sleep 0.5
	kill "$_mon" 2>/dev/null; wait "$_mon" 2>/dev/null
	# "unbind:0000:00:05.0(virtio-pci) ..." in the kernel's order
	_seq=$(awk '/^KERNEL\[/ { a = $2; d = $3; sub(".*/", "", d); drv = "" }
		/^DRIVER=/ { drv = substr($0, 8) }
		/^$/ { if (a == "bind" || a == "unbind") printf "%s:%s(%s) ", a, d, drv; a = "" }' /tmp/group-uevents.txt)
	vm_metric "group $G moved by SIGHUP, pci uevents in order: ${_seq:-none}"
	for d in $MF_0 $MF_1; do
		_u=$(echo "$_seq" | tr ' ' '\n' | grep -c "^unbind:$d(")
		_b=$(echo "$_seq" | tr ' ' '\n' | grep -c "^bind:$d(")
		_bn=$(echo "$_seq" | tr ' ' '\n' | grep -c "^bind:$d(virtio-pci)")
		vm_metric "$d: $_u unbind, $_b bind ($_bn of them by virtio-pci)"
	done
	_last_unbind=$(echo "$_seq" | tr ' ' '\n' | grep -n '^unbind:' | tail -n 1 | cut -d: -f1)
	_first_bind=$(echo "$_seq" | tr ' ' '\n' | grep -n '^bind:' | head -n 1 | cut -d: -f1)
	if [ -n "$_last_unbind" ] && [ -n "$_first_bind" ] && [ "$_last_unbind" -lt "$_first_bind" ]; then
		vm_metric "one pass: every unbind before the first bind"
	else
		vm_metric "not one pass: last unbind at event ${_last_unbind:-?}, first bind at ${_first_bind:-?}"
	fi
	vm_bus_expect_driver pci "$RNG" virtio-pci 1
	vm_vfio_open "$MF_0" -e "$VENDOR_VIRTIO"
	vm_vfio_open "$MF_1" -e "$VENDOR_VIRTIO"
	for d in $MF_0 $MF_1; do
		vm_status_json "$d"
		vm_json_expect "$STATUS_OBJ" "$d bound" '"state" *: *"bound"'
		vm_json_expect_group "$STATUS_OBJ" "$G" true "$MF_0 $MF_1" ""
	done

	# empty policy: the whole group goes back
	rm -f "$POLICY_DIR/50-vmtest.conf"
	kill -HUP "$(vm_bindd_pid)"
	sleep 0.5
	vm_bindd_running || { wait "$(vm_bindd_pid)"; fail "the daemon died on SIGHUP (exit status $?)"; }
	for d in $MF_0 $MF_1; do
		vm_bus_expect_driver pci "$d" virtio-pci 20
		vm_bus_expect_override pci "$d" "(null)"
	done
	vm_bindd_stop TERM
}
