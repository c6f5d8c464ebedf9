# SPDX-License-Identifier: LGPL-2.1-or-later
# Recipes for Yocto, Buildroot and NixOS (contrib/README.md), and their offline checks
# (tests/test-packaging.sh): fragment of Makefile.am. debian/ is not in the release tarball
# (debian/README.source); the test checks it only in the source tree.
EXTRA_DIST += \
	contrib/README.md \
	contrib/contrib.mk \
	contrib/yocto/recipes-support/vfio-platform-bindd/vfio-platform-bindd_$(VERSION).bb \
	contrib/buildroot/package/vfio-platform-bindd/Config.in \
	contrib/buildroot/package/vfio-platform-bindd/vfio-platform-bindd.mk \
	contrib/buildroot/package/vfio-platform-bindd/vfio-platform-bindd.hash \
	contrib/buildroot/package/vfio-platform-bindd/50-vfio-platform-bindd.preset \
	contrib/nixos/package.nix \
	contrib/nixos/module.nix \
	contrib/nixos/policy.nix \
	contrib/nixos/example.nix \
	tests/test-packaging.sh

if ENABLE_TESTS
TESTS += tests/test-packaging.sh
# Where "make install" puts what the recipes name.
AM_TESTS_ENVIRONMENT += \
	export VPB_PREFIX='$(prefix)'; \
	export VPB_SYSTEMDUNITDIR='$(systemdsystemunitdir)';
endif
