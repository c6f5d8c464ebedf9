/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The offline device tree reader: the devices Linux 6.1 creates from real boards' DTBs and from
 * tests/fdt/synthetic.dts (one case per node), under the kernel's names; and corrupt blobs
 * refused with a clear message, never a crash or a read out of bounds. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtb.h"
#include "strv.h"
#include "testutil.h"
#include "validate.h"

typedef struct Blob {
        uint8_t *data;
        size_t size;
} Blob;

typedef struct List {
        DeviceInfo *d;
        size_t n;
} List;

static Blob load(const char *name) {
        _cleanup_free_ char *path = NULL;
        Blob b = {};
        void *data;

        ck_assert_int_ge(asprintf(&path, "%s/fdt/%s", TESTS_SRCDIR, name), 0);
        ck_assert_int_eq(fdt_read_file(path, &data, &b.size), 0);
        b.data = data;
        return b;
}

static List list_ok(const void *data, size_t size) {
        List l = {};
        char *err = (char *) "untouched";

        ck_assert_int_eq(fdt_list_devices(data, size, &l.d, &l.n, &err), 0);
        ck_assert_ptr_null(err);
        return l;
}

static void list_done(List *l) {
        fdt_devices_free(l->d, l->n);
        *l = (List) {};
}

static const DeviceInfo *find_name(const List *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->d[i].name, name))
                        return &l->d[i];
        return NULL;
}

static const DeviceInfo *find_path(const List *l, const char *path) {
        for (size_t i = 0; i < l->n; i++)
                if (streq_ptr(l->d[i].of_fullname, path))
                        return &l->d[i];
        return NULL;
}

static size_t count_bus(const List *l, Bus bus) {
        size_t k = 0;

        for (size_t i = 0; i < l->n; i++)
                k += l->d[i].bus == bus;
        return k;
}

typedef struct Expect {
        const char *name;
        Bus bus;
        const char *path;
        const char *compatible;         /* the first one */
} Expect;

static void check_expected(const List *l, const Expect *e, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const DeviceInfo *d = find_name(l, e[i].name);

                ck_assert_msg(d, "no device %s", e[i].name);
                ck_assert_msg(d->bus == e[i].bus, "%s: on bus %s", e[i].name, bus_to_string(d->bus));
                ck_assert_str_eq(d->of_fullname, e[i].path);
                ck_assert_ptr_nonnull(d->compatibles);
                ck_assert_str_eq(d->compatibles[0], e[i].compatible);
        }
}

/* No node creates a device twice, none is nameless, no name is reused on a bus. */
static void check_invariants(const List *l) {
        for (size_t i = 0; i < l->n; i++) {
                ck_assert(device_name_is_valid(l->d[i].name));
                ck_assert_ptr_nonnull(l->d[i].of_fullname);
                ck_assert_int_eq(l->d[i].of_fullname[0], '/');
                ck_assert_ptr_null(l->d[i].driver);
                for (size_t j = i + 1; j < l->n; j++) {
                        ck_assert_str_ne(l->d[i].of_fullname, l->d[j].of_fullname);
                        ck_assert(l->d[i].bus != l->d[j].bus || !streq(l->d[i].name, l->d[j].name));
                }
        }
}

static List list_file(const char *name) {
        Blob b = load(name);
        List l = list_ok(b.data, b.size);

        free(b.data);
        check_invariants(&l);
        return l;
}

/* ---- Real boards (DTBs from Debian's linux-image-6.1.0-56-arm64 6.1.192-2, see fdt/README).
 * The names below follow from the tree and drivers/of/platform.c; those marked "seen" are the
 * names these boards' devices have in kernel logs and sysfs listings users post. */

