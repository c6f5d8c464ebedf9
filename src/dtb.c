/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which devices Linux creates from a flattened device tree, and their names.
 *
 * This follows Linux 6.1 (checked against Debian's linux-source-6.1 6.1.192-2) with the Debian 12
 * arm64 configuration (CONFIG_ARM_AMBA=y, CONFIG_PCI=y, CONFIG_SIMPLE_PM_BUS unset):
 *
 *   drivers/of/fdt.c       unflatten_dt_nodes(): children in blob order; nodes at depth
 *                          FDT_MAX_DEPTH - 1 (63) and deeper are dropped.
 *   drivers/of/platform.c  of_platform_default_populate_init(): first the nodes compatible with
 *                          reserved_mem_matches anywhere in the tree, then the children of
 *                          /firmware, then the first "simple-framebuffer" child of /chosen, then
 *                          of_platform_populate() from the root with of_default_bus_match_table;
 *                          of_platform_bus_create(), of_platform_device_create_pdata(),
 *                          of_amba_device_create(), of_device_make_bus_id().
 *   drivers/of/address.c   of_translate_address() with the pci, isa, default-flags and default
 *                          bus translators, __of_get_address().
 *   drivers/of/base.c      of_device_is_available(), of_device_is_compatible() (case-insensitive),
 *                          of_n_addr_cells()/of_n_size_cells(), of_node_name_eq().
 *   lib/kobject.c          a '/' in a device name becomes '!'.
 *
 * Left out, because they depend on the running system rather than on the tree: devices that
 * drivers create when they probe (e.g. of_platform_populate() calls in MFD or glue drivers;
 * simple-pm-bus is not built in Debian's 6.1 arm64 kernel, so its children stay unpopulated
 * there too), indirect-I/O (LPC) address ranges registered at run time, AMBA devices whose
 * register window collides with one already claimed, I/O-space (not memory) AMBA windows, which
 * need PCI I/O ranges that do not exist yet when the tree is populated, and the powerpc-only
 * display and empty-"ranges" quirks. Where the kernel would read past the end of a short "reg"
 * property we treat the address as untranslatable instead. A name taken twice on one bus keeps
 * the first device, as device_add() refuses the second; a platform and an AMBA device of the same
 * name under the same parent (which sysfs would also refuse) are both listed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dtb.h"
#include "hashmap.h"
#include "macro.h"
#include "validate.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

#define OF_BAD_ADDR UINT64_MAX
#define OF_MAX_ADDR_CELLS 4
#define OF_ROOT_NODE_ADDR_CELLS_DEFAULT 1
#define OF_ROOT_NODE_SIZE_CELLS_DEFAULT 1
#define FDT_MAX_DEPTH 64

/* The resource flags that address translation looks at (include/linux/ioport.h). */
#define IORESOURCE_IO 0x00000100u
#define IORESOURCE_MEM 0x00000200u
#define IORESOURCE_PREFETCH 0x00002000u
#define IORESOURCE_MEM_64 0x00100000u

static const char * const default_bus_match_table[] = {
        "simple-bus", "simple-mfd", "isa", "arm,amba-bus", NULL,
};

static const char * const skipped_node_table[] = {
        "operating-points-v2", NULL,
};

/* The /reserved-memory style nodes that get a platform device wherever they are. */
static const char * const reserved_mem_matches[] = {
        "phram", "qcom,rmtfs-mem", "qcom,cmd-db", "qcom,smem", "ramoops", "nvmem-rmem", "google,open-dice", NULL,
};

typedef struct Node {
        int offset;             /* in the structure block */
        int device;             /* index in Tree.devices of the device made from it, -1 if none */
        int parent;             /* index in Tree.nodes, -1 for the root */
        int first_child, last_child, next_sibling;
        bool populated;         /* OF_POPULATED: a device exists for this node */
        bool populated_bus;     /* OF_POPULATED_BUS: its children have been looked at */
} Node;

typedef struct Tree {
        const void *fdt;
        Node *nodes;            /* in blob order: index 0 is the root */
        size_t n_nodes;
        DeviceInfo *devices;
        size_t n_devices, n_allocated;
        IndexMap *names[_BUS_MAX];      /* device names taken on each bus */
} Tree;

static void tree_done(Tree *t) {
        free(t->nodes);
        fdt_devices_free(t->devices, t->n_devices);
        for (Bus b = 0; b < _BUS_MAX; b++)
                index_map_free(t->names[b]);
}

/* ---- Reading properties. Every value is read byte-wise: property data is only 4-byte aligned
 * and may be shorter than a caller hopes. */

static uint32_t be32_at(const void *p, size_t i) {
        const uint8_t *b = (const uint8_t *) p + 4 * i;

        return (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3];
}

/* of_read_number(): cells beyond the last two shift out. */
static uint64_t read_number_be(const void *p, size_t n) {
        uint64_t r = 0;

        for (size_t i = 0; i < n; i++)
                r = r << 32 | be32_at(p, i);
        return r;
}

static uint64_t read_number(const uint32_t *cells, int n) {
        uint64_t r = 0;

        for (int i = 0; i < n; i++)
                r = r << 32 | cells[i];
        return r;
}

static const void *node_prop(const Tree *t, int n, const char *name, size_t *ret_len) {
        const void *v;
        int len;

        v = fdt_getprop(t->fdt, t->nodes[n].offset, name, &len);
        if (!v || len < 0)
                return NULL;
        if (ret_len)
                *ret_len = (size_t) len;
        return v;
}

/* of_property_read_u32(): at least one cell, the first one counts. */
static bool node_read_u32(const Tree *t, int n, const char *name, uint32_t *ret) {
        size_t len;
        const void *v = node_prop(t, n, name, &len);

        if (!v || len < 4)
                return false;
        *ret = be32_at(v, 0);
        return true;
}

/* A string property equal to @s, as the kernel's strcmp() sees it: the end of the property
 * ends the string too, since the blob's next byte (padding or a tag's first byte) is NUL. */
static bool node_prop_streq(const Tree *t, int n, const char *name, const char *s) {
        size_t len;
        const char *v = node_prop(t, n, name, &len);

        return v && len > 0 && strnlen(v, len) == strlen(s) && memcmp(v, s, strlen(s)) == 0;
}

/* The node's name as in the blob, unit address included: "serial@7e201000". */
static const char *node_full_name(const Tree *t, int n, size_t *ret_len) {
        const char *s;
        int len;

        s = fdt_get_name(t->fdt, t->nodes[n].offset, &len);
        if (!s || len < 0) {
                *ret_len = 0;
                return "";
        }
        *ret_len = (size_t) len;
        return s;
}

/* The length of the name without its unit address, as %pOFn prints it. */
static size_t name_len_without_unit(const char *s, size_t len) {
        const char *at = memchr(s, '@', len);

        return at ? (size_t) (at - s) : len;
}

static bool node_name_eq(const Tree *t, int n, const char *name) {
        size_t len;
        const char *s = node_full_name(t, n, &len);

        len = name_len_without_unit(s, len);
        return strlen(name) == len && strncmp(s, name, len) == 0;
}

static bool node_is_compatible(const Tree *t, int n, const char *compat) {
        size_t len, want = strlen(compat);
        const char *v = node_prop(t, n, "compatible", &len);

        for (size_t i = 0; v && i < len;) {
                size_t l = strnlen(v + i, len - i);

                if (l == want && strncasecmp(v + i, compat, l) == 0)
                        return true;
                i += l + 1;
        }
        return false;
}

/* of_match_node() for tables that only list compatibles. */
static bool node_matches(const Tree *t, int n, const char * const *table) {
        for (; *table; table++)
                if (node_is_compatible(t, n, *table))
                        return true;
        return false;
}

/* of_device_is_available(): no status, or "okay", or "ok". */
static bool node_is_available(const Tree *t, int n) {
        if (!node_prop(t, n, "status", NULL))
                return true;
        return node_prop_streq(t, n, "status", "okay") || node_prop_streq(t, n, "status", "ok");
}

static int find_child(const Tree *t, int n, const char *full_name) {
        for (int c = t->nodes[n].first_child; c >= 0; c = t->nodes[c].next_sibling) {
                size_t len;
                const char *s = node_full_name(t, c, &len);

                if (strlen(full_name) == len && strncmp(s, full_name, len) == 0)
                        return c;
        }
        return -1;
}

/* ---- Address translation, as drivers/of/address.c does it. */

/* Cell counts are ints in the kernel: a huge u32 turns negative and fails the checks below. */
static int cells_to_int(uint32_t v) {
        return v > INT32_MAX ? -1 : (int) v;
}

static int bus_n_cells(const Tree *t, int n, const char *prop, int dflt) {
        uint32_t v;

        for (; n >= 0; n = t->nodes[n].parent)
                if (node_read_u32(t, n, prop, &v))
                        return cells_to_int(v);
        return dflt;
}

static int bus_n_addr_cells(const Tree *t, int n) {
        return bus_n_cells(t, n, "#address-cells", OF_ROOT_NODE_ADDR_CELLS_DEFAULT);
}

/* of_n_addr_cells(): the cells a node's own "reg" uses are its parent's. */
static int n_addr_cells(const Tree *t, int n) {
        int p = t->nodes[n].parent;

        return bus_n_addr_cells(t, p >= 0 ? p : n);
}

static int n_size_cells(const Tree *t, int n) {
        int p = t->nodes[n].parent;

        return bus_n_cells(t, p >= 0 ? p : n, "#size-cells", OF_ROOT_NODE_SIZE_CELLS_DEFAULT);
}

static bool check_addr_count(int na) {
        return na > 0 && na <= OF_MAX_ADDR_CELLS;
}

static bool check_counts(int na, int ns) {
        return check_addr_count(na) && ns > 0;
}

typedef struct OfBus {
        const char *name;
        const char *addresses;
        bool (*match)(const Tree *t, int parent);
        void (*count_cells)(const Tree *t, int child, int *na, int *ns);
        /* @range points to big-endian cells of one "ranges" entry. */
        uint64_t (*map)(const uint32_t *addr, const void *range, int na, int ns, int pna);
        void (*translate)(uint32_t *addr, uint64_t offset, int na);
        int flag_cells;
        unsigned (*get_flags)(const void *addr);
} OfBus;

static void default_count_cells(const Tree *t, int child, int *na, int *ns) {
        *na = n_addr_cells(t, child);
        *ns = n_size_cells(t, child);
}

static uint64_t default_map(const uint32_t *addr, const void *range, int na, int ns, int pna) {
        uint64_t cp = read_number_be(range, na), s = read_number_be((const uint8_t *) range + 4 * (na + pna), ns),
                 da = read_number(addr, na);

        if (da < cp || da >= cp + s)
                return OF_BAD_ADDR;
        return da - cp;
}

static void default_translate(uint32_t *addr, uint64_t offset, int na) {
        uint64_t a = read_number(addr, na) + offset;

        memset(addr, 0, na * sizeof(uint32_t));
        if (na > 1)
                addr[na - 2] = (uint32_t) (a >> 32);
        if (na > 0)
                addr[na - 1] = (uint32_t) a;
}

static unsigned default_get_flags(const void *addr) {
        (void) addr;
        return IORESOURCE_MEM;
}

/* The buses whose first address cell holds flags: compare those, then the rest. */
static uint64_t flags_map_rest(const uint32_t *addr, const void *range, int na, int ns, int pna) {
        uint64_t cp = read_number_be((const uint8_t *) range + 4, na - 1),
                 s = read_number_be((const uint8_t *) range + 4 * (na + pna), ns), da = read_number(addr + 1, na - 1);

        if (da < cp || da >= cp + s)
                return OF_BAD_ADDR;
        return da - cp;
}

static void flags_translate(uint32_t *addr, uint64_t offset, int na) {
        default_translate(addr + 1, offset, na - 1);
}

static bool default_flags_match(const Tree *t, int parent) {
        return bus_n_addr_cells(t, parent) == 3;
}

static uint64_t default_flags_map(const uint32_t *addr, const void *range, int na, int ns, int pna) {
        if (addr[0] != be32_at(range, 0))
                return OF_BAD_ADDR;
        return flags_map_rest(addr, range, na, ns, pna);
}

static unsigned default_flags_get_flags(const void *addr) {
        return be32_at(addr, 0);
}

static bool pci_match(const Tree *t, int parent) {
        return node_prop_streq(t, parent, "device_type", "pci") || node_prop_streq(t, parent, "device_type", "pciex") ||
               node_prop_streq(t, parent, "device_type", "vci") || node_prop_streq(t, parent, "device_type", "ht") ||
               node_name_eq(t, parent, "pcie");
}

static void pci_count_cells(const Tree *t, int child, int *na, int *ns) {
        (void) t;
        (void) child;
        *na = 3;
        *ns = 2;
}

static unsigned pci_flags_of(uint32_t w) {
        unsigned flags = 0;

        switch ((w >> 24) & 0x03) {
        case 0x01:
                flags |= IORESOURCE_IO;
                break;
        case 0x02:
                flags |= IORESOURCE_MEM;
                break;
        case 0x03:
                flags |= IORESOURCE_MEM | IORESOURCE_MEM_64;
                break;
        }
        if (w & 0x40000000)
                flags |= IORESOURCE_PREFETCH;
        return flags;
}

static unsigned pci_get_flags(const void *addr) {
        return pci_flags_of(be32_at(addr, 0));
}

static uint64_t pci_map(const uint32_t *addr, const void *range, int na, int ns, int pna) {
        if ((pci_flags_of(addr[0]) ^ pci_flags_of(be32_at(range, 0))) & (IORESOURCE_MEM | IORESOURCE_IO))
                return OF_BAD_ADDR;
        return flags_map_rest(addr, range, na, ns, pna);
}

static bool isa_match(const Tree *t, int parent) {
        return node_name_eq(t, parent, "isa");
}

static void isa_count_cells(const Tree *t, int child, int *na, int *ns) {
        (void) t;
        (void) child;
        *na = 2;
        *ns = 1;
}

static uint64_t isa_map(const uint32_t *addr, const void *range, int na, int ns, int pna) {
        if ((addr[0] ^ be32_at(range, 0)) & 1)
                return OF_BAD_ADDR;
        return flags_map_rest(addr, range, na, ns, pna);
}

static unsigned isa_get_flags(const void *addr) {
        return be32_at(addr, 0) & 1 ? IORESOURCE_IO : IORESOURCE_MEM;
}

/* of_busses[], in the kernel's order: the first match wins. */
static const OfBus of_busses[] = {
        { "pci", "assigned-addresses", pci_match, pci_count_cells, pci_map, flags_translate, 1, pci_get_flags },
        { "isa", "reg", isa_match, isa_count_cells, isa_map, flags_translate, 1, isa_get_flags },
        { "default-flags", "reg", default_flags_match, default_count_cells, default_flags_map, flags_translate, 1,
          default_flags_get_flags },
        { "default", "reg", NULL, default_count_cells, default_map, default_translate, 0, default_get_flags },
};

static const OfBus *match_bus(const Tree *t, int n) {
        for (size_t i = 0; i < ELEMENTSOF(of_busses); i++)
                if (!of_busses[i].match || of_busses[i].match(t, n))
                        return &of_busses[i];
        return &of_busses[ELEMENTSOF(of_busses) - 1];
}

/* of_translate_one(): from the address space below bus node @n to the one above it. */
static bool translate_one(const Tree *t, int n, const OfBus *bus, const OfBus *pbus, uint32_t *addr, int na, int ns,
                          int pna) {
        const uint8_t *ranges;
        size_t rlen, rone;
        uint64_t offset = OF_BAD_ADDR;

        /* No "ranges": a boundary that addresses do not cross (no powerpc quirk here). */
        ranges = node_prop(t, n, "ranges", &rlen);
        if (!ranges)
                return false;

        if (rlen == 0) {
                /* Empty "ranges": 1:1, the flags cells pass through. */
                offset = read_number(addr, na);
                memset(addr + pbus->flag_cells, 0, (pna - pbus->flag_cells) * sizeof(uint32_t));
        } else {
                rlen /= 4;
                rone = (size_t) na + pna + ns;
                for (; rlen >= rone; rlen -= rone, ranges += 4 * rone) {
                        offset = bus->map(addr, ranges, na, ns, pna);
                        if (offset != OF_BAD_ADDR)
                                break;
                }
                if (offset == OF_BAD_ADDR)
                        return false;
                for (int i = 0; i < pna; i++)
                        addr[i] = be32_at(ranges, na + i);
        }

        pbus->translate(addr, offset, pna);
        return true;
}

/* of_translate_address(): @reg (@len bytes) is an address in the space of @n's parent bus. */
static uint64_t translate_address(const Tree *t, int n, const void *reg, size_t len) {
        uint32_t addr[OF_MAX_ADDR_CELLS] = {};
        const OfBus *bus, *pbus;
        int parent, na, ns, pna, pns;

        parent = t->nodes[n].parent;
        if (parent < 0)
                return OF_BAD_ADDR;
        bus = match_bus(t, parent);
        bus->count_cells(t, n, &na, &ns);
        if (!check_counts(na, ns))
                return OF_BAD_ADDR;
        /* The kernel would read past a short "reg"; call that untranslatable. */
        if (len < (size_t) na * 4)
                return OF_BAD_ADDR;
        for (int i = 0; i < na; i++)
                addr[i] = be32_at(reg, i);

        for (;;) {
                n = parent;
                parent = t->nodes[n].parent;
                if (parent < 0)
                        return read_number(addr, na);

                pbus = match_bus(t, parent);
                pbus->count_cells(t, n, &pna, &pns);
                if (!check_counts(pna, pns))
                        return OF_BAD_ADDR;
                if (!translate_one(t, n, bus, pbus, addr, na, ns, pna))
                        return OF_BAD_ADDR;
                na = pna;
                ns = pns;
                bus = pbus;
        }
}

/* of_address_to_resource(np, 0) succeeds: what of_amba_device_create() needs. Only memory
 * windows: I/O ones need PCI I/O ranges that are not registered yet at populate time. */
static bool first_window_translates(const Tree *t, int n) {
        const OfBus *bus;
        const uint8_t *prop;
        size_t len;
        int parent = t->nodes[n].parent, na, ns;

        if (parent < 0)
                return false;
        bus = match_bus(t, parent);
        bus->count_cells(t, n, &na, &ns);
        if (!check_addr_count(na) || ns < 0)
                return false;
        prop = node_prop(t, n, bus->addresses, &len);
        if (!prop || len / 4 < (size_t) na + ns)
                return false;
        if (!(bus->get_flags(prop) & IORESOURCE_MEM))
                return false;
        return translate_address(t, n, prop, len) != OF_BAD_ADDR;
}

/* ---- Naming and creating devices. */

/* of_device_make_bus_id(): "<translated address>.<name>" from the first node, going up, whose
 * "reg" translates, preceded by the full names of the nodes passed on the way, joined by ':'.
 * NULL for the root, which has no name. */
static int make_bus_id(const Tree *t, int n, char **ret) {
        _cleanup_free_ char *name = NULL;

        for (; t->nodes[n].parent >= 0; n = t->nodes[n].parent) {
                const void *reg;
                const char *full;
                size_t full_len, reg_len;
                uint64_t addr;
                uint32_t mask;
                char *s;
                int r;

                full = node_full_name(t, n, &full_len);
                reg = node_prop(t, n, "reg", &reg_len);
                if (reg && (addr = translate_address(t, n, reg, reg_len)) != OF_BAD_ADDR) {
                        int short_len = (int) name_len_without_unit(full, full_len);

                        if (node_read_u32(t, n, "mask", &mask))
                                r = asprintf(&s, "%" PRIx64 ".%x.%.*s%s%s", addr, (unsigned) (ffs((int) mask) - 1),
                                             short_len, full, name ? ":" : "", strempty(name));
                        else
                                r = asprintf(&s, "%" PRIx64 ".%.*s%s%s", addr, short_len, full, name ? ":" : "",
                                             strempty(name));
                        if (r < 0)
                                return -ENOMEM;
                        *ret = s;
                        return 0;
                }

                if (asprintf(&s, "%.*s%s%s", (int) full_len, full, name ? ":" : "", strempty(name)) < 0)
                        return -ENOMEM;
                free(name);
                name = s;
        }

        *ret = TAKE_PTR(name);
        return 0;
}

static int node_path(const Tree *t, int n, char **ret) {
        size_t len = 0, pos;
        char *p;

        if (t->nodes[n].parent < 0)
                return (*ret = strdup("/")) ? 0 : -ENOMEM;

        for (int i = n; t->nodes[i].parent >= 0; i = t->nodes[i].parent) {
                size_t l;

                node_full_name(t, i, &l);
                len += l + 1;
        }
        if (len > DT_PATH_MAX) {
                *ret = NULL;
                return 0;
        }

        p = malloc(len + 1);
        if (!p)
                return -ENOMEM;
        pos = len;
        p[pos] = '\0';
        for (int i = n; t->nodes[i].parent >= 0; i = t->nodes[i].parent) {
                size_t l;
                const char *s = node_full_name(t, i, &l);

                pos -= l;
                memcpy(p + pos, s, l);
                p[--pos] = '/';
        }
        *ret = p;
        return 0;
}

static bool name_taken(const Tree *t, Bus bus, const char *name) {
        return index_map_get(t->names[bus], name, strlen(name)).n > 0;
}

/* Adds the device for node @n on @bus, unless its name cannot be made or is taken: then the
 * kernel's device_add() fails and the node stays unpopulated. */
static int add_device(Tree *t, int n, Bus bus, bool *ret_created) {
        _cleanup_free_ char *name = NULL, *path = NULL;
        DeviceInfo *d;
        const char *compat;
        size_t compat_len;
        int r;

        *ret_created = false;

        r = make_bus_id(t, n, &name);
        if (r < 0)
                return r;
        if (!name)
                return 0;
        /* kobject_set_name_vargs(): a '/' cannot be in a sysfs name. */
        for (char *s = name; (s = strchr(s, '/')); s++)
                *s = '!';
        if (!device_name_is_valid(name) || name_taken(t, bus, name))
                return 0;

        r = node_path(t, n, &path);
        if (r < 0)
                return r;

        if (t->n_devices == t->n_allocated) {
                size_t k = t->n_allocated ? t->n_allocated * 2 : 64;
                DeviceInfo *a = reallocarray(t->devices, k, sizeof(DeviceInfo));

                if (!a)
                        return -ENOMEM;
                t->devices = a;
                t->n_allocated = k;
        }

        d = &t->devices[t->n_devices];
        *d = (DeviceInfo) { .bus = bus };
        compat = node_prop(t, n, "compatible", &compat_len);
        if (compat) {
                r = device_info_set_compatibles_from_dt(d, compat, compat_len);
                if (r < 0) {
                        device_info_done(d);
                        return r;
                }
        }
        r = index_map_add(t->names[bus], name, strlen(name), (uint32_t) t->n_devices);
        if (r < 0) {
                device_info_done(d);
                return r;
        }
        d->name = TAKE_PTR(name);
        d->of_fullname = TAKE_PTR(path);
        t->nodes[n].device = (int) t->n_devices;
        t->n_devices++;

        t->nodes[n].populated = true;
        *ret_created = true;
        return 0;
}

/* of_platform_device_create_pdata() */
static int platform_device_create(Tree *t, int n, bool *ret_created) {
        *ret_created = false;
        if (n < 0 || !node_is_available(t, n) || t->nodes[n].populated)
                return 0;
        return add_device(t, n, BUS_PLATFORM, ret_created);
}

/* of_amba_device_create(): the device needs its first register window. */
static int amba_device_create(Tree *t, int n) {
        bool created;

        if (!node_is_available(t, n) || t->nodes[n].populated)
                return 0;
        if (!first_window_translates(t, n))
                return 0;
        return add_device(t, n, BUS_AMBA, &created);
}

/* of_platform_bus_create(): a device for @n and, when @n is a bus, for its children. The
 * recursion is bounded by FDT_MAX_DEPTH. */
static int bus_create(Tree *t, int n, const char * const *matches, bool strict) {
        bool created;
        int r;

        if (strict && !node_prop(t, n, "compatible", NULL))
                return 0;
        if (node_matches(t, n, skipped_node_table))
                return 0;
        if (t->nodes[n].populated_bus)
                return 0;

        if (node_is_compatible(t, n, "arm,primecell"))
                return amba_device_create(t, n);

        r = platform_device_create(t, n, &created);
        if (r < 0)
                return r;
        if (!created || !node_matches(t, n, matches))
                return 0;

        for (int c = t->nodes[n].first_child; c >= 0; c = t->nodes[c].next_sibling) {
                r = bus_create(t, c, matches, strict);
                if (r < 0)
                        return r;
        }
        t->nodes[n].populated_bus = true;
        return 0;
}

/* of_platform_populate(): the children of @n, which itself gets no device. */
static int populate(Tree *t, int n) {
        for (int c = t->nodes[n].first_child; c >= 0; c = t->nodes[c].next_sibling) {
                int r = bus_create(t, c, default_bus_match_table, true);
                if (r < 0)
                        return r;
        }
        t->nodes[n].populated_bus = true;
        return 0;
}

/* of_platform_default_populate_init(), non-powerpc branch. */
static int populate_init(Tree *t) {
        bool created;
        int r, n;

        for (size_t i = 0; i < t->n_nodes; i++)
                if (node_matches(t, (int) i, reserved_mem_matches)) {
                        r = platform_device_create(t, (int) i, &created);
                        if (r < 0)
                                return r;
                }

        n = find_child(t, 0, "firmware");
        if (n >= 0) {
                r = populate(t, n);
                if (r < 0)
                        return r;
        }

        n = find_child(t, 0, "chosen");
        if (n < 0)
                n = find_child(t, 0, "chosen@0");
        if (n >= 0) {
                int fb = -1;

                for (int c = t->nodes[n].first_child; c >= 0 && fb < 0; c = t->nodes[c].next_sibling)
                        if (node_is_compatible(t, c, "simple-framebuffer"))
                                fb = c;
                r = platform_device_create(t, fb, &created);
                if (r < 0)
                        return r;
        }

        return populate(t, 0);
}

/* ---- The blob. */

static int error_msg(char **ret_error, int err, const char *fmt, ...) _printf_(3, 4);
static int error_msg(char **ret_error, int err, const char *fmt, ...) {
        va_list ap;

        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return err;
}

typedef struct Block {
        const char *name;
        uint64_t start, size;
} Block;

/* libfdt checks that each block lies inside the blob, not that they stay apart; a blob whose
 * blocks overlap was not written by any tool and is refused. */
static int check_layout(const void *fdt, char **ret_error) {
        int n_rsv = fdt_num_mem_rsv(fdt);
        Block b[4];
        size_t k = 0;

        if (n_rsv < 0)
                return error_msg(ret_error, -EBADMSG, "corrupt device tree: the memory reservation block has no end (%s)",
                                 fdt_strerror(n_rsv));

        b[k++] = (Block) { "header", 0, fdt_header_size(fdt) };
        b[k++] = (Block) { "memory reservation", fdt_off_mem_rsvmap(fdt),
                           ((uint64_t) n_rsv + 1) * sizeof(struct fdt_reserve_entry) };
        if (fdt_version(fdt) >= 17)
                b[k++] = (Block) { "structure", fdt_off_dt_struct(fdt), fdt_size_dt_struct(fdt) };
        b[k++] = (Block) { "strings", fdt_off_dt_strings(fdt), fdt_size_dt_strings(fdt) };

        for (size_t i = 0; i < k; i++)
                for (size_t j = i + 1; j < k; j++) {
                        if (b[i].size == 0 || b[j].size == 0)
                                continue;
                        if (b[i].start < b[j].start + b[j].size && b[j].start < b[i].start + b[i].size)
                                return error_msg(ret_error, -EBADMSG,
                                                 "corrupt device tree: the %s and %s blocks overlap", b[i].name,
                                                 b[j].name);
                }
        return 0;
}

/* libfdt 1.6.1's fdt_next_tag() adds a property's length to an int unchecked: a length near 4 GiB
 * moves the offset backwards and fdt_check_full() never returns (found by tests/fuzz). So walk the
 * tags first, every length checked against what is left of the structure block. */
static int check_struct_tags(const void *fdt, char **ret_error) {
        const uint8_t *base = fdt;
        uint64_t start = fdt_off_dt_struct(fdt), total = fdt_totalsize(fdt), off = start;
        uint64_t end = fdt_version(fdt) >= 17 ? start + fdt_size_dt_struct(fdt) : total;
        uint64_t strings = fdt_size_dt_strings(fdt);
        long depth = 0;

        if (end > total || start > end)
                return error_msg(ret_error, -EBADMSG, "corrupt device tree: the structure block runs past the blob");
        while (off + 4 <= end) {
                uint32_t tag = be32_at(base + off, 0), len, nameoff;
                const uint8_t *nul;

                off += 4;
                switch (tag) {
                case FDT_BEGIN_NODE:
                        nul = memchr(base + off, '\0', end - off);
                        if (!nul)
                                return error_msg(ret_error, -EBADMSG, "corrupt device tree: a node name runs past the structure block");
                        off = ((uint64_t) (nul - base) + 1 + 3) & ~(uint64_t) 3;
                        depth++;
                        break;
                case FDT_END_NODE:
                        if (--depth < 0)
                                return error_msg(ret_error, -EBADMSG, "corrupt device tree: a node ends that never began");
                        break;
                case FDT_PROP:
                        if (off + 8 > end)
                                return error_msg(ret_error, -EBADMSG, "corrupt device tree: a property header runs past the structure block");
                        len = be32_at(base + off, 0);
                        nameoff = be32_at(base + off, 1);
                        off += 8;
                        if (len > end - off)
                                return error_msg(ret_error, -EBADMSG,
                                                 "corrupt device tree: a property of %" PRIu32 " bytes runs past the structure block", len);
                        if (nameoff >= strings)
                                return error_msg(ret_error, -EBADMSG,
                                                 "corrupt device tree: a property name offset points outside the strings block");
                        off = (off + len + 3) & ~(uint64_t) 3;
                        break;
                case FDT_NOP:
                        break;
                case FDT_END:
                        if (depth != 0)
                                return error_msg(ret_error, -EBADMSG, "corrupt device tree: a node is not closed");
                        return 0;
                default:
                        return error_msg(ret_error, -EBADMSG, "corrupt device tree: unknown tag 0x%08" PRIx32, tag);
                }
        }
        return error_msg(ret_error, -EBADMSG, "corrupt device tree: the structure block has no end tag");
}

/* libfdt's error codes, said for a person. */
static const char *fdt_error_text(int err) {
        switch (-err) {
        case FDT_ERR_TRUNCATED:
                return "a block or a property runs past the end of the blob";
        case FDT_ERR_BADSTRUCTURE:
                return "the structure block is malformed";
        case FDT_ERR_BADOFFSET:
                return "an offset points outside its block";
        case FDT_ERR_BADLAYOUT:
                return "the blocks are out of order";
        case FDT_ERR_ALIGNMENT:
                return "misaligned blob";
        default:
                return "malformed blob";
        }
}

static int check_blob(const void *fdt, size_t size, char **ret_error) {
        uint32_t magic, total;
        int r;

        if (size < sizeof(uint32_t))
                return error_msg(ret_error, -EBADMSG, "truncated device tree: %zu bytes", size);
        magic = be32_at(fdt, 0);
        if (magic != FDT_MAGIC)
                return error_msg(ret_error, -EINVAL,
                                 "not a device tree blob: magic 0x%08" PRIx32 ", expected 0x%08x", magic,
                                 (unsigned) FDT_MAGIC);
        /* Before libfdt reads any header field beyond the magic: fdt_check_full() in 1.6.1
         * reads the whole version 17 header from a buffer it only knows to hold 28 bytes. */
        if (size < sizeof(struct fdt_header))
                return error_msg(ret_error, -EBADMSG, "truncated device tree: %zu bytes, shorter than its header",
                                 size);

        total = fdt_totalsize(fdt);
        if (total > size)
                return error_msg(ret_error, -EBADMSG, "truncated device tree: header says %" PRIu32 " bytes, got %zu",
                                 total, size);

        /* dtc has written version 17 since 2007. libfdt 1.6.1 still accepts versions 2-15, whose
         * layout differs, and fdt_check_full() dereferences NULL on some of them (found by
         * tests/fuzz): read only what the kernel's tooling writes. */
        if (fdt_version(fdt) < 16 && fdt_version(fdt) >= 2)
                return error_msg(ret_error, -EBADMSG,
                                 "unsupported device tree version %" PRIu32 " (this reads versions 16 and 17)",
                                 (uint32_t) fdt_version(fdt));

        /* The header alone: versions, and every block inside totalsize. */
        r = fdt_check_header(fdt);
        if (r == -FDT_ERR_BADVERSION)
                return error_msg(ret_error, -EBADMSG,
                                 "unsupported device tree version %" PRIu32 " (last compatible version %" PRIu32 ")",
                                 (uint32_t) fdt_version(fdt), (uint32_t) fdt_last_comp_version(fdt));
        if (r < 0)
                return error_msg(ret_error, -EBADMSG, "corrupt device tree header: %s (%s)", fdt_error_text(r),
                                 fdt_strerror(r));
        r = check_layout(fdt, ret_error);
        if (r < 0)
                return r;
        r = check_struct_tags(fdt, ret_error);
        if (r < 0)
                return r;

        /* Then every tag, name and property of the structure block. */
        r = fdt_check_full(fdt, size);
        if (r < 0)
                return error_msg(ret_error, -EBADMSG, "corrupt device tree: %s (%s)", fdt_error_text(r),
                                 fdt_strerror(r));
        return 0;
}

/* The node table, as unflatten_dt_nodes() builds the live tree. */
static int build_nodes(Tree *t) {
        int stack[FDT_MAX_DEPTH];
        size_t allocated = 0;
        int depth = -1;

        for (int off = fdt_next_node(t->fdt, -1, &depth); off >= 0 && depth >= 0;
             off = fdt_next_node(t->fdt, off, &depth)) {
                Node *n;
                int idx;

                /* The kernel drops what is this deep, with a warning. */
                if (depth >= FDT_MAX_DEPTH - 1)
                        continue;
                /* The root comes first and alone; another top-level node is never reached. */
                if (depth == 0 && t->n_nodes > 0)
                        break;

                if (t->n_nodes == allocated) {
                        size_t k = allocated ? allocated * 2 : 256;
                        Node *a = reallocarray(t->nodes, k, sizeof(Node));

                        if (!a)
                                return -ENOMEM;
                        t->nodes = a;
                        allocated = k;
                }

                idx = (int) t->n_nodes++;
                n = &t->nodes[idx];
                *n = (Node) {
                        .offset = off,
                        .device = -1,
                        .parent = depth > 0 ? stack[depth - 1] : -1,
                        .first_child = -1,
                        .last_child = -1,
                        .next_sibling = -1,
                };
                stack[depth] = idx;

                if (n->parent >= 0) {
                        Node *p = &t->nodes[n->parent];

                        if (p->last_child >= 0)
                                t->nodes[p->last_child].next_sibling = idx;
                        else
                                p->first_child = idx;
                        p->last_child = idx;
                }
        }
        return 0;
}


/* ---- What the host needs, from the device tree alone (check --fdt): the console named by
 * /chosen/stdout-path, IOMMUs that iommus/iommu-map point to, interrupt and MSI controllers, and
 * the suppliers that other enabled nodes point to with phandles. A phandle pointing into a
 * device's subtree (a pin group of a pin controller, a clock output node) counts for the device. */

typedef struct PhandleRef {
        uint32_t phandle;
        int node;
} PhandleRef;

typedef struct GuardScan {
        Tree *t;
        PhandleRef *refs;
        size_t n_refs;
        GuardVerdict *v;        /* per device */
        unsigned *n_consumers;  /* per device */
        int *last_consumer;     /* per device: the node named last, not to name it twice in a row */
} GuardScan;

static int cmp_phandle(const void *a, const void *b) {
        uint32_t x = ((const PhandleRef *) a)->phandle, y = ((const PhandleRef *) b)->phandle;
        return x < y ? -1 : x > y;
}

static int node_by_phandle(const GuardScan *g, uint32_t ph) {
        PhandleRef key = { ph, -1 };
        const PhandleRef *r = g->n_refs > 0 ? bsearch(&key, g->refs, g->n_refs, sizeof key, cmp_phandle) : NULL;

        return r ? r->node : -1;
}

static int cmp_offset(const void *key, const void *node) {
        int off = *(const int *) key, o = ((const Node *) node)->offset;
        return off < o ? -1 : off > o;
}

static int node_by_offset(const Tree *t, int off) {
        const Node *n = bsearch(&off, t->nodes, t->n_nodes, sizeof(Node), cmp_offset);

        return n ? (int) (n - t->nodes) : -1;
}

/* The device that owns node @n: its own, or the nearest ancestor's. */
static int node_owner(const Tree *t, int n) {
        for (; n >= 0; n = t->nodes[n].parent)
                if (t->nodes[n].device >= 0)
                        return t->nodes[n].device;
        return -1;
}

_printf_(4, 5) static void guard_add(GuardScan *g, int dev, GuardReason r, const char *fmt, ...) {
        va_list ap;

        if (dev < 0 || (g->v[dev].reasons & (UINT32_C(1) << r)))
                return;
        g->v[dev].reasons |= UINT32_C(1) << r;
        va_start(ap, fmt);
        vsnprintf(g->v[dev].evidence[r], sizeof g->v[dev].evidence[r], fmt, ap);
        va_end(ap);
}

/* "PREFIX a, b, c, ...": the first three names of a list, as they come (@n counts from 1). */
static void evidence_list(char *e, size_t size, unsigned n, const char *prefix, const char *name, size_t nlen) {
        size_t len = strlen(e);

        if (n == 1)
                snprintf(e, size, "%s%.*s", prefix, (int) MIN(nlen, 64u), name);
        else if (n <= 3)
                snprintf(e + len, size - len, ", %.*s", (int) MIN(nlen, 64u), name);
        else if (n == 4)
                snprintf(e + len, size - len, ", ...");
}

static void guard_add_consumer(GuardScan *g, int dev, int consumer_node) {
        size_t nlen;
        const char *name = node_full_name(g->t, consumer_node, &nlen);

        if (g->n_consumers[dev] > 0 && g->last_consumer[dev] == consumer_node)
                return;
        g->last_consumer[dev] = consumer_node;
        g->v[dev].reasons |= UINT32_C(1) << GUARD_SUPPLIER;
        evidence_list(g->v[dev].evidence[GUARD_SUPPLIER], sizeof g->v[dev].evidence[0], ++g->n_consumers[dev],
                      "supplier of ", name, nlen);
}

/* Which providers a property points to, and how many argument cells follow each phandle. */
typedef enum RefKind { REF_NONE, REF_SUPPLIER, REF_IOMMU, REF_IOMMU_MAP } RefKind;

static RefKind ref_kind(const char *prop, const char **ret_cells) {
        static const struct { const char *prop, *cells; } lists[] = {
                { "clocks", "#clock-cells" }, { "resets", "#reset-cells" },
                { "power-domains", "#power-domain-cells" }, { "phys", "#phy-cells" },
                { "dmas", "#dma-cells" }, { "interconnects", "#interconnect-cells" },
                { "gpios", "#gpio-cells" }, { "gpio", "#gpio-cells" },
                { "mboxes", "#mbox-cells" }, { "pwms", "#pwm-cells" },
                { "io-channels", "#io-channel-cells" }, { "hwlocks", "#hwlock-cells" },
                { "thermal-sensors", "#thermal-sensor-cells" }, { "nvmem-cells", NULL },
        };
        size_t n = strlen(prop);

        *ret_cells = NULL;
        if (streq(prop, "iommus")) {
                *ret_cells = "#iommu-cells";
                return REF_IOMMU;
        }
        if (streq(prop, "iommu-map"))
                return REF_IOMMU_MAP;
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                if (streq(prop, lists[i].prop)) {
                        *ret_cells = lists[i].cells;
                        return REF_SUPPLIER;
                }
        if (n > 6 && streq(prop + n - 6, "-gpios")) {
                *ret_cells = "#gpio-cells";
                return REF_SUPPLIER;
        }
        /* pinctrl-N and *-supply: lists of plain phandles */
        if ((strncmp(prop, "pinctrl-", 8) == 0 && prop[8] >= '0' && prop[8] <= '9') ||
            (n > 7 && streq(prop + n - 7, "-supply")))
                return REF_SUPPLIER;
        return REF_NONE;
}

static void guard_ref(GuardScan *g, int consumer_node, RefKind kind, uint32_t ph) {
        int target = node_by_phandle(g, ph), dev, self = node_owner(g->t, consumer_node);

        if (target < 0 || (dev = node_owner(g->t, target)) < 0 || dev == self)
                return;
        if (kind == REF_IOMMU || kind == REF_IOMMU_MAP)
                guard_add(g, dev, GUARD_IOMMU, "an IOMMU (iommus or iommu-map of other nodes point to it)");
        else
                guard_add_consumer(g, dev, consumer_node);
}

static void guard_scan_prop(GuardScan *g, int n, const char *name, const void *v, size_t len) {
        const char *cells_prop;
        RefKind kind = ref_kind(name, &cells_prop);
        size_t ncells = len / 4;

        if (kind == REF_NONE)
                return;
        if (kind == REF_IOMMU_MAP) {
                for (size_t i = 1; i < ncells; i += 4)
                        guard_ref(g, n, kind, be32_at(v, i));
                return;
        }
        for (size_t i = 0; i < ncells;) {
                uint32_t ph = be32_at(v, i), args = 0;
                int target = node_by_phandle(g, ph);

                guard_ref(g, n, kind, ph);
                if (cells_prop && target >= 0 && !node_read_u32(g->t, target, cells_prop, &args))
                        args = 0;
                if (!cells_prop || target < 0) /* a plain list, or an unknown provider: one cell each */
                        args = 0;
                if (args > 16)
                        break; /* nonsense: stop here rather than misread the rest */
                i += 1 + args;
        }
}

static int guard_phandles(GuardScan *g) {
        for (size_t n = 0; n < g->t->n_nodes; n++) {
                uint32_t ph;

                if (!node_read_u32(g->t, (int) n, "phandle", &ph) && !node_read_u32(g->t, (int) n, "linux,phandle", &ph))
                        continue;
                if (g->n_refs % 256 == 0) {
                        PhandleRef *a = reallocarray(g->refs, g->n_refs + 256, sizeof(PhandleRef));
                        if (!a)
                                return -ENOMEM;
                        g->refs = a;
                }
                g->refs[g->n_refs++] = (PhandleRef) { ph, (int) n };
        }
        if (g->n_refs > 1) /* qsort() and bsearch() want a non-NULL base, even for none */
                qsort(g->refs, g->n_refs, sizeof(PhandleRef), cmp_phandle);
        return 0;
}

/* /chosen/stdout-path (or linux,stdout-path): a path or an alias, options after ':'. */
static void guard_console(GuardScan *g) {
        const void *fdt = g->t->fdt;
        int chosen = fdt_path_offset(fdt, "/chosen"), len, off;
        const char *v = chosen >= 0 ? fdt_getprop(fdt, chosen, "stdout-path", &len) : NULL;
        char path[DT_PATH_MAX + 1];
        size_t n;

        if (!v && chosen >= 0)
                v = fdt_getprop(fdt, chosen, "linux,stdout-path", &len);
        if (!v || len <= 0)
                return;
        n = strnlen(v, (size_t) len);
        n = MIN(n, strcspn(v, ":"));
        if (n == 0 || n > DT_PATH_MAX)
                return;
        memcpy(path, v, n);
        path[n] = '\0';
        if (path[0] != '/') {
                const char *alias = fdt_get_alias(fdt, path);
                if (!alias)
                        return;
                snprintf(path, sizeof path, "%s", alias);
        }
        off = fdt_path_offset(fdt, path);
        if (off >= 0)
                guard_add(g, node_owner(g->t, node_by_offset(g->t, off)), GUARD_CONSOLE,
                          "the console (/chosen/stdout-path: %.*s)", (int) MIN(n, 96u), (const char *) v);
}

/* A device with enabled children that are not platform devices of their own (I2C or SPI clients,
 * the PCI functions under a host bridge, the cells of an MFD): its driver creates them, so it is
 * a bridge to them. */
static void guard_bridge(GuardScan *g, int n) {
        const Tree *t = g->t;
        GuardVerdict *v = &g->v[t->nodes[n].device];
        unsigned count = 0;

        for (int c = t->nodes[n].first_child; c >= 0; c = t->nodes[c].next_sibling) {
                size_t nlen;
                const char *name;

                /* An OPP table is data for the parent's driver, not a device behind it. */
                if (t->nodes[c].device >= 0 || !node_is_available(t, c) || !node_prop(t, c, "compatible", NULL) ||
                    fdt_node_check_compatible(t->fdt, t->nodes[c].offset, "operating-points-v2") == 0)
                        continue;
                name = node_full_name(t, c, &nlen);
                v->reasons |= UINT32_C(1) << GUARD_BRIDGE;
                evidence_list(v->evidence[GUARD_BRIDGE], sizeof v->evidence[0], ++count,
                              "a bridge to devices behind it: ", name, nlen);
        }
}

static int guard_tree(Tree *t, GuardVerdict **ret) {
        _cleanup_free_ unsigned *n_consumers = calloc(t->n_devices + 1, sizeof(unsigned));
        _cleanup_free_ int *last_consumer = calloc(t->n_devices + 1, sizeof(int));
        GuardScan g = { .t = t, .v = calloc(t->n_devices + 1, sizeof(GuardVerdict)), .n_consumers = n_consumers,
                        .last_consumer = last_consumer };
        int r;

        if (!g.v || !n_consumers || !last_consumer) {
                free(g.v);
                return -ENOMEM;
        }
        r = guard_phandles(&g);
        if (r < 0) {
                free(g.v);
                free(g.refs);
                return r;
        }
        for (size_t n = 0; n < t->n_nodes; n++) {
                int prop;

                if (t->nodes[n].device >= 0 &&
                    (node_prop(t, (int) n, "interrupt-controller", NULL) || node_prop(t, (int) n, "msi-controller", NULL)))
                        guard_add(&g, t->nodes[n].device, GUARD_INTERRUPT_CONTROLLER, "an interrupt controller (%s)",
                                  node_prop(t, (int) n, "interrupt-controller", NULL) ? "interrupt-controller" :
                                                                                       "msi-controller");
                if (!node_is_available(t, (int) n))
                        continue;
                if (t->nodes[n].device >= 0)
                        guard_bridge(&g, (int) n);
                fdt_for_each_property_offset(prop, t->fdt, t->nodes[n].offset) {
                        const char *name;
                        int len;
                        const void *v = fdt_getprop_by_offset(t->fdt, prop, &name, &len);

                        if (v && name && len > 0)
                                guard_scan_prop(&g, (int) n, name, v, (size_t) len);
                }
        }
        guard_console(&g);
        free(g.refs);
        *ret = g.v;
        return 0;
}

int fdt_list_devices(const void *blob, size_t size, DeviceInfo **ret, size_t *ret_n, char **ret_error) {
        return fdt_list_devices_guarded(blob, size, ret, NULL, ret_n, ret_error);
}

int fdt_list_devices_guarded(const void *blob, size_t size, DeviceInfo **ret, GuardVerdict **ret_guard, size_t *ret_n,
                             char **ret_error) {
        _cleanup_free_ void *copy = NULL;
        _cleanup_(tree_done) Tree t = {};
        int r;

        if (ret_error)
                *ret_error = NULL;

        if (size > FDT_BLOB_MAX)
                return error_msg(ret_error, -EINVAL, "not a device tree: %zu bytes, larger than %u", size,
                                 FDT_BLOB_MAX);

        /* libfdt wants the blob 8-byte aligned. */
        if ((uintptr_t) blob % 8 != 0) {
                copy = malloc(size ?: 1);
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, blob, size);
                blob = copy;
        }

        r = check_blob(blob, size, ret_error);
        if (r < 0)
                return r;
        t.fdt = blob;

        for (Bus b = 0; b < _BUS_MAX; b++) {
                t.names[b] = index_map_new();
                if (!t.names[b])
                        return -ENOMEM;
        }

        r = build_nodes(&t);
        if (r < 0)
                return r;
        if (t.n_nodes == 0)
                return error_msg(ret_error, -EBADMSG, "corrupt device tree: no root node");

        r = populate_init(&t);
        if (r < 0)
                return r;
        if (ret_guard) {
                r = guard_tree(&t, ret_guard);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(t.devices);
        *ret_n = t.n_devices;
        t.n_devices = 0;
        return 0;
}

void fdt_devices_free(DeviceInfo *devices, size_t n) {
        for (size_t i = 0; i < n; i++)
                device_info_done(&devices[i]);
        free(devices);
}

int fdt_read_file(const char *path, void **ret_blob, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t n = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uint64_t) st.st_size > FDT_BLOB_MAX)
                return -EFBIG;

        /* One byte more than the size says, to notice a file that grows under us. */
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size + 1 - n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > (size_t) st.st_size)
                        return -EFBIG;
        }

        *ret_blob = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}
