# SPDX-License-Identifier: LGPL-2.1-or-later
# Storm and soak under the fake kernel (tests/test-storm.c): 1,000 devices, 100,000 uevents of
# churn, with and without failing sysfs writes and lost uevents. Included from Makefile.am after
# tests/fake-kernel.mk. STORM_EVENTS=N and STORM_SEED=N in the environment change the run.
EXTRA_DIST += tests/storm.mk tests/test-storm.c

if ENABLE_TESTS
if HAVE_UMOCKDEV
check_PROGRAMS += tests/test-storm
TESTS += tests/test-storm
tests_test_storm_SOURCES = tests/test-storm.c $(FAKE_KERNEL_SOURCES)
tests_test_storm_CFLAGS = $(FAKE_KERNEL_CFLAGS)
tests_test_storm_LDADD = $(FAKE_KERNEL_LIBS)
EXTRA_tests_test_storm_DEPENDENCIES = $(FAKE_KERNEL_SHIM)
endif
endif
