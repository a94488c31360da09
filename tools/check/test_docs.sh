#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The documentation covers what exists, and is valid reStructuredText.
#  - every sysfs file, module and boot parameter of the guest side
#    (mm/page_hinting.c, arch/x86/kernel/kvm_page_hinting.c) is described in
#    Documentation/admin-guide/mm/page_hinting.rst and has a What: line in
#    Documentation/ABI/testing/;
#  - every KVM statistic of the host side (patches), its module parameter
#    and every tracepoint is named in the ABI document,
#    Documentation/virt/kvm/x86/discard-ranges.rst, or the admin guide;
#  - every option of the top-level Kconfig is named in the docs;
#  - docutils parses our rst files and the hypercalls.rst we patch without
#    a warning (make htmldocs is too heavy here), and the kernel's ABI
#    checker accepts our ABI files.
# Prints what is missing; exits 1 if anything is.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
admin=Documentation/admin-guide/mm/page_hinting.rst
abi_doc=Documentation/virt/kvm/x86/discard-ranges.rst
abi_dir=Documentation/ABI/testing
fail=0 n=0

missing() { echo "undocumented: $*"; fail=1; }
# has FILE WORD: FILE names WORD as a literal (``WORD``).
has() { grep -qF "\`\`$2\`\`" "$1"; }

# sysfs DIR SOURCE: the attributes SOURCE registers under /sys/kernel/mm/DIR.
sysfs() {
	local a
	for a in $(sed -n 's/^[[:space:]]*&\([a-z_]*\)_attr\.attr,$/\1/p' "$2"); do
		n=$((n + 1))
		if [ "$1" = page_hinting ]; then
			has "$admin" "$a" || missing "$2: /sys/kernel/mm/$1/$a in $admin"
		else
			grep -qw "$a" "$admin" || missing "$2: /sys/kernel/mm/$1/$a in $admin"
		fi
		grep -qx "What:[[:space:]]*/sys/kernel/mm/$1/$a" "$abi_dir/sysfs-kernel-mm-$1" ||
			missing "$2: /sys/kernel/mm/$1/$a in $abi_dir/sysfs-kernel-mm-$1"
	done
}
sysfs page_hinting mm/page_hinting.c
sysfs page_hinting_kvm arch/x86/kernel/kvm_page_hinting.c

# Module and boot parameters: PREFIX.NAME in the document given.
params() {
	local p
	for p in $(sed -n 's/^module_param\(_named\|_cb\)\?(\([a-z_]*\),.*/\2/p' "$2"); do
		n=$((n + 1))
		# Named, or covered by "PREFIX.<knob>" and a description of the knob.
		grep -qF "$1.$p" "$3" ||
			{ grep -qF "$1.<knob>" "$3" && has "$3" "$p"; } ||
			missing "$2: the parameter $1.$p in $3"
	done
}
params page_hinting mm/page_hinting.c "$admin"
params kvm_page_hinting arch/x86/kernel/kvm_page_hinting.c "$admin"
params kvm virt/kvm/discard_ranges.c "$abi_doc"
n=$((n + 1))
grep -qF page_reporting.delay_ms "$admin" || missing "page_reporting.delay_ms in $admin"

# KVM's statistics of the handler, from the patch that adds them.
for s in $(sed -n 's/^+.*STATS_DESC_[A-Z_]*(VM_GENERIC, \(discard_[a-z_]*\)).*/\1/p' patches/*.patch); do
	n=$((n + 1))
	has "$abi_doc" "$s" || missing "the KVM statistic $s in $abi_doc"
done

# Tracepoints.
for f in include/trace/events/*.h; do
	for e in $(sed -n 's/^TRACE_EVENT(\([a-z_]*\),.*/\1/p' "$f"); do
		n=$((n + 1))
		grep -qw "$e" "$admin" "$abi_doc" || missing "the tracepoint $e ($f)"
	done
done

# Kconfig options.
for c in $(sed -n 's/^config //p' Kconfig); do
	n=$((n + 1))
	grep -qw "CONFIG_$c" "$admin" "$abi_doc" || missing "CONFIG_$c in $admin or $abi_doc"
done
echo "documented: $n names checked"

# The rst parses: our files, and the files our patches edit that docutils
# can read alone (api.rst needs Sphinx).
for f in Documentation/admin-guide/mm/page_hinting.rst Documentation/virt/kvm/x86/discard-ranges.rst \
	build/linux/Documentation/virt/kvm/x86/hypercalls.rst; do
	if out=$(rst2pseudoxml --halt=warning --report=warning "$f" 2>&1 > /dev/null); then
		echo "rst: docutils parses $f"
	else
		echo "$f: $out"
		fail=1
	fi
done

# The ABI files, with the kernel's own checker, in the prepared tree.
out=$(cd build/linux && perl scripts/get_abi.pl validate --dir "$top/$abi_dir" 2>&1 |
	grep -i -e warning -e error -e "can't parse")
if [ -z "$out" ]; then
	echo "ABI: scripts/get_abi.pl validate accepts $abi_dir"
else
	echo "$out"
	fail=1
fi
[ $fail = 0 ] && echo "docs complete"
exit $fail
