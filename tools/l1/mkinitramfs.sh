#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the L1 initramfs: the guest's busybox, /init and marker helpers
# (tools/guest/, so jobs and markers work as in every other test), the KVM
# selftests built by tools/build/kvm-selftests.sh, stripped, and the runner
# that prints them as TAP (tools/l1/run-tests, with runone.c).
#
# Nothing is redone when no input changed (so `make` stays a no-op).
#
# Usage: mkinitramfs.sh OUT.cpio [TEST...]
#   TEST as for kvm-selftests.sh; the default is every test of tests.conf.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/build
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

list=$work/list
{
	# The mount points and directories init and busybox --install use.
	for d in /bin /sbin /dev /proc /sys /tmp /usr/bin /usr/sbin /root; do
		echo "dir $d 755 0 0"
	done
	echo "nod /dev/console 600 0 0 c 5 1"
	echo "nod /dev/null 666 0 0 c 1 3"
	echo "file /bin/busybox /bin/busybox 755 0 0"
	echo "slink /bin/sh busybox 777 0 0"
	echo "file /init $top/tools/guest/init 755 0 0"
	echo "file /usr/lib/hinting/lib.sh $top/tools/guest/lib.sh 644 0 0"
	echo "file /etc/passwd $top/tools/guest/passwd 644 0 0"
	echo "file /usr/bin/run-tests $top/tools/l1/run-tests 755 0 0"
	echo "file /usr/bin/runone $work/runone 755 0 0"
	for t in "$@"; do
		[ -x "$kst/$t" ] || die "$kst/$t missing: run tools/build/kvm-selftests.sh $t"
		copy_if_newer "$kst/$t" "$work/bin/$t" strip
		echo "file /usr/lib/kvm-selftests/$t $work/bin/$t 755 0 0"
	done
} | with_dirs > "$list.new"
pack "$list" "$out"