START_TEST(test_rpi4) {
        static const Expect e[] = {
                /* seen: "fe201000.serial: ttyAMA0 at MMIO 0xfe201000 ... is a PL011 rev2", on amba */
                { "fe201000.serial", BUS_AMBA, "/soc/serial@7e201000", "arm,pl011" },
                /* seen: "fe215040.serial: ttyS0 at MMIO 0xfe215040", the mini UART */
                { "fe215040.serial", BUS_PLATFORM, "/soc/serial@7e215040", "brcm,bcm2835-aux-uart" },
                /* seen: "mmc0: SDHCI controller on fe340000.mmc"; under /emmc2bus, another
                 * simple-bus with its own ranges */
                { "fe340000.mmc", BUS_PLATFORM, "/emmc2bus/mmc@7e340000", "brcm,bcm2711-emmc2" },
                /* seen: "brcm-pcie fd500000.pcie", "bcmgenet fd580000.ethernet": /scb maps
                 * 0x7c000000 to 0xfc000000 with 2 address cells on the parent side */
                { "fd500000.pcie", BUS_PLATFORM, "/scb/pcie@7d500000", "brcm,bcm2711-pcie" },
                { "fd580000.ethernet", BUS_PLATFORM, "/scb/ethernet@7d580000", "brcm,bcm2711-genet-v5" },
                /* the third range of /soc: 0x40000000 -> 0xff800000 */
                { "ff841000.interrupt-controller", BUS_PLATFORM, "/soc/interrupt-controller@40041000", "arm,gic-400" },
                /* seen: "raspberrypi-firmware soc:firmware: Attached to firmware": no reg, so
                 * the parent's name comes first; simple-mfd, so its children too */
                { "soc:firmware", BUS_PLATFORM, "/soc/firmware", "raspberrypi,bcm2835-firmware" },
                { "soc:firmware:gpio", BUS_PLATFORM, "/soc/firmware/gpio", "raspberrypi,firmware-gpio" },
                /* a child without reg of a simple-mfd with reg */
                { "fd5d2000.avs-monitor:thermal", BUS_PLATFORM, "/soc/avs-monitor@7d5d2000/thermal",
                  "brcm,bcm2711-thermal" },
                { "soc", BUS_PLATFORM, "/soc", "simple-bus" },
                { "leds", BUS_PLATFORM, "/leds", "gpio-leds" },
                { "timer", BUS_PLATFORM, "/timer", "arm,armv8-timer" },
        };
        List l = list_file("bcm2711-rpi-4-b.dtb");

        check_expected(&l, e, ELEMENTSOF(e));
        /* The other PL011s are disabled. */
        ck_assert_ptr_null(find_path(&l, "/soc/serial@7e201400"));
        ck_assert_uint_eq(count_bus(&l, BUS_AMBA), 1);
        /* A disabled reserved-memory nvmem-rmem node. */
        ck_assert_ptr_null(find_path(&l, "/reserved-memory/nvram@0"));
        /* No compatible: /cpus, /memory@0, /aliases, /chosen are no devices. */
        ck_assert_ptr_null(find_path(&l, "/cpus"));
        ck_assert_ptr_null(find_path(&l, "/chosen"));
        /* Pin-configuration children of the (non-bus) GPIO controller. */
        ck_assert_ptr_null(find_path(&l, "/soc/gpio@7e200000/i2c0_gpio0"));
        ck_assert_uint_eq(l.n, 54);
        list_done(&l);
}
END_TEST

START_TEST(test_rock64) {
        static const Expect e[] = {
                /* seen: "ff130000.serial: ttyS2 at MMIO 0xff130000", "dwmmc_rockchip ff500000.mmc",
                 * "rk_gmac-dwmac ff540000.ethernet": devices at the root, reg translated 1:1 */
                { "ff130000.serial", BUS_PLATFORM, "/serial@ff130000", "rockchip,rk3328-uart" },
                { "ff500000.mmc", BUS_PLATFORM, "/mmc@ff500000", "rockchip,rk3328-dw-mshc" },
                { "ff540000.ethernet", BUS_PLATFORM, "/ethernet@ff540000", "rockchip,rk3328-gmac" },
                /* seen: "dma-pl330 ff1f0000.dma-controller: Loaded driver for PL330 DMAC" */
                { "ff1f0000.dma-controller", BUS_AMBA, "/dma-controller@ff1f0000", "arm,pl330" },
                /* seen: "rockchip-iodomain ff100000.syscon:io-domains": the GRF is a simple-mfd */
                { "ff100000.syscon:io-domains", BUS_PLATFORM, "/syscon@ff100000/io-domains",
                  "rockchip,rk3328-io-voltage-domain" },
                /* seen: "rockchip-usb2phy ff450000.syscon:usb2phy@100": reg, but the syscon has no
                 * "ranges", so the full node name */
                { "ff450000.syscon:usb2phy@100", BUS_PLATFORM, "/syscon@ff450000/usb2phy@100",
                  "rockchip,rk3328-usb2phy" },
                { "psci", BUS_PLATFORM, "/psci", "arm,psci-1.0" },
                { "pinctrl", BUS_PLATFORM, "/pinctrl", "rockchip,rk3328-pinctrl" },
        };
        List l = list_file("rk3328-rock64.dtb");

        check_expected(&l, e, ELEMENTSOF(e));
        /* The GPIO banks under /pinctrl are created by the pinctrl driver, not at populate. */
        ck_assert_ptr_null(find_path(&l, "/pinctrl/gpio@ff210000"));
        /* Disabled on this board. */
        ck_assert_ptr_null(find_path(&l, "/i2c@ff150000"));
        ck_assert_ptr_null(find_path(&l, "/opp-table-0"));
        ck_assert_uint_eq(count_bus(&l, BUS_AMBA), 1);
        ck_assert_uint_eq(l.n, 53);
        list_done(&l);
}
END_TEST

