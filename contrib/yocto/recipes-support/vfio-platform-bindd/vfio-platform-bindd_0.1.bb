# SPDX-License-Identifier: LGPL-2.1-or-later
SUMMARY = "Bind devices to their VFIO driver by policy"
DESCRIPTION = "vfio-platform-bindd keeps the devices that a declarative policy in \
/etc/vfio-platform-bind.d/ selects (device-tree platform, AMBA, PCI, CDX, fsl-mc) bound to their \
VFIO driver or another target driver, from boot on and through hotplug: an early unit before \
udev's coldplug, a udev rule compiled from the policy, and a daemon that follows uevents."
HOMEPAGE = "https://github.com/vfio-platform-bindd/vfio-platform-bindd"
BUGTRACKER = "https://github.com/vfio-platform-bindd/vfio-platform-bindd/issues"
SECTION = "admin"
LICENSE = "LGPL-2.1-or-later"
LIC_FILES_CHKSUM = "file://COPYING;md5=4fbd65380cdd255951079008b364516c"

# The release tarball ("make distcheck"); the checksum is that of the published file.
SRC_URI = "https://github.com/vfio-platform-bindd/vfio-platform-bindd/releases/download/v${PV}/${BP}.tar.xz"
SRC_URI[sha256sum] = "0000000000000000000000000000000000000000000000000000000000000000"

# libsystemd (sd-event, sd-daemon) and libudev come from systemd; libfdt from dtc.
DEPENDS = "systemd libinih dtc kmod"

inherit autotools pkgconfig systemd features_check bash-completion
REQUIRED_DISTRO_FEATURES = "systemd"

# The test suite needs Check (libcheck) and, for the integration tests, umockdev (no recipe in
# oe-core or meta-oe): "tests" builds what Check allows ("make check" builds the programs; no
# ptest is provided). Off by default: nothing installed depends on it.
PACKAGECONFIG ??= ""
PACKAGECONFIG[tests] = "--enable-tests=auto,--enable-tests=no,libcheck"

EXTRA_OECONF = " \
    --with-systemdsystemunitdir=${systemd_system_unitdir} \
    --with-udevrulesdir=${nonarch_base_libdir}/udev/rules.d \
"

# Enabling the daemon enables the early unit too (its Also=); both are listed so that the class
# finds and packages them. vfio-platform-bind.target has no [Install] section.
SYSTEMD_SERVICE:${PN} = "vfio-platform-bindd.service vfio-platform-bind-early.service"
SYSTEMD_AUTO_ENABLE = "enable"

# initramfs-tools is Debian's; the dracut module goes to its own package.
do_install:append() {
    rm -rf ${D}${datadir}/initramfs-tools
}
PACKAGES =+ "${PN}-dracut"
FILES:${PN}-dracut = "${nonarch_libdir}/dracut"
RDEPENDS:${PN}-dracut = "${PN} dracut bash"

FILES:${PN} += "${systemd_system_unitdir}/vfio-platform-bind.target"

# libkmod.so.2 is opened at run time (dlopen) to load the target driver's module: no shlib
# dependency is generated for it. The example policy (installed under ${docdir}) moves nothing.
RDEPENDS:${PN} += "libkmod"
