#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What a min_order below pageblock_order costs the guest's anti-
# fragmentation.  Hinting isolates a free block with __isolate_free_page(),
# which turns the pageblock of a block of order pageblock_order - 1 or more
# into a movable one; with min_order 8 that pageblock may still hold
# unmovable or reclaimable pages, which then sit in a movable pageblock.
# Boots the guest once per configuration, runs movable churn beside
# reclaimable and unmovable kernel allocations (stress-ng --vm, --dentry,
# --pipe), lets hinting work for a while, and prints from /proc/pagetypeinfo
# the pageblocks of each migratetype and the mixed ones: pageblocks that
# hold pages of another type.  Fewer unmovable and reclaimable pageblocks
# than with hinting off means that hinting converted them, which is
# harmless for a pageblock free as a whole; more mixed movable pageblocks
# means that it converted pageblocks still in use.  The counts of mixed
# pageblocks need page_owner: the guest kernel is the pageowner variant
# (configs/page_owner.config), built here if it is missing.
#
# Usage: pageblocks.sh [--runs N] [--seconds S] [--out DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)

runs=1 secs=20 out=$top/build/pageblocks
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--seconds) secs=$2; shift ;;
	--out) out=$2; shift ;;
	-h|--help) echo "usage: pageblocks.sh [--runs N] [--seconds S] [--out DIR]"; exit 0 ;;
	*) echo "pageblocks: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

MEM=1024
KERNEL=$top/build/obj-pageowner/arch/x86/boot/bzImage
[ -f "$KERNEL" ] || make -C "$top" -s kernel VARIANT=pageowner
. "$top/tools/vm/vm.sh"
trap vm_stop EXIT
mkdir -p "$out"

balloon="-device virtio-balloon-pci,free-page-reporting"
# name | QEMU arguments | kernel command line
configs=(
	"hinting-off|$balloon=off|page_owner=on"
	"min_order-9|$balloon=on|page_owner=on page_hinting.enabled=1"
	"min_order-8|$balloon=on|page_owner=on page_hinting.enabled=1 page_hinting.min_order=8"
)
# Summed over the zones, "U_M_R_mU_mM_mR": the pageblocks that are
# unmovable, movable and reclaimable, then those of each type that are
# mixed.  It runs in the guest, where the job expands it.
# shellcheck disable=SC2016
blocks='awk '\''/^Number of blocks type/ { s = 0; next } /^Number of mixed blocks/ { s = 3; next }
	/^Node .*zone/ && s != "" { v[s] += $5; v[s + 1] += $6; v[s + 2] += $7 }
	/^$/ { s = "" } END { for (i = 0; i < 6; i++) printf "%d%s", v[i], i < 5 ? "_" : "\n" }'\'' /proc/pagetypeinfo'
job="mark \"before=\$($blocks)\"
run_workload stress-ng --vm 2 --vm-bytes 192M --dentry 1 --pipe 1 --timeout ${secs}s --quiet
idle 5
mark \"after=\$($blocks)\"
mark \"hinted=\$(cat /sys/kernel/mm/page_hinting/hinted_bytes 2>/dev/null || echo 0)\""

declare -A rows
for ((r = 1; r <= runs; r++)); do
	for c in "${configs[@]}"; do
		IFS='|' read -r name qargs cmdline <<< "$c"
		vm_log "$name.run$r"
		vm_boot "$out" "$name.run$r" "$job" "$qargs" "$cmdline"
		vm_wait_exit $((secs * 4 + 240)) || { vm_log "$name.run$r did not finish"; exit 1; }
		grep -q ',,,,,,,workload-status=0$' "$VM_CSV" ||
			{ vm_log "$name.run$r: the workload failed; see $VM_LOG"; exit 1; }
		rows[$name]+="$(vm_mark_values before) $(vm_mark_values after) $(vm_mark_values hinted)
"
	done
done

echo
echo "pageblocks by migratetype (unmovable/movable/reclaimable) before and after, and after"
echo "the mixed ones of each type (holding pages of another type), after"
echo "stress-ng --vm 2 --vm-bytes 192M --dentry 1 --pipe 1 for ${secs}s and 5 s idle; ${MEM} MiB guest"
printf '%-12s %14s %14s %14s %10s\n' config "before" "after" "mixed after" "hinted MiB"
for c in "${configs[@]}"; do
	name=${c%%|*}
	while read -r before after hinted; do
		[ -n "$before" ] || continue
		IFS=_ read -r bu bm br _ <<< "$before"
		IFS=_ read -r au am ar xu xm xr <<< "$after"
		printf '%-12s %14s %14s %14s %10d\n' "$name" "$bu/$bm/$br" "$au/$am/$ar" \
			"$xu/$xm/$xr" $((hinted / 1048576))
	done <<< "${rows[$name]}"
done