START_TEST(test_pine64) {
        static const Expect e[] = {
                /* seen: "1c28000.serial: ttyS0 at MMIO 0x1c28000", "sunxi-mmc 1c0f000.mmc",
                 * "dwmac-sun8i 1c30000.ethernet", "sunxi-rsb 1f03400.rsb" */
                { "1c28000.serial", BUS_PLATFORM, "/soc/serial@1c28000", "snps,dw-apb-uart" },
                { "1c0f000.mmc", BUS_PLATFORM, "/soc/mmc@1c0f000", "allwinner,sun50i-a64-mmc" },
                { "1c30000.ethernet", BUS_PLATFORM, "/soc/ethernet@1c30000", "allwinner,sun50i-a64-emac" },
                { "1f03400.rsb", BUS_PLATFORM, "/soc/rsb@1f03400", "allwinner,sun8i-a23-rsb" },
                { "1000000.bus", BUS_PLATFORM, "/soc/bus@1000000", "allwinner,sun50i-a64-de2" },
                { "display-engine", BUS_PLATFORM, "/display-engine", "allwinner,sun50i-a64-display-engine" },
        };
        List l = list_file("sun50i-a64-pine64-plus.dtb");

        check_expected(&l, e, ELEMENTSOF(e));
        /* The boot loader enables the simple-framebuffer nodes of /chosen; disabled here. */
        ck_assert_ptr_null(find_path(&l, "/chosen/framebuffer-lcd"));
        ck_assert_ptr_null(find_path(&l, "/chosen/framebuffer-hdmi"));
        /* The DE2 bus is not a simple-bus: its driver populates it. */
        ck_assert_ptr_null(find_path(&l, "/soc/bus@1000000/mixer@100000"));
        /* The PMIC sits on the RSB bus, not on the platform bus. */
        ck_assert_ptr_null(find_path(&l, "/soc/rsb@1f03400/pmic@3a3"));
        ck_assert_uint_eq(count_bus(&l, BUS_AMBA), 0);
        ck_assert_uint_eq(l.n, 47);
        list_done(&l);
}
END_TEST

START_TEST(test_imx8mq) {
        static const Expect e[] = {
                /* seen: /sys/devices/platform/soc@0: no reg, so the full name, unit address
                 * included */
                { "soc@0", BUS_PLATFORM, "/soc@0", "fsl,imx8mq-soc" },
                /* seen: "30860000.serial: ttymxc0 at MMIO 0x30860000", "fec 30be0000.ethernet",
                 * "mmc0: SDHCI controller on 30b40000.mmc": two simple-bus levels down */
                { "30000000.bus", BUS_PLATFORM, "/soc@0/bus@30000000", "fsl,aips-bus" },
                { "30860000.serial", BUS_PLATFORM, "/soc@0/bus@30800000/serial@30860000", "fsl,imx8mq-uart" },
                { "30be0000.ethernet", BUS_PLATFORM, "/soc@0/bus@30800000/ethernet@30be0000", "fsl,imx8mq-fec" },
                { "30b40000.mmc", BUS_PLATFORM, "/soc@0/bus@30800000/mmc@30b40000", "fsl,imx8mq-usdhc" },
                /* seen: "snvs_rtc 30370000.snvs:snvs-rtc-lp: registered as rtc0" and
                 * "input: 30370000.snvs:snvs-powerkey as /devices/platform/soc@0/30000000.bus/..." */
                { "30370000.snvs:snvs-rtc-lp", BUS_PLATFORM, "/soc@0/bus@30000000/snvs@30370000/snvs-rtc-lp",
                  "fsl,sec-v4.0-mon-rtc-lp" },
                { "30370000.snvs:snvs-powerkey", BUS_PLATFORM, "/soc@0/bus@30000000/snvs@30370000/snvs-powerkey",
                  "fsl,sec-v4.0-pwrkey" },
                /* seen: "imx6q-pcie 33800000.pcie" */
                { "33800000.pcie", BUS_PLATFORM, "/soc@0/pcie@33800000", "fsl,imx8mq-pcie" },
                { "38200000.usb", BUS_PLATFORM, "/soc@0/usb@38200000", "fsl,imx8mq-dwc3" },
        };
        List l = list_file("imx8mq-evk.dtb");

        check_expected(&l, e, ELEMENTSOF(e));
        /* Disabled on the EVK. */
        ck_assert_ptr_null(find_path(&l, "/soc@0/usb@38100000"));
        /* The PMIC is an I2C device; the operating points of a device are no device. */
        ck_assert_ptr_null(find_path(&l, "/soc@0/bus@30800000/i2c@30a20000/pmic@8"));
        ck_assert_ptr_null(find_path(&l, "/soc@0/interconnect@32700000/opp-table"));
        ck_assert_uint_eq(count_bus(&l, BUS_AMBA), 0);
        ck_assert_uint_eq(l.n, 76);
        list_done(&l);
}
END_TEST

