# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: CDI spec and metrics on a real kernel: the spec in /run/cdi
#   names exactly the bound devices (a cdi-name= among them), each group node
#   exists in /dev/vfio with the spec's major:minor, bindctl cdi prints the same
#   spec, a reload drops a device from it; the metrics file counts them.
SPEC=/run/cdi/vfio-platform-bindd.io-platform.json
PROM=/var/lib/prometheus/node-exporter/vfio_platform_bindd.prom

spec_names() { sed -n 's/^      "name": "\(.*\)",$/\1/p' "$SPEC" | sort | tr '\n' ' '; }

# wait_for SECONDS COMMAND...: until COMMAND succeeds
wait_for() {
	_n=$(($1 * 10))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

names_are() { [ "$(spec_names 2>/dev/null)" = "$1" ]; }

# node_in_spec PATH: the node exists as a character device and the spec has its numbers
node_in_spec() {
	[ -c "$1" ] || fail "$1 is not a character device"
	_maj=$(printf '%d' "0x$(stat -c %t "$1")")
	_min=$(printf '%d' "0x$(stat -c %T "$1")")
	grep -qF "{ \"path\": \"$1\", \"type\": \"c\", \"major\": $_maj, \"minor\": $_min }" "$SPEC" ||
		fail "$1 is $_maj:$_min, the spec says: $(grep -F "\"$1\"" "$SPEC" | head -n 1)"
	ok "$1 is $_maj:$_min, as the spec says"
}

run() {
	vm_boot
	vm_load_vfio_platform
	mkdir -p /run "${PROM%/*}"
	vm_policy 50-vmtest <<-EOF2
	[rng]
	device = $DEV_RNG_A
	cdi-name = rng0

	[more]
	device = $DEV_EMPTY_A
	device = $DEV_FWCFG
	EOF2
	vm_bindd_start
	vm_expect_all vfio-platform 15 "$DEV_RNG_A" "$DEV_EMPTY_A" "$DEV_FWCFG"

	want="9020000.fw-cfg $DEV_EMPTY_A rng0 "
	wait_for 5 names_are "$want" || fail "spec names '$(spec_names 2>/dev/null)', wanted '$want'"
	ok "the spec names exactly the bound devices: $want"
	node_in_spec /dev/vfio/vfio
	for _d in "$DEV_RNG_A" "$DEV_EMPTY_A" "$DEV_FWCFG"; do
		node_in_spec "/dev/vfio/$(vm_group "$_d")"
	done
	grep -qx "          \"VFIO_PLATFORM_BINDD_DEVICE_RNG0=/sys/bus/platform/devices/$DEV_RNG_A\"" "$SPEC" ||
		fail "no variable naming $DEV_RNG_A"
	ok "rng0's variable names /sys/bus/platform/devices/$DEV_RNG_A"
	[ "$(stat -c %a "$SPEC")" = 644 ] || fail "the spec's mode is $(stat -c %a "$SPEC")"
	vfio-platform-bindctl cdi platform >/tmp/cdi.json || fail "bindctl cdi failed"
	cmp -s /tmp/cdi.json "$SPEC" || fail "bindctl cdi differs from $SPEC"
	ok "bindctl cdi prints the daemon's spec"
	sed 's/^/cdi-spec: /' "$SPEC"

	# The metrics are written within a second of the last change.
	wait_for 5 grep -qx 'vfio_platform_bindd_devices{bus="platform",state="bound"} 3' "$PROM" ||
		fail "metrics: $(grep 'state="bound"' "$PROM" 2>&1 | head -n 2)"
	ok "the metrics count 3 bound platform devices"

	# A reload that drops one device: restored, and out of the spec.
	vm_policy 50-vmtest <<-EOF2
	[rng]
	device = $DEV_RNG_A
	cdi-name = rng0

	[more]
	device = $DEV_EMPTY_A
	EOF2
	kill -HUP "$(vm_bindd_pid)"
	want="$DEV_EMPTY_A rng0 "
	wait_for 10 names_are "$want" || fail "after reload: spec names '$(spec_names 2>/dev/null)', wanted '$want'"
	ok "after a reload the spec names $want"
	wait_for 5 grep -qx 'vfio_platform_bindd_policy_reload_total{result="success"} 1' "$PROM" ||
		fail "metrics after reload: $(grep reload_total "$PROM" 2>&1)"
	ok "the metrics count the reload"
	sed 's/^/metrics: /' "$PROM"
	vm_bindd_stop
	[ -s "$SPEC" ] || fail "the spec went away on SIGTERM"
	ok "the spec stays after SIGTERM, as the bindings do"
}
