#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What does returning memory sooner cost the guest?  Boots the guest once per
# configuration and run, and measures the throughput of a workload that
# allocates, touches and frees memory all the time (stress-ng --vm without
# --vm-keep: every bogo-op maps, fills and unmaps its region), so that freed
# blocks are hinted and faulted back in again and again.  Prints the median
# bogo-ops/s per configuration, the spread (min-max) and the ratio to the
# configuration without reporting, measured in the same run.
#
# Under TCG identical runs vary a lot (FACTS.md: 3x): read the spread before
# the ratio.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)

runs=3 secs=15 mem=1024
workload_args="--vm 2 --vm-bytes 256M"
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--seconds) secs=$2; shift ;;
	--mem) mem=$2; shift ;;
	-h|--help)
		echo "usage: bench.sh [--runs N] [--seconds S] [--mem MIB]"; exit 0 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

MEM=$mem SMP=2
. "$top/tools/vm/vm.sh"
trap vm_stop EXIT
out=$top/build/bench
mkdir -p "$out"

# name | QEMU arguments | kernel command line
configs=(
	"reporting-off|-device virtio-balloon-pci,free-page-reporting=off|"
	"reporting-on|-device virtio-balloon-pci,free-page-reporting=on|"
	"reporting-250ms|-device virtio-balloon-pci,free-page-reporting=on|page_reporting.delay_ms=250"
	"page-hinting|-device virtio-balloon-pci,free-page-reporting=on|page_hinting.enabled=1"
)

job="run_workload stress-ng $workload_args --timeout ${secs}s --metrics-brief
mark \"hinted_bytes=\$(cat /sys/kernel/mm/page_hinting/hinted_bytes)\""
declare -A results hinted
for c in "${configs[@]}"; do
	IFS='|' read -r name qargs cmdline <<< "$c"
	vals=() mibs=()
	for ((r = 1; r <= runs; r++)); do
		vm_log "$name.run$r: stress-ng $workload_args for ${secs}s"
		vm_boot "$out" "$name.run$r" "$job" "$qargs" "$cmdline"
		vm_wait_exit $((secs * 4 + 120)) || { vm_log "$name.run$r did not finish"; exit 1; }
		grep -q ',,,,,,,workload-status=0$' "$VM_CSV" ||
			{ vm_log "$name.run$r: stress-ng failed; see $VM_LOG"; exit 1; }
		# "vm  <bogo ops> <real s> <usr s> <sys s> <ops/s real> <ops/s cpu>"
		v=$(awk '/metrc:.* vm +[0-9]/ { print $(NF - 1) }' "$VM_LOG")
		[ -n "$v" ] || { vm_log "$name.run$r: no metrics in $VM_LOG"; exit 1; }
		vals+=("$v")
		mibs+=("$(vm_mark_values hinted_bytes | awk '{ printf "%d", $1 / 1048576 }')")
	done
	results[$name]="${vals[*]}"
	hinted[$name]="${mibs[*]}"
done

echo
echo "stress-ng $workload_args, ${secs}s, bogo-ops/s (real time), $runs boot(s) each; ${mem} MiB guest, 2 vCPUs, QEMU TCG"
printf '%-18s %10s %21s %9s  %s\n' config median "spread (min-max)" "vs off" "hinted MiB per run"
base=
for c in "${configs[@]}"; do
	name=${c%%|*}
	# shellcheck disable=SC2086
	read -r med lo hi < <(printf '%s\n' ${results[$name]} | sort -g |
		awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		       print m, v[1], v[NR] }')
	[ -n "$base" ] || base=$med
	printf '%-18s %10.1f %10.1f-%-10.1f %8.2fx  %s\n' "$name" "$med" "$lo" "$hi" \
		"$(awk -v a="$med" -v b="$base" 'BEGIN { print a / b }')" "${hinted[$name]}"
done