START_TEST(test_juno) {
        static const Expect e[] = {
                /* seen: "7ff80000.serial: ttyAMA0 at MMIO 0x7ff80000 ... is a PL011 rev3" */
                { "7ff80000.serial", BUS_AMBA, "/serial@7ff80000", "arm,pl011" },
                { "7ff00000.dma-controller", BUS_AMBA, "/dma-controller@7ff00000", "arm,pl330" },
                /* seen: "smsc911x 18000000.ethernet": chip select 2 of the motherboard bus,
                 * through two "ranges" with 2 address cells */
                { "18000000.ethernet", BUS_PLATFORM, "/bus@8000000/motherboard-bus@8000000/ethernet@200000000",
                  "smsc,lan9118" },
                /* buses without reg: every name on the way */
                { "bus@8000000:motherboard-bus@8000000", BUS_PLATFORM, "/bus@8000000/motherboard-bus@8000000",
                  "arm,vexpress,v2p-p1" },
                { "bus@8000000:motherboard-bus@8000000:iofpga-bus@300000000", BUS_PLATFORM,
                  "/bus@8000000/motherboard-bus@8000000/iofpga-bus@300000000", "simple-bus" },
                { "1c170000.rtc", BUS_AMBA, "/bus@8000000/motherboard-bus@8000000/iofpga-bus@300000000/rtc@170000",
                  "arm,pl031" },
                /* LEDs sharing one register: the "mask" bit number tells them apart */
                { "1c010008.0.led", BUS_PLATFORM,
                  "/bus@8000000/motherboard-bus@8000000/iofpga-bus@300000000/apbregs@10000/led@8,0",
                  "register-bit-led" },
                { "1c010008.7.led", BUS_PLATFORM,
                  "/bus@8000000/motherboard-bus@8000000/iofpga-bus@300000000/apbregs@10000/led@8,7",
                  "register-bit-led" },
                { "22040000.etm", BUS_AMBA, "/etm@22040000", "arm,coresight-etm4x" },
        };
        List l = list_file("juno.dtb");

        check_expected(&l, e, ELEMENTSOF(e));
        ck_assert_uint_eq(count_bus(&l, BUS_AMBA), 41);
        ck_assert_uint_eq(l.n, 83);
        list_done(&l);
}
END_TEST

/* ---- tests/fdt/synthetic.dts: one rule per node. */

