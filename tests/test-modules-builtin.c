/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The boot window, offline: which built-in module of a kernel claims a device-tree node, read from
 * a modules.builtin.modinfo written as kbuild writes it (NUL-separated "module.key=value"
 * records, with the NUL padding objcopy may leave), and the init function to blacklist, read from
 * a kallsyms written as the kernel prints it. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin-driver.h"
#include "macro.h"
#include "modules-builtin.h"
#include "testutil.h"

#define RELEASE "6.18.0-test"

/* What a 6.18 arm64 kernel writes: generated aliases in pairs, explicit MODULE_ALIAS() strings,
 * other keys, a hand-written alias that names the node, and padding. */
static const char modinfo[] =
        "amba_pl011.license=GPL\0amba_pl011.alias=amba:d00041011\0"
        "of_serial.alias=of:N*T*Cns16550a\0of_serial.alias=of:N*T*Cns16550aC*\0"
        "dw8250.alias=of:N*T*Csnps,dw-apb-uart\0dw8250.alias=of:N*T*Csnps,dw-apb-uartC*\0"
        "dw8250.description=Synopsys DesignWare 8250 serial port driver\0"
        "simplefb.alias=of:NframebufferT*Csimple-framebuffer\0"
        "gpio_pl061.file=drivers/gpio/gpio-pl061\0gpio_pl061.alias=of:N*T*Carm,pl061\0"
        "gpio_pl061.alias=of:N*T*Carm,pl061C*\0"
        "spaced.alias=of:N*T*Cvendor,two_words\0"
        "broken.alias\0.alias=of:N*T*Cnameless\0a.b.alias=of:N*T*Cdotted\0"
        "\0\0\0";

static char *root;
static int root_fd = -EBADF;

static void write_at(const char *rel, const char *data, size_t size) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
        ck_assert_ptr_nonnull(f = fopen(p, "we"));
        ck_assert_uint_eq(fwrite(data, 1, size, f), size);
        ck_assert_int_eq(fclose(f), 0);
}

static void setup(void) {
        root = tu_mkdtemp();
        tu_write(root, "proc/sys/kernel/osrelease", RELEASE "\n");
        tu_mkdir_p(root, "lib/modules/" RELEASE);
        write_at("lib/modules/" RELEASE "/modules.builtin.modinfo", modinfo, sizeof modinfo - 1);
        root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(root_fd, 0);
}

static void teardown(void) {
        close(root_fd);
        tu_rm_rf(root);
        free(root);
}

/* The modules a node goes to, as "module compatible; ...", or "" when none. */
static const char *claim_max(const BuiltinModules *m, const char *node, char **compatibles, size_t max) {
        static char buf[512];
        BuiltinClaim claims[BUILTIN_CLAIMS_MAX];
        size_t n, len = 0;

        ck_assert_uint_le(max, BUILTIN_CLAIMS_MAX);
        n = builtin_modules_claim_of(m, node, compatibles, claims, max);
        ck_assert_uint_le(n, max);
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++)
                len += snprintf(buf + len, sizeof buf - len, "%s%.*s %s", i ? "; " : "", (int) claims[i].module_len,
                                claims[i].module, claims[i].compatible);
        return buf;
}

static const char *claim(const BuiltinModules *m, const char *node, char **compatibles) {
        return claim_max(m, node, compatibles, BUILTIN_CLAIMS_MAX);
}

START_TEST(test_release_and_load) {
        _cleanup_(builtin_modules_done) BuiltinModules m = {};
        char release[65];

        kernel_release_read(root_fd, release, sizeof release);
        ck_assert_str_eq(release, RELEASE);
        ck_assert_int_eq(builtin_modules_load(root_fd, release, &m), 0);
        ck_assert_uint_eq(m.size, sizeof modinfo - 1);
        /* the generated, the explicit of: and the hand-written ones; not amba:, not the malformed */
        ck_assert_uint_eq(m.n_of_aliases, 8);
        builtin_modules_done(&m);
        ck_assert_int_eq(builtin_modules_load(root_fd, "5.10.0-other", &m), -ENOENT);
        ck_assert_int_eq(builtin_modules_load(root_fd, "../" RELEASE, &m), -ENOENT);
        ck_assert_int_eq(builtin_modules_load(root_fd, "", &m), -ENOENT);
        ck_assert_ptr_null(m.data);
}
END_TEST

