# Helpers for the VM test scenarios (busybox sh, sourced by /init and by
# every scenario).  A scenario is /vmtest/scenarios/NAME.sh defining run();
# run() returns normally on success, calls fail "reason" or skip "reason".
#
# Console protocol (parsed by run.sh on the host; other lines are ignored):
#   VMTEST BEGIN name uptime=S      the scenario starts (S: seconds since boot)
#   VMTEST CHECK name: text         a passed check (for the log)
#   VMTEST INFO text                facts worth keeping (timings, names)
#   VMTEST PASS name | VMTEST FAIL name: reason | VMTEST SKIP name: reason
#   VMTEST END name uptime=S        the guest is about to power off
# shellcheck shell=sh

SYSP=/sys/bus/platform
MODDIR=/lib/modules/$(uname -r)
VIRTIO_MAGIC=0x74726976
POLICY_DIR=/etc/vfio-platform-bind.d

# The guest's devices (see README.md; QEMU runs 4 virtio-rng devices, the DT
# edits are in lib/common.sh).
DEV_RNG_A=a003c00.virtio_mmio          # virtio-rng, native virtio-mmio, iommus
DEV_RNG_B=a003a00.virtio_mmio          # virtio-rng, native virtio-mmio, iommus
DEV_RNG_NOIOMMU=a003800.virtio_mmio    # virtio-rng, native virtio-mmio, NO iommus
DEV_EMPTY_A=a000000.virtio_mmio        # empty slot: no driver keeps it, iommus
DEV_EMPTY_B=a000200.virtio_mmio        # empty slot, iommus
DEV_EMPTY_NOIOMMU=a001000.virtio_mmio  # empty slot, NO iommus
DEV_FWCFG=9020000.fw-cfg               # native qemu_fw_cfg (module), iommus; '-' in name
DEV_SOC=vmtest-soc:vfio-test           # no driver, no region, iommus; ':' and '-' in name
DEV_HP=a003e00.virtio_mmio             # made by vmtest_hotplug.ko (virtio-rng behind), iommus
HP_OF_FULLNAME=/hp-parent/virtio_mmio@a003e00
# AMBA devices (/sys/bus/amba; the vm_bus_* helpers below take the bus)
AMBAP=/sys/bus/amba
DEV_GPIO=9030000.pl061                 # AMBA, native pl061_gpio (built in), iommus
DEV_UART=9000000.pl011                 # AMBA, the console (uart-pl011, built in), NO iommus

# PCI devices exist only when the scenario's "# vmtest-qemu:" header adds them
# (bus=pcie.0 with a fixed addr=, so that the slot names are stable); the
# vm_bus_* and vm_pci_* helpers below take their names.  The SMMUv3 stream ID
# of a PCI function is its requester ID (slot * 8 + function on bus 0), and
# the platform nodes' iommus use 0x10, 0x11, 0x20-0x27, 0x30, 0x31, 0x40 and
# 0x50: slots 2, 4, 6, 8 and 10 collide ("stream 16 already in tree", the
# later device gets no IOMMU group).  Use slots 3, 5, 7, 9, 11 ...
PCIP=/sys/bus/pci
VENDOR_VIRTIO=0x1af4
VENDOR_INTEL=0x8086

uptime_s() { cut -d' ' -f1 /proc/uptime; }
info() { echo "VMTEST INFO $*"; }
ok() { echo "VMTEST CHECK ${VM_NAME:-?}: $*"; }
fail() {
	printf '%s' "$*" | tr '\n' ' ' >/tmp/vmtest.reason
	echo "VMTEST CHECK-FAILED ${VM_NAME:-?}: $*"
	exit 1
}
skip() { printf '%s' "$*" | tr '\n' ' ' >/tmp/vmtest.reason; exit 77; }

# --- device state -------------------------------------------------------------
vm_driver() { # DEV -> driver name or "none"
	_l=$(readlink "$SYSP/devices/$1/driver" 2>/dev/null) && basename "$_l" || echo none
}
vm_override() { cat "$SYSP/devices/$1/driver_override" 2>/dev/null || echo "?"; }
vm_group() { # DEV -> IOMMU group number or "none"
	_l=$(readlink "$SYSP/devices/$1/iommu_group" 2>/dev/null) && basename "$_l" || echo none
}
vm_state() { echo "$1 driver=$(vm_driver "$1") override=$(vm_override "$1") group=$(vm_group "$1")"; }
vm_exists() { [ -e "$SYSP/devices/$1" ]; }

