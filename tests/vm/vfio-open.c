// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-open: open a device through VFIO the way a VMM does, and read one
 * 32-bit register of one of its regions.  Used by the VM tests as the proof
 * that a device bound to a VFIO driver is really usable.
 *
 *   vfio-open [-r REGION] [-o OFFSET] [-e EXPECT] [-n] DEVICE
 *
 * DEVICE is a platform device name (a003e00.virtio_mmio), an AMBA one
 * (9030000.pl061, bound to vfio-amba) or a PCI one (0000:00:05.0, bound to
 * vfio-pci).  Steps: the IOMMU group from /sys/bus/BUS/devices/DEVICE/iommu_group,
 * /dev/vfio/vfio (container), /dev/vfio/GROUP, VFIO_GROUP_GET_STATUS
 * (viability), VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU (type1),
 * VFIO_GROUP_GET_DEVICE_FD, VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_REGION_INFO,
 * then mmap() of the region (pread() when the region cannot be mapped) and a
 * read at OFFSET.
 * PCI: the region is the config space (VFIO_PCI_CONFIG_REGION_INDEX), read
 * with pread() at its region offset; the line names the vendor, device and
 * class, and -e EXPECT is compared with the vendor ID (0x1af4).
 * -n: stop after the device fd and its info (for devices without a region).
 *
 * Exit 0 with one line on stdout on success.  On failure one line on stderr
 * that names the step and the errno by its name ("VFIO_GROUP_SET_CONTAINER:
 * EPERM"), and exit status:
 *   1  any failure not listed below
 *   2  usage
 *   3  the group is not viable (GET_STATUS without VFIO_GROUP_FLAGS_VIABLE),
 *      and VFIO_GROUP_SET_CONTAINER then failed as the kernel promises; the
 *      line reads "group N not viable: VFIO_GROUP_SET_CONTAINER: EPERM ..."
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

static const char *dev;

/* the errno by name (EPERM), so that a test can match it whatever the locale */
static const char *errname(int e)
{
	const char *s = strerrorname_np(e);
	return s ? s : "E?";
}

static int die(const char *what)
{
	int e = errno;

	fprintf(stderr, "vfio-open: %s: %s: %s (%s)\n", dev ? dev : "-", what, errname(e), strerror(e));
	return 1;
}

static int fail(const char *msg)
{
	fprintf(stderr, "vfio-open: %s: %s\n", dev ? dev : "-", msg);
	return 1;
}

/* PCI: the vendor ID, device ID and class code from the config space region */
static int read_pci_config(int fd, const char *group_id, int have_expect, unsigned long long expect)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return die("VFIO_DEVICE_GET_REGION_INFO (config space)");
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_READ) || ri.size < 0x10)
		return fail("config space region not readable");

	uint8_t cfg[0x10];
	if (pread(fd, cfg, sizeof(cfg), ri.offset) != (ssize_t)sizeof(cfg))
		return die("pread config space");
	/* the config space is little-endian */
	unsigned vendor = cfg[0] | cfg[1] << 8, device = cfg[2] | cfg[3] << 8;
	unsigned class = cfg[9] | cfg[10] << 8 | cfg[11] << 16;
	printf("vfio-open: %s group %s pci config size 0x%llx vendor=0x%04x device=0x%04x class=0x%06x\n",
	       dev, group_id, (unsigned long long)ri.size, vendor, device, class);
	if (have_expect && vendor != (unsigned)expect) {
		fprintf(stderr, "vfio-open: %s: vendor ID 0x%04x, expected 0x%04llx\n", dev, vendor, expect);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long region = 0, offset = 0;
	unsigned long long expect = 0;
	int have_expect = 0, info_only = 0, c;

	while ((c = getopt(argc, argv, "r:o:e:n")) != -1) {
		switch (c) {
		case 'r': region = strtoul(optarg, NULL, 0); break;
		case 'o': offset = strtoul(optarg, NULL, 0); break;
		case 'e': expect = strtoull(optarg, NULL, 0); have_expect = 1; break;
		case 'n': info_only = 1; break;
		default:
			fprintf(stderr, "usage: vfio-open [-r REGION] [-o OFFSET] [-e EXPECT] [-n] DEVICE\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: vfio-open [-r REGION] [-o OFFSET] [-e EXPECT] [-n] DEVICE\n");
		return 2;
	}
	dev = argv[optind];
	if (offset & 3)
		return fail("offset must be 4-byte aligned");

	/* the bus: the first whose devices/ has DEVICE, and the flag its VFIO
	 * driver sets in VFIO_DEVICE_GET_INFO */
	static const struct {
		const char *name;
		uint32_t flag;
	} buses[] = {
		{ "platform", VFIO_DEVICE_FLAGS_PLATFORM },
		{ "amba", VFIO_DEVICE_FLAGS_AMBA },
		{ "pci", VFIO_DEVICE_FLAGS_PCI },
	};
	char link[PATH_MAX], target[PATH_MAX];
	size_t b;
	for (b = 0; b < sizeof(buses) / sizeof(buses[0]); b++) {
		snprintf(link, sizeof(link), "/sys/bus/%s/devices/%s", buses[b].name, dev);
		if (access(link, F_OK) == 0)
			break;
	}
	if (b == sizeof(buses) / sizeof(buses[0]))
		return fail("no such device on the platform, amba or pci bus");
	const char *bus = buses[b].name;
	int pci = strcmp(bus, "pci") == 0;
	snprintf(link, sizeof(link), "/sys/bus/%s/devices/%s/iommu_group", bus, dev);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return die("no IOMMU group (readlink iommu_group)");
	target[n] = '\0';
	const char *group_id = basename(target);

	int container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		return die("open /dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return fail("unknown VFIO API version");
	if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0)
		return fail("container does not support VFIO_TYPE1_IOMMU");

	char gpath[64];
	snprintf(gpath, sizeof(gpath), "/dev/vfio/%s", group_id);
	int group = open(gpath, O_RDWR | O_CLOEXEC);
	if (group < 0)
		return die(gpath);
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &gs) < 0)
		return die("VFIO_GROUP_GET_STATUS");
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		/* what a VMM sees next: the kernel refuses the container */
		if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) == 0)
			return fail("group not viable, yet VFIO_GROUP_SET_CONTAINER succeeded");
		int e = errno;
		fprintf(stderr, "vfio-open: %s: group %s not viable: VFIO_GROUP_SET_CONTAINER: %s (%s) "
			"(a member of the group is on a host driver)\n", dev, group_id, errname(e), strerror(e));
		return 3;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0)
		return die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0)
		return die("VFIO_SET_IOMMU type1 (vfio_iommu_type1 allow_unsafe_interrupts=1?)");

	int fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, dev);
	if (fd < 0)
		return die("VFIO_GROUP_GET_DEVICE_FD");
	struct vfio_device_info di = { .argsz = sizeof(di) };
	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &di) < 0)
		return die("VFIO_DEVICE_GET_INFO");
	if (!(di.flags & buses[b].flag)) {
		fprintf(stderr, "vfio-open: %s: VFIO_DEVICE_GET_INFO flags 0x%x: not a vfio %s device\n",
			dev, di.flags, bus);
		return 1;
	}
	if (info_only) {
		printf("vfio-open: %s group %s %s regions %u irqs %u\n",
		       dev, group_id, bus, di.num_regions, di.num_irqs);
		return 0;
	}
	if (pci)
		return read_pci_config(fd, group_id, have_expect, expect);
	if (region >= di.num_regions)
		return fail("no such region");

	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = (uint32_t)region };
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return die("VFIO_DEVICE_GET_REGION_INFO");
	if (offset + 4 > ri.size)
		return fail("offset beyond the region");

	uint32_t val;
	const char *how;
	if (ri.flags & VFIO_REGION_INFO_FLAG_MMAP) {
		long pg = sysconf(_SC_PAGESIZE);
		size_t len = (ri.size + pg - 1) & ~(size_t)(pg - 1);
		void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, ri.offset);
		if (p == MAP_FAILED)
			return die("mmap region");
		val = *(volatile uint32_t *)((char *)p + offset);
		munmap(p, len);
		how = "mmap";
	} else if (ri.flags & VFIO_REGION_INFO_FLAG_READ) {
		if (pread(fd, &val, 4, ri.offset + offset) != 4)
			return die("pread region");
		how = "pread";
	} else {
		return fail("region is neither mappable nor readable");
	}

	printf("vfio-open: %s group %s region %lu size 0x%llx %s reg[0x%lx]=0x%08" PRIx32 "\n",
	       dev, group_id, region, (unsigned long long)ri.size, how, offset, val);
	if (have_expect && val != (uint32_t)expect) {
		fprintf(stderr, "vfio-open: %s: read 0x%08" PRIx32 ", expected 0x%08llx\n",
			dev, val, expect);
		return 1;
	}
	close(fd);
	close(group);
	close(container);
	return 0;
}
