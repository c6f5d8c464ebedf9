# vmtest-requires: vfio-platform-bindd vfio-platform-bindctl
# vmtest-description: the daemon confined as vfio-platform-bindd.service confines it
#   (no systemd here: unshare + mounts + util-linux setpriv): bounding set
#   CAP_SYS_MODULE, no_new_privs, / read-only but the RuntimeDirectory (/run/cdi
#   too), /run/udev/rules.d and the metrics directory, /sys writable, private /tmp, minimal read-only /dev,
#   UMask 0077. Coldplug, hotplug, the rules file, vfio_platform loaded by the
#   daemon, the CDI spec with the group nodes' numbers from sysfs (no /dev/vfio
#   in the sandbox), the metrics file, SIGTERM exits 0. Not reproduced: seccomp (SystemCallFilter=,
#   RestrictAddressFamilies=, RestrictNamespaces=, MemoryDenyWriteExecute=, ...),
#   IPAddressDeny= (cgroup BPF), DevicePolicy, ProtectProc=, Type=notify.
#
# How the unit's settings are reproduced (enter.sh below, in this order):
#   PrivateMounts=          unshare -m (propagation slave, as systemd)
#   ProtectHostname=        unshare -u
#   RuntimeDirectory=, ReadWritePaths=
#                           created outside (as systemd and ExecStartPre=+ do), then
#                           bind-mounted onto themselves so they stay writable
#   ProtectSystem=strict    every other mount outside /proc, /sys, /dev remounted
#                           read-only (per-mount flag, nosuid/nodev/noexec kept)
#   PrivateTmp=             new tmpfs on /tmp and /var/tmp
#   ProtectHome=            empty tmpfs, mode 000, read-only, on /root (no /home here)
#   PrivateDevices=         tmpfs on /dev: null zero full random urandom tty, a new
#                           devpts instance + ptmx, shm, fd/stdin/stdout/stderr;
#                           then /dev read-only, nosuid, noexec
#   UMask=0077              umask 077
#   CapabilityBoundingSet=CAP_SYS_MODULE, NoNewPrivileges=
#                           setpriv --bounding-set -all,+sys_module --no-new-privs
#                           (util-linux's; busybox's setpriv has no --bounding-set)
#   ProtectKernelLogs=      only through the above: no /dev/kmsg, no CAP_SYSLOG
#                           for /proc/kmsg (no inaccessible bind mount, no seccomp)

SBX=/run/vmtest-sandbox
SETPRIV=/usr/bin/setpriv          # util-linux's (/bin/setpriv is busybox's applet)
UNIT=/lib/systemd/system/vfio-platform-bindd.service
RULES=/run/udev/rules.d/60-vfio-platform-bind.rules
CAP_SYS_MODULE_MASK=0000000000010000   # 1 << 16

