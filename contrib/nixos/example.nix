# SPDX-License-Identifier: LGPL-2.1-or-later
# Example NixOS configuration: two platform devices of an i.MX8M Plus and a PCI Wi-Fi card
# passed to VMs, the console UART protected. It replaces what is written by hand today, one unit per device plus a module
# blacklist so that the native driver does not take the device first:
#
#   boot.blacklistedKernelModules = [ "imx8-isi" "dwc3" ];
#   systemd.services."vfio-bind-32e10000.isp" = {
#     wantedBy = [ "multi-user.target" ];
#     serviceConfig.Type = "oneshot";
#     script = ''
#       echo vfio-platform > /sys/bus/platform/devices/32e10000.isp/driver_override
#       echo 32e10000.isp > /sys/bus/platform/drivers/imx8-isi/unbind || true
#       echo 32e10000.isp > /sys/bus/platform/drivers_probe
#     '';
#   };
#   systemd.services."vfio-bind-38100000.usb" = { ... the same again ... };
#
# The blacklist takes the driver away from every device it serves, the units race udev's
# coldplug and the native driver, and nothing re-binds after hotplug or a driver reload.
# With the module, the selected devices are protected before coldplug, kept through hotplug,
# and "vfio-platform-bindctl status" / "explain DEVICE" say what happened.
{ ... }:
{
  imports = [ ./module.nix ];

  services.vfio-platform-bindd = {
    enable = true;
    policy = {
      "10-protect" = [
        {
          name = "console";
          compatible = "fsl,imx8mp-uart";
          action = "ignore";
        }
      ];
      "50-passthrough" = [
        {
          name = "isp";
          path = "/soc@0/bus@32c00000/isp@32e10000";
        }
        {
          name = "usb";
          device = "38100000.usb";
          driver = "vfio-platform";
        }
        {
          # PCI: by slot; refuse if another member of its IOMMU group stays on a host driver.
          name = "wifi";
          device = "0000:00:14.3";
          group = "strict";
        }
      ];
    };
  };
}
