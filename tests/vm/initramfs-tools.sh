#!/bin/bash
# The initramfs of the scenarios with "# vmtest-init: initramfs-tools" (run.sh), built as
# mkinitramfs builds one, for the arm64 guest on this amd64 host:
#
#   initramfs-tools.sh OUT.cpio PROJECT_TREE POLICY_FILE HARNESS_DIR
#
# PROJECT_TREE: the cross-built install tree; POLICY_FILE: the scenario's boot policy, installed
# as /etc/vfio-platform-bind.d/50-vmtest.conf before the hook runs; HARNESS_DIR: /vmtest of the
# other guests (lib.sh, the scenarios, vfio-open).
#
# mkinitramfs itself cannot run here: its hooks call the host's ldd, modprobe and ldconfig on
# the files of the running system, and the guest's are arm64. So its steps are done by hand,
# with the real pieces wherever they run on the host:
#   - the guest's base (busybox, udev, kmod, the libraries, the kernel's modules) stands in for
#     what initramfs-tools' own hooks (zz-busybox, udev, kmod) and MODULES=most put in; the VFIO
#     modules are taken out of it: MODULES=most never adds them, only our hook does;
#   - /init, scripts/functions, scripts/local, conf/initramfs.conf: initramfs-tools-core 0.142
#     (Debian 12, architecture all); scripts/init-top/udev and init-bottom/udev: the guest's udev;
#   - the project's hook runs unmodified with the real hook-functions, in a private mount
#     namespace whose /usr/sbin, /etc, /usr/share/initramfs-tools and /usr/lib/modules show the
#     guest's files over the host's (nothing of the host changes). Two host limits remain, both
#     said in the log: copy_exec's ldd cannot read an arm64 program (its libraries come from the
#     base, which has them), and ldconfig -p lists the host's libkmod, so the hook copies an
#     amd64 libkmod and its closure, which are removed afterwards;
#   - the ORDER files: hook-functions' cache_run_scripts, as mkinitramfs calls it;
#   - boot=vmtest (scripts/vmtest, initramfs-tools' extension point for other root kinds, as
#     boot=nfs): the real root is a tmpfs with this initramfs's programs, whose /sbin/init runs the
#     scenario; nothing in it starts udev.
# /init first installs busybox's applet links, which the zz-busybox hook makes at build time.
set -euo pipefail
LOG_PREFIX=initramfs-tools
. "$(dirname "$0")/lib/common.sh"
. "$VM_CACHE/out/prepared.env"
[ $# = 4 ] || die "usage: initramfs-tools.sh OUT.cpio PROJECT_TREE POLICY_FILE HARNESS_DIR"
out=$(realpath "$1") project=$(realpath "$2") policy=$(realpath "$3") harness=$(realpath "$4")
work=$(dirname "$out")/initramfs-tools
rm -rf "$work"; mkdir -p "$work"

# initramfs-tools-core (architecture all), downloaded once.
debs=$VM_CACHE/debs/initramfs-tools
if ! ls "$debs"/initramfs-tools-core_*_all.deb >/dev/null 2>&1; then
	mkdir -p "$debs"
	(cd "$debs" && apt-get download initramfs-tools-core) >"$work/download.log" 2>&1 ||
		{ cat "$work/download.log" >&2; die "cannot download initramfs-tools-core"; }
fi
core=$work/core udev=$work/udev
dpkg-deb -x "$(ls "$debs"/initramfs-tools-core_*_all.deb | tail -n 1)" "$core"
dpkg-deb -x "$(ls "$VM_CACHE"/debs/guest/udev_*_arm64.deb | tail -n 1)" "$udev"
itd=usr/share/initramfs-tools

# The base without the VFIO modules, merged-/usr as mkinitramfs lays out an image on a
# merged-/usr system (copy_file puts /lib/... into /usr/lib/...).
base=$work/base
mkdir -p "$base"
(cd "$base" && cpio -id --quiet <"$BASE_CPIO")
rm -f "$base/init"
for d in bin sbin lib; do
	[ ! -L "$base/$d" ] || continue
	mkdir -p "$base/usr/$d"
	cp -a "$base/$d/." "$base/usr/$d/"
	rm -rf "${base:?}/$d"
	ln -s "usr/$d" "$base/$d"
done
moddir=usr/lib/modules/$KREL
find "$base/$moddir" -name 'vfio*.ko*' -delete
[ -z "$(find "$base/$moddir" -name 'vfio*.ko*')" ] || die "VFIO modules left in the base"
[ -n "$(find "$base/$moddir" -name 'virtio_mmio.ko*')" ] || die "no virtio_mmio.ko in the base"

# The image's own tree (what mkinitramfs writes to DESTDIR), packed after the base.
dest=$work/dest
mkdir -p "$dest/conf/conf.d" "$dest/scripts" "$dest/run" "$dest/etc"
install -m 0755 "$core/$itd/init" "$dest/init.initramfs-tools"
cat >"$dest/init" <<-'EOF'
	#!/bin/busybox sh
	# the zz-busybox hook's links (made at build time by mkinitramfs), then initramfs-tools' /init
	/bin/busybox mkdir -p /usr/bin /usr/sbin
	/bin/busybox --install -s
	exec /init.initramfs-tools "$@"
	EOF
chmod 0755 "$dest/init"
cp -a "$core/$itd/scripts/." "$udev/$itd/scripts/." "$project/$itd/scripts/." "$dest/scripts/"
echo "DPKG_ARCH=arm64" >"$dest/conf/arch.conf"
cp -p "$core/etc/initramfs-tools/initramfs.conf" "$dest/conf/"
# boot=vmtest: the real root, a tmpfs holding this initramfs's programs and the test
cat >"$dest/scripts/vmtest" <<-'EOF'
	# initramfs-tools boot script (boot=vmtest): the real root for the VM test
	mountroot() {
		mount -t tmpfs -o mode=0755 vmtest-root "${rootmnt:?}"
		for d in bin sbin lib usr etc vmtest; do cp -a "/$d" "${rootmnt}/"; done
		mkdir -p "${rootmnt}/dev" "${rootmnt}/proc" "${rootmnt}/sys" "${rootmnt}/run" "${rootmnt}/tmp"
		# what ran in init-top, in this order (for the test)
		cp /scripts/init-top/ORDER "${rootmnt}/vmtest/init-top.ORDER"
		rm -f "${rootmnt}/sbin/init"
		cp /vmtest/real-init "${rootmnt}/sbin/init"
	}
	EOF
mkdir -p "$dest/vmtest"
cp -a "$harness/." "$dest/vmtest/"
rm -rf "$dest/vmtest/project"
cat >"$dest/vmtest/real-init" <<-'EOF'
	#!/bin/busybox sh
	# /sbin/init of the real root: /dev, /run, /proc and /sys came from the initramfs; no udev.
	export PATH=/sbin:/usr/sbin:/bin:/usr/bin:/vmtest/bin HOME=/root TERM=dumb
	mount -t tmpfs tmpfs /tmp
	. /vmtest/lib.sh
	vm_main
	poweroff -f
	EOF
chmod 0755 "$dest/vmtest/real-init"

# The project's hook, unmodified, with the real hook-functions, against the guest's files.
view=$work/view
mkdir -p "$view/sbin" "$view/etc/vfio-platform-bind.d" "$view/itd" "$view/usrlib/modules"
cp -a "$project/usr/sbin/." "$view/sbin/"
install -m 0644 "$policy" "$view/etc/vfio-platform-bind.d/50-vmtest.conf"
cp -a "$core/$itd/." "$view/itd/"
cp -a "$project/$itd/." "$view/itd/"
# (the guest's modules, the VFIO ones included, for the hook to find)
cp -a "$VM_CACHE/build/guest/root/lib/modules/." "$view/usrlib/modules/"
hook=/$itd/hooks/vfio-platform-bindd
# shellcheck disable=SC2016 # expanded by the inner shell
unshare -m bash -c '
	set -e
	view=$1 dest=$2 hook=$3 KREL=$4
	mount -t overlay overlay -o "lowerdir=$view/sbin:/usr/sbin" /usr/sbin
	mount -t overlay overlay -o "lowerdir=$view/etc:/etc" /etc
	[ -d /usr/share/initramfs-tools ] || { echo "no /usr/share/initramfs-tools on the host" >&2; exit 1; }
	mount -t overlay overlay -o "lowerdir=$view/itd:/usr/share/initramfs-tools" /usr/share/initramfs-tools
	# (/lib/modules through /usr/lib: the host may have no /lib/modules to mount on)
	mount -t overlay overlay -o "lowerdir=$view/usrlib:/usr/lib" /usr/lib
	export DESTDIR=$dest version=$KREL verbose=y MODULESDIR=/lib/modules/$KREL CONFDIR=/etc/initramfs-tools
	sh "$hook"
	# the ORDER files, as mkinitramfs writes them
	. /usr/share/initramfs-tools/hook-functions
	for b in $(cd "$dest/scripts" && find . -mindepth 1 -type d); do
		cache_run_scripts "$dest" "/scripts/${b#./}"
	done
' sh "$view" "$dest" "$hook" "$KREL" >"$work/hook.log" 2>&1 || { cat "$work/hook.log" >&2; die "the hook failed"; }

# What the hook put in, said in the log; what must be there, checked.
(cd "$dest" && find . -path ./scripts -prune -o -path ./conf -prune -o -path ./vmtest -prune -o -type f -print |
	LC_ALL=C sort) >"$work/hook-files.txt"
sed 's/^/  hook: /' "$work/hook-files.txt" >&2
for f in ./usr/sbin/vfio-platform-bindctl ./etc/vfio-platform-bind.d/50-vmtest.conf \
	"./$moddir/extra/vfio-platform.ko" "./$moddir/kernel/drivers/vfio/vfio.ko"; do
	grep -qxF "$f" "$work/hook-files.txt" || die "the hook did not add $f"
done
"$TRIPLET-readelf" -h "$dest/usr/sbin/vfio-platform-bindctl" | grep -q AArch64 || die "vfio-platform-bindctl in the image is not the arm64 one"
grep -q '^/scripts/init-top/early-vfio-platform-bind ' "$dest/scripts/init-top/ORDER" || die "init-top/ORDER lacks the project's script"
log "init-top order: $(sed -n 's|^/scripts/init-top/\([^ ]*\) .*|\1|p' "$dest/scripts/init-top/ORDER" | tr '\n' ' ')"
# The host's libkmod with its host closure (ldconfig -p and ldd are the host's): no use to arm64.
amd64=$(cd "$dest" && find ./usr/lib/x86_64-linux-gnu ./usr/lib64 -type f 2>/dev/null | tr '\n' ' ')
rm -rf "$dest/usr/lib/x86_64-linux-gnu" "$dest/usr/lib64"
log "host limits: copy_exec's ldd cannot read the arm64 program (its libraries come from the base);" \
	"ldconfig -p lists the host's libkmod, so the hook copied amd64 files, removed: ${amd64:-none}"

pack_cpio() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet); }
{ pack_cpio "$base"; pack_cpio "$dest"; } >"$out"
