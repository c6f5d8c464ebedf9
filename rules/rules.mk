# udev rule generator, units, initramfs hooks: fragment of Makefile.am
