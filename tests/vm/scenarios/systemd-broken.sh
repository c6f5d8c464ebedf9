# vmtest-init: systemd
# vmtest-timeout-factor: 3
# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: systemd 252 as PID 1 with a policy that is broken at boot:
#   the daemon ends "failed" after its start limit (not restarting forever),
#   vfio-platform-bind.target is not reached, no device moves.
boot_policy() {
	cat <<-EOF2
	[targets]
	device = $DEV_RNG_A
	device = $DEV_EMPTY_A

	[broken]
	nonsense-key = 1
	EOF2
}
run() {
	D=vfio-platform-bindd.service E=vfio-platform-bind-early.service
	vm_sd_wait "$D" failed 90 || fail "the daemon did not end failed: $(vm_sd_state "$D")"
	vm_sd_snap "$D"
	_n=$(vm_sd "$D" NRestarts) _b=$(vm_sd "$D" StartLimitBurst)
	info "$(vm_sd_state "$D"), StartLimitBurst=$_b StartLimitIntervalUSec=$(vm_sd "$D" StartLimitIntervalUSec) RestartUSec=$(vm_sd "$D" RestartUSec)"
	# (systemd 252 keeps the first failure's Result, exit-code, when the start limit stops the
	# restarts; it logs "Start request repeated too quickly")
	[ "$_n" -ge 1 ] && [ "$_n" -le "$_b" ] || fail "NRestarts=$_n, expected 1..$_b"
	ok "$D restarted $_n times, then gave up with result $(vm_sd "$D" Result)"
	# and stays so: no restart after twice RestartSec
	sleep 2.5
	vm_sd_snap "$D" "$E" vfio-platform-bind.target vmtest-consumer.service
	vm_sd_expect "$D" ActiveState failed
	vm_sd_expect "$D" NRestarts "$_n"
	vm_sd_expect "$E" ActiveState failed
	vm_sd_expect vfio-platform-bind.target ActiveState inactive
	vm_sd_expect vfio-platform-bind.target ActiveEnterTimestampMonotonic 0
	# a user of the devices that Requires= the target did not start
	vm_sd_expect vmtest-consumer.service ActiveState inactive
	vm_sd_expect vmtest-consumer.service ActiveEnterTimestampMonotonic 0
	vm_expect_driver "$DEV_RNG_A" virtio-mmio 1
	vm_expect_override "$DEV_RNG_A" "(null)"
	vm_expect_driver "$DEV_EMPTY_A" none 1
	vm_expect_override "$DEV_EMPTY_A" "(null)"
	# what the administrator sees
	systemctl status --no-pager -n 0 "$D" 2>&1 | sed -n '1,4p' | while IFS= read -r _l; do info "status: $_l"; done
	info "journal: $(journalctl -b --no-pager -o cat -u "$D" 2>/dev/null | grep -E 'nonsense|too quickly|Failed with' | sort | uniq -c | tr -s ' ' | tr '\n' '|')"
}