START_TEST(test_synthetic) {
        static const Expect e[] = {
                { "90000000.ramoops", BUS_PLATFORM, "/reserved-memory/ramoops@90000000", "ramoops" },
                { "firmware:optee", BUS_PLATFORM, "/firmware/optee", "linaro,optee-tz" },
                { "be000000.framebuffer", BUS_PLATFORM, "/chosen/framebuffer@be000000", "simple-framebuffer" },
                { "gpio-keys", BUS_PLATFORM, "/gpio-keys", "gpio-keys" },
                { "soc", BUS_PLATFORM, "/soc", "simple-bus" },
                { "10001000.serial", BUS_PLATFORM, "/soc/serial@1000", "vpb,uart" },
                { "10003000.serial", BUS_PLATFORM, "/soc/serial@3000", "vpb,uart" },
                { "1200000000.mmc", BUS_PLATFORM, "/soc/mmc@80000000", "vpb,mmc" },
                { "soc:leds", BUS_PLATFORM, "/soc/leds", "gpio-leds" },
                { "soc:odd-reg@f000000", BUS_PLATFORM, "/soc/odd-reg@f000000", "vpb,odd" },
                { "10006000.syscon", BUS_PLATFORM, "/soc/syscon@6000", "vpb,syscon" },
                { "10006000.syscon:phy@100", BUS_PLATFORM, "/soc/syscon@6000/phy@100", "vpb,phy" },
                { "10006000.syscon:reboot", BUS_PLATFORM, "/soc/syscon@6000/reboot", "syscon-reboot" },
                { "10007000.regs", BUS_PLATFORM, "/soc/regs@7000", "syscon" },
                { "10007008.3.led", BUS_PLATFORM, "/soc/regs@7000/led@8,3", "register-bit-led" },
                { "10007008.0.led", BUS_PLATFORM, "/soc/regs@7000/led@8,0", "register-bit-led" },
                { "10008000.i2c", BUS_PLATFORM, "/soc/i2c@8000", "vpb,i2c" },
                { "10009000.pm-bus", BUS_PLATFORM, "/soc/pm-bus@9000", "simple-pm-bus" },
                { "1000a000.dma", BUS_AMBA, "/soc/dma@a000", "arm,pl330" },
                { "amba", BUS_PLATFORM, "/amba", "arm,amba-bus" },
                { "20001000.serial", BUS_AMBA, "/amba/serial@1000", "arm,pl011" },
                { "20004000.gpio", BUS_PLATFORM, "/amba/gpio@4000", "vpb,gpio" },
                { "20005000.bridge", BUS_AMBA, "/amba/bridge@5000", "arm,primecell" },
                { "isa", BUS_PLATFORM, "/isa", "isa" },
                { "300003f8.serial", BUS_PLATFORM, "/isa/serial@1,3f8", "ns16550a" },
                { "isa:serial@2f8", BUS_PLATFORM, "/isa/serial@2f8", "ns16550a" },
                { "bus@40000000", BUS_PLATFORM, "/bus@40000000", "simple-bus" },
                { "40000100.uart", BUS_PLATFORM, "/bus@40000000/uart@100", "vpb,uart" },
                { "bus-alias@40000000", BUS_PLATFORM, "/bus-alias@40000000", "simple-bus" },
                { "40000200.uart", BUS_PLATFORM, "/bus-alias@40000000/uart@200", "vpb,uart" },
                { "bus@50000000", BUS_PLATFORM, "/bus@50000000", "simple-bus" },
                { "bus@50000000:dev@1", BUS_PLATFORM, "/bus@50000000/dev@1", "vpb,dev" },
                { "60000000.mem", BUS_PLATFORM, "/mem@60000000", "vpb,mem" },
                { "short-reg", BUS_PLATFORM, "/short-reg", "vpb,short" },
                { "70000000.pci", BUS_PLATFORM, "/pci@70000000", "vpb,host" },
                { "78000100.dev", BUS_PLATFORM, "/pci@70000000/dev@0,100", "vpb,pcidev" },
                { "70000000.pci:dev@1,0", BUS_PLATFORM, "/pci@70000000/dev@1,0", "vpb,pcidev" },
                { "flags-bus", BUS_PLATFORM, "/flags-bus", "simple-bus" },
                { "7a000010.dev", BUS_PLATFORM, "/flags-bus/dev@1,0,10", "vpb,dev" },
                { "flags-bus:dev@2,0,20", BUS_PLATFORM, "/flags-bus/dev@2,0,20", "vpb,dev" },
        };
        static const char * const absent[] = {
                "/chosen/framebuffer@bf000000",         /* only the first framebuffer */
                "/firmware",                            /* no compatible */
                "/firmware/scm",                        /* disabled */
                "/reserved-memory/pool@a0000000",       /* reserved memory is no device */
                "/opp-table",                           /* of_skipped_node_table */
                "/gpio-keys/key-power",                 /* parent is no bus */
                "/plain", "/plain/bus@0",               /* no compatible, so no children either */
                "/soc/serial@2000",                     /* disabled */
                "/soc/serial@4000",                     /* status "fail" */
                "/soc/serial@5000",                     /* no compatible */
                "/soc/i2c@8000/sensor@48",              /* i2c is no bus here */
                "/soc/pm-bus@9000/timer@9100",          /* simple-pm-bus: no driver to populate it */
                "/amba/serial@2000",                    /* disabled */
                "/amba/rtc",                            /* AMBA without a register window */
                "/amba/bridge@5000/serial@5010",        /* a primecell is never a bus */
                "/bus-alias@40000000/uart@100",         /* its name is taken */
        };
        List l = list_file("synthetic.dtb");

        check_expected(&l, e, ELEMENTSOF(e));
        for (size_t i = 0; i < ELEMENTSOF(absent); i++)
                ck_assert_msg(!find_path(&l, absent[i]), "%s has a device", absent[i]);
        ck_assert_uint_eq(l.n, ELEMENTSOF(e));

        /* The kernel's creation order: reserved memory, /firmware, /chosen, then the tree. */
        ck_assert_str_eq(l.d[0].name, "90000000.ramoops");
        ck_assert_str_eq(l.d[1].name, "firmware:optee");
        ck_assert_str_eq(l.d[2].name, "be000000.framebuffer");
        ck_assert_str_eq(l.d[3].name, "gpio-keys");
        list_done(&l);
}
END_TEST

/* Nodes at depth 63 and below are dropped, as unflatten_dt_nodes() does. */
START_TEST(test_deep) {
        _cleanup_free_ char *leaf = NULL, *path = NULL;
        List l = list_file("deep.dtb");
        size_t len = 0;
        FILE *f;

        /* 62 buses "b", "b:b", ... and the leaf at depth 62. */
        ck_assert_uint_eq(l.n, 63);
        f = open_memstream(&leaf, &len);
        for (int i = 0; i < 61; i++)
                fputs("b:", f);
        fputs("leaf", f);
        fclose(f);
        ck_assert_ptr_nonnull(find_name(&l, leaf));
        f = open_memstream(&path, &len);
        for (int i = 0; i < 62; i++)
                fputs("/b", f);
        fputs("/leaf", f);
        fclose(f);
        ck_assert_ptr_null(find_path(&l, path));
        list_done(&l);
}
END_TEST

