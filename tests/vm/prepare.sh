#!/bin/bash
# Prepare the arm64 guest of the VM tests, cached in $VM_CACHE
# (default /var/cache/vfio-platform-bindd-vm).  Idempotent: a second run only
# checks stamps (no apt, no download) and takes about a second.
#
#   tests/vm/prepare.sh [--refresh] [--no-apt]
#     --refresh  discover the kernel version again (apt-cache) and redo
#                everything that depends on it
#     --no-apt   never call apt-get (fail if something is missing)
#
# Needs root (apt-get, dpkg --add-architecture) on Debian 12 amd64.
set -euo pipefail
LOG_PREFIX=prepare
. "$(dirname "$0")/lib/common.sh"
# scenarios/sandbox.sh: util-linux's setpriv (busybox's cannot reduce the capability bounding set)
GUEST_PKGS+=" util-linux"

REFRESH=0 NO_APT=0
for a in "$@"; do
	case $a in
	--refresh) REFRESH=1 ;;
	--no-apt) NO_APT=1 ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*) die "unknown option $a" ;;
	esac
done

T0=$(date +%s)
mkdir -p "$VM_CACHE"/{debs/kernel,debs/guest,stamps,out,build}
OUT=$VM_CACHE/out

APT_UPDATED=0
apt_update() {
	[ "$APT_UPDATED" = 1 ] && return 0
	[ "$NO_APT" = 1 ] && die "apt-get needed but --no-apt given"
	log "apt-get update"
	# Third-party sources may be unreachable: only Debian's archive matters.
	apt-get update -q >"$VM_CACHE/apt-update.log" 2>&1 ||
		log "apt-get update reported errors (see $VM_CACHE/apt-update.log); continuing"
	APT_UPDATED=1
}
apt_download() { # DIR PKG...   (apt-get download, as root, without the _apt sandbox warning)
	local dir=$1; shift
	(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$@" >/dev/null) ||
		die "apt-get download $* failed"
}

# --- 1. host packages -------------------------------------------------------
step_host() {
	local missing="" p
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		[ "$NO_APT" = 1 ] && die "arm64 is not a foreign architecture (dpkg --add-architecture arm64)"
		log "dpkg --add-architecture arm64"
		dpkg --add-architecture arm64
	fi
	for p in $HOST_PKGS; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=" $p"
	done
	[ -n "$missing" ] || return 0
	apt_update
	log "apt-get install$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
		>"$VM_CACHE/apt-install.log" 2>&1 ||
		{ tail -20 "$VM_CACHE/apt-install.log" >&2; die "apt-get install failed"; }
}

# --- 2. kernel version: discovered once, then pinned in versions.env ----------
step_versions() {
	local f=$VM_CACHE/versions.env
	if [ -f "$f" ] && [ "$REFRESH" = 0 ]; then
		. "$f"
		return
	fi
	apt_update
	local img
	img=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^: ]*-arm64\).*/\1/p' | head -1)
	[ -n "$img" ] || die "cannot find the kernel behind linux-image-arm64:arm64 (apt-get update?)"
	KREL=${img#linux-image-}                  # 6.1.0-56-arm64
	KABI=${KREL%-arm64}                       # 6.1.0-56
	KSERIES=$(echo "$KREL" | cut -d. -f1-2)   # 6.1
	KVER=$(apt-cache policy "$img:arm64" | sed -n 's/^ *Candidate: //p')
	[ -n "$KVER" ] && [ "$KVER" != "(none)" ] || die "no candidate version of $img:arm64"
	local p
	for p in "linux-headers-$KREL:arm64" "linux-headers-$KABI-common" \
		"linux-kbuild-$KSERIES" "linux-source-$KSERIES"; do
		apt-cache madison "$p" | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qx "$KVER" ||
			die "$p=$KVER is not in the archive: kernel packages must come from the same update"
	done
	cat >"$f" <<-EOF
	KREL=$KREL
	KABI=$KABI
	KSERIES=$KSERIES
	KVER=$KVER
	EOF
	log "pinned kernel $KREL version $KVER"
	. "$f"
}