sbx_write_scripts() {
	mkdir -p "$SBX"
	cat >"$SBX/enter.sh" <<-'EOF'
	# enter.sh PROGRAM [ARGS...]: run under "unshare -m -u --propagation slave";
	# sets up the unit's mounts, then execs PROGRAM through setpriv (same PID).
	set -e
	err() { echo "sandbox: $*" >&2; exit 126; }
	RW="/run/vfio-platform-bindd /run/cdi /run/udev/rules.d /var/lib/prometheus/node-exporter"
	for p in $RW; do mount --bind "$p" "$p" || err "bind mount $p"; done
	mounts=$(cat /proc/self/mounts)
	while read -r _dev mp _type opts _rest; do
		case $mp in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac
		case " $RW " in *" $mp "*) continue ;; esac
		keep=""
		for o in nosuid nodev noexec; do
			case ",$opts," in *",$o,"*) keep="$keep,$o" ;; esac
		done
		mount -o "remount,bind,ro$keep" "$mp" || err "read-only remount of $mp"
	done <<-EOM
	$mounts
	EOM
	for d in /tmp /var/tmp; do
		mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d" || err "PrivateTmp $d"
	done
	for d in /root /home /run/user; do
		[ -d "$d" ] || continue
		mount -t tmpfs -o ro,mode=000,nosuid,nodev,noexec tmpfs "$d" || err "ProtectHome $d"
	done
	mount -t tmpfs -o mode=755,nosuid,noexec tmpfs /dev || err "PrivateDevices tmpfs"
	mkdev() { mknod -m 666 "/dev/$1" c "$2" "$3" || err "mknod /dev/$1"; }
	mkdev null 1 3; mkdev zero 1 5; mkdev full 1 7
	mkdev random 1 8; mkdev urandom 1 9; mkdev tty 5 0
	mkdir -m 755 /dev/pts
	mount -t devpts -o newinstance,ptmxmode=0666,mode=620,nosuid,noexec devpts /dev/pts || err "devpts"
	ln -s pts/ptmx /dev/ptmx
	mkdir -m 1777 /dev/shm
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm || err "/dev/shm"
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
	mount -o remount,bind,ro,nosuid,noexec /dev || err "read-only /dev"
	umask 077
	exec /usr/bin/setpriv --bounding-set -all,+sys_module --inh-caps -all --no-new-privs -- "$@"
	EOF
	cat >"$SBX/probe.sh" <<-'EOF'
	# What a process in the sandbox sees; one "key value" per line.
	st() { sed -n "s/^$1:[[:space:]]*//p" /proc/self/status; }
	echo "uid $(id -u)"
	echo "capbnd $(st CapBnd)"
	echo "capeff $(st CapEff)"
	echo "nnp $(st NoNewPrivs)"
	echo "umask $(st Umask)"
	for f in /probe /etc/probe /lib/probe /usr/probe /var/probe /vmtest/probe /run/probe \
		/run/udev/probe /run/vfio-platform-bindd/probe /run/udev/rules.d/probe /tmp/probe /var/tmp/probe; do
		if (: >"$f") 2>/dev/null; then echo "write $f ok $(stat -c %a "$f")"; rm -f "$f"
		else echo "write $f denied"; fi
	done
	[ -w /sys/bus/platform/drivers_probe ] && echo "sysw yes" || echo "sysw no"
	echo "dev $(ls -A /dev | tr '\n' ' ')"
	echo "tmp $( (ls -A /tmp; ls -A /var/tmp) | tr '\n' ' ')"
	ls -A /root >/dev/null 2>&1 && echo "home readable" || echo "home denied"
	hostname sandboxed 2>/dev/null && echo "hostname changed" || echo "hostname denied"
	(: >/dev/probe) 2>/dev/null && echo "devw yes" || echo "devw no"
	EOF
}

# sbx_run PROGRAM [ARGS...]: PROGRAM in the sandbox, in the foreground
sbx_run() { unshare -m -u --propagation slave sh "$SBX/enter.sh" "$@"; }

# sbx_bindd_start: vm_bindd_start in the sandbox (unshare, sh, setpriv exec: $! is the daemon)
sbx_bindd_start() {
	unshare -m -u --propagation slave sh "$SBX/enter.sh" vfio-platform-bindd >>"$BINDD_LOG" 2>&1 &
	echo $! >/tmp/bindd.pid
	uptime_s >/tmp/bindd.start
	info "vfio-platform-bindd started in the sandbox (pid $!) at uptime $(uptime_s)"
}

# probe_expect KEY VALUE
probe_expect() {
	_v=$(while IFS= read -r _l; do case $_l in "$1 "*) echo "${_l#"$1 "}" ;; esac; done </tmp/probe.out)
	[ "$_v" = "$2" ] || fail "sandbox probe: $1 is '$_v', expected '$2'"
}

# mnt_opts PID MOUNTPOINT: per-mount options of the topmost mount there
mnt_opts() { awk -v mp="$2" '$5 == mp { o = $6 } END { print o }' "/proc/$1/mountinfo"; }

