// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-open: open a platform device through VFIO the way a VMM does, and read
 * one 32-bit register of one of its MMIO regions.  Used by the VM tests as the
 * proof that a device bound to vfio-platform is really usable.
 *
 *   vfio-open [-r REGION] [-o OFFSET] [-e EXPECT] [-n] DEVICE
 *
 * DEVICE is a platform device name (a003e00.virtio_mmio), or else an AMBA one
 * (9030000.pl061, bound to vfio-amba).  Steps: the IOMMU group from
 * /sys/bus/{platform,amba}/devices/DEVICE/iommu_group, /dev/vfio/vfio
 * (container), /dev/vfio/GROUP, VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU
 * (type1), VFIO_GROUP_GET_DEVICE_FD, VFIO_DEVICE_GET_INFO,
 * VFIO_DEVICE_GET_REGION_INFO, then mmap() of the region (pread() when the
 * region cannot be mapped) and a read at OFFSET.
 * -n: stop after the device fd and its info (for devices without a region).
 * Exit 0 with one line on stdout on success; 1 with a message on stderr.
 */
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

static int die(const char *what)
{
	fprintf(stderr, "vfio-open: %s: %s: %s\n", dev ? dev : "-", what, strerror(errno));
	return 1;
}

static int fail(const char *msg)
{
	fprintf(stderr, "vfio-open: %s: %s\n", dev ? dev : "-", msg);
	return 1;
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

	char link[PATH_MAX], target[PATH_MAX];
	const char *bus = "platform";
	snprintf(link, sizeof(link), "/sys/bus/platform/devices/%s", dev);
	if (access(link, F_OK) < 0) {
		snprintf(link, sizeof(link), "/sys/bus/amba/devices/%s", dev);
		if (access(link, F_OK) == 0)
			bus = "amba";
	}
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
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		return fail("group not viable (a device of the group is not bound to a vfio driver)");
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
	if (!(di.flags & (strcmp(bus, "amba") ? VFIO_DEVICE_FLAGS_PLATFORM : VFIO_DEVICE_FLAGS_AMBA)))
		return fail(strcmp(bus, "amba") ? "not a vfio platform device" : "not a vfio amba device");
	if (info_only) {
		printf("vfio-open: %s group %s %s regions %u irqs %u\n",
		       dev, group_id, bus, di.num_regions, di.num_irqs);
		return 0;
	}
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