# --- 3. downloads ---------------------------------------------------------------
step_download() {
	local d=$VM_CACHE/debs/kernel key p
	key=$(hash_of "$KREL $KVER")
	if ! stamp_ok download-kernel "$key"; then
		rm -f "$d"/*.deb
		apt_update
		log "downloading kernel packages $KVER"
		apt_download "$d" "linux-image-$KREL:arm64=$KVER" "linux-headers-$KREL:arm64=$KVER" \
			"linux-headers-$KABI-common=$KVER" "linux-kbuild-$KSERIES=$KVER" \
			"linux-source-$KSERIES=$KVER"
		stamp_set download-kernel "$key"
	fi

	d=$VM_CACHE/debs/guest
	key=$(hash_of "$GUEST_PKGS")
	if ! stamp_ok download-guest "$key"; then
		mkdir -p "$d"; rm -f "$d"/*.deb
		apt_update
		p=$(lib_closure $GUEST_PKGS)
		log "downloading guest packages:$p"
		apt_download "$d" $p
		stamp_set download-guest "$key"
	fi

	d=$VM_CACHE/debs/cross
	key=$(hash_of "$CROSS_PKGS v2")
	if ! stamp_ok download-cross "$key"; then
		mkdir -p "$d"; rm -f "$d"/*.deb
		apt_update
		p=$(lib_closure $CROSS_PKGS)
		log "downloading the cross-build sysroot:$p"
		apt_download "$d" $p
		local s=$VM_CACHE/cross l t
		rm -rf "$s"
		for p in "$d"/*.deb; do dpkg -x "$p" "$s"; done
		# absolute symlinks (libsystemd.so -> /lib/...) must stay in the sysroot
		find "$s" -type l | while read -r l; do
			t=$(readlink "$l")
			case $t in /*) ln -sfn "$s$t" "$l" ;; esac
		done
		stamp_set download-cross "$key"
	fi
}

# lib_closure PKG...: PKG:arm64 and its dependency closure through lib*
# packages (adduser, dpkg, passwd ... are not needed in a sysroot or a guest)
lib_closure() {
	local want="" next p seen=" "
	for p in "$@"; do want+=" $p:arm64"; done
	while [ -n "${want// /}" ]; do
		for p in $want; do seen+="$p "; done
		# shellcheck disable=SC2086
		next=$(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
			--no-replaces --no-enhances $want 2>/dev/null |
			sed -n 's/^ *\(Pre\)\{0,1\}Depends: \(lib[^ <>]*\).*/\2/p' | sort -u)
		want=""
		for p in $next; do
			p=${p%:arm64}:arm64
			case "$seen" in *" $p "*) ;; *) want+=" $p" ;; esac
		done
	done
	echo "$seen"
}

# --- 4. kernel image and modules -----------------------------------------------
step_kernel() {
	local k=$VM_CACHE/kernel key
	key=$(hash_of "$KREL $KVER v2")
	stamp_ok kernel "$key" && return
	log "extracting the kernel"
	rm -rf "$k"; mkdir -p "$k"
	dpkg -x "$VM_CACHE"/debs/kernel/linux-image-"$KREL"_*.deb "$k/root"
	cp "$k/root/boot/vmlinuz-$KREL" "$OUT/Image"
	depmod -b "$k/root" "$KREL"
	stamp_set kernel "$key"
}

# --- 5. kbuild tree for out-of-tree modules -----------------------------------
step_kbuild() {
	local kb=$VM_CACHE/kbuild key
	key=$(hash_of "$KREL $KVER")
	stamp_ok kbuild "$key" && return
	log "extracting headers and kbuild"
	rm -rf "$kb"; mkdir -p "$kb"
	local f
	for f in "$VM_CACHE"/debs/kernel/linux-headers-*.deb "$VM_CACHE"/debs/kernel/linux-kbuild-*.deb; do
		dpkg -x "$f" "$kb"
	done
	# The arm64 headers' Makefile includes the -common one by absolute path.
	sed -i "s|/usr/src/linux-headers-$KABI-common|$kb/usr/src/linux-headers-$KABI-common|" \
		"$kb/usr/src/linux-headers-$KREL/Makefile"
	stamp_set kbuild "$key"
}

