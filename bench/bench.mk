# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmarks (issue 7). Included from Makefile.am after tests/fake-kernel.mk.
#   make bench                      the full run (70-100 s on 2 CPUs, plus the build)
#   make bench BENCH_FLAGS=--quick  100 and 1,000 devices, 1,000 events, 5 s idle
# builds the programs, the fake kernel's shim (tests/fake-kernel.mk), bench/vpb-bench and its two
# preloads, then bench/run.sh runs it and writes docs/benchmarks.md and docs/benchmarks.png in
# the source tree (BENCH_DOCS=DIR elsewhere). Nothing here is built by "make" or "make check".
EXTRA_DIST += bench/policy-load.c tests/policy-gen.c tests/policy-gen.h
EXTRA_DIST += bench/bench.mk bench/bench.c bench/lat-probe.c bench/lat-probe.h bench/nl-inject.c \
	bench/floor.c bench/run.sh bench/report.py bench/PROFILE.md

BENCH_FLAGS =
BENCH_PROGRAM = bench/vpb-bench
BENCH_PRELOADS = bench/lat-probe.so bench/nl-inject.so
BENCH_FLOOR = bench/vpb-floor
CLEANFILES += $(BENCH_PROGRAM) $(BENCH_PRELOADS) $(BENCH_FLOOR) bench/results.json bench/output.txt

if ENABLE_TESTS
if HAVE_UMOCKDEV
# Built by hand like the shim: the harness wraps its own send/accept4/recv at link time to
# timestamp the fake kernel's uevents and write requests (tests/fake-kernel.c stays unchanged).
# The fake kernel reads the bus table: src/libvpb.a.
$(BENCH_PROGRAM): $(srcdir)/bench/bench.c $(srcdir)/bench/lat-probe.h $(srcdir)/tests/fake-kernel.c $(srcdir)/tests/fake-kernel.h src/libvpb.a
	@$(MKDIR_P) bench
	$(AM_V_CCLD)$(CC) $(WARN_CFLAGS) -Wno-format-nonliteral -O2 -g -include $(top_builddir)/config.h -I$(srcdir)/src \
		-I$(srcdir)/tests -I$(srcdir)/bench $(UDEV_CFLAGS) \
		-DFK_SHIM_PATH='"$(abs_top_builddir)/$(FAKE_KERNEL_SHIM)"' -o $@ \
		$(srcdir)/bench/bench.c $(srcdir)/tests/fake-kernel.c \
		-Wl,--wrap=send,--wrap=accept4,--wrap=recv $(LIBVPB) -ldl -lm

# Preloaded into the daemon: without the user's CFLAGS (an ASan build must not instrument them).
bench/lat-probe.so: $(srcdir)/bench/lat-probe.c $(srcdir)/bench/lat-probe.h
	@$(MKDIR_P) bench
	$(AM_V_CCLD)$(CC) $(WARN_CFLAGS) -O2 -g -fPIC -fvisibility=hidden -shared -o $@ $(srcdir)/bench/lat-probe.c -ldl -lpthread

# The floor of an apply pass (issue 16): the bare system calls, no library.
$(BENCH_FLOOR): $(srcdir)/bench/floor.c
	@$(MKDIR_P) bench
	$(AM_V_CCLD)$(CC) $(WARN_CFLAGS) -O2 -g -o $@ $(srcdir)/bench/floor.c

bench/nl-inject.so: $(srcdir)/bench/nl-inject.c
	@$(MKDIR_P) bench
	$(AM_V_CCLD)$(CC) $(WARN_CFLAGS) -O2 -g -fPIC -fvisibility=hidden -shared -o $@ $(srcdir)/bench/nl-inject.c -ldl

bench: vfio-platform-bindd$(EXEEXT) vfio-platform-bindctl$(EXEEXT) $(FAKE_KERNEL_SHIM) $(BENCH_PROGRAM) $(BENCH_PRELOADS) $(BENCH_FLOOR)
	$(SHELL) $(srcdir)/bench/run.sh --builddir='$(abs_top_builddir)' --srcdir='$(abs_top_srcdir)' $(BENCH_FLAGS)
else
bench:
	@echo "make bench needs umockdev (tools/setup.sh installs it); then run configure again." >&2; exit 1
endif
else
bench:
	@echo "make bench needs the test dependencies: configure --enable-tests=yes (tools/setup.sh installs them)." >&2; exit 1
endif
.PHONY: bench

# Policy load time (issue 13): "make bench-policy" prints parse+finalize time at 1,000, 10,000 and
# 100,000 generated rules (bench/policy-load.c). Needs only the library.
CLEANFILES += bench/policy-load
bench/policy-load: $(srcdir)/bench/policy-load.c $(srcdir)/tests/policy-gen.c $(srcdir)/tests/policy-gen.h src/libvpb.a
	@$(MKDIR_P) bench
	$(AM_V_CCLD)$(CC) $(AM_CPPFLAGS) -I$(srcdir)/tests $(WARN_CFLAGS) -O2 -g -o $@ $(srcdir)/bench/policy-load.c \
		$(srcdir)/tests/policy-gen.c $(LIBVPB) $(KMOD_LIBS) -lm
bench-policy: bench/policy-load
	./bench/policy-load
.PHONY: bench-policy
