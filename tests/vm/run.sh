#!/bin/bash
# Boot the arm64 guest under qemu-system-aarch64 (TCG) once per scenario and
# report.  Last line: "N passed, N failed, N skipped"; exit 1 on any failure
# (a boot that fails or times out is a failure).
#
#   tests/vm/run.sh [options] [SCENARIO...]      (default: every scenario)
#     --install-tree DIR  the project's programs, already cross-built for
#                         arm64 (make DESTDIR=DIR install, --prefix=/usr
#                         --sysconfdir=/etc); default: cross-build them here
#     --no-build          do not cross-build the project (its scenarios skip)
#     --deb FILE          systemd guests: install this arm64 .deb (tools/build-deb.sh
#                         --arch arm64) instead of the install tree (default: $VM_DEB
#                         when set; without either they install the install tree, and
#                         the summary says so)
#     --require-project   a missing or failing project build is a failure,
#                         not a skip
#     -j N                boots in parallel (default: number of cores)
#     --timeout S         hard limit for one boot (default 150; times the
#                         scenario's vmtest-timeout-factor)
#     --no-prepare        do not run prepare.sh first
#     --out DIR           logs (default $VM_CACHE/run)
#     --list              list the scenarios and exit
#     --shell             boot the guest with an interactive shell (no test)
# Scenario headers (see README.md): vmtest-init: busybox|systemd|initramfs-tools, vmtest-qemu: extra
# qemu-system-aarch64 words, vmtest-cmdline: extra kernel command-line words.
# Environment: VM_CACHE (default /var/cache/vfio-platform-bindd-vm), VM_DEB (as --deb).
set -euo pipefail
LOG_PREFIX=run
. "$(dirname "$0")/lib/common.sh"

DEB=${VM_DEB:-} INSTALL_TREE="" BUILD=1 REQUIRE=0 JOBS=$(nproc) TIMEOUT=150 PREPARE=1 OUTDIR="" LIST=0 SHELL_MODE=0
SCEN=()
while [ $# -gt 0 ]; do
	case $1 in
	--install-tree) INSTALL_TREE=$(cd "$2" && pwd); shift ;;
	--install-tree=*) INSTALL_TREE=$(cd "${1#*=}" && pwd) ;;
	--no-build) BUILD=0 ;;
	--deb) DEB=$2; shift ;;
	--deb=*) DEB=${1#*=} ;;
	--require-project) REQUIRE=1 ;;
	-j) JOBS=$2; shift ;;
	-j*) JOBS=${1#-j} ;;
	--timeout) TIMEOUT=$2; shift ;;
	--no-prepare) PREPARE=0 ;;
	--out) OUTDIR=$2; shift ;;
	--list) LIST=1 ;;
	--shell) SHELL_MODE=1 ;;
	-h|--help) sed -n '2,25p' "$0"; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) SCEN+=("$1") ;;
	esac
	shift
done

