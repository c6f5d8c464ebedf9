#!/bin/sh
# Builds a plain sysfs tree under ROOT that looks like QEMU's arm64 "virt" machine: virtio-mmio
# slots (one held by its native driver), fw-cfg, gpio-keys (a name with ':' and '-'), and a
# PL011 UART on the amba bus. No kernel is behind it: writes land in files.
# Usage: make-fake-sysfs.sh ROOT
set -eu
root=$1
sys=$root/sys

driver() { # BUS NAME
        mkdir -p "$sys/bus/$1/drivers/$2" "$sys/bus/$1/devices"
        : >"$sys/bus/$1/drivers/$2/bind"
        : >"$sys/bus/$1/drivers/$2/unbind"
        : >"$sys/bus/$1/drivers_probe"
}

device() { # BUS NAME OF_PATH COMPATIBLE DRIVER|- IOMMU_GROUP|-
        bus=$1 name=$2 path=$3 compat=$4 drv=$5 group=$6
        dir=$sys/devices/platform/$name
        mkdir -p "$dir" "$sys/bus/$bus/devices"
        : >"$sys/bus/$bus/drivers_probe"
        echo '(null)' >"$dir/driver_override"
        if [ "$bus" = platform ]; then
                node=${path##*/}
                printf 'OF_NAME=%s\nOF_FULLNAME=%s\nOF_COMPATIBLE_0=%s\nOF_COMPATIBLE_N=1\nMODALIAS=of:N%sT(null)C%s\n' \
                        "${node%@*}" "$path" "$compat" "${node%@*}" "$compat" >"$dir/uevent"
        else
                echo "MODALIAS=amba:d00041011" >"$dir/uevent"
                mkdir -p "$sys/firmware/devicetree/base$path"
                printf '%s\0arm,primecell\0' "$compat" >"$sys/firmware/devicetree/base$path/compatible"
                ln -sfn "../../../firmware/devicetree/base$path" "$dir/of_node"
        fi
        ln -sfn "../../../devices/platform/$name" "$sys/bus/$bus/devices/$name"
        if [ "$drv" != - ]; then
                driver "$bus" "$drv"
                ln -sfn "../../../bus/$bus/drivers/$drv" "$dir/driver"
        fi
        if [ "$group" != - ]; then
                mkdir -p "$sys/kernel/iommu_groups/$group"
                ln -sfn "../../../kernel/iommu_groups/$group" "$dir/iommu_group"
        fi
}

module() { # BUS DRIVER MODULE: a loadable module behind the driver (built-in drivers have none)
        mkdir -p "$sys/module/$3"
        echo live >"$sys/module/$3/initstate"
        ln -sfn "../../../../module/$3" "$sys/bus/$1/drivers/$2/module"
}

driver platform virtio-mmio
module platform virtio-mmio virtio_mmio
driver platform vfio-platform
module platform vfio-platform vfio_platform
driver amba uart-pl011
driver amba vfio-amba
module amba vfio-amba vfio_amba
device platform a003e00.virtio_mmio /virtio_mmio@a003e00 virtio,mmio virtio-mmio 3
device platform a003c00.virtio_mmio /virtio_mmio@a003c00 virtio,mmio - 4
device platform a000000.virtio_mmio /virtio_mmio@a000000 virtio,mmio - -
device platform 9020000.fw-cfg /fw-cfg@9020000 qemu,fw-cfg-mmio - 5
device platform gpio-keys /gpio-keys gpio-keys - -
device amba 9000000.pl011 /pl011@9000000 arm,pl011 uart-pl011 -
