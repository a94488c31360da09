#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What does returning memory sooner cost the guest?  Boots the guest once per
# configuration and run, for two benchmarks, and prints for each the median
# per configuration, the spread (min-max) and the ratio to the configuration
# without reporting, measured in the same run:
#
#  1. pfbench under QEMU's -icount (tools/guest/pfbench.c, in the spirit of
#     will-it-scale page_fault1): processes map, touch and unmap 64 MiB of
#     4 KiB pages a fixed number of times.  With -icount the guest clock
#     counts instructions, so the guest time per page is deterministic (to
#     about 1 %) and measures what the guest itself spends -- the free-path
#     hook, the worker, the hand-off -- but not the host's work (dropping
#     and refaulting pages), which takes no guest time.  The difference in
#     ns per page to reporting-off is the cost of the hook and worker per
#     page freed.
#  2. stress-ng --vm churn in real time: every bogo-op works on a region
#     that is mapped, filled and unmapped over and over, so freed blocks are
#     hinted and faulted back in again and again; this includes the host's
#     side.  Under TCG identical runs vary a lot (FACTS.md: 3x): read the
#     spread before the ratio.
#  3. (--only vcpus) pfbench under -icount as in 1, with 2 processes pinned
#     to CPUs 0 and 1, at 2, 16 and 64 vCPUs (--vcpus), hinting against
#     reporting-off: the same work at every size, so that only idle vCPUs
#     are added.  It prints the overhead per page and the worker's CPU time
#     per pass (pass_us / passes), which must not grow with vCPUs that
#     record nothing.  Under -icount the vCPUs run in turn on one host
#     thread: keep --loops small.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)

runs=3 secs=15 mem=1024 loops=60 which="pfbench churn" vcpus="2 16 64"
out=$top/build/bench pf_mib=64
workload_args="--vm 2 --vm-bytes 256M"
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--seconds) secs=$2; shift ;;
	--loops) loops=$2; shift ;;
	--mem) mem=$2; shift ;;
	--only) which=$2; shift ;;
	--vcpus) vcpus=$2; shift ;;
	--out) out=$2; shift ;;
	--pf-mib) pf_mib=$2; shift ;;
	-h|--help)
		echo "usage: bench.sh [--runs N] [--seconds S] [--loops N] [--mem MIB] [--only pfbench|churn|vcpus] [--vcpus \"2 16 64\"] [--out DIR] [--pf-mib MIB]"
		exit 0 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

MEM=$mem SMP=2
. "$top/tools/vm/vm.sh"
trap vm_stop EXIT
mkdir -p "$out"

# name | QEMU arguments | kernel command line
balloon="-device virtio-balloon-pci,free-page-reporting"
configs=(
	"reporting-off|$balloon=off|"
	"reporting-on|$balloon=on|"
	"reporting-250ms|$balloon=on|page_reporting.delay_ms=250"
	"page-hinting|$balloon=on|page_hinting.enabled=1"
)
stats='for f in hinted_bytes reused_pages passes pass_us; do mark "$f=$(cat /sys/kernel/mm/page_hinting/$f)"; done'

# bench NAME EXTRA_QEMU_ARGS JOB METRIC_AWK: boot each configuration $runs
# times with JOB and collect the number METRIC_AWK prints from the console
# log, into results[config] (and hinted MiB per run into hinted[config]).
# The runs are interleaved (run 1 of every configuration, then run 2, ...)
# so that a drift in the host's speed over the benchmark spreads over all
# configurations instead of favouring the first.
declare -A results hinted reused passcost
bench() {
	local bname=$1 extra=$2 job=$3 metric=$4 c name qargs cmdline r v

	for ((r = 1; r <= runs; r++)); do
		for c in "${configs[@]}"; do
			IFS='|' read -r name qargs cmdline <<< "$c"
			vm_log "$bname: $name.run$r"
			vm_boot "$out" "$bname.$name.run$r" "$job
$stats" "$qargs $extra" "$cmdline"
			vm_wait_exit $((secs * 8 + 240)) ||
				{ vm_log "$name.run$r did not finish"; exit 1; }
			grep -q ',,,,,,,workload-status=0$' "$VM_CSV" ||
				{ vm_log "$name.run$r: the workload failed; see $VM_LOG"; exit 1; }
			v=$(awk "$metric" "$VM_LOG")
			[ -n "$v" ] || { vm_log "$name.run$r: no metric in $VM_LOG"; exit 1; }
			results[$name]+="$v "
			hinted[$name]+="$(vm_mark_values hinted_bytes | awk '{ printf "%d", $1 / 1048576 }') "
			reused[$name]+="$(vm_mark_values reused_pages | awk '{ printf "%d", $1 / 256 }') "
			passcost[$name]+="$(paste <(vm_mark_values pass_us) <(vm_mark_values passes) |
				awk '{ printf "%.0f", $2 ? $1 / $2 : 0 }') "
		done
	done
}

# median_spread VALUES...: "median min max"
median_spread() {
	printf '%s\n' "$@" | sort -g |
		awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		       print m, v[1], v[NR] }'
}