# vm_wait_driver DEV DRV [SECONDS=10]: wait until DEV is bound to DRV
vm_wait_driver() {
	_n=$(( ${3:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		[ "$(vm_driver "$1")" = "$2" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	[ "$(vm_driver "$1")" = "$2" ]
}
# vm_expect_driver DEV DRV [SECONDS]: same, fail the scenario otherwise
vm_expect_driver() {
	vm_wait_driver "$@" || fail "$1: expected driver $2, have: $(vm_state "$1")"
	ok "$1 bound to $2"
}
# vm_expect_override DEV VALUE
vm_expect_override() {
	[ "$(vm_override "$1")" = "$2" ] || fail "$1: expected driver_override '$2', have: $(vm_state "$1")"
	ok "$1 driver_override is '$2'"
}

# --- device state on any bus (platform, amba) ------------------------------------
vm_bus_driver() { # BUS DEV -> driver name or "none"
	_l=$(readlink "/sys/bus/$1/devices/$2/driver" 2>/dev/null) && basename "$_l" || echo none
}
vm_bus_override() { cat "/sys/bus/$1/devices/$2/driver_override" 2>/dev/null || echo "?"; }
vm_bus_group() { # BUS DEV -> IOMMU group number or "none"
	_l=$(readlink "/sys/bus/$1/devices/$2/iommu_group" 2>/dev/null) && basename "$_l" || echo none
}
vm_bus_state() {
	echo "$1:$2 driver=$(vm_bus_driver "$1" "$2") override=$(vm_bus_override "$1" "$2") group=$(vm_bus_group "$1" "$2")"
}
# vm_bus_wait_driver BUS DEV DRV [SECONDS=10]: wait until DEV is bound to DRV
vm_bus_wait_driver() {
	_n=$(( ${4:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		[ "$(vm_bus_driver "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	[ "$(vm_bus_driver "$1" "$2")" = "$3" ]
}
vm_bus_expect_driver() { # BUS DEV DRV [SECONDS]
	vm_bus_wait_driver "$@" || fail "$2: expected driver $3, have: $(vm_bus_state "$1" "$2")"
	ok "$1:$2 bound to $3"
}
vm_bus_expect_override() { # BUS DEV VALUE
	[ "$(vm_bus_override "$1" "$2")" = "$3" ] ||
		fail "$2: expected driver_override '$3', have: $(vm_bus_state "$1" "$2")"
	ok "$1:$2 driver_override is '$3'"
}

# vm_bus_bind BUS DEV DRV: driver_override, unbind the current driver, drivers_probe
vm_bus_bind() {
	vm_write "/sys/bus/$1/devices/$2/driver_override" "$3" || return 1
	_cur=$(vm_bus_driver "$1" "$2")
	if [ "$_cur" != none ] && [ "$_cur" != "$3" ]; then
		vm_write "/sys/bus/$1/devices/$2/driver/unbind" "$2" || return 1
	fi
	vm_write "/sys/bus/$1/drivers_probe" "$2"
}
# vm_bus_restore BUS DEV: clear the override, unbind, drivers_probe
vm_bus_restore() {
	echo >"/sys/bus/$1/devices/$2/driver_override" || return 1
	[ "$(vm_bus_driver "$1" "$2")" = none ] || vm_write "/sys/bus/$1/devices/$2/driver/unbind" "$2" || return 1
	vm_write "/sys/bus/$1/drivers_probe" "$2"
}

# --- PCI ------------------------------------------------------------------------------
vm_pci_id() { # DEV -> vvvv:dddd as the kernel reports it
	echo "$(sed 's/^0x//' "$PCIP/devices/$1/vendor"):$(sed 's/^0x//' "$PCIP/devices/$1/device")"
}
vm_pci_devices() { # the PCI devices that are not bridges (class 0x06xxxx)
	for _p in "$PCIP"/devices/*; do
		[ -e "$_p" ] || continue
		case $(cat "$_p/class") in 0x06*) continue ;; esac
		basename "$_p"
	done
}
# vm_pci_expect_groups DEV...: every DEV has an IOMMU group, and no stream ID
# was claimed twice (a slot that collides with a platform node, see above)
vm_pci_expect_groups() {
	! dmesg | grep -q 'already in tree' ||
		fail "stream ID collision (use another PCI slot): $(dmesg | grep 'already in tree' | tr '\n' '|')"
	for _d in "$@"; do
		[ "$(vm_bus_group pci "$_d")" != none ] || fail "$_d has no IOMMU group: $(vm_bus_state pci "$_d")"
	done
	ok "$* have IOMMU groups"
}
vm_load_vfio_pci() {
	modprobe vfio-pci || fail "modprobe vfio-pci failed"
	[ -d "$PCIP/drivers/vfio-pci" ] || fail "no $PCIP/drivers/vfio-pci after modprobe"
}
# vm_vfio_open_rc DEV [vfio-open options]: run vfio-open, its output in
# $VFIO_OUT, its exit status returned (3: group not viable, see vfio-open.c)
vm_vfio_open_rc() {
	modprobe vfio_iommu_type1 || fail "modprobe vfio_iommu_type1 failed"
	_d=$1; shift
	VFIO_OUT=$(vfio-open "$@" "$_d" 2>&1)
}
# vm_vfio_expect_not_viable DEV: the group of DEV is not viable: opening it
# works, VFIO_GROUP_SET_CONTAINER fails with EPERM
vm_vfio_expect_not_viable() {
	vm_vfio_open_rc "$1" && fail "vfio-open $1 succeeded, expected a group that is not viable: $VFIO_OUT"
	_rc=$?
	[ "$_rc" = 3 ] || fail "vfio-open $1: exit status $_rc, expected 3 (not viable): $VFIO_OUT"
	case $VFIO_OUT in
	*"not viable: VFIO_GROUP_SET_CONTAINER: EPERM"*) ;;
	*) fail "vfio-open $1: not viable, but not the EPERM of SET_CONTAINER: $VFIO_OUT" ;;
	esac
	ok "$VFIO_OUT"
}

# vm_qemu COMMAND...: a QEMU monitor command (device_add, device_del), sent by
# run.sh when the scenario's "# vmtest-monitor:" header allows its first word;
# the guest sees only its effect: wait for that
vm_qemu() {
	echo "VMTEST QEMU $*"
}
# vm_wait_path PATH [SECONDS=10]: until PATH exists
vm_wait_path() {
	_n=$(( ${2:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		[ -e "$1" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	[ -e "$1" ]
}
vm_wait_gone() { # PATH [SECONDS=10]
	_n=$(( ${2:-10} * 10 ))
	while [ "$_n" -gt 0 ]; do
		[ -e "$1" ] || return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	[ ! -e "$1" ]
}

# --- JSON of "vfio-platform-bindctl status --json" (one device object per line;
# busybox has no jq, so these match the line of one device) --------------------------------
# vm_status_json DEV: the object of DEV in $STATUS_OBJ, or fail
vm_status_json() {
	_j=$(vfio-platform-bindctl status --json 2>/tmp/status-json.err) ||
		fail "bindctl status --json: $(cat /tmp/status-json.err)"
	_re=$(printf '%s' "$1" | sed 's/[.]/[.]/g')
	STATUS_OBJ=$(printf '%s\n' "$_j" | grep -E "\"name\" *: *\"$_re\"" | head -1)
	[ -n "$STATUS_OBJ" ] ||
		fail "bindctl status --json: no object for $1: $(printf '%s' "$_j" | tr '\n' ' ' | cut -c1-800)"
}
# vm_json_expect OBJECT DESCRIPTION ERE: the device object matches ERE (JSON
# spacing: write ' *' around ':' and ',')
vm_json_expect() {
	printf '%s' "$1" | grep -qE "$3" || fail "status JSON: expected $2 (/$3/) in: $1"
	ok "status JSON: $2"
}

# vm_need_pci_keys: skip the scenario while the policy has no PCI keys (a
# build from before PCI support: "check" refuses them); with --require-project
# run.sh counts the skip as a failure
vm_need_pci_keys() {
	printf '[probe]\nbus = pci\npci-id = 1af4:1005\nclass = 0x00ff\ngroup = whole\n' >/tmp/pci-keys.conf
	vfio-platform-bindctl check /tmp/pci-keys.conf >/tmp/pci-keys.log 2>&1 ||
		skip "vfio-platform-bindctl does not know the PCI policy keys: $(head -n 1 /tmp/pci-keys.log)"
}

# vm_expect_golden WHAT FILE: FILE holds the text that stdin expects, compared
# with runs of blanks squeezed (column widths may change, words and their order
# may not); "@GROUP:DEV@" in the expected text stands for the IOMMU group
# number of PCI device DEV (group numbers follow the probe order)
vm_expect_golden() {
	cat >/tmp/golden.in
	: >/tmp/golden.sed
	for _g in $(grep -o '@GROUP:[^@]*@' /tmp/golden.in | sort -u); do
		_d=${_g#@GROUP:}
		_d=${_d%@}
		echo "s|$_g|$(vm_bus_group pci "$_d")|g" >>/tmp/golden.sed
	done
	sed -f /tmp/golden.sed /tmp/golden.in | tr -s ' \t' ' ' | sed 's/ $//' >/tmp/golden.expected
	tr -s ' \t' ' ' <"$2" | sed 's/ $//' >/tmp/golden.actual
	sed 's/^/golden-actual: /' "$2"
	if ! diff -u /tmp/golden.expected /tmp/golden.actual >/tmp/golden.diff; then
		sed 's/^/golden-diff: /' /tmp/golden.diff
		fail "$1 differs from the expected text (golden-diff lines in the log)"
	fi
	ok "$1 matches the expected text ($(wc -l </tmp/golden.actual) lines)"
}

# vm_json_list OBJECT KEY: the strings of the array KEY, sorted, one line
vm_json_list() {
	printf '%s' "$1" | sed -n "s/.*\"$2\" *: *\[\([^]]*\)\].*/\1/p" | tr -d '" ' | tr ',' '\n' |
		grep . | sort | tr '\n' ' ' | sed 's/ $//'
}
# vm_json_expect_group OBJECT ID VIABLE "MEMBER..." "BLOCKER...": the device's
# "group" object, whatever the order of its keys and of the members
vm_json_expect_group() {
	_grp=$(printf '%s' "$1" | sed -n 's/.*"group" *: *{\([^}]*\)}.*/\1/p')
	[ -n "$_grp" ] || fail "status JSON: no \"group\" object in: $1"
	printf '%s' "$_grp" | grep -qE "\"id\" *: *\"$2\"" || fail "status JSON: group id is not \"$2\": {$_grp}"
	printf '%s' "$_grp" | grep -qE "\"viable\" *: *$3" || fail "status JSON: group viable is not $3: {$_grp}"
	_m=$(vm_json_list "$_grp" members) _b=$(vm_json_list "$_grp" blockers)
	# shellcheck disable=SC2086  # the lists are words
	_em=$(echo $4 | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
	# shellcheck disable=SC2086
	_eb=$(echo $5 | tr ' ' '\n' | grep . | sort | tr '\n' ' ' | sed 's/ $//')
	[ "$_m" = "$_em" ] || fail "status JSON: group members [$_m], expected [$_em]: {$_grp}"
	[ "$_b" = "$_eb" ] || fail "status JSON: group blockers [$_b], expected [$_eb]: {$_grp}"
	ok "status JSON: group $2, members [$_m], viable $3, blockers [$_b]"
}

# --- plain sysfs operations -------------------------------------------------------
vm_write() { # FILE VALUE: write like the daemon does; returns the write's status
	printf '%s' "$2" >"$1"
}
# vm_bind DEV DRV: driver_override, unbind the current driver, drivers_probe
vm_bind() {
	vm_write "$SYSP/devices/$1/driver_override" "$2" || return 1
	_cur=$(vm_driver "$1")
	if [ "$_cur" != none ] && [ "$_cur" != "$2" ]; then
		vm_write "$SYSP/devices/$1/driver/unbind" "$1" || return 1
	fi
	vm_write "$SYSP/drivers_probe" "$1"
}
# vm_restore DEV: clear the override, unbind, drivers_probe (native driver back)
vm_restore() {
	echo >"$SYSP/devices/$1/driver_override" || return 1
	[ "$(vm_driver "$1")" = none ] || vm_write "$SYSP/devices/$1/driver/unbind" "$1" || return 1
	vm_write "$SYSP/drivers_probe" "$1"
}
# vm_vfio_open DEV [vfio-open options]: the device through VFIO, or fail
vm_vfio_open() {
	# what a VMM relies on: the type1 IOMMU backend of the VFIO container
	modprobe vfio_iommu_type1 || fail "modprobe vfio_iommu_type1 failed"
	_d=$1; shift
	# devtmpfs makes /dev/vfio/N a moment after the bind: wait for it (up to 5 s), as a VMM would
	_g=$(readlink /sys/bus/*/devices/"$_d"/iommu_group 2>/dev/null | head -n 1)
	_n=50
	while [ -n "$_g" ] && [ ! -e "/dev/vfio/${_g##*/}" ] && [ "$_n" -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	_out=$(vfio-open "$@" "$_d" 2>&1) || fail "vfio-open $_d: $_out"
	ok "$_out"
}
vm_load_vfio_platform() {
	modprobe vfio-platform || fail "modprobe vfio-platform failed"
	[ "$(cat /sys/module/vfio_platform/parameters/reset_required 2>/dev/null)" = N ] ||
		fail "vfio_platform reset_required is not N (modprobe.d?)"
}

# --- udev -------------------------------------------------------------------------
vm_start_udevd() {
	/lib/systemd/systemd-udevd --daemon --resolve-names=never || fail "systemd-udevd did not start"
	udevadm control --ping --timeout=10 >/dev/null 2>&1 || fail "systemd-udevd does not answer"
}
vm_coldplug() { # what systemd-udev-trigger.service + udevadm settle do
	_c0=$(uptime_s)
	udevadm trigger --type=subsystems --action=add
	udevadm trigger --type=devices --action=add
	udevadm settle --timeout=60 || fail "udevadm settle timed out"
	info "udev coldplug: $(echo "$(uptime_s) $_c0" | awk '{printf "%.1f", $1 - $2}') s (uptime $(uptime_s))"
}
vm_boot() { # udevd plus coldplug: the native drivers are bound afterwards
	vm_start_udevd
	vm_coldplug
}

# --- the hotplug test module -----------------------------------------------------------
vm_hotplug_add() { insmod "$MODDIR/extra/vmtest_hotplug.ko" || fail "insmod vmtest_hotplug failed"; }
vm_hotplug_remove() { rmmod vmtest_hotplug || fail "rmmod vmtest_hotplug failed"; }

# --- the project's programs ------------------------------------------------------------
BINDD_LOG=/tmp/bindd.log
vm_policy() { # NAME: policy drop-in from stdin
	mkdir -p "$POLICY_DIR"
	chmod 0755 "$POLICY_DIR"
	cat >"$POLICY_DIR/$1.conf"
	chmod 0644 "$POLICY_DIR/$1.conf"
}
vm_bindd_start() { # [ARGS...]: the daemon in the background, log in $BINDD_LOG
	vfio-platform-bindd "$@" >>"$BINDD_LOG" 2>&1 &
	echo $! >/tmp/bindd.pid
	uptime_s >/tmp/bindd.start
	info "vfio-platform-bindd started (pid $!) at uptime $(uptime_s)"
}
# vm_expect_all DRV SECONDS DEV...: every DEV ends bound to DRV; reports the
# time since the daemon's start
vm_expect_all() {
	_drv=$1 _secs=$2
	shift 2
	for _d in "$@"; do
		vm_wait_driver "$_d" "$_drv" "$_secs" ||
			fail "$_d: expected driver $_drv, have: $(vm_state "$_d")"
	done
	_t=$(cat /tmp/bindd.start 2>/dev/null || echo 0)
	info "${VM_NAME:-?}: $# device(s) on $_drv $(echo "$(uptime_s) $_t" | awk '{printf "%.2f", $1 - $2}') s after the daemon's start: $*"
	ok "$* bound to $_drv"
}
vm_bindd_pid() { cat /tmp/bindd.pid 2>/dev/null; }
vm_bindd_running() { # (a dead child stays a zombie until waited for: look at its state)
	_p=$(vm_bindd_pid) && [ -n "$_p" ] && [ -r "/proc/$_p/status" ] &&
		! grep -q '^State:[[:space:]]*Z' "/proc/$_p/status"
}
# vm_bindd_stop [SIGNAL=TERM]: stop the daemon; on TERM (and INT) it must exit
# cleanly with status 0; on KILL, 137 is expected
vm_bindd_stop() {
	_sig=${1:-TERM}
	_p=$(vm_bindd_pid) || return 0
	[ -n "$_p" ] || return 0
	kill -"$_sig" "$_p" 2>/dev/null
	( sleep 10; kill -KILL "$_p" 2>/dev/null ) &
	_w=$!
	wait "$_p"
	_rc=$?
	kill "$_w" 2>/dev/null
	rm -f /tmp/bindd.pid
	info "vfio-platform-bindd exited with status $_rc after SIG$_sig"
	case $_sig in
	TERM|INT) [ "$_rc" = 0 ] || fail "vfio-platform-bindd: exit status $_rc after SIG$_sig (expected a clean exit, 0)" ;;
	esac
}
# vm_need_verb PROGRAM VERB: skip the scenario while PROGRAM lacks the command
vm_need_verb() {
	"$1" --help 2>&1 | grep -qE "^ +$2( |\$)" || skip "$1 has no '$2' command yet"
}

# --- systemd as PID 1 (scenarios with "# vmtest-init: systemd") ---------------------------
vm_systemd() { [ -d /run/systemd/system ]; }
vm_sd() { # UNIT PROPERTY -> its value (systemctl show -P, or the snapshot vm_sd_snap took)
	if [ -f "/tmp/vmsd/$1" ]; then
		sed -n "s/^$2=//p" "/tmp/vmsd/$1" | head -n 1
	else
		systemctl show -P "$2" "$1" 2>/dev/null
	fi
}
# vm_sd_snap UNIT...: one `systemctl show` per unit for the checks that follow (each
# systemctl run costs up to seconds under TCG); vm_sd_snap with no unit drops the snapshots
vm_sd_snap() {
	rm -rf /tmp/vmsd
	[ $# -gt 0 ] || return 0
	mkdir -p /tmp/vmsd
	for _u in "$@"; do systemctl show "$_u" >"/tmp/vmsd/$_u" 2>/dev/null; done
}
vm_sd_state() { echo "$1: $(vm_sd "$1" ActiveState)/$(vm_sd "$1" SubState) result=$(vm_sd "$1" Result) NRestarts=$(vm_sd "$1" NRestarts)"; }
# vm_sd_wait UNIT STATE [SECONDS=10]: wait until ActiveState is STATE (read live)
vm_sd_wait() {
	_end=$(awk -v t="${3:-10}" '{ print int($1 + t) }' /proc/uptime)
	while :; do
		[ "$(systemctl show -P ActiveState "$1" 2>/dev/null)" = "$2" ] && return 0
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}
vm_sd_expect() { # UNIT PROPERTY VALUE
	_v=$(vm_sd "$1" "$2")
	[ "$_v" = "$3" ] || fail "$1: $2=$_v, expected $3 ($(vm_sd_state "$1"))"
	ok "$1: $2=$3"
}
# vm_sd_blame UNIT...: systemd-analyze blame's lines for these units, as INFO, and their times
# in seconds as one METRIC line (the host prints it under the result); vm_sd_blame_secs UNIT
# gives one of them afterwards (empty when blame did not list it)
vm_sd_blame() {
	# (only once the boot has finished: no job left)
	timeout 30 systemctl is-system-running --wait >/dev/null 2>&1
	systemd-analyze blame --no-pager >/tmp/blame.txt 2>&1
	: >/tmp/blame.secs
	_m=""
	for _u in "$@"; do
		_l=$(awk -v u="$_u" '$NF == u' /tmp/blame.txt | sed 's/^ *//' | head -n 1)
		info "blame: ${_l:-$_u not listed}"
		# "1min 2.5s", "850ms", "120us": the words before the unit's name, summed in seconds
		_s=$(echo "$_l" | awk '{ t = 0; for (i = 1; i < NF; i++) { v = $i + 0
			if ($i ~ /min$/) t += v * 60; else if ($i ~ /ms$/) t += v / 1000
			else if ($i ~ /(us|µs)$/) t += v / 1000000; else if ($i ~ /h$/) t += v * 3600
			else t += v }
			if (NF > 1) printf "%.3f", t }')
		echo "$_u $_s" >>/tmp/blame.secs
		_m="$_m $_u=${_s:-?}s"
	done
	vm_metric "blame$_m"
	info "$(systemd-analyze time 2>/dev/null | head -1)"
}
vm_sd_blame_secs() { awk -v u="$1" '$1 == u { print $2 }' /tmp/blame.secs 2>/dev/null; }
# vm_metric TEXT: a measured figure, printed by the host under the scenario's result (and so in
# CI's output); never asserted on
vm_metric() { echo "VMTEST METRIC ${VM_NAME:-?}: $*"; }

# --- runner (called by /init) -------------------------------------------------------------
vm_diag() {
	echo "---- diagnostics ----"
	for _d in $DEV_RNG_A $DEV_RNG_B $DEV_RNG_NOIOMMU $DEV_EMPTY_A $DEV_EMPTY_B $DEV_EMPTY_NOIOMMU \
		$DEV_FWCFG $DEV_SOC $DEV_HP; do
		vm_exists "$_d" && echo "state: $(vm_state "$_d")"
	done
	for _d in $(vm_pci_devices); do echo "state: $(vm_bus_state pci "$_d")"; done
	lsmod | sed 's/^/lsmod: /'
	[ -s "$BINDD_LOG" ] && tail -n 60 "$BINDD_LOG" | sed 's/^/bindd: /'
	if vm_systemd; then
		systemctl --no-pager list-units --failed 2>&1 | sed 's/^/systemd: /'
		journalctl -b --no-pager -o short-monotonic -u vfio-platform-bindd.service \
			-u vfio-platform-bind-early.service 2>&1 | tail -n 60 | sed 's/^/bindd: /'
	fi
	dmesg | tail -n 80 | sed 's/^/dmesg: /'
	echo "---- end of diagnostics ----"
}

vm_install_project() { # the cross-built install tree, copied over /
	[ -d /vmtest/project ] || return 1
	cp -a /vmtest/project/. /
}

vm_main() {
	VM_NAME=$(sed -n 's/.*vmtest\.scenario=\([^ ]*\).*/\1/p' /proc/cmdline)
	_timeout=$(sed -n 's/.*vmtest\.timeout=\([0-9]*\).*/\1/p' /proc/cmdline)
	echo "VMTEST BEGIN $VM_NAME uptime=$(uptime_s)"
	_f=/vmtest/scenarios/$VM_NAME.sh
	_res=FAIL
	rm -f /tmp/vmtest.reason
	if [ ! -f "$_f" ]; then
		echo "no scenario file $_f" >/tmp/vmtest.reason
	else
		_req=$(sed -n 's/^# vmtest-requires://p' "$_f")
		_missing=""
		for _p in $_req; do
			# busybox guest: in the install tree; systemd guest: installed in the root
			[ -n "$(find /vmtest/project -name "$_p" -type f 2>/dev/null)" ] ||
				command -v "$_p" >/dev/null || _missing="$_missing $_p"
		done
		if [ -n "$_missing" ]; then
			_res=SKIP
			echo "not built:$_missing" >/tmp/vmtest.reason
		else
			[ -n "$_req" ] && vm_install_project
			_t0=$(uptime_s)
			VM_NAME=$VM_NAME timeout -s KILL "${_timeout:-120}" \
				sh -c ". /vmtest/lib.sh; . $_f; run" </dev/null
			_rc=$?
			info "$VM_NAME: scenario ran $(echo "$(uptime_s) $_t0" | awk '{printf "%.1f", $1 - $2}') s"
			case $_rc in
			0) _res=PASS ;;
			77) _res=SKIP ;;
			137) [ -s /tmp/vmtest.reason ] || echo "killed after ${_timeout:-120} s (guest timeout)" >/tmp/vmtest.reason ;;
			*) [ -s /tmp/vmtest.reason ] || echo "scenario exited with status $_rc" >/tmp/vmtest.reason ;;
			esac
			# A kernel oops or warning fails the scenario whatever it checked.
			if [ "$_res" != SKIP ] && dmesg | grep -qE 'Internal error:|BUG:|WARNING:|Kernel panic|Call trace:'; then
				[ "$_res" = PASS ] && echo "kernel oops/warning in dmesg" >/tmp/vmtest.reason
				_res=FAIL
			fi
		fi
	fi
	[ "$_res" = FAIL ] && vm_diag
	case $_res in
	PASS) echo "VMTEST PASS $VM_NAME" ;;
	*) echo "VMTEST $_res $VM_NAME: $(cat /tmp/vmtest.reason 2>/dev/null)" ;;
	esac
	echo "VMTEST END $VM_NAME uptime=$(uptime_s)"
	sync
	poweroff -f
}
