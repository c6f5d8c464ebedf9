# Device tree reader (check --fdt): fragment of Makefile.am
