#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# What can be checked offline about the packaging (debian/, contrib/): one version everywhere,
# the license checksums, the paths the recipes name against what "make install" installs (and
# every installed file packaged by the Yocto recipe, like its installed-vs-shipped check), the
# Buildroot symbols, the NixOS policy renderer (with nix-instantiate, when installed) against
# "vfio-platform-bindctl check". Building with bitbake, Buildroot or Nix is not done here
# (contrib/README.md says what was).
set -uo pipefail
src=${top_srcdir:-.}
build=${top_builddir:-.}
fail=0
ok() { echo "PASS: $*"; }
ko() { echo "FAIL: $*"; fail=1; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else ko "$what"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

yocto=$(ls "$src"/contrib/yocto/recipes-support/vfio-platform-bindd/vfio-platform-bindd_*.bb)
brdir=$src/contrib/buildroot/package/vfio-platform-bindd
brmk=$brdir/vfio-platform-bindd.mk
nixdir=$src/contrib/nixos

# --- one version: AC_INIT, and everything that repeats it --------------------------------------
version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$src/configure.ac")
check "AC_INIT has a version ($version)" test -n "$version"
check "NEWS has a section for $version" grep -q "^Version $version\b" "$src/NEWS"
check "the Yocto recipe is vfio-platform-bindd_$version.bb" test "$(basename "$yocto")" = "vfio-platform-bindd_$version.bb"
check "Buildroot's VERSION is $version" grep -qx "VFIO_PLATFORM_BINDD_VERSION = $version" "$brmk"
check "Buildroot's hash file names the $version tarball" \
        grep -qE "^sha256 +[0-9a-f]{64} +vfio-platform-bindd-$version\.tar\.xz$" "$brdir/vfio-platform-bindd.hash"
check "package.nix's version is $version" grep -q "version = \"$version\";" "$nixdir/package.nix"
if [ -f "$src/debian/changelog" ]; then
        # Not in the release tarball (debian/README.source): only checked in the source tree.
        deb=$(sed -n '1s/^vfio-platform-bindd (\([^)]*\)).*/\1/p' "$src/debian/changelog")
        check "debian/changelog's upstream version is $version ($deb)" test "${deb%-*}" = "$version"
fi

# --- the license file the recipes checksum -----------------------------------------------------
md5=$(md5sum "$src/COPYING" | cut -d' ' -f1)
sha=$(sha256sum "$src/COPYING" | cut -d' ' -f1)
check "Yocto LIC_FILES_CHKSUM is COPYING's md5" grep -q "file://COPYING;md5=$md5\"" "$yocto"
check "Buildroot's hash file has COPYING's sha256" grep -qE "^sha256 +$sha +COPYING$" "$brdir/vfio-platform-bindd.hash"
check "Buildroot's LICENSE_FILES is COPYING" grep -qx "VFIO_PLATFORM_BINDD_LICENSE_FILES = COPYING" "$brmk"

# --- Buildroot: the symbols the .mk uses are the Config.in's, the package's name is its dir ----
for sym in $(grep -oE 'BR2_PACKAGE_VFIO_PLATFORM_BINDD[A-Z0-9_]*' "$brmk" | sort -u); do
        check "Buildroot: $sym is defined in Config.in" grep -qx "config $sym" "$brdir/Config.in"
done
check "Buildroot: every variable of the .mk is VFIO_PLATFORM_BINDD_*" \
        test -z "$(grep -E '^[A-Z_]+ *[+:]?=' "$brmk" | grep -v '^VFIO_PLATFORM_BINDD_')"
check "Buildroot: the .mk ends with \$(eval \$(autotools-package))" \
        test "$(tail -n 1 "$brmk")" = '$(eval $(autotools-package))'
check "Buildroot: the preset file the .mk installs exists" \
        test -f "$brdir/$(sed -n 's/.*\$(VFIO_PLATFORM_BINDD_PKGDIR)\/\([^ ]*\).*/\1/p' "$brmk")"

# --- what "make install" installs, against what the recipes name ------------------------------
dest=$tmp/dest
if make -s -C "$build" install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
        ok "make install DESTDIR=..."
else
        ko "make install DESTDIR=..."; cat "$tmp/install.log"
fi
prefix=${VPB_PREFIX:-/usr/local}
unitdir=${VPB_SYSTEMDUNITDIR:-$prefix/lib/systemd/system}
installed() { [ -e "$dest$1" ]; }
for u in $(sed -n 's/^SYSTEMD_SERVICE:${PN} = "\(.*\)"/\1/p' "$yocto"); do
        check "Yocto SYSTEMD_SERVICE: $u is installed" installed "$unitdir/$u"
done
for u in $(awk '$1 == "enable" { print $2 }' "$brdir/50-vfio-platform-bindd.preset"); do
        check "Buildroot preset: $u is installed" installed "$unitdir/$u"
done
for u in $(sed -n 's/^\tdh_installsystemd \(.*\)$/\1/p' "$src/debian/rules" 2>/dev/null); do
        check "debian/rules dh_installsystemd: $u is installed" installed "$unitdir/$u"
done
check "Yocto FILES:\${PN} names the target that is installed" \
        installed "$unitdir/$(sed -n 's|^FILES:${PN} += "${systemd_system_unitdir}/\(.*\)"|\1|p' "$yocto")"
check "the dracut module is where Yocto's \${PN}-dracut, Buildroot and Nix expect it" \
        installed "$prefix/lib/dracut/modules.d/90vfio-platform-bindd/module-setup.sh"
check "the initramfs-tools hooks are where the recipes remove them" \
        installed "$prefix/share/initramfs-tools/hooks/vfio-platform-bindd"
check "both programs are installed as executables" \
        test -x "$dest$prefix/sbin/vfio-platform-bindd" -a -x "$dest$prefix/sbin/vfio-platform-bindctl"
# Yocto's installed-vs-shipped: every file lands in a package, or the recipe removes it.
unshipped=$(cd "$dest" && find . -type f -o -type l | sed 's|^\.||' | while read -r f; do
        case $f in
        "$prefix"/sbin/*) ;;                                    # ${PN}
        "$prefix"/share/man/*|"$prefix"/share/doc/*) ;;         # ${PN}-doc
        "$prefix"/share/bash-completion/*) ;;                   # inherit bash-completion
        "$prefix"/lib/dracut/*) ;;                              # ${PN}-dracut
        "$prefix"/share/initramfs-tools/*) ;;                   # removed by do_install:append
        "$unitdir"/*) grep -q "${f##*/}" "$yocto" || echo "$f" ;; # SYSTEMD_SERVICE or FILES
        *) echo "$f" ;;
        esac
