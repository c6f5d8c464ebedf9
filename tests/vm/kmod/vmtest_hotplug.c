// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest_hotplug: real runtime hotplug of a device-tree platform device for
 * the vfio-platform-bindd VM tests.
 *
 * The guest kernel has no DT overlay support, so the test device tree carries
 * a node the kernel does not populate at boot (its parent has no "compatible"
 * and is not a bus).  insmod creates a platform device from that node with
 * of_platform_device_create(): the driver core sends a real "add" uevent (and
 * "bind" if a driver takes it).  rmmod destroys it: "unbind" + "remove".
 *
 *   insmod vmtest_hotplug.ko [path=/hp-parent/virtio_mmio@a003e00]
 */
#include <linux/module.h>
#include <linux/of.h>
#include <linux/of_platform.h>
#include <linux/platform_device.h>

static char *path = "/hp-parent/virtio_mmio@a003e00";
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "full path of the unpopulated device-tree node to create");

static struct platform_device *pdev;

static int __init vmtest_hotplug_init(void)
{
	struct device_node *np = of_find_node_by_path(path);

	if (!np) {
		pr_err("vmtest_hotplug: no device-tree node %s\n", path);
		return -ENODEV;
	}
	pdev = of_platform_device_create(np, NULL, NULL);
	of_node_put(np);
	if (!pdev) {
		pr_err("vmtest_hotplug: of_platform_device_create(%s) failed (already populated?)\n",
		       path);
		return -EBUSY;
	}
	pr_info("vmtest_hotplug: created %s from %s\n", dev_name(&pdev->dev), path);
	return 0;
}

static void __exit vmtest_hotplug_exit(void)
{
	pr_info("vmtest_hotplug: removing %s\n", dev_name(&pdev->dev));
	of_platform_device_destroy(&pdev->dev, NULL);
}

module_init(vmtest_hotplug_init);
module_exit(vmtest_hotplug_exit);
MODULE_DESCRIPTION("Create/remove a DT platform device at runtime (test only)");
MODULE_LICENSE("GPL");
