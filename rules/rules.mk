# udev rule generator, units, initramfs hooks: fragment of Makefile.am
src_libvpb_a_SOURCES += src/udev-rules.c src/udev-rules.h src/rules-file.c src/rules-file.h

# Templates, filled with the configured paths at build time rather than by configure: make
# expands $(sbindir) fully, and "make prefix=..." changes it.
vpb_edit = $(SED) \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g'
vpb_edit_rule = $(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
	$(vpb_edit) $(srcdir)/$@.in >$@.tmp && mv -f $@.tmp $@

vpb_templates = \
	units/vfio-platform-bindd.service \
	units/vfio-platform-bind-early.service \
	initramfs/initramfs-tools/hooks/vfio-platform-bindd \
	initramfs/initramfs-tools/scripts/init-top/early-vfio-platform-bind \
	initramfs/dracut/90vfio-platform-bindd/module-setup.sh \
	initramfs/dracut/90vfio-platform-bindd/vfio-platform-bindd-early.sh
CLEANFILES += $(vpb_templates)
EXTRA_DIST += \
	units/vfio-platform-bindd.service.in \
	units/vfio-platform-bind-early.service.in \
	initramfs/initramfs-tools/hooks/vfio-platform-bindd.in \
	initramfs/initramfs-tools/scripts/init-top/early-vfio-platform-bind.in \
	initramfs/dracut/90vfio-platform-bindd/module-setup.sh.in \
	initramfs/dracut/90vfio-platform-bindd/vfio-platform-bindd-early.sh.in

units/vfio-platform-bindd.service: $(srcdir)/units/vfio-platform-bindd.service.in Makefile
	$(vpb_edit_rule)
units/vfio-platform-bind-early.service: $(srcdir)/units/vfio-platform-bind-early.service.in Makefile
	$(vpb_edit_rule)
initramfs/initramfs-tools/hooks/vfio-platform-bindd: \
		$(srcdir)/initramfs/initramfs-tools/hooks/vfio-platform-bindd.in Makefile
	$(vpb_edit_rule)
initramfs/initramfs-tools/scripts/init-top/early-vfio-platform-bind: \
		$(srcdir)/initramfs/initramfs-tools/scripts/init-top/early-vfio-platform-bind.in Makefile
	$(vpb_edit_rule)
initramfs/dracut/90vfio-platform-bindd/module-setup.sh: \
		$(srcdir)/initramfs/dracut/90vfio-platform-bindd/module-setup.sh.in Makefile
	$(vpb_edit_rule)
initramfs/dracut/90vfio-platform-bindd/vfio-platform-bindd-early.sh: \
		$(srcdir)/initramfs/dracut/90vfio-platform-bindd/vfio-platform-bindd-early.sh.in Makefile
	$(vpb_edit_rule)

# systemd units, in the directory configure found (--with-systemdsystemunitdir).
nodist_systemdsystemunit_DATA = units/vfio-platform-bindd.service units/vfio-platform-bind-early.service
dist_systemdsystemunit_DATA = units/vfio-platform-bind.target

# initramfs-tools and dracut read their hooks from fixed places (/usr/share/initramfs-tools,
# /usr/lib/dracut/modules.d): right with --prefix=/usr. They stay under $(prefix) so that
# "make distcheck" installs without root; override them at install time otherwise:
#   make install initramfstoolsdir=/usr/share/initramfs-tools dracutmodulesdir=/usr/lib/dracut/modules.d
initramfstoolsdir = $(datadir)/initramfs-tools
initramfstoolshooksdir = $(initramfstoolsdir)/hooks
initramfstoolsinittopdir = $(initramfstoolsdir)/scripts/init-top
dracutmodulesdir = $(prefix)/lib/dracut/modules.d
dracutmoduledir = $(dracutmodulesdir)/90vfio-platform-bindd
nodist_initramfstoolshooks_SCRIPTS = initramfs/initramfs-tools/hooks/vfio-platform-bindd
nodist_initramfstoolsinittop_SCRIPTS = initramfs/initramfs-tools/scripts/init-top/early-vfio-platform-bind
nodist_dracutmodule_SCRIPTS = \
	initramfs/dracut/90vfio-platform-bindd/module-setup.sh \
	initramfs/dracut/90vfio-platform-bindd/vfio-platform-bindd-early.sh

if ENABLE_TESTS
check_PROGRAMS += tests/test-udev-rules
TESTS += tests/test-udev-rules tests/test-units.sh
# tests/test-units.sh checks that the units name the programs where they get installed.
AM_TESTS_ENVIRONMENT += export VPB_SBINDIR='$(sbindir)';

tests_test_udev_rules_SOURCES = tests/test-udev-rules.c tests/udev-eval.c tests/udev-eval.h \
	tests/testutil.c tests/testutil.h
tests_test_udev_rules_CFLAGS = $(TEST_CFLAGS)
tests_test_udev_rules_LDADD = $(TEST_LIBS)
endif

EXTRA_DIST += \
	tests/test-units.sh \
	tests/udev-eval.c \
	tests/udev-eval.h \
	tests/udev-rules