scenario_names() { local f; for f in "$VM_DIR"/scenarios/*.sh; do basename "$f" .sh; done; }
header() { sed -n "s/^# vmtest-$2: *//p" "$VM_DIR/scenarios/$1.sh" | head -1; }
if [ "$LIST" = 1 ]; then
	for s in $(scenario_names); do
		printf '%-22s %s\n' "$s" "$(header "$s" description)"
	done
	exit 0
fi
[ ${#SCEN[@]} -gt 0 ] || mapfile -t SCEN < <(scenario_names)
for s in "${SCEN[@]}"; do [ -f "$VM_DIR/scenarios/$s.sh" ] || die "no scenario $s"; done
if [ -n "$DEB" ]; then
	[ -f "$DEB" ] || die "no package $DEB (--deb or VM_DEB)"
	DEB=$(realpath "$DEB")
fi
# What the systemd guests install, said at the start and in the summary.
sd_scen=0
for s in "${SCEN[@]}"; do [ "$(header "$s" init)" != systemd ] || sd_scen=1; done
SD_NOTE=""
if [ "$sd_scen" = 1 ] && [ -n "$DEB" ]; then
	SD_NOTE="systemd guests: the package $(basename "$DEB") installed ($DEB)"
elif [ "$sd_scen" = 1 ]; then
	SD_NOTE="systemd guests: no package given (--deb or VM_DEB), so the install tree of the cross-build instead of the .deb"
fi
[ -z "$SD_NOTE" ] || log "$SD_NOTE"

T0=$(date +%s)
[ "$PREPARE" = 0 ] || "$VM_DIR/prepare.sh"
[ -f "$VM_CACHE/out/prepared.env" ] || die "not prepared: run tests/vm/prepare.sh"
. "$VM_CACHE/out/prepared.env"
OUTDIR=${OUTDIR:-$VM_CACHE/run}
rm -rf "$OUTDIR"; mkdir -p "$OUTDIR/logs"

# --- the project's programs, cross-built for arm64 -------------------------------------
PROJECT_TREE="" PROJECT_NOTE=""
cross_build() {
	local p=$OUTDIR/project src build dest
	src=$p/src build=$p/build dest=$p/dest
	rm -rf "$p"; mkdir -p "$src" "$build" "$dest"
	# The source as the developer has it (tracked and untracked files, not
	# the ignored ones), never touching the work tree.
	if git -C "$SRC_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$SRC_ROOT" && git ls-files -z -co --exclude-standard | xargs -0 -r cp --parents -a -t "$src" 2>/dev/null) || true
	else
		(cd "$SRC_ROOT" && tar -c --exclude=.git .) | tar -x -C "$src"
	fi
	local sr=$VM_CACHE/cross lib=lib/$TRIPLET
	{
		cd "$src" &&
		if [ -x autogen.sh ]; then ./autogen.sh; else autoreconf -fi; fi &&
		cd "$build" &&
		# pkg-config and the compiler look into the sysroot of arm64 -dev
		# packages that prepare.sh extracted (nothing :arm64 is installed).
		PKG_CONFIG=pkg-config PKG_CONFIG_SYSROOT_DIR="$sr" \
		PKG_CONFIG_LIBDIR="$sr/usr/$lib/pkgconfig:$sr/usr/share/pkgconfig" \
		"$src/configure" --host="$TRIPLET" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
			--disable-tests --with-udevrulesdir=/lib/udev/rules.d \
			--with-systemdsystemunitdir=/lib/systemd/system \
			CPPFLAGS="-I$sr/usr/include" \
			LDFLAGS="-L$sr/usr/$lib -L$sr/$lib -Wl,-rpath-link,$sr/$lib:$sr/usr/$lib" &&
		make -j"$(nproc)" &&
		make install DESTDIR="$dest"
	} >"$p/build.log" 2>&1
}
if [ -n "$INSTALL_TREE" ]; then
	PROJECT_TREE=$INSTALL_TREE
elif [ "$BUILD" = 0 ]; then
	PROJECT_NOTE="project not built (--no-build)"
elif [ ! -f "$SRC_ROOT/configure.ac" ]; then
	PROJECT_NOTE="no configure.ac in $SRC_ROOT yet"
else
	log "cross-building the project (./configure --host=$TRIPLET), log: $OUTDIR/project/build.log"
	if (cross_build); then
		PROJECT_TREE=$OUTDIR/project/dest
		log "project cross-built in $(( $(date +%s) - T0 )) s since start"
	else
		PROJECT_NOTE="cross-build failed, see $OUTDIR/project/build.log"
		tail -n 15 "$OUTDIR/project/build.log" | sed 's/^/  build: /' >&2
	fi
fi
if [ -n "$PROJECT_NOTE" ]; then
	log "project scenarios will be skipped: $PROJECT_NOTE"
	[ "$REQUIRE" = 0 ] || log "--require-project: they count as failures"
fi

# --- initramfs: the cached base + an overlay with the harness and the project -----------
ov=$OUTDIR/overlay
mkdir -p "$ov/vmtest/bin" "$ov/vmtest/scenarios"
install -m 0755 "$VM_DIR/guest/init" "$ov/init"
install -m 0644 "$VM_DIR/guest/lib.sh" "$ov/vmtest/lib.sh"
install -m 0644 "$VM_DIR"/scenarios/*.sh "$ov/vmtest/scenarios/"
install -m 0755 "$VFIO_OPEN" "$ov/vmtest/bin/vfio-open"
if [ -n "$PROJECT_TREE" ]; then
	mkdir -p "$ov/vmtest/project"
	cp -a "$PROJECT_TREE/." "$ov/vmtest/project/"
fi
pack_cpio() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet); }
pack_cpio "$ov" >"$OUTDIR/overlay.cpio"
cat "$BASE_CPIO" "$OUTDIR/overlay.cpio" >"$OUTDIR/initrd.cpio"

# systemd_initrd SCENARIO: the systemd guest's root plus the project installed as a user
# would (the install tree copied over /, the scenario's boot policy in
# /etc/vfio-platform-bind.d/, "systemctl --root enable vfio-platform-bindd" from the host)
# and the test unit, which runs the scenario once multi-user.target is reached.
systemd_initrd() {
	local s=$1 st=$OUTDIR/systemd/$1 p
	rm -rf "$st"; mkdir -p "$st/stage/usr"/{bin,sbin,lib}
	st=$st/stage
	# the base root is merged-/usr: the install tree's /lib and /sbin land in /usr
	for p in bin sbin lib; do ln -s "usr/$p" "$st/$p"; done
	[ -n "$DEB" ] || tar -C "$PROJECT_TREE" -c . | tar -x --keep-directory-symlink -C "$st"
	cp -a "$ov/vmtest" "$st/vmtest"
	if [ -n "$DEB" ]; then
		# the package's files, then what its postinst does in an image (dh_installsystemd:
		# "deb-systemd-helper enable" of both units; no start: nothing runs yet)
		dpkg-deb --fsys-tarfile "$DEB" | tar -x --keep-directory-symlink -C "$st" ||
			die "$s: cannot extract $DEB"
		systemctl --root="$st" enable vfio-platform-bind-early.service vfio-platform-bindd.service \
			>"$st/../postinst.log" 2>&1 || { cat "$st/../postinst.log" >&2; die "$s: enabling the package's units failed"; }
	fi
	rm -rf "$st/vmtest/project"
	if grep -q '^boot_policy()' "$VM_DIR/scenarios/$s.sh"; then
		mkdir -p "$st/etc/vfio-platform-bind.d"
		bash -c '. "$1"; . "$2"; boot_policy' sh "$VM_DIR/guest/lib.sh" "$VM_DIR/scenarios/$s.sh" \
			>"$st/etc/vfio-platform-bind.d/50-vmtest.conf" || die "$s: boot_policy failed"
		chmod 0644 "$st/etc/vfio-platform-bind.d/50-vmtest.conf"
	fi
	mkdir -p "$st/etc/systemd/system"
	cat >"$st/etc/systemd/system/vmtest.service" <<-'EOF'
	[Unit]
	Description=VM test scenario (tests/vm)
	After=multi-user.target vmtest-consumer.service

	[Service]
	# not oneshot: the boot must finish while the test runs (systemd-analyze needs that)
	Type=exec
	Environment=PATH=/usr/sbin:/usr/bin:/sbin:/bin:/vmtest/bin HOME=/root TERM=dumb
	ExecStart=/bin/sh -c '. /vmtest/lib.sh; vm_main'
	StandardOutput=tty
	StandardError=tty
	TTYPath=/dev/ttyAMA0

	[Install]
	WantedBy=multi-user.target
	EOF
	# what a user of the devices (a VMM) does, as vfio-platform-bind.target says
	cat >"$st/etc/systemd/system/vmtest-consumer.service" <<-'EOF'
	[Unit]
	Description=A user of the bound devices (tests/vm)
	Requires=vfio-platform-bind.target
	After=vfio-platform-bind.target

	[Service]
	Type=oneshot
	RemainAfterExit=yes
	ExecStart=/bin/true

	[Install]
	WantedBy=multi-user.target
	EOF
	systemctl --root="$st" enable vfio-platform-bindd.service vmtest.service vmtest-consumer.service >"$st/../enable.log" 2>&1 ||
		{ cat "$st/../enable.log" >&2; die "$s: systemctl --root enable failed"; }
	rm "$st/bin" "$st/sbin" "$st/lib"
	pack_cpio "$st" >"$st/../overlay.cpio"
	cat "$SYSTEMD_CPIO" "$st/../overlay.cpio" >"$st/../initrd.cpio"
}

CMDLINE_BASE="console=ttyAMA0 panic=-1 quiet loglevel=3 iommu.passthrough=1"
QEMU_CMD=(qemu-system-aarch64 "${QEMU_BASE_ARGS[@]}" "${QEMU_DEVICE_ARGS[@]}"
	-kernel "$IMAGE" -initrd "$OUTDIR/initrd.cpio" -dtb "$DTB")

if [ "$SHELL_MODE" = 1 ]; then
	log "interactive guest: 'poweroff -f' to leave (Ctrl-a x kills QEMU)"
	exec "${QEMU_CMD[@]}" -append "$CMDLINE_BASE vmtest.shell=1"
fi

# --- one boot per scenario (repeated as its header says), -j in parallel -----------------
RUNS=()
for s in "${SCEN[@]}"; do
	n=$(header "$s" repeat); n=${n:-1}
	if [ "$n" -le 1 ]; then RUNS+=("$s"); else for i in $(seq 1 "$n"); do RUNS+=("$s#$i"); done; fi
done

# monitor_relay LOG MON ALLOWED: the guest cannot reach QEMU's monitor, so it
# prints "VMTEST QEMU <command>" (lib.sh: vm_qemu) and this loop writes the
# command into the monitor's pipe (MON.in) when its first word is in ALLOWED.
# What it did goes to LOG.relay (QEMU owns LOG while it runs).
monitor_relay() {
	local log=$1 mon=$2 allowed=$3 sent=0 cmd lines
	while sleep 0.2; do
		mapfile -t lines < <(tr -d '\r' <"$log" | grep -a '^VMTEST QEMU ' || true)
		while [ "$sent" -lt "${#lines[@]}" ]; do
			cmd=${lines[$sent]#VMTEST QEMU }
			sent=$((sent + 1))
			case " $allowed " in
			*" ${cmd%% *} "*) printf '%s\n' "$cmd" >"$mon.in"; echo "HOST monitor: $cmd" ;;
			*) echo "HOST monitor: refused (not in vmtest-monitor): $cmd" ;;
			esac >>"$log.relay"
		done
	done
}

boot() { # RUN (scenario or scenario#i)
	local r=$1 s=${1%%#*} log start rc cmd extra allowed mon relay="" reader="" limit
	log=$OUTDIR/logs/${r//#/.}.log
	# "# vmtest-timeout-factor: N": N times --timeout (a PCI boot's coldplug is slow; a systemd
	# guest boots systemd first, and each systemctl run in it costs seconds under TCG)
	limit=$((TIMEOUT * $(header "$s" timeout-factor | grep -xE '[1-9]' || echo 1)))
	# "# vmtest-init: systemd": the systemd guest, with its own initramfs, CPUs, memory and DTB
	if [ "$(header "$s" init)" = systemd ]; then
		cmd=(qemu-system-aarch64 "${QEMU_SYSTEMD_ARGS[@]}" "${QEMU_DEVICE_ARGS[@]}"
			-kernel "$IMAGE" -initrd "$OUTDIR/systemd/$s/initrd.cpio" -dtb "$SYSTEMD_DTB")
	elif [ "$(header "$s" init)" = initramfs-tools ]; then
		# "# vmtest-init: initramfs-tools": the image initramfs-tools.sh built with the hook
		cmd=(qemu-system-aarch64 "${QEMU_BASE_ARGS[@]}" "${QEMU_DEVICE_ARGS[@]}"
			-kernel "$IMAGE" -initrd "$OUTDIR/initramfs-tools/$s/initrd.cpio" -dtb "$DTB")
	else
		cmd=("${QEMU_CMD[@]}")
	fi
	# "# vmtest-qemu: WORDS": appended to the QEMU command line (PCI devices)
	read -ra extra <<<"$(header "$s" qemu)"
	# "# vmtest-monitor: COMMAND...": a monitor on a pipe pair, fed by monitor_relay
	allowed=$(header "$s" monitor)
	if [ -n "$allowed" ]; then
		mon=$OUTDIR/logs/${r//#/.}.mon
		rm -f "$mon.in" "$mon.out" "$log.relay"
		mkfifo "$mon.in" "$mon.out"
		# shellcheck disable=SC2054  # commas of QEMU options
		extra+=(-chardev "pipe,id=vmtestmon,path=$mon" -mon chardev=vmtestmon,mode=readline)
		# what the monitor answers (QEMU opens both pipes O_RDWR)
		cat "$mon.out" >"$mon.log" &
		reader=$!
		monitor_relay "$log" "$mon" "$allowed" &
		relay=$!
	fi
	start=$(date +%s.%N)
	# "# vmtest-cmdline: WORDS": appended to the kernel command line
	timeout --signal=KILL "$limit" "${cmd[@]}" "${extra[@]}" \
		-append "$CMDLINE_BASE vmtest.scenario=$s vmtest.timeout=$((limit - 30)) $(header "$s" cmdline)" \
		</dev/null >"$log" 2>&1 && rc=0 || rc=$?
	if [ -n "$relay" ]; then
		kill "$relay" "$reader" 2>/dev/null; wait "$relay" "$reader" 2>/dev/null || true
		[ ! -f "$log.relay" ] || cat "$log.relay" >>"$log"
		rm -f "$mon.in" "$mon.out" "$log.relay"
	fi
	echo "HOST qemu-exit=$rc seconds=$(echo "$(date +%s.%N) $start" | awk '{printf "%.1f", $1 - $2}')" >>"$log"
}

# A scenario whose "vmtest-requires" programs are not in the install tree is
# skipped without booting (a failure with --require-project).
declare -A SKIPWHY=()
for s in "${SCEN[@]}"; do
	req=$(header "$s" requires)
	[ -n "$req" ] || continue
	[ -z "$DEB" ] || [ "$(header "$s" init)" != systemd ] || continue   # the .deb has them
	if [ -z "$PROJECT_TREE" ]; then SKIPWHY[$s]=$PROJECT_NOTE; continue; fi
	missing=""
	for p in $req; do
		[ -n "$(find "$PROJECT_TREE" -name "$p" \( -type f -o -type l \) 2>/dev/null | head -1)" ] || missing+=" $p"
	done
	[ -z "$missing" ] || SKIPWHY[$s]="not built yet:$missing (install tree $PROJECT_TREE)"
done

# The systemd guests' initramfs, one per scenario (its boot policy is in it).
for s in "${SCEN[@]}"; do
	[ "$(header "$s" init)" = systemd ] || continue
	if [ -z "$PROJECT_TREE" ] && [ -z "$DEB" ]; then
		SKIPWHY[$s]=${SKIPWHY[$s]:-${PROJECT_NOTE:-no install tree}}
		continue
	fi
	[ -n "${SKIPWHY[$s]:-}" ] || systemd_initrd "$s"
done

# The initramfs-tools guests' image, one per scenario (its boot policy goes through the hook).
for s in "${SCEN[@]}"; do
	[ "$(header "$s" init)" = initramfs-tools ] || continue
	[ -n "$PROJECT_TREE" ] || SKIPWHY[$s]=${SKIPWHY[$s]:-${PROJECT_NOTE:-no install tree}}
	[ -z "${SKIPWHY[$s]:-}" ] || continue
	d=$OUTDIR/initramfs-tools/$s
	mkdir -p "$d"
	bash -c '. "$1"; . "$2"; boot_policy' sh "$VM_DIR/guest/lib.sh" "$VM_DIR/scenarios/$s.sh" >"$d/policy.conf" ||
		die "$s: boot_policy failed"
	log "$s: building the initramfs with the project's initramfs-tools hook, log: $d/build.log"
	if ! "$VM_DIR/initramfs-tools.sh" "$d/initrd.cpio" "$PROJECT_TREE" "$d/policy.conf" "$ov/vmtest" >"$d/build.log" 2>&1; then
		tail -n 20 "$d/build.log" >&2
		SKIPWHY[$s]="building its initramfs failed, see $d/build.log"
		[ "$REQUIRE" = 1 ] || continue
	fi
	{ grep -E '^initramfs-tools: ' "$d/build.log" || true; } | sed "s/^initramfs-tools: /$s: /" |
		while IFS= read -r l; do log "$l"; done
done

started=0
for r in "${RUNS[@]}"; do
	s=${r%%#*}
	[ -z "${SKIPWHY[$s]:-}" ] || continue
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
	log "boot $r"
	boot "$r" &
	started=$((started + 1))
done
wait || true

# --- results ------------------------------------------------------------------------------
pass=0 failn=0 skipn=0 boot_times="" sd_times="" metrics=()
for r in "${RUNS[@]}"; do
	s=${r%%#*}
	log=$OUTDIR/logs/${r//#/.}.log
	if [ -n "${SKIPWHY[$s]:-}" ]; then
		[ "$r" = "$s" ] || [ "${r#*#}" = 1 ] || continue   # one line for all the repeats
		n=1; [ "$r" = "$s" ] || n=$(header "$s" repeat)
		what=$s; [ "$n" = 1 ] || what="$s ($n runs)"
		if [ "$REQUIRE" = 1 ]; then
			echo "FAIL $what: ${SKIPWHY[$s]}"; failn=$((failn + n))
		else
			echo "SKIP $what: ${SKIPWHY[$s]}"; skipn=$((skipn + n))
		fi
		continue
	fi
	line=$(tr -d '\r' <"$log" | grep -aoE "VMTEST (PASS|FAIL|SKIP) $s(: .*)?$" | tail -1 || true)
	host=$(grep -a '^HOST ' "$log" | tail -1 || true)
	secs=$(echo "$host" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
	begin=$(tr -d '\r' <"$log" | grep -aoE "VMTEST BEGIN $s uptime=[0-9.]+" | head -1 | sed 's/.*uptime=//' || true)
	if [ -n "$begin" ] && [ "$(header "$s" init)" = systemd ]; then sd_times+=" $begin"
	elif [ -n "$begin" ]; then boot_times+=" $begin"; fi
	# "VMTEST METRIC": figures the scenario measured (vm_metric), listed at the end
	while IFS= read -r m; do metrics+=("$r: $m"); done < <(tr -d '\r' <"$log" | grep -a "^VMTEST METRIC $s: " | sed "s/^VMTEST METRIC $s: //" || true)
	case $line in
	"VMTEST PASS "*) echo "PASS $r (${secs}s)"; pass=$((pass + 1)) ;;
	"VMTEST SKIP "*)
		if [ "$REQUIRE" = 1 ]; then echo "FAIL ${line#VMTEST SKIP }"; failn=$((failn + 1))
		else echo "SKIP ${line#VMTEST SKIP }"; skipn=$((skipn + 1)); fi ;;
	"VMTEST FAIL "*)
		echo "FAIL ${line#VMTEST FAIL } (${secs}s, log: $log)"; failn=$((failn + 1))
		tr -d '\r' <"$log" | grep -aE '^VMTEST CHECK-FAILED|^state:|^bindd:' | sed 's/^/    /' | head -n 30 ;;
	*)
		if [ -z "$begin" ]; then why="the guest did not reach /init"; else why="no result"; fi
		case $host in *qemu-exit=137*) why="$why, killed at the time limit (--timeout ${TIMEOUT}s, times vmtest-timeout-factor)" ;; *) why="$why, $host" ;; esac
		echo "FAIL $r: $why (log: $log)"; failn=$((failn + 1))
		tr -d '\r' <"$log" | tail -n 15 | sed 's/^/    /' ;;
	esac
done
[ -n "$boot_times" ] && log "kernel start to /init (guest uptime):$boot_times s"
[ -n "$sd_times" ] && log "systemd guests, kernel start to the test unit (guest uptime):$sd_times s"
[ -z "$SD_NOTE" ] || log "$SD_NOTE"
if [ ${#metrics[@]} -gt 0 ]; then
	log "measured in the guests (reported, not asserted):"
	printf '  %s\n' "${metrics[@]}" >&2
fi
log "$started boots, $(( $(date +%s) - T0 )) s in all; logs in $OUTDIR/logs"
echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" = 0 ]