# table UNIT LOWER_IS_BETTER: one row per configuration; the ratio is always
# throughput relative to reporting-off (above 1 is faster).
table() {
	local unit=$1 lower=$2 c name med lo hi base='' ratio

	printf '%-16s %10s %23s %8s %10s  %s\n' config "median" "spread (min-max)" "vs off" \
		"$([ "$lower" = 1 ] && echo "ns vs off")" "hinted MiB, reused-soon MiB per run"
	for c in "${configs[@]}"; do
		name=${c%%|*}
		# shellcheck disable=SC2086
		read -r med lo hi < <(median_spread ${results[$name]})
		[ -n "$base" ] || base=$med
		if [ "$lower" = 1 ]; then
			ratio=$(awk -v a="$med" -v b="$base" 'BEGIN { print b / a }')
			printf '%-16s %10.1f %11.1f-%-11.1f %7.3fx %+10.1f  %s / %s\n' "$name" "$med" "$lo" "$hi" \
				"$ratio" "$(awk -v a="$med" -v b="$base" 'BEGIN { print a - b }')" \
				"${hinted[$name]% }" "${reused[$name]% }"
		else
			ratio=$(awk -v a="$med" -v b="$base" 'BEGIN { print a / b }')
			printf '%-16s %10.1f %11.1f-%-11.1f %7.3fx %10s  %s / %s\n' "$name" "$med" "$lo" "$hi" \
				"$ratio" "" "${hinted[$name]% }" "${reused[$name]% }"
		fi
	done
	echo "($unit)"
}

# pfbench's figure: guest ns per page.
pf_metric='/^pfbench / { for (i = 1; i <= NF; i++) if ($i ~ /^ns_per_page=/) { sub(/.*=/, "", $i); print $i } }'

if [[ " $which " = *" pfbench "* ]]; then
	# -icount shift=0: one instruction is one guest nanosecond; sleep=off
	# lets idle guest time pass without waiting, so it does not depend on
	# the host's speed either.
	bench pfbench "-icount shift=0,sleep=off" \
		"run_workload pfbench -p 2 -m 64 -n $loops" \
		"$pf_metric"
	echo
	echo "pfbench -p 2 -m 64 -n $loops under -icount shift=0,sleep=off: guest ns per page mapped, touched and unmapped"
	echo "(lower is better); $runs boot(s) each; ${mem} MiB guest, 2 vCPUs, QEMU TCG"
	table "guest instructions per page; the host's drop and refault cost is not in it" 1
	echo
fi

if [[ " $which " = *" vcpus "* ]]; then
	all=("${configs[@]}")
	configs=("${all[0]}" "${all[3]}")
	rows=()
	for SMP in $vcpus; do
		export SMP
		results=() hinted=() reused=() passcost=()
		bench "pfbench-smp$SMP" "-icount shift=0,sleep=off" \
			"run_workload taskset -c 0,1 pfbench -p 2 -m $pf_mib -n $loops" \
			"$pf_metric"
		# shellcheck disable=SC2086
		read -r off_med off_lo off_hi < <(median_spread ${results[reporting-off]})
		# shellcheck disable=SC2086
		read -r on_med on_lo on_hi < <(median_spread ${results[page-hinting]})
		# shellcheck disable=SC2086
		read -r pass_med pass_lo pass_hi < <(median_spread ${passcost[page-hinting]})
		rows+=("$(printf '%5d %9.1f %5.1f-%-7.1f %9.1f %5.1f-%-7.1f %+8.2f%% %9s %5s-%-5s' "$SMP" \
			"$off_med" "$off_lo" "$off_hi" "$on_med" "$on_lo" "$on_hi" \
			"$(awk -v a="$on_med" -v b="$off_med" 'BEGIN { print (a / b - 1) * 100 }')" \
			"$pass_med" "$pass_lo" "$pass_hi")")
	done
	configs=("${all[@]}")
	echo
	echo "taskset -c 0,1 pfbench -p 2 -m $pf_mib -n $loops under -icount shift=0,sleep=off, by vCPUs: guest ns per page"
	echo "(median, spread min-max over $runs boots each), reporting-off against page-hinting, and"
	echo "the worker's CPU time per pass in us (pass_us / passes; median, spread); ${mem} MiB guest"
	printf '%5s %9s %-13s %9s %-13s %9s %9s %-11s\n' vCPUs off spread hinting spread overhead "us/pass" spread
	printf '%s\n' "${rows[@]}"
	echo
fi

if [[ " $which " = *" churn "* ]]; then
	# "vm  <bogo ops> <real s> <usr s> <sys s> <ops/s real> <ops/s cpu>"
	bench churn "" \
		"run_workload stress-ng $workload_args --timeout ${secs}s --metrics-brief" \
		'/metrc:.* vm +[0-9]/ { print $(NF - 1) }'
	echo
	echo "stress-ng $workload_args, ${secs}s, bogo-ops/s in real time (higher is better); $runs boot(s) each;"
	echo "${mem} MiB guest, 2 vCPUs, QEMU TCG"
	table "real time: includes the host dropping and refaulting hinted pages" 0
fi