/* ---- Odd names: the kernel turns '/' into '!'; names we could not handle are left out. */

static uint8_t *find_bytes(Blob *b, const char *s) {
        size_t n = strlen(s) + 1;

        for (size_t i = 0; i + n <= b->size; i++)
                if (memcmp(b->data + i, s, n) == 0)
                        return b->data + i;
        return NULL;
}

START_TEST(test_odd_names) {
        Blob b = load("synthetic.dtb");
        uint8_t *p = find_bytes(&b, "mem@60000000");
        List l;

        ck_assert_ptr_nonnull(p);
        p[1] = '/';
        l = list_ok(b.data, b.size);
        ck_assert_ptr_nonnull(find_name(&l, "60000000.m!m"));
        ck_assert_ptr_nonnull(find_path(&l, "/m/m@60000000"));
        list_done(&l);

        p[1] = '\001';
        l = list_ok(b.data, b.size);
        ck_assert_ptr_null(find_path(&l, "/m\001m@60000000"));
        ck_assert_uint_eq(l.n, 39);
        list_done(&l);
        free(b.data);
}
END_TEST

/* ---- Corrupt blobs. Header fields are big-endian 32-bit words. */

enum {
        HDR_MAGIC = 0,
        HDR_TOTALSIZE = 4,
        HDR_OFF_STRUCT = 8,
        HDR_OFF_STRINGS = 12,
        HDR_OFF_RSVMAP = 16,
        HDR_VERSION = 20,
        HDR_LAST_COMP = 24,
        HDR_SIZE_STRINGS = 32,
        HDR_SIZE_STRUCT = 36,
};

