#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest initramfs without root: busybox-static, stress-ng with the
# libraries ldd lists, and the guest scripts of tools/guest/, packed by the
# kernel's own gen_init_cpio (compiled from the unpacked source).
#
# Usage: mkinitramfs.sh REPO_DIR KERNEL_SRC OUT.cpio
set -euo pipefail

repo=$1 ksrc=$2 out=$3
work=$out.d
mkdir -p "$work"
gen=$work/gen_init_cpio
if [ ! -x "$gen" ] || [ "$ksrc/usr/gen_init_cpio.c" -nt "$gen" ]; then
	gcc -O2 -o "$gen" "$ksrc/usr/gen_init_cpio.c"
fi

# The guest's own test programs, static so that they need no library.
progs="pagecheck pfbench memedge lifecycle"
for prog in $progs; do
	if [ ! -x "$work/$prog" ] || [ "$repo/tools/guest/$prog.c" -nt "$work/$prog" ]; then
		gcc -O2 -Wall -Wextra -static -pthread -o "$work/$prog" "$repo/tools/guest/$prog.c"
	fi
done

# shellcheck source=tools/build/initramfs-base.sh
. "$repo/tools/build/initramfs-base.sh"
list=$work/list
{
	for d in /bin /sbin /dev /proc /sys /tmp /usr /usr/bin /usr/sbin /usr/lib \
		 /usr/lib/hinting /lib /lib64 /lib/x86_64-linux-gnu /etc /root; do
		echo "dir $d 755 0 0"
	done
	initramfs_base "$repo"
	echo "file /usr/bin/stress-ng /usr/bin/stress-ng 755 0 0"
	for prog in $progs; do
		echo "file /usr/bin/$prog $work/$prog 755 0 0"
	done
	# Every library stress-ng links, at the path the loader looks for it.
	ldd /usr/bin/stress-ng | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
	while read -r lib; do
		echo "file $lib $(readlink -f "$lib") 755 0 0"
	done
} > "$list.new"
mv "$list.new" "$list"
"$gen" "$list" > "$out.tmp"
mv "$out.tmp" "$out"
echo "  CPIO    $out ($(du -m "$out" | cut -f1) MiB)"
