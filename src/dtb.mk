# Device tree reader (check --fdt): fragment of Makefile.am
src_libvpb_a_SOURCES += src/dtb.c src/dtb.h

if ENABLE_TESTS
check_PROGRAMS += tests/test-fdt
TESTS += tests/test-fdt
tests_test_fdt_SOURCES = tests/test-fdt.c tests/testutil.c tests/testutil.h
tests_test_fdt_CFLAGS = $(TEST_CFLAGS) $(FDT_CFLAGS)
tests_test_fdt_LDADD = $(TEST_LIBS)
endif

EXTRA_DIST += tests/fdt