static uint32_t get32(const Blob *b, size_t off) {
        const uint8_t *p = b->data + off;

        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void set32(Blob *b, size_t off, uint32_t v) {
        uint8_t *p = b->data + off;

        p[0] = v >> 24;
        p[1] = v >> 16;
        p[2] = v >> 8;
        p[3] = v;
}

/* Refused with @err and a message that contains @needle. The data is copied to a buffer of
 * exactly @size bytes, so that valgrind and ASan see any read past it. */
static void assert_refused(const void *data, size_t size, int err, const char *needle) {
        _cleanup_free_ uint8_t *copy = malloc(size ?: 1);
        _cleanup_free_ char *msg = NULL;
        DeviceInfo *d = (DeviceInfo *) 1;
        size_t n = 42;

        ck_assert_ptr_nonnull(copy);
        memcpy(copy, data, size);
        ck_assert_int_eq(fdt_list_devices(copy, size, &d, &n, &msg), err);
        ck_assert_ptr_nonnull(msg);
        ck_assert_msg(strstr(msg, needle), "\"%s\" does not say \"%s\"", msg, needle);
        /* Untouched on failure. */
        ck_assert_ptr_eq(d, (DeviceInfo *) 1);
        ck_assert_uint_eq(n, 42);
}

START_TEST(test_truncated) {
        Blob b = load("bcm2711-rpi-4-b.dtb");
        static const uint8_t empty[1];

        assert_refused(empty, 0, -EBADMSG, "truncated device tree: 0 bytes");
        assert_refused(b.data, 3, -EBADMSG, "truncated device tree: 3 bytes");
        assert_refused(b.data, 28, -EBADMSG, "shorter than its header");
        assert_refused(b.data, 39, -EBADMSG, "shorter than its header");
        assert_refused(b.data, 40, -EBADMSG, "truncated device tree: header says 27386 bytes, got 40");
        assert_refused(b.data, b.size / 2, -EBADMSG, "header says 27386 bytes");
        assert_refused(b.data, b.size - 1, -EBADMSG, "got 27385");
        free(b.data);
}
END_TEST

START_TEST(test_bad_magic) {
        Blob b = load("bcm2711-rpi-4-b.dtb");
        static const char text[] = "[rule]\ncompatible = arm,pl011\n";

        set32(&b, HDR_MAGIC, 0xedfe0dd0);       /* byte-swapped */
        assert_refused(b.data, b.size, -EINVAL, "not a device tree blob: magic 0xedfe0dd0, expected 0xd00dfeed");
        assert_refused(text, sizeof text - 1, -EINVAL, "not a device tree blob");
        free(b.data);
}
END_TEST

START_TEST(test_bad_header) {
        static const struct {
                size_t field;
                uint32_t value;
                const char *needle;
        } cases[] = {
                /* totalsize larger than the buffer, up to the largest */
                { HDR_TOTALSIZE, 27387, "header says 27387 bytes, got 27386" },
                { HDR_TOTALSIZE, UINT32_MAX, "header says 4294967295 bytes" },
                /* totalsize smaller than the header */
                { HDR_TOTALSIZE, 16, "corrupt device tree header" },
                /* huge offsets and sizes: blocks outside the blob */
                { HDR_OFF_STRUCT, 0xfffffff0, "corrupt device tree header: a block or a property runs past" },
                { HDR_OFF_STRINGS, 0x7fffffff, "corrupt device tree header" },
                { HDR_OFF_RSVMAP, 0xfffffffc, "corrupt device tree header" },
                { HDR_SIZE_STRUCT, 0xffffff00, "corrupt device tree header" },
                { HDR_SIZE_STRINGS, 0x80000000, "corrupt device tree header" },
                /* a block inside the header */
                { HDR_OFF_STRUCT, 8, "corrupt device tree header" },
                /* overlapping blocks */
                { HDR_OFF_STRINGS, 0x48, "the structure and strings blocks overlap" },
                { HDR_OFF_RSVMAP, 0x48, "corrupt device tree" },
                /* versions */
                { HDR_VERSION, 1, "unsupported device tree version 1" },
                /* old layouts, on which libfdt 1.6.1's fdt_check_full() crashes (tests/fuzz) */
                { HDR_VERSION, 5, "unsupported device tree version 5 (this reads versions 16 and 17)" },
                { HDR_VERSION, 15, "unsupported device tree version 15 (this reads versions 16 and 17)" },
                { HDR_LAST_COMP, 18, "unsupported device tree version 17 (last compatible version 18)" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Blob b = load("bcm2711-rpi-4-b.dtb");

                /* Sanity: where the test thinks the blocks are. */
                ck_assert_uint_eq(get32(&b, HDR_OFF_STRUCT), 0x48);
                set32(&b, cases[i].field, cases[i].value);
                assert_refused(b.data, b.size, -EBADMSG, cases[i].needle);
                free(b.data);
        }
}
END_TEST

START_TEST(test_bad_structure) {
        Blob b = load("bcm2711-rpi-4-b.dtb");
        uint32_t s = get32(&b, HDR_OFF_STRUCT), len;
        uint8_t *p;

        /* The root's first property: tag FDT_PROP at s + 8, its length at s + 12. */
        ck_assert_uint_eq(get32(&b, s), 1);             /* FDT_BEGIN_NODE, name "" */
        ck_assert_uint_eq(get32(&b, s + 8), 3);         /* FDT_PROP */
        len = get32(&b, s + 12);
        set32(&b, s + 12, 0x100000);
        assert_refused(b.data, b.size, -EBADMSG, "corrupt device tree: ");
        /* A length that wraps libfdt's int offset: it looped forever in fdt_check_full() (fuzz). */
        set32(&b, s + 12, 0xfffffff4);
        assert_refused(b.data, b.size, -EBADMSG, "corrupt device tree: a property of 4294967284 bytes runs past");
        set32(&b, s + 12, len);

        /* A name offset far outside the strings block. */
        set32(&b, s + 16, 0x7fffffff);
        assert_refused(b.data, b.size, -EBADMSG, "corrupt device tree");
        free(b.data);

        /* An unknown tag. */
        b = load("bcm2711-rpi-4-b.dtb");
        set32(&b, s + 8, 0xdeadbeef);
        assert_refused(b.data, b.size, -EBADMSG, "corrupt device tree");
        free(b.data);

        /* An unterminated node name: the root's children lose their terminators. */
        b = load("bcm2711-rpi-4-b.dtb");
        p = find_bytes(&b, "aliases");
        ck_assert_ptr_nonnull(p);
        ck_assert(p < b.data + get32(&b, HDR_OFF_STRUCT) + get32(&b, HDR_SIZE_STRUCT));
        memset(p, 'x', b.data + get32(&b, HDR_OFF_STRUCT) + get32(&b, HDR_SIZE_STRUCT) - p);
        assert_refused(b.data, b.size, -EBADMSG, "corrupt device tree");
        free(b.data);

        /* A node left open. */
        b = load("synthetic.dtb");
        s = get32(&b, HDR_OFF_STRUCT) + get32(&b, HDR_SIZE_STRUCT);
        ck_assert_uint_eq(get32(&b, s - 4), 9);         /* FDT_END */
        ck_assert_uint_eq(get32(&b, s - 8), 2);         /* FDT_END_NODE of the root */
        set32(&b, s - 8, 4);                            /* FDT_NOP */
        assert_refused(b.data, b.size, -EBADMSG, "corrupt device tree");
        free(b.data);
}
END_TEST

START_TEST(test_alignment_and_padding) {
        Blob b = load("synthetic.dtb");
        _cleanup_free_ uint8_t *buf = malloc(b.size + 64);
        List l;

        /* Misaligned: libfdt wants 8 bytes, the reader copies. */
        ck_assert_ptr_nonnull(buf);
        memcpy(buf + 3, b.data, b.size);
        l = list_ok(buf + 3, b.size);
        ck_assert_uint_eq(l.n, 40);
        list_done(&l);

        /* Bytes after totalsize, as in a padded file, are fine. */
        memset(buf, 0xff, b.size + 64);
        memcpy(buf, b.data, b.size);
        l = list_ok(buf, b.size + 64);
        ck_assert_uint_eq(l.n, 40);
        list_done(&l);

        /* The error pointer is optional. */
        ck_assert_int_eq(fdt_list_devices(buf, 10, &l.d, &l.n, NULL), -EBADMSG);
        free(b.data);
}
END_TEST

/* Random damage to a real blob: refused or listed, never a crash, and what is listed holds. */
START_TEST(test_random_damage) {
        Blob orig = load("synthetic.dtb");
        uint32_t seed = 0x5eed;
        unsigned refused = 0, listed = 0;

        for (int round = 0; round < 1200; round++) {
                _cleanup_free_ uint8_t *b = malloc(orig.size);
                _cleanup_free_ char *msg = NULL;
                DeviceInfo *d;
                size_t n, size = orig.size;
                int flips = 1 + round % 4, r;

                ck_assert_ptr_nonnull(b);
                memcpy(b, orig.data, orig.size);
                for (int k = 0; k < flips; k++) {
                        seed = seed * 1103515245u + 12345u;
                        b[(seed >> 8) % orig.size] ^= (uint8_t) (1u << ((seed >> 4) & 7));
                }
                if (round % 5 == 0) {
                        seed = seed * 1103515245u + 12345u;
                        size = (seed >> 8) % (orig.size + 1);
                }

                r = fdt_list_devices(b, size, &d, &n, &msg);
                if (r < 0) {
                        ck_assert_msg(r == -EBADMSG || r == -EINVAL, "round %d: %d", round, r);
                        ck_assert_ptr_nonnull(msg);
                        refused++;
                        continue;
                }
                check_invariants(&(List) { d, n });
                fdt_devices_free(d, n);
                listed++;
        }
        /* Both kinds of outcome happened: the test reached past the checks. */
        ck_assert_uint_gt(refused, 50);
        ck_assert_uint_gt(listed, 50);
        free(orig.data);
}
END_TEST

START_TEST(test_read_file) {
        _cleanup_free_ char *dir = tu_mkdtemp(), *path = NULL;
        void *data;
        size_t size;

        ck_assert_int_eq(fdt_read_file("/nonexistent/x.dtb", &data, &size), -ENOENT);
        ck_assert_int_eq(fdt_read_file(dir, &data, &size), -EINVAL);
        tu_write(dir, "empty.dtb", "");
        ck_assert_int_ge(asprintf(&path, "%s/empty.dtb", dir), 0);
        ck_assert_int_eq(fdt_read_file(path, &data, &size), 0);
        ck_assert_uint_eq(size, 0);
        assert_refused(data, size, -EBADMSG, "truncated");
        free(data);
        tu_rm_rf(dir);
}
END_TEST

static Suite *fdt_suite(void) {
        Suite *s = suite_create("fdt");
        TCase *boards = tcase_create("boards"), *rules = tcase_create("rules"), *bad = tcase_create("corrupt");

        tcase_add_test(boards, test_rpi4);
        tcase_add_test(boards, test_rock64);
        tcase_add_test(boards, test_pine64);
        tcase_add_test(boards, test_imx8mq);
        tcase_add_test(boards, test_juno);
        suite_add_tcase(s, boards);

        tcase_add_test(rules, test_synthetic);
        tcase_add_test(rules, test_deep);
        tcase_add_test(rules, test_odd_names);
        suite_add_tcase(s, rules);

        tcase_add_test(bad, test_truncated);
        tcase_add_test(bad, test_bad_magic);
        tcase_add_test(bad, test_bad_header);
        tcase_add_test(bad, test_bad_structure);
        tcase_add_test(bad, test_alignment_and_padding);
        tcase_add_test(bad, test_random_damage);
        tcase_add_test(bad, test_read_file);
        /* Valgrind makes the random rounds slow. */
        tcase_set_timeout(bad, 300);
        suite_add_tcase(s, bad);
        return s;
}

int main(void) {
        return tu_run(fdt_suite());
}