# --- 6. vfio-platform (patched) and the hotplug test module ---------------------
step_modules() {
	local b=$VM_CACHE/build/kmod src=$VM_CACHE/build/vfio-platform-src key
	key=$(hash_of "$KREL $KVER" "$VM_DIR/kmod/Kbuild" "$VM_DIR/kmod/vmtest_hotplug.c" \
		"$VM_DIR/kmod/vfio-platform-reset-required.patch")
	stamp_ok modules "$key" && return
	if [ ! -f "$src/.stamp-$KVER-amba" ]; then
		log "extracting drivers/vfio/platform from linux-source-$KSERIES"
		rm -rf "$src"; mkdir -p "$src"
		local top=linux-source-$KSERIES files="" f
		for f in vfio_platform.c vfio_platform_common.c vfio_platform_irq.c vfio_platform_private.h \
			vfio_amba.c; do
			files+=" $top/drivers/vfio/platform/$f"
		done
		# --occurrence stops reading once the files are out: tar then closes
		# the pipe early, so the pipeline's status is not meaningful.
		(set +o pipefail
		 dpkg-deb --fsys-tarfile "$VM_CACHE"/debs/kernel/linux-source-"$KSERIES"_*.deb 2>/dev/null |
			tar -xO "./usr/src/linux-source-$KSERIES.tar.xz" 2>/dev/null | xz -dc 2>/dev/null |
			tar -x -C "$src" --occurrence=1 $files) || true
		for f in $files; do [ -f "$src/$f" ] || die "missing $f in linux-source-$KSERIES"; done
		touch "$src/.stamp-$KVER-amba"
	fi
	log "building vfio-platform, vfio-amba (with the reset_required fix) and vmtest_hotplug"
	rm -rf "$b"; mkdir -p "$b"
	cp "$src/linux-source-$KSERIES"/drivers/vfio/platform/* "$b/"
	patch -s -d "$b" -p4 <"$VM_DIR/kmod/vfio-platform-reset-required.patch" || die "patch failed"
	cp "$VM_DIR/kmod/Kbuild" "$VM_DIR/kmod/vmtest_hotplug.c" "$b/"
	make -s -C "$VM_CACHE/kbuild/usr/src/linux-headers-$KREL" M="$b" ARCH=arm64 \
		CROSS_COMPILE="$TRIPLET-" modules >"$b/build.log" 2>&1 ||
		{ cat "$b/build.log" >&2; die "module build failed"; }
	mkdir -p "$OUT/modules"
	cp "$b"/vfio-platform-base.ko "$b"/vfio-platform.ko "$b"/vmtest_hotplug.ko "$b"/vfio-amba.ko "$OUT/modules/"
	stamp_set modules "$key"
}

# --- 7. device tree ---------------------------------------------------------------
# make_dtb STAMP DTB QEMU-ARGS...: QEMU's device tree for these arguments (CPUs, memory),
# with the iommus and the hotplug node added
make_dtb() {
	local stamp=$1 dtb=$2 key d=$VM_CACHE/build/$1
	shift 2
	key=$(hash_of "$(qemu-system-aarch64 --version | head -1)" "$*" \
		"$DT_IOMMU_NODES $DT_HOTPLUG_NODE $DT_HOTPLUG_SID $DT_SOC_SID" "$VM_DIR/lib/dt-edit.awk")
	stamp_ok "$stamp" "$key" && [ -f "$dtb" ] && return
	log "device tree ($stamp): dump QEMU's, add iommus and the hotplug node"
	rm -rf "$d"; mkdir -p "$d"
	qemu-system-aarch64 "$@" -M "$QEMU_MACHINE,dumpdtb=$d/qemu-virt.dtb" \
		>"$d/dump.log" 2>&1 || { cat "$d/dump.log" >&2; die "dumpdtb failed"; }
	local smmu ph
	smmu=$(fdtget -l "$d/qemu-virt.dtb" / | grep '^smmuv3@' | head -1)
	[ -n "$smmu" ] || die "no smmuv3 node in QEMU's device tree"
	ph=$(fdtget -t x "$d/qemu-virt.dtb" "/$smmu" phandle)
	dtc -q -I dtb -O dts -o "$d/qemu-virt.dts" "$d/qemu-virt.dtb"
	awk -v smmu="0x$ph" -v iommu_nodes="$DT_IOMMU_NODES" -v hp_node="$DT_HOTPLUG_NODE" \
		-v hp_sid="$DT_HOTPLUG_SID" -v soc_sid="$DT_SOC_SID" \
		-f "$VM_DIR/lib/dt-edit.awk" "$d/qemu-virt.dts" >"$d/vmtest.dts"
	dtc -q -I dts -O dtb -o "$dtb" "$d/vmtest.dts"
	cp "$d/vmtest.dts" "${dtb%.dtb}.dts"
	# Check the result.
	fdtget "$dtb" "/hp-parent${DT_HOTPLUG_NODE}" compatible >/dev/null ||
		die "hotplug node missing in the edited DT"
	fdtget "$dtb" "$DT_HOTPLUG_NODE" compatible >/dev/null 2>&1 &&
		die "hotplug node still at the root"
	local n sid
	while read -r n sid; do
		[ -n "$n" ] || continue
		[ "$(fdtget -t x "$dtb" "$n" iommus)" = "$ph ${sid#0x}" ] ||
			die "iommus missing on $n"
	done <<<"$DT_IOMMU_NODES"
	stamp_set "$stamp" "$key"
}
step_dtb() {
	make_dtb dtb "$OUT/vmtest.dtb" "${QEMU_BASE_ARGS[@]}"
	make_dtb dtb-systemd "$OUT/vmtest-systemd.dtb" "${QEMU_SYSTEMD_ARGS[@]}"
}

# --- 8. guest base root (cpio) ---------------------------------------------------
elf_needed() { "$TRIPLET-readelf" -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
is_elf() { [ -f "$1" ] && [ ! -L "$1" ] && [ "$(head -c4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

# copy_lib SONAME: from the staging tree into the root, with its symlink chain
copy_lib() {
	local so=$1 st=$2 root=$3 dir f
	for dir in lib/$TRIPLET usr/lib/$TRIPLET lib usr/lib; do
		f=$st/$dir/$so
		if [ -e "$f" ]; then
			mkdir -p "$root/lib/$TRIPLET"
			cp -L "$f" "$root/lib/$TRIPLET/$so"
			return 0
		fi
	done
	return 1
}

# install_modules ROOT: the wanted kernel modules and what they depend on, plus ours, with
# depmod and the guest's modprobe.d options
install_modules() {
	local root=$1 kroot=$VM_CACHE/kernel/root mdir=lib/modules/$KREL m dep f
	mkdir -p "$root/$mdir/extra"
	cp "$kroot/$mdir"/modules.{builtin,builtin.modinfo,order} "$root/$mdir/"
	for m in $GUEST_MODULES; do
		dep=$(/sbin/modprobe -d "$kroot" -S "$KREL" --show-depends "$m" 2>/dev/null |
			sed -n 's/^insmod \([^ ]*\).*/\1/p') || true
		[ -n "$dep" ] || { grep -q "/$m.ko" "$kroot/$mdir/modules.builtin" && continue; die "module $m not found"; }
		for f in $dep; do
			mkdir -p "$root/$(dirname "${f#"$kroot"/}")"
			cp "$f" "$root/${f#"$kroot"/}"
		done
	done
	cp "$OUT"/modules/*.ko "$root/$mdir/extra/"
	depmod -b "$root" "$KREL"
	mkdir -p "$root/etc/modprobe.d"
	cat >"$root/etc/modprobe.d/vmtest.conf" <<-'EOF'
	# vfio-platform: the virtio and fw-cfg devices have no reset module.
	options vfio_platform reset_required=0
	# QEMU's SMMUv3 offers no interrupt remapping.
	options vfio_iommu_type1 allow_unsafe_interrupts=1
	EOF
}

step_guest() {
	local key g=$VM_CACHE/build/guest
	key=$(hash_of "$KREL $KVER" "$GUEST_PKGS" "$GUEST_RUNTIME_LIBS" "$GUEST_MODULES" \
		"$(ls "$VM_CACHE/debs/guest")" "$(cat "$VM_CACHE/stamps/modules")" "$0" v3)
	stamp_ok guest "$key" && [ -f "$OUT/base.cpio" ] && return
	log "building the guest's base root"
	rm -rf "$g"; mkdir -p "$g/stage" "$g/root"
	local st=$g/stage root=$g/root f p
	for f in "$VM_CACHE"/debs/guest/*.deb; do dpkg -x "$f" "$st"; done

	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,etc,proc,sys,dev,run,tmp,var/tmp,root,mnt}
	ln -s ../run "$root/var/run"
	# busybox: applet links are made by /init (busybox --install -s)
	cp "$st/bin/busybox" "$root/bin/busybox"
	# kmod (modprobe, insmod, rmmod, lsmod, modinfo, depmod -> /bin/kmod)
	cp -a "$st/bin/kmod" "$root/bin/"
	for p in modprobe insmod rmmod lsmod modinfo depmod; do ln -sf /bin/kmod "$root/sbin/$p"; done
	ln -sf kmod "$root/bin/lsmod"
	# udev
	cp -a "$st/bin/udevadm" "$root/bin/"
	mkdir -p "$root/lib/systemd" "$root/lib/udev"
	ln -s /bin/udevadm "$root/lib/systemd/systemd-udevd"
	cp -a "$st/lib/udev/." "$root/lib/udev/"
	rm -rf "$root/lib/udev/hwdb.d"
	cp -a "$st/etc/udev" "$root/etc/"
	# util-linux's setpriv for scenarios/sandbox.sh (/bin/setpriv stays busybox's applet)
	cp "$st/usr/bin/setpriv" "$root/usr/bin/setpriv"
	# the dynamic loader
	mkdir -p "$root/lib/$TRIPLET"
	cp -L "$st/lib/ld-linux-aarch64.so.1" "$root/lib/$TRIPLET/ld-linux-aarch64.so.1"
	ln -s "$TRIPLET/ld-linux-aarch64.so.1" "$root/lib/ld-linux-aarch64.so.1"
	# libraries: the project's runtime libraries, then the ELF closure of all
	for p in $GUEST_RUNTIME_LIBS; do copy_lib "$p" "$st" "$root" || die "library $p not staged"; done
	local changed=1 so
	while [ "$changed" = 1 ]; do
		changed=0
		while IFS= read -r f; do
			is_elf "$f" || continue
			for so in $(elf_needed "$f"); do
				[ -e "$root/lib/$TRIPLET/$so" ] && continue
				copy_lib "$so" "$st" "$root" || die "library $so (needed by ${f#"$root"}) not staged"
				changed=1
			done
		done < <(find "$root" -type f)
	done
	install_modules "$root"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\n' >"$root/etc/group"
	: >"$root/etc/fstab"
	echo "$KREL" >"$root/etc/vmtest-kernel"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$OUT/base.cpio.tmp"
	mv "$OUT/base.cpio.tmp" "$OUT/base.cpio"
	stamp_set guest "$key"
}

# --- 9. the systemd guest's root (cpio) ----------------------------------------------
# Debian's packages extracted into a merged-/usr tree and configured by hand the way their
# maintainer scripts would (users, machine-id, alternatives, default target), with masks for
# what a test guest does not need. The cpio is an initramfs whose /init is systemd: without
# /etc/initrd-release, systemd 252 takes it as the real root (no switch-root).
SYSTEMD_MASKS="getty.target getty@tty1.service serial-getty@ttyAMA0.service
 systemd-logind.service systemd-firstboot.service systemd-hwdb-update.service ldconfig.service
 systemd-journal-catalog-update.service systemd-networkd.service systemd-networkd.socket
 systemd-networkd-wait-online.service systemd-network-generator.service systemd-resolved.service
 systemd-timesyncd.service systemd-update-utmp.service systemd-update-utmp-runlevel.service
 systemd-pstore.service systemd-ask-password-console.path systemd-ask-password-wall.path
 e2scrub_reap.service apt-daily.timer apt-daily-upgrade.timer fstrim.timer
 proc-sys-fs-binfmt_misc.automount systemd-binfmt.service"
step_systemd_download() {
	local d=$VM_CACHE/debs/systemd key a=$VM_CACHE/build/systemd-apt
	key=$(hash_of "$SYSTEMD_PKGS")
	stamp_ok download-systemd "$key" && return
	apt_update
	log "downloading the systemd guest's packages (the closure of $(wc -w <<<"$SYSTEMD_PKGS") packages)"
	rm -rf "$d" "$a"; mkdir -p "$d/partial" "$a"
	: >"$a/status"
	# apt resolves the whole Depends: closure against an empty arm64 dpkg status, with its own
	# package cache (the host's is amd64's), and only downloads.
	# shellcheck disable=SC2086
	apt-get -q -y --download-only --no-install-recommends \
		-o Dir::State::status="$a/status" -o Dir::Cache="$a" -o Dir::Cache::archives="$d" \
		-o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
		-o APT::Sandbox::User=root -o Debug::NoLocking=1 \
		install $SYSTEMD_PKGS >"$a/download.log" 2>&1 ||
		{ tail -20 "$a/download.log" >&2; die "downloading the systemd guest's packages failed"; }
	rm -rf "$d/partial" "$d/lock"
	stamp_set download-systemd "$key"
}

step_systemd() {
	local key g=$VM_CACHE/build/systemd root p f n
	key=$(hash_of "$KREL $KVER" "$(ls "$VM_CACHE/debs/systemd")" "$(cat "$VM_CACHE/stamps/modules")" \
		"$SYSTEMD_SKIP_RE $SYSTEMD_MASKS" "$(declare -f step_systemd install_modules)" v1)
	stamp_ok systemd "$key" && [ -f "$OUT/systemd-base.cpio" ] && return
	log "building the systemd guest's root"
	root=$g/root
	rm -rf "$g"; mkdir -p "$root"/usr/{bin,sbin,lib}
	for p in bin sbin lib; do ln -s "usr/$p" "$root/$p"; done
	n=0
	for f in "$VM_CACHE"/debs/systemd/*.deb; do
		p=$(dpkg-deb -f "$f" Package)
		[[ $p =~ $SYSTEMD_SKIP_RE ]] && continue
		# --keep-directory-symlink: bin/, sbin/ and lib/ stay links into usr/ (merged /usr)
		dpkg-deb --fsys-tarfile "$f" | tar -x --keep-directory-symlink -C "$root" ||
			die "extracting $f failed"
		n=$((n + 1))
	done
	rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bash-completion,zsh} "$root/usr/lib/udev/hwdb.d" \
		"$root/usr/lib/$TRIPLET/gconv"   # iconv modules: 20 MB nobody here uses
	# What the maintainer scripts would have done
	cp "$root/usr/share/base-passwd/passwd.master" "$root/etc/passwd"
	cp "$root/usr/share/base-passwd/group.master" "$root/etc/group"
	systemd-sysusers --root="$root" >"$g/sysusers.log" 2>&1 ||
		{ cat "$g/sysusers.log" >&2; die "systemd-sysusers --root failed"; }
	echo 0123456789abcdef0123456789abcdef >"$root/etc/machine-id"
	echo vmtest >"$root/etc/hostname"
	[ -e "$root/etc/os-release" ] || ln -s ../usr/lib/os-release "$root/etc/os-release"
	[ -e "$root/usr/bin/awk" ] || ln -s mawk "$root/usr/bin/awk"
	[ -e "$root/bin/sh" ] || ln -s dash "$root/bin/sh"
	: >"$root/etc/fstab"
	mkdir -p "$root"/{proc,sys,dev,run,tmp,root,var/tmp,var/log} "$root/etc/systemd/system"
	ln -sfn /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"
	for p in $SYSTEMD_MASKS; do ln -sfn /dev/null "$root/etc/systemd/system/$p"; done
	install_modules "$root"
	echo "$KREL" >"$root/etc/vmtest-kernel"
	ln -s /lib/systemd/systemd "$root/init"
	[ ! -e "$root/etc/initrd-release" ] || die "initrd-release in the systemd root: systemd would switch root"
	[ -x "$root/lib/systemd/systemd" ] || die "no systemd in the systemd root"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$OUT/systemd-base.cpio.tmp"
	mv "$OUT/systemd-base.cpio.tmp" "$OUT/systemd-base.cpio"
	log "systemd root: $n packages, $(du -h "$OUT/systemd-base.cpio" | cut -f1)"
	stamp_set systemd "$key"
}

# --- 10. vfio-open -------------------------------------------------------------------
step_tools() {
	local key
	key=$(hash_of "$VM_DIR/vfio-open.c" "$("$TRIPLET-gcc" --version | head -1)")
	stamp_ok tools "$key" && [ -x "$OUT/vfio-open" ] && return
	log "cross-compiling vfio-open"
	"$TRIPLET-gcc" -static -O2 -Wall -Wextra -Werror -o "$OUT/vfio-open" "$VM_DIR/vfio-open.c"
	stamp_set tools "$key"
}

timed() { # STEP: run it, say how long it took when it did something
	local t=$SECONDS
	"$1"
	[ $((SECONDS - t)) -lt 1 ] || log "  $1: $((SECONDS - t)) s"
}
for s in step_host step_versions step_download step_kernel step_kbuild step_modules \
	step_dtb step_guest step_systemd_download step_systemd step_tools; do
	timed "$s"
done
{
	echo "KREL=$KREL"
	echo "KVER=$KVER"
	echo "IMAGE=$OUT/Image"
	echo "DTB=$OUT/vmtest.dtb"
	echo "BASE_CPIO=$OUT/base.cpio"
	echo "SYSTEMD_CPIO=$OUT/systemd-base.cpio"
	echo "SYSTEMD_DTB=$OUT/vmtest-systemd.dtb"
	echo "VFIO_OPEN=$OUT/vfio-open"
} >"$OUT/prepared.env"
log "ready in $VM_CACHE ($(( $(date +%s) - T0 )) s): kernel $KREL ($KVER), base root $(du -h "$OUT/base.cpio" | cut -f1)"
