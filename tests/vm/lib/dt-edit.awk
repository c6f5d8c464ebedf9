# Edit QEMU virt's decompiled device tree for the VM tests (run by prepare.sh).
#  -v smmu=PHANDLE          phandle of the SMMUv3 node
#  -v iommu_nodes="/n SID\n..."  root-level nodes that get iommus = <smmu SID>
#        (platform or AMBA devices alike: /pl061@9030000 is an AMBA one)
#  -v hp_node=/virtio_mmio@X -v hp_sid=SID
#        that node is moved under /hp-parent (no "compatible", so the kernel
#        does not populate it; the vmtest_hotplug module does), with iommus
#  -v soc_sid=SID  adds /vmtest-soc (simple-bus) with a child "vfio-test" that
#        has no reg: its platform device is named "vmtest-soc:vfio-test"
BEGIN {
	n = split(iommu_nodes, l, "\n")
	for (i = 1; i <= n; i++) {
		if (split(l[i], f, " ") == 2) {
			sub(/^\//, "", f[1]); sid[f[1]] = f[2]
		}
	}
	hp = hp_node; sub(/^\//, "", hp)
	depth = 0; inhp = 0; buf = ""
}
{
	line = $0
	if (depth == 1 && line ~ /^\t[^\t ]+ \{$/) {
		name = line; sub(/^\t/, "", name); sub(/ \{$/, "", name)
		if (name == hp) {
			inhp = 1
			buf = "\t\t" name " {\n\t\t\tiommus = <" smmu " " hp_sid ">;\n"
			depth++
			next
		}
		if (name in sid) {
			print line
			print "\t\tiommus = <" smmu " " sid[name] ">;"
			done[name] = 1
			depth++
			next
		}
	}
	if (inhp) {
		if (line ~ /^\t};$/) { buf = buf "\t\t};\n"; inhp = 0; depth--; hpdone = 1; next }
		buf = buf "\t" line "\n"
		if (line ~ /\{$/) depth++
		if (line ~ /^\t*};$/) depth--
		next
	}
	if (depth == 1 && line ~ /^};$/) {
		print ""
		print "\thp-parent {"
		print "\t\t#address-cells = <0x02>;"
		print "\t\t#size-cells = <0x02>;"
		print "\t\tranges;"
		printf "%s", buf
		print "\t};"
		print ""
		print "\tvmtest-soc {"
		print "\t\tcompatible = \"simple-bus\";"
		print "\t\t#address-cells = <0x02>;"
		print "\t\t#size-cells = <0x02>;"
		print "\t\tranges;"
		print ""
		print "\t\tvfio-test {"
		print "\t\t\tcompatible = \"vmtest,dummy\";"
		print "\t\t\tiommus = <" smmu " " soc_sid ">;"
		print "\t\t};"
		print "\t};"
	}
	if (line ~ /\{$/) depth++
	if (line ~ /^\t*};$/) depth--
	print line
}
END {
	if (!hpdone) { print "dt-edit: node " hp_node " not found" > "/dev/stderr"; exit 1 }
	for (k in sid) if (!(k in done)) { print "dt-edit: node /" k " not found" > "/dev/stderr"; exit 1 }
}