START_TEST(test_claim_of) {
        _cleanup_(builtin_modules_done) BuiltinModules m = {};

        ck_assert_int_eq(builtin_modules_load(root_fd, RELEASE, &m), 0);
        /* every module that claims one of them can take it; the most specific compatible's first */
        ck_assert_str_eq(claim(&m, "serial", (char *[]) { "snps,dw-apb-uart", "ns16550a", NULL }),
                         "dw8250 snps,dw-apb-uart; of_serial ns16550a");
        ck_assert_str_eq(claim(&m, "serial", (char *[]) { "ns16550a", "snps,dw-apb-uart", NULL }),
                         "of_serial ns16550a; dw8250 snps,dw-apb-uart");
        ck_assert_str_eq(claim_max(&m, "serial", (char *[]) { "snps,dw-apb-uart", "ns16550a", NULL }, 1),
                         "dw8250 snps,dw-apb-uart");
        /* a module once, though both of its aliases fit a node with more compatibles */
        ck_assert_str_eq(claim(&m, "serial", (char *[]) { "ns16550a", "ns16550a", NULL }), "of_serial ns16550a");
        ck_assert_str_eq(claim(&m, "serial", (char *[]) { "vendor,soc-uart", "ns16550a", NULL }),
                         "of_serial ns16550a");
        ck_assert_str_eq(claim(&m, "gpio", (char *[]) { "arm,pl061", "arm,primecell", NULL }), "gpio_pl061 arm,pl061");
        /* a hand-written alias that names the node matches only that node */
        ck_assert_str_eq(claim(&m, "framebuffer", (char *[]) { "simple-framebuffer", NULL }),
                         "simplefb simple-framebuffer");
        ck_assert_str_eq(claim(&m, "fb", (char *[]) { "simple-framebuffer", NULL }), "");
        /* a space in a compatible is an underscore in the modalias and in the alias */
        ck_assert_str_eq(claim(&m, "x", (char *[]) { "vendor,two words", NULL }), "spaced vendor,two words");
        /* AMBA devices match by peripheral ID, read from the hardware: not claimed by compatible */
        ck_assert_str_eq(claim(&m, "serial", (char *[]) { "arm,pl011", "arm,primecell", NULL }), "");
        ck_assert_str_eq(claim(&m, "x", (char *[]) { "nameless", "dotted", NULL }), "");
        ck_assert_str_eq(claim(&m, "x", NULL), "");
}
END_TEST

START_TEST(test_initcall) {
        static const char kallsyms[] =
                "ffff800008a1b2c4 t pl061_gpio_driver_init\n"
                "ffff800008a1b2c8 t of_serial_init\n"
                "ffff800008a1b2cc t dw8250_platform_driver_init\n"
                "ffff800008a1b2d0 d __initcall__kmod_dw8250__301_802_dw8250_platform_driver_init6\n"
                "ffff800008a1b2d4 t dw8250_init\n"
                "ffff800008a1b2d8 t vfio_platform_driver_init\t[vfio_platform]\n";
        char fn[128];

        write_at("proc/kallsyms", kallsyms, sizeof kallsyms - 1);
        /* the initcall record names it for certain, before any guess */
        builtin_initcall_find(root_fd, "dw8250", fn, sizeof fn);
        ck_assert_str_eq(fn, "dw8250_platform_driver_init");
        builtin_initcall_find(root_fd, "of_serial", fn, sizeof fn);
        ck_assert_str_eq(fn, "of_serial_init");
        /* the module named after its file, the driver the other way round */
        builtin_initcall_find(root_fd, "gpio_pl061", fn, sizeof fn);
        ck_assert_str_eq(fn, "pl061_gpio_driver_init");
        /* a driver name, as explain uses it */
        builtin_initcall_find(root_fd, "pl061-gpio", fn, sizeof fn);
        ck_assert_str_eq(fn, "pl061_gpio_driver_init");
        builtin_initcall_find(root_fd, "simplefb", fn, sizeof fn);
        ck_assert_str_eq(fn, "");
        /* a loadable module's init function is not a built-in init call */
        builtin_initcall_find(root_fd, "vfio_platform", fn, sizeof fn);
        ck_assert_str_eq(fn, "");
        /* a word more or less is not the same driver */
        builtin_initcall_find(root_fd, "gpio_pl061_extra", fn, sizeof fn);
        ck_assert_str_eq(fn, "");
        builtin_initcall_find(root_fd, "gpio", fn, sizeof fn);
        ck_assert_str_eq(fn, "");
}
END_TEST

START_TEST(test_no_kallsyms) {
        char fn[128] = "stale";

        builtin_initcall_find(root_fd, "gpio_pl061", fn, sizeof fn);
        ck_assert_str_eq(fn, "");
}
END_TEST

static Suite *modules_builtin_suite(void) {
        Suite *s = suite_create("modules-builtin");
        TCase *tc = tcase_create("modules-builtin");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_release_and_load);
        tcase_add_test(tc, test_claim_of);
        tcase_add_test(tc, test_initcall);
        tcase_add_test(tc, test_no_kallsyms);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return tu_run(modules_builtin_suite());
}
