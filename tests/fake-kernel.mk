# SPDX-License-Identifier: LGPL-2.1-or-later
# The fake kernel for integration tests (tests/fake-kernel.h): the harness, linked into test
# programs, and fk-shim.so, preloaded with umockdev's libumockdev-preload.so.0 into the programs
# they run. The harness itself does not link libumockdev. Included from Makefile.am.
#
# A test program that uses it:
#   tests_test_x_SOURCES = tests/test-x.c $(FAKE_KERNEL_SOURCES)
#   tests_test_x_CFLAGS = $(FAKE_KERNEL_CFLAGS)
#   tests_test_x_LDADD = $(FAKE_KERNEL_LIBS)
#   EXTRA_tests_test_x_DEPENDENCIES = $(FAKE_KERNEL_SHIM)
EXTRA_DIST += tests/fake-kernel.mk tests/fake-kernel.c tests/fake-kernel.h tests/fk-shim.c tests/test-fake-kernel.c \
	tests/fk-daemon.c tests/fk-daemon.h

if ENABLE_TESTS
if HAVE_UMOCKDEV
FAKE_KERNEL_SHIM = tests/fk-shim.so
FAKE_KERNEL_SOURCES = tests/fake-kernel.c tests/fake-kernel.h tests/fk-daemon.c tests/fk-daemon.h
FAKE_KERNEL_CFLAGS = $(TEST_CFLAGS) -DFK_SHIM_PATH='"$(abs_top_builddir)/$(FAKE_KERNEL_SHIM)"'
# The harness reads the project's bus table (src/bus.c): the buses, their VFIO drivers.
FAKE_KERNEL_LIBS = $(CHECK_LIBS) $(LIBVPB) -ldl

# The shim goes into programs that are not ours (sh, udevadm): it is built without the user's
# CFLAGS and LDFLAGS, so an ASan build does not instrument it (an instrumented shim made a
# non-ASan udevadm crash). Automake without libtool has no rule for a shared object anyway.
$(FAKE_KERNEL_SHIM): $(srcdir)/tests/fk-shim.c $(srcdir)/tests/fake-kernel.h $(srcdir)/src/bus.h
	@$(MKDIR_P) tests
	$(AM_V_CCLD)$(CC) $(WARN_CFLAGS) -O2 -g -fPIC -fvisibility=hidden -shared -I$(srcdir)/src -o $@ $(srcdir)/tests/fk-shim.c -ldl
CLEANFILES += $(FAKE_KERNEL_SHIM)

check_PROGRAMS += tests/test-fake-kernel
TESTS += tests/test-fake-kernel
tests_test_fake_kernel_SOURCES = tests/test-fake-kernel.c $(FAKE_KERNEL_SOURCES)
tests_test_fake_kernel_CFLAGS = $(FAKE_KERNEL_CFLAGS) $(UDEV_CFLAGS)
tests_test_fake_kernel_LDADD = $(FAKE_KERNEL_LIBS)
EXTRA_tests_test_fake_kernel_DEPENDENCIES = $(FAKE_KERNEL_SHIM)
endif
endif

# The daemon's integration tests.
if ENABLE_TESTS
if HAVE_UMOCKDEV
check_PROGRAMS += tests/test-daemon
TESTS += tests/test-daemon
tests_test_daemon_SOURCES = tests/test-daemon.c tests/testutil.c tests/testutil.h $(FAKE_KERNEL_SOURCES)
tests_test_daemon_CFLAGS = $(FAKE_KERNEL_CFLAGS)
tests_test_daemon_LDADD = $(FAKE_KERNEL_LIBS)
EXTRA_tests_test_daemon_DEPENDENCIES = $(FAKE_KERNEL_SHIM) vfio-platform-bindd$(EXEEXT)

# Every bus of the table, PCI keys and IOMMU groups, with the daemon and bindctl.
check_PROGRAMS += tests/test-daemon-loop
TESTS += tests/test-daemon-loop
tests_test_daemon_loop_SOURCES = tests/test-daemon-loop.c tests/testutil.c tests/testutil.h $(FAKE_KERNEL_SOURCES)
tests_test_daemon_loop_CFLAGS = $(FAKE_KERNEL_CFLAGS)
tests_test_daemon_loop_LDADD = $(FAKE_KERNEL_LIBS)
EXTRA_tests_test_daemon_loop_DEPENDENCIES = $(FAKE_KERNEL_SHIM) vfio-platform-bindd$(EXEEXT)

check_PROGRAMS += tests/test-daemon-pci
TESTS += tests/test-daemon-pci
tests_test_daemon_pci_SOURCES = tests/test-daemon-pci.c tests/testutil.c tests/testutil.h $(FAKE_KERNEL_SOURCES)
tests_test_daemon_pci_CFLAGS = $(FAKE_KERNEL_CFLAGS)
tests_test_daemon_pci_LDADD = $(FAKE_KERNEL_LIBS)
EXTRA_tests_test_daemon_pci_DEPENDENCIES = $(FAKE_KERNEL_SHIM) vfio-platform-bindd$(EXEEXT) vfio-platform-bindctl$(EXEEXT)
endif
endif
EXTRA_DIST += tests/test-daemon.c tests/test-daemon-pci.c tests/test-daemon-loop.c
