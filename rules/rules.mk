# udev rule generator, units, initramfs hooks: fragment of Makefile.am
src_libvpb_a_SOURCES += src/udev-rules.c src/udev-rules.h

if ENABLE_TESTS
check_PROGRAMS += tests/test-udev-rules
TESTS += tests/test-udev-rules

tests_test_udev_rules_SOURCES = tests/test-udev-rules.c tests/testutil.c tests/testutil.h
tests_test_udev_rules_CFLAGS = $(TEST_CFLAGS)
tests_test_udev_rules_LDADD = $(TEST_LIBS)
endif
