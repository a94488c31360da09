#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the L1 initramfs: the guest's busybox, /init and marker helpers
# (tools/guest/, so jobs and markers work as in every other test), the KVM
# selftests built by tools/build/kvm-selftests.sh, stripped, and the runner
# that prints them as TAP (tools/l1/run-tests, with runone.c).
#
# With --l2, also build OUT's L2 payload, OUT with .cpio replaced by
# -l2.cpio: the L1 archive followed by a second one that holds what a test
# in L1 needs to run an L2 guest under KVM: QEMU with every library ldd
# lists and the firmware it loads, the guest kernel and initramfs as L2's
# kernel and initrd, the host memory sampler, a static gen_init_cpio (to pack
# a job for L2) and tools/l1/l2.sh.  The kernel unpacks concatenated archives
# in order, and keeping the 100+ MiB payload apart keeps the plain L1 boot
# small.
#
# Nothing is redone when no input changed (so `make` stays a no-op).
#
# Usage: mkinitramfs.sh [--l2] OUT.cpio [TEST...]
#   TEST as for kvm-selftests.sh; the default is every test of tests.conf.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/build
l2=0
[ "${1:-}" = --l2 ] && { l2=1; shift; }
out=$(mkdir -p "$(dirname "$1")" && cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
work=$out.d
kst=$b/kvm-selftests
gen=$b/initramfs.cpio.d/gen_init_cpio

die() { echo "l1-initramfs: $*" >&2; exit 1; }

[ -x "$gen" ] || die "$gen missing: run 'make initramfs' first"
if [ $# = 0 ]; then
	# shellcheck disable=SC2046
	set -- $(sed -e 's/#.*//' "$top/tools/l1/tests.conf" |
		awk 'NF { print ($1 ~ /^@/) ? $2 : $1 }' | sort -u)
fi
mkdir -p "$work/bin"

# copy_if_newer SRC DST [strip]: keep DST's mtime when SRC did not change.
copy_if_newer() {
	if [ ! -e "$2" ] || [ "$1" -nt "$2" ]; then
		mkdir -p "$(dirname "$2")"
		if [ "${3:-}" = strip ]; then
			strip -o "$2.tmp" "$1"
		else
			cp "$1" "$2.tmp"
		fi
		mv "$2.tmp" "$2"
	fi
}

# with_dirs: a gen_init_cpio list on stdin, with a "dir" line first for
# every directory a file lies in: the kernel's unpacker creates no missing
# parent.  Sorted, so that a parent comes before its children.
with_dirs() {
	awk '
		$1 == "dir" { d[$2] = 1; next }
		{ other[n++] = $0; p = $2
		  while (sub(/\/[^\/]*$/, "", p) && p != "") d[p] = 1 }
		END { for (p in d) print "dir " p " 755 0 0" | "sort"; close("sort")
		      for (i = 0; i < n; i++) print other[i] }
	'
}

# pack LIST_FILE CPIO: repack only if the list or a file in it changed.
pack() {
	local list=$1 cpio=$2 f stale=0

	if [ ! -e "$cpio" ] || ! cmp -s "$list.new" "$list"; then
		stale=1
	else
		while read -r f; do
			[ "$f" -nt "$cpio" ] && { stale=1; break; }
		done < <(awk '$1 == "file" { print $3 }' "$list")
	fi
	mv "$list.new" "$list"
	[ $stale = 1 ] || return 0
	"$gen" "$list" > "$cpio.tmp"
	mv "$cpio.tmp" "$cpio"
	echo "  CPIO    $cpio ($(du -m "$cpio" | cut -f1) MiB)"
}

if [ ! -x "$work/runone" ] || [ "$top/tools/l1/runone.c" -nt "$work/runone" ]; then
	gcc -O2 -Wall -Wextra -Werror -static -o "$work/runone" "$top/tools/l1/runone.c"
fi

# shellcheck source=tools/build/initramfs-base.sh
. "$top/tools/build/initramfs-base.sh"
list=$work/list
{
	# The mount points and directories init and busybox --install use.
	for d in /bin /sbin /dev /proc /sys /tmp /usr/bin /usr/sbin /root; do
		echo "dir $d 755 0 0"
	done
	initramfs_base "$top"
	echo "file /usr/bin/run-tests $top/tools/l1/run-tests 755 0 0"
	echo "file /usr/bin/runone $work/runone 755 0 0"
	for t in "$@"; do
		[ -x "$kst/$t" ] || die "$kst/$t missing: run tools/build/kvm-selftests.sh $t"
		copy_if_newer "$kst/$t" "$work/bin/$t" strip
		echo "file /usr/lib/kvm-selftests/$t $work/bin/$t 755 0 0"
	done
} | with_dirs > "$list.new"
pack "$list" "$out"
[ $l2 = 1 ] || exit 0

# The L2 payload.
l2out=${out%.cpio}-l2.cpio
payload=$work/l2-payload.cpio
bz=$b/obj-guest/arch/x86/boot/bzImage
for f in "$bz" "$b/initramfs.cpio" "$b/tools/hostmem" "$b/tools/hostmem-summary"; do
	[ -e "$f" ] || die "$f missing: run 'make kernel initramfs tools' first"
done
qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64: run 'make deps'"
if [ ! -x "$work/gen_init_cpio" ] || [ "$gen" -nt "$work/gen_init_cpio" ]; then
	gcc -O2 -static -o "$work/gen_init_cpio" "$b/linux/usr/gen_init_cpio.c"
fi
plist=$work/l2-list
{
	echo "file /usr/bin/qemu-system-x86_64 $qemu 755 0 0"
	echo "file /usr/bin/hostmem $b/tools/hostmem 755 0 0"
	echo "file /usr/bin/hostmem-summary $b/tools/hostmem-summary 755 0 0"
	echo "file /usr/bin/gen_init_cpio $work/gen_init_cpio 755 0 0"
	echo "file /usr/lib/hinting/l2.sh $top/tools/l1/l2.sh 644 0 0"
	echo "file /usr/lib/hinting/vm.sh $top/tools/vm/vm.sh 644 0 0"
	echo "file /usr/bin/l2-smoke $top/tools/l1/l2-smoke.sh 755 0 0"
	echo "file /usr/bin/l2-backings $top/tools/l1/l2-backings.sh 755 0 0"
	echo "file /usr/bin/hinting-e2e $top/tools/l1/hinting-e2e.sh 755 0 0"
	echo "file /usr/bin/sink-cost $top/tools/l1/sink-cost.sh 755 0 0"
	echo "file /usr/bin/l2-deaths $top/tools/l1/l2-deaths.sh 755 0 0"
	echo "file /bin/bash /bin/bash 755 0 0"
	echo "file /l2/bzImage $bz 644 0 0"
	echo "file /l2/initramfs.cpio $b/initramfs.cpio 644 0 0"
	# Every library, at the path the loader looks for it (the L1
	# archive has none: busybox and the selftests are static).
	ldd "$qemu" /bin/bash "$b/tools/hostmem" "$b/tools/hostmem-summary" |
		awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | sort -u |
	while read -r lib; do
		echo "file $lib $(readlink -f "$lib") 755 0 0"
	done
	# The firmware a -kernel boot with -nodefaults loads: SeaBIOS, the
	# option ROMs that load the kernel and patch the TPR; QEMU looks for
	# them in /usr/share/qemu and /usr/share/seabios.
	for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot.bin \
		 /usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin; do
		echo "file $f $(readlink -f "$f") 644 0 0"
	done
} | with_dirs > "$plist.new"
pack "$plist" "$payload"
if [ ! -e "$l2out" ] || [ "$out" -nt "$l2out" ] || [ "$payload" -nt "$l2out" ]; then
	cat "$out" "$payload" > "$l2out.tmp"
	mv "$l2out.tmp" "$l2out"
	echo "  CPIO    $l2out ($(du -m "$l2out" | cut -f1) MiB)"
fi
