# vmtest-init: systemd
# vmtest-repeat: 2
# vmtest-timeout-factor: 3
# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: systemd 252 as PID 1, the project installed and enabled as
#   a user would: selected devices on their targets at boot (virtio-mmio, a
#   module driver; pl061_gpio, built in), an ignored and an unselected device
#   untouched, the early unit done before udev's coldplug, the daemon ready with
#   no restart and no SIGSYS, the target reached; hotplug; `systemctl reload`
#   after removing a rule gives the device back.
boot_policy() {
	cat <<-EOF2
	[protect]
	device = $DEV_RNG_B
	action = ignore

	[targets]
	device = $DEV_RNG_A
	device = $DEV_EMPTY_A
	device = $DEV_HP
	driver = vfio-platform

	# gpio-keys uses this GPIO controller (a device link): the guard refuses a
	# supplier unless the rule says so.
	[amba]
	device = $DEV_GPIO
	force = yes
	EOF2
}
run() {
	D=vfio-platform-bindd.service E=vfio-platform-bind-early.service T=systemd-udev-trigger.service
	vm_sd_wait "$D" active 30 || fail "the daemon is not active: $(vm_sd_state "$D")"
	vm_sd_expect "$D" SubState running
	# selected: on their targets (virtio-mmio is a module that udev's coldplug loads;
	# pl061_gpio is built in and held the device before the early unit ran)
	vm_expect_driver "$DEV_RNG_A" vfio-platform 15
	vm_expect_driver "$DEV_EMPTY_A" vfio-platform 5
	vm_bus_expect_driver amba "$DEV_GPIO" vfio-amba 5
	vm_expect_override "$DEV_RNG_A" vfio-platform
	# ignored and unselected: untouched
	vm_expect_driver "$DEV_RNG_B" virtio-mmio 1
	vm_expect_override "$DEV_RNG_B" "(null)"
	vm_expect_driver "$DEV_RNG_NOIOMMU" virtio-mmio 1
	vm_expect_override "$DEV_RNG_NOIOMMU" "(null)"
	vm_bus_expect_driver amba "$DEV_UART" uart-pl011 1
	vm_vfio_open "$DEV_RNG_A" -e "$VIRTIO_MAGIC"

	# (properties read once from here on)
	vm_sd_snap "$D" "$E" "$T" vfio-platform-bind.target vmtest-consumer.service
	# the early unit ended before udev's coldplug started
	vm_sd_expect "$E" ActiveState active
	vm_sd_expect "$E" Result success
	_e=$(vm_sd "$E" ExecMainExitTimestampMonotonic)
	_t=$(vm_sd "$T" InactiveExitTimestampMonotonic)
	info "early unit ended at ${_e} us, $T started at ${_t} us (monotonic)"
	[ "${_e:-0}" -gt 0 ] && [ "${_t:-0}" -gt 0 ] || fail "missing timestamps: early exit '$_e', trigger start '$_t'"
	[ "$_e" -lt "$_t" ] || fail "$E ended at $_e us, after $T started ($_t us)"
	ok "$E ended $(( (_t - _e) / 1000 )) ms before $T started"

	# the daemon: ready once, no restart, no seccomp kill; the target reached after it
	vm_sd_expect "$D" NRestarts 0
	vm_sd_expect "$D" Result success
	vm_sd_expect vfio-platform-bind.target ActiveState active
	_r=$(vm_sd "$D" ActiveEnterTimestampMonotonic)
	_g=$(vm_sd vfio-platform-bind.target ActiveEnterTimestampMonotonic)
	[ "${_r:-0}" -gt 0 ] && [ "$_g" -ge "$_r" ] || fail "target reached at $_g us, daemon ready at $_r us"
	ok "vfio-platform-bind.target reached after the daemon was ready"
	info "daemon: started at $(( $(vm_sd "$D" InactiveExitTimestampMonotonic) / 1000 )) ms, ready (READY=1) at $(( _r / 1000 )) ms, target at $(( _g / 1000 )) ms"
	vm_sd_expect vmtest-consumer.service ActiveState active
	info "status: $(vm_sd "$D" StatusText)"
	journalctl -b -o short-monotonic --no-pager -u "$D" 2>/dev/null | head -n 4 |
		while IFS= read -r _l; do info "journal: $_l"; done
	if journalctl -b --no-pager 2>/dev/null | grep -E 'SIGSYS|code=killed|status=31/SYS' >/tmp/sys.log; then
		fail "seccomp or a signal killed something: $(head -3 /tmp/sys.log | tr '\n' '|')"
	fi
	ok "no SIGSYS or code=killed in the journal"
	_pid=$(vm_sd "$D" MainPID)
	vm_sd_snap

	# hotplug: the selected device ends on vfio-platform
	vm_hotplug_add
	udevadm settle --timeout=30
	vm_expect_driver "$DEV_HP" vfio-platform 15
	vm_hotplug_remove
	udevadm settle --timeout=30

	# reload without the rule for DEV_RNG_A: it goes back to virtio-mmio
	boot_policy | grep -v "^device = $DEV_RNG_A\$" >"$POLICY_DIR/50-vmtest.conf"
	systemctl reload "$D" || fail "systemctl reload failed: $(vm_sd_state "$D")"
	vm_expect_driver "$DEV_RNG_A" virtio-mmio 15
	vm_expect_override "$DEV_RNG_A" "(null)"
	vm_expect_driver "$DEV_EMPTY_A" vfio-platform 1
	vm_sd_snap "$D"
	vm_sd_expect "$D" ActiveState active
	vm_sd_expect "$D" NRestarts 0
	vm_sd_expect "$D" MainPID "$_pid"
	vm_sd_snap
	info "journal: $(journalctl -b --no-pager -o cat -u "$D" 2>/dev/null | grep -F "$DEV_RNG_A" | tail -n 3 | tr '\n' '|')"
	# the early unit's cost on the boot's critical path, against udev's coldplug in the same boot
	# (issue 16's target: at most 0.25 times): measured and reported, not asserted
	vm_sd_blame "$E" "$T" "$D"
	# blame's wall time includes waiting for the 2 vCPUs that the whole early boot shares: the
	# CPU time of each unit (cgroup accounting), and when the early unit's process started and
	# ended within its activation
	vm_sd_snap "$E" "$T"
	_ms() { awk -v n="$1" 'BEGIN { if (n ~ /^[0-9]+$/) printf "%.0f", n / 1000000; else printf "?" }'; }
	vm_metric "cpu $E=$(_ms "$(vm_sd "$E" CPUUsageNSec)")ms $T=$(_ms "$(vm_sd "$T" CPUUsageNSec)")ms;" \
		"$E: activated at $(( $(vm_sd "$E" InactiveExitTimestampMonotonic) / 1000 ))ms," \
		"process $(( $(vm_sd "$E" ExecMainStartTimestampMonotonic) / 1000 ))-$(( $(vm_sd "$E" ExecMainExitTimestampMonotonic) / 1000 ))ms"
	vm_sd_snap
	# where the early unit's time goes: its own lines, with the times systemd gave them
	journalctl -b -o short-monotonic --no-pager -u "$E" 2>/dev/null | head -n 12 |
		while IFS= read -r _l; do info "early: $_l"; done
	_be=$(vm_sd_blame_secs "$E") _bt=$(vm_sd_blame_secs "$T")
	if [ -n "$_be" ] && [ -n "$_bt" ]; then
		vm_metric "early/trigger=$(awk -v e="$_be" -v t="$_bt" 'BEGIN { printf "%.2f", (t > 0 ? e / t : 0) }') ($E ${_be}s, $T ${_bt}s, systemd-analyze blame)"
	fi
}