done)
check "every installed file is packaged by the Yocto recipe${unshipped:+ (not: $unshipped)}" test -z "$unshipped"

# --- Nix: what package.nix patches is there; the policy renderer against bindctl check ---------
for word in /bin/kill /bin/mkdir; do
        check "units/vfio-platform-bindd.service.in has $word (package.nix replaces it)" \
                grep -q "$word" "$src/units/vfio-platform-bindd.service.in"
done
if command -v nix-instantiate >/dev/null && command -v python3 >/dev/null; then
        export NIX_CONFIG="build-users-group ="   # Debian's nix-bin without its daemon set-up
        for f in "$nixdir"/*.nix; do
                check "nix-instantiate --parse ${f##*/}" eval 'nix-instantiate --parse "$f" >/dev/null 2>"$tmp/nix.err"'
        done
        # example.nix's policy, rendered by policy.nix as the module does, must pass check.
        expr="let e = (import $nixdir/example.nix { }).services.vfio-platform-bindd.policy; in
              builtins.mapAttrs (n: rules: import $nixdir/policy.nix rules) e"
        root=$tmp/nixroot
        mkdir -p "$root/etc/vfio-platform-bind.d"
        if nix-instantiate --eval --strict --json -E "$expr" >"$tmp/policy.json" 2>"$tmp/nix.err"; then
                python3 - "$tmp/policy.json" "$root/etc/vfio-platform-bind.d" <<-'EOF'
			import json, sys
			for name, text in json.load(open(sys.argv[1])).items():
			    open(f"{sys.argv[2]}/{name}.conf", "w").write(text)
			EOF
                check "example.nix's policy renders to $(ls "$root/etc/vfio-platform-bind.d" | wc -l) files" \
                        test "$(ls "$root/etc/vfio-platform-bind.d" | wc -l)" -eq 2
                "$build/vfio-platform-bindctl" --root="$root" check >"$tmp/check.out" 2>&1
                check_rc=$?
                check "vfio-platform-bindctl check accepts it (rules in their order)" \
                        eval '[ $check_rc = 0 ] && grep -q "^# 4 rules from 2 files" "$tmp/check.out" &&
                              [ "$(grep "^\[" "$tmp/check.out" | tr -d "[]" | tr "\n" " ")" = "console isp usb wifi " ]'
        else
                ko "nix-instantiate --eval of example.nix's policy"; cat "$tmp/nix.err"
        fi
else
        echo "SKIP: nix-instantiate (Debian: nix-bin) or python3 is missing: the Nix files are not checked"
fi

# --- shell syntax ------------------------------------------------------------------------------
for f in tools/build-deb.sh tests/not-built.sh; do
        [ -f "$src/$f" ] && check "bash -n $f" bash -n "$src/$f"
done
exit $fail
