################################################################################
#
# vfio-platform-bindd
#
################################################################################

VFIO_PLATFORM_BINDD_VERSION = 0.1
VFIO_PLATFORM_BINDD_SOURCE = vfio-platform-bindd-$(VFIO_PLATFORM_BINDD_VERSION).tar.xz
VFIO_PLATFORM_BINDD_SITE = https://github.com/vfio-platform-bindd/vfio-platform-bindd/releases/download/v$(VFIO_PLATFORM_BINDD_VERSION)
VFIO_PLATFORM_BINDD_LICENSE = LGPL-2.1+
VFIO_PLATFORM_BINDD_LICENSE_FILES = COPYING
VFIO_PLATFORM_BINDD_DEPENDENCIES = host-pkgconf systemd inih dtc kmod
# The test suite (Check, umockdev) is not built: nothing installed needs it.
VFIO_PLATFORM_BINDD_CONF_OPTS = \
	--enable-tests=no \
	--with-systemdsystemunitdir=/usr/lib/systemd/system \
	--with-udevrulesdir=/usr/lib/udev/rules.d

# Debian's initramfs-tools and dracut hooks have no use in a Buildroot image.
define VFIO_PLATFORM_BINDD_REMOVE_INITRAMFS_HOOKS
	rm -rf $(TARGET_DIR)/usr/share/initramfs-tools \
		$(TARGET_DIR)/usr/lib/dracut/modules.d/90vfio-platform-bindd
endef
VFIO_PLATFORM_BINDD_POST_INSTALL_TARGET_HOOKS += VFIO_PLATFORM_BINDD_REMOVE_INITRAMFS_HOOKS

VFIO_PLATFORM_BINDD_POLICY = $(call qstrip,$(BR2_PACKAGE_VFIO_PLATFORM_BINDD_POLICY))
ifneq ($(VFIO_PLATFORM_BINDD_POLICY),)
define VFIO_PLATFORM_BINDD_INSTALL_POLICY
	$(INSTALL) -d -m 0755 $(TARGET_DIR)/etc/vfio-platform-bind.d
	$(foreach f,$(VFIO_PLATFORM_BINDD_POLICY),\
		$(INSTALL) -m 0644 $(f) $(TARGET_DIR)/etc/vfio-platform-bind.d/$(notdir $(f))$(sep))
endef
VFIO_PLATFORM_BINDD_POST_INSTALL_TARGET_HOOKS += VFIO_PLATFORM_BINDD_INSTALL_POLICY
endif

# "make install" put the units into /usr/lib/systemd/system; the preset has systemctl
# preset-all enable the daemon and, through its Also=, the early unit.
define VFIO_PLATFORM_BINDD_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(VFIO_PLATFORM_BINDD_PKGDIR)/50-vfio-platform-bindd.preset \
		$(TARGET_DIR)/usr/lib/systemd/system-preset/50-vfio-platform-bindd.preset
endef

$(eval $(autotools-package))