run() {
	[ -x "$SETPRIV" ] && "$SETPRIV" --help 2>&1 | grep -q -- --bounding-set ||
		fail "util-linux setpriv missing at $SETPRIV (tests/vm/prepare.sh puts it in the guest)"
	# The settings reproduced here must still be the unit's.
	for l in ProtectSystem=strict ReadWritePaths=-/run/udev/rules.d "RuntimeDirectory=vfio-platform-bindd cdi" \
		ReadWritePaths=-/var/lib/prometheus/node-exporter \
		PrivateTmp=yes PrivateDevices=yes PrivateMounts=yes ProtectHome=yes ProtectHostname=yes \
		NoNewPrivileges=yes CapabilityBoundingSet=CAP_SYS_MODULE UMask=0077; do
		grep -qx "$l" "$UNIT" || fail "$UNIT has no line '$l' any more: update this scenario"
	done
	ok "the unit still sets what this scenario reproduces"

	vm_boot
	[ -d /sys/module/vfio_platform ] && fail "vfio_platform loaded before the daemon"
	vm_policy 50-vmtest <<-EOF2
	[protect]
	device = $DEV_RNG_B
	action = ignore

	[targets]
	device = $DEV_RNG_A
	device = $DEV_EMPTY_A
	device = $DEV_RNG_B
	driver = vfio-platform

	[hotplug]
	device = $DEV_HP
	EOF2
	vfio-platform-bindctl check >/tmp/check.log 2>&1 || fail "bindctl check: $(cat /tmp/check.log)"
	ok "vfio-platform-bindctl check accepts the policy"
	# RuntimeDirectory= (mode 0755) and ExecStartPre=+/bin/mkdir -p /run/udev/rules.d
	mkdir -p /run/udev/rules.d
	mkdir -p -m 0755 /run/vfio-platform-bindd /run/cdi
	mkdir -p /var/lib/prometheus/node-exporter
	[ -e "$RULES" ] && fail "$RULES exists before the daemon's start"
	sbx_write_scripts

	# 1. the sandbox itself, seen from inside
	sbx_run sh "$SBX/probe.sh" >/tmp/probe.out 2>&1 || fail "sandbox probe failed: $(cat /tmp/probe.out)"
	while read -r l; do info "sandbox probe: $l"; done </tmp/probe.out
	probe_expect uid 0
	probe_expect capbnd "$CAP_SYS_MODULE_MASK"
	probe_expect capeff "$CAP_SYS_MODULE_MASK"
	probe_expect nnp 1
	probe_expect umask 0077
	for f in /probe /etc/probe /lib/probe /usr/probe /var/probe /vmtest/probe /run/probe /run/udev/probe; do
		probe_expect "write $f" denied
	done
	for f in /run/vfio-platform-bindd/probe /run/udev/rules.d/probe /tmp/probe /var/tmp/probe; do
		probe_expect "write $f" "ok 600"
	done
	probe_expect sysw yes
	probe_expect dev "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "
	probe_expect tmp ""
	probe_expect home denied
	probe_expect devw no
	probe_expect hostname denied
	[ "$(hostname)" != sandboxed ] || fail "the sandbox changed the guest's hostname"
	ok "sandbox: uid 0, bounding set CAP_SYS_MODULE only, no_new_privs, umask 0077, / read-only but the RuntimeDirectory and /run/udev/rules.d, /sys writable, private /tmp, minimal read-only /dev, /root hidden"

	# 2. the daemon in it
	sbx_bindd_start
	_p=$(vm_bindd_pid)
	vm_expect_all vfio-platform 15 "$DEV_RNG_A" "$DEV_EMPTY_A"
	vm_bindd_running || fail "the daemon exited: $(tail -5 "$BINDD_LOG" | tr '\n' '|')"
	grep -q '^Name:[[:space:]]*vfio-platform-b' "/proc/$_p/status" || fail "pid $_p is not the daemon: $(head -1 "/proc/$_p/status")"
	for k in CapBnd CapEff CapPrm; do
		grep -qx "$k:[[:space:]]*$CAP_SYS_MODULE_MASK" "/proc/$_p/status" ||
			fail "daemon $(grep "^$k:" "/proc/$_p/status"), expected $CAP_SYS_MODULE_MASK"
	done
	grep -qx 'NoNewPrivs:[[:space:]]*1' "/proc/$_p/status" || fail "daemon without no_new_privs"
	grep -qx 'Umask:[[:space:]]*0077' "/proc/$_p/status" || fail "daemon: $(grep '^Umask:' "/proc/$_p/status")"
	grep -q '^Uid:[[:space:]]*0[[:space:]]' "/proc/$_p/status" || fail "daemon not root: $(grep '^Uid:' "/proc/$_p/status")"
	[ "$(readlink "/proc/$_p/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] || fail "daemon in the guest's mount namespace"
	for m in / /run /dev; do
		_o=$(mnt_opts "$_p" "$m")
		case $_o in ro,*|ro) ;; *) fail "daemon's mount $m is '$_o', expected read-only" ;; esac
	done
	for m in /run/vfio-platform-bindd /run/cdi /run/udev/rules.d /sys /tmp /var/tmp; do
		_o=$(mnt_opts "$_p" "$m")
		case $_o in rw,*|rw) ;; *) fail "daemon's mount $m is '$_o', expected read-write" ;; esac
	done
	ok "daemon (pid $_p) runs confined: CapBnd/CapEff/CapPrm $CAP_SYS_MODULE_MASK, NoNewPrivs 1, Umask 0077, own mount namespace, / /run /dev read-only"

	# coldplug, as in coldplug.sh
	vm_expect_override "$DEV_RNG_A" vfio-platform
	vm_expect_override "$DEV_EMPTY_A" vfio-platform
	vm_expect_driver "$DEV_RNG_B" virtio-mmio 1          # ignored
	vm_expect_override "$DEV_RNG_B" "(null)"
	vm_expect_driver "$DEV_RNG_NOIOMMU" virtio-mmio 1    # not selected
	vm_expect_override "$DEV_RNG_NOIOMMU" "(null)"
	# CAP_SYS_MODULE: nothing but the daemon loaded vfio_platform
	[ -d /sys/module/vfio_platform ] || fail "vfio_platform not loaded"
	ok "the confined daemon loaded vfio_platform (CAP_SYS_MODULE, libkmod, read-only /lib/modules)"
	vm_vfio_open "$DEV_RNG_A" -e "$VIRTIO_MAGIC"
	vm_vfio_open "$DEV_EMPTY_A" -e "$VIRTIO_MAGIC"

	# the CDI spec, through RuntimeDirectory=: no /dev/vfio in the sandbox, so the
	# numbers come from /sys/class/vfio; they must be the real nodes' numbers
	_spec=/run/cdi/vfio-platform-bindd.io-platform.json
	_n=50
	while [ ! -s "$_spec" ] && [ "$_n" -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	[ -s "$_spec" ] || fail "the daemon did not write $_spec"
	for _d in "$DEV_RNG_A" "$DEV_EMPTY_A"; do
		_g=/dev/vfio/$(vm_group "$_d")
		_mm="\"major\": $(printf '%d' "0x$(stat -c %t "$_g")"), \"minor\": $(printf '%d' "0x$(stat -c %T "$_g")")"
		grep -qF "{ \"path\": \"$_g\", \"type\": \"c\", $_mm }" "$_spec" ||
			fail "$_spec lacks $_g with $_mm: $(grep -F "\"$_g\"" "$_spec")"
		grep -qF "\"name\": \"$_d\"" "$_spec" || fail "$_spec does not name $_d"
	done
	ok "the confined daemon wrote $_spec, group nodes' numbers from sysfs matching /dev/vfio"
	_n=30
	while ! grep -q 'state="bound"} 2$' /var/lib/prometheus/node-exporter/vfio_platform_bindd.prom 2>/dev/null &&
		[ "$_n" -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	grep -q 'vfio_platform_bindd_devices{bus="platform",state="bound"} 2$' \
		/var/lib/prometheus/node-exporter/vfio_platform_bindd.prom || fail "no metrics file with 2 bound devices"
	ok "the confined daemon wrote its metrics through ReadWritePaths="

	# the udev rule, through ReadWritePaths=
	_n=50
	while [ ! -s "$RULES" ] && [ "$_n" -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
	[ -s "$RULES" ] || fail "the daemon did not write $RULES"
	info "rules file: $(stat -c '%a %U:%G %s bytes' "$RULES"); RuntimeDirectory: $(ls -lR /run/vfio-platform-bindd | tr -s ' ' | tr '\n' '|')"
	case $(stat -c %a "$RULES") in ?[0145][0145]) ;; *) fail "$RULES is writable by group or others: $(stat -c %a "$RULES")" ;; esac
	grep -q "$DEV_RNG_A" "$RULES" || fail "$RULES does not name $DEV_RNG_A: $(tr '\n' '|' <"$RULES")"
	ok "the daemon wrote $RULES ($(stat -c %a "$RULES")) naming $DEV_RNG_A"

	# hotplug, as in hotplug-native-loaded.sh
	vm_hotplug_add
	udevadm settle --timeout=30
	vm_expect_all vfio-platform 15 "$DEV_HP"
	vm_vfio_open "$DEV_HP" -e "$VIRTIO_MAGIC"
	vm_hotplug_remove
	udevadm settle --timeout=30
	sleep 1
	vm_bindd_running || fail "the daemon exited after the remove"
	ok "hotplug add ended on vfio-platform; remove: daemon still running"

	# anything the sandbox refused shows in the log
	grep -iE 'read-only|denied|not permitted|EROFS|EPERM|EACCES' "$BINDD_LOG" |
		while read -r l; do info "bindd log (sandbox?): $l"; done
	vm_bindd_stop TERM
	vm_expect_driver "$DEV_RNG_A" vfio-platform 1        # SIGTERM: bindings stay
	vm_expect_driver "$DEV_EMPTY_A" vfio-platform 1
}
