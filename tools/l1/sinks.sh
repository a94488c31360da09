#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The two sinks side by side, measured the same way in the same L1: boot L1
# (our kernel and KVM under TCG, kvm.discard_ranges=1) once, run
# tools/l1/sink-cost.sh there, and print the medians over the runs.
#
#   --table demo   per sink at min_order 9: t90, floor, share returned (the
#                  rows "page hinting (virtio sink)" and "(hypercall)")
#   --table bench  per sink and min_order: per GiB returned to L1, what
#                  the L2 QEMU spent beyond the same workload without
#                  hinting: exits, hypercalls, injected interrupts, time in
#                  KVM's discard handler, CPU of QEMU's threads but the
#                  vCPU's; the kernel time of QEMU's threads as a total
#                  with its spread (tick-sampled, noisy); and t90.  The
#                  no-hinting row gives that baseline's totals.
#
# Nested TCG makes every exit and every L1 instruction far dearer than on
# hardware, so read the breakdown, not absolute costs.
#
# Usage: sinks.sh [--table demo|bench] [--runs N] [--orders "9 0"]
#                 [--window S] [--budget S]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
table=demo runs=3 orders=9 window=10 budget=''
while [ $# -gt 0 ]; do
	case $1 in
	--table) table=$2; shift ;;
	--runs) runs=$2; shift ;;
	--orders) orders=$2; shift ;;
	--window) window=$2; shift ;;
	--budget) budget=$2; shift ;;
	*) echo "sinks.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
case $table in
demo) sinks="virtio hypercall" ;;
bench) sinks="off virtio hypercall" ;;
*) echo "sinks.sh: --table demo or bench" >&2; exit 2 ;;
esac
# About 30 s per L2 boot, plus L1's boot.
n=$(($(wc -w <<< "$orders") * 2 * runs + runs))
: "${budget:=$((n * (window + 40) + 120))}"
name=sinks-$table

"$top/tools/l1/run.sh" --l2 --budget "$budget" --name "$name" --quiet \
	--params "kvm.discard_ranges=1" \
	--job "sink-cost --runs $runs --orders '$orders' --window $window $sinks" \
	--expect sink-cost-done || exit 1
log=$top/build/l1/runs/$name.console.log
if grep -q 'sink-cost-error=' "$log"; then
	grep -o 'sink-cost-error=[^ ]*' "$log" >&2
	exit 1
fi

# The runs' key=value lines, as "sink order key value" rows.
rows=$(sed -n 's/^@@mark sink-cost sink=//p' "$log" |
	awk '{ s = $1; sub(/^order=/, "", $2); o = $2
	       for (i = 4; i <= NF; i++) { split($i, kv, "="); print s, o, kv[1], kv[2] } }')

# spread SINK ORDER KEY: "median min max" over the runs of KEY ("-" if
# none; a first value of "never" is passed through unsorted).
spread() {
	awk -v s="$1" -v o="$2" -v key="$3" '
		$1 == s && $2 == o { k[$3, ++n[$3]] = $4 }
		END {
			m = n["hinted_kib"]
			for (r = 1; r <= m; r++)
				v[r] = k[key, r]
			if (!m || v[1] == "never") { x = m ? v[1] : "-"; print x, x, x; exit }
			for (i = 2; i <= m; i++)
				for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
					t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
				}
			print v[int((m + 1) / 2)], v[1], v[m]
		}' <<< "$rows"
}

# med SINK ORDER KEY: the median of spread.
med() {
	local m _
	read -r m _ < <(spread "$@")
	echo "$m"
}

# per_gib SINK ORDER KEY SCALE [raw]: (median of KEY for SINK - median for
# the off sink, or 0 with raw) / GiB returned to L1 (median), divided by
# SCALE (1000: us to ms).  Returned, not hinted: when records are dropped
# (arrays full at a low min_order) upstream's scan reports the rest
# through the same sink.
per_gib() {
	local base=0

	[ "${5:-}" = raw ] || base=$(med off "${orders%% *}" "$3")
	awk -v a="$(med "$1" "$2" "$3")" -v b="$base" \
		-v g="$(med "$1" "$2" returned_kib)" -v sc="$4" '
		BEGIN { if (g <= 0 || a == "-" || b == "-") { print "-"; exit }
			printf "%.1f\n", (a - b) / sc / (g / 1048576) }'
}

label() {
	case $1 in
	off) echo "no hinting (baseline)" ;;
	virtio) echo "page hinting (virtio sink)" ;;
	hypercall) echo "page hinting (hypercall)" ;;
	esac
}

echo
if [ "$table" = demo ]; then
	echo "Inside L1 (our KVM, nested under TCG), L2 512 MiB / 1 vCPU, stress-ng --vm 1 --vm-bytes 300M --vm-keep --vm-populate 4s;"
	echo "median of $runs run(s), min_order ${orders%% *}; t90 in s from the workload's end, MiB of the L2 QEMU's guest RAM"
	printf '%-28s %8s %10s %10s\n' row t90_s floor_mib returned%
	for s in $sinks; do
		printf '%-28s %8s %10s %10s\n' "$(label "$s")" \
			"$(med "$s" "${orders%% *}" t90_s)" "$(med "$s" "${orders%% *}" floor_mib)" \
			"$(med "$s" "${orders%% *}" returned_pct)"
	done
else
	echo "Host cost of taking back L2's freed memory inside L1 (nested TCG: exits are far"
	echo "dearer than on hardware): the L2 QEMU's counters from the workload's start to"
	echo "${window} s after its end, minus the same without hinting (the baseline row: its"
	echo "totals), per GiB returned to L1; median of $runs run(s).  discard: KVM's handler."
	echo "sys: the kernel time of QEMU's threads (exits, faults, madvise()) in ms, a total"
	echo "sampled by clock ticks: read its spread before comparing."
	fmt='%-28s %5s %7s %8s %9s %8s %8s %10s %8s %-15s %6s\n'
	# shellcheck disable=SC2059
	printf "$fmt" row order hinted_MiB ret_MiB exits/GiB hcall/GiB irqs/GiB \
		discard_ms other_ms "sys_ms (spread)" t90_s
	ms() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1000 }'; }
	mib() { awk -v v="$1" 'BEGIN { printf "%d", v / 1024 }'; }
	# sys SINK ORDER: median (min-max) of sys_us, in ms
	sys() {
		spread "$1" "$2" sys_us | awk '$1 == "-" { print "-"; exit }
			{ printf "%d (%d-%d)\n", $1 / 1000, $2 / 1000, $3 / 1000 }'
	}
	o=${orders%% *}
	# shellcheck disable=SC2059
	printf "$fmt" "$(label off)" "$o" 0 0 "$(med off "$o" exits)" \
		"$(med off "$o" hypercalls)" "$(med off "$o" irqs)" \
		"$(ms "$(med off "$o" discard_us)")" "$(ms "$(med off "$o" other_us)")" \
		"$(sys off "$o")" "$(med off "$o" t90_s)"
	for o in $orders; do
		for s in virtio hypercall; do
			# shellcheck disable=SC2059
			printf "$fmt" "$(label "$s")" "$o" \
				"$(mib "$(med "$s" "$o" hinted_kib)")" \
				"$(mib "$(med "$s" "$o" returned_kib)")" \
				"$(per_gib "$s" "$o" exits 1)" "$(per_gib "$s" "$o" hypercalls 1)" \
				"$(per_gib "$s" "$o" irqs 1)" "$(per_gib "$s" "$o" discard_us 1000)" \
				"$(per_gib "$s" "$o" other_us 1000)" "$(sys "$s" "$o")" \
				"$(med "$s" "$o" t90_s)"
		done
	done
	echo
	echo "The hypercall sink's hand-offs per GiB returned to L1 (median of $runs run(s)):"
	echo "batches page reporting handed it (fill: blocks per batch, of 32), the free"
	echo "blocks in them, the entries they made (adjacent blocks merged), KVM's calls"
	echo "and steps (each a zap with one TLB flush and the drop of up to 64 MiB)"
	fmt='%-28s %5s %11s %6s %10s %11s %10s %10s %11s\n'
	# shellcheck disable=SC2059
	printf "$fmt" row order batches/GiB fill blocks/GiB entries/GiB calls/GiB \
		steps/GiB discard_ms
	for o in $orders; do
		# shellcheck disable=SC2059
		printf "$fmt" "$(label hypercall)" "$o" "$(per_gib hypercall "$o" batches 1 raw)" \
			"$(awk -v b="$(med hypercall "$o" blocks)" -v n="$(med hypercall "$o" batches)" \
				'BEGIN { if (n > 0) printf "%.1f", b / n; else print "-" }')" \
			"$(per_gib hypercall "$o" blocks 1 raw)" "$(per_gib hypercall "$o" ranges 1 raw)" \
			"$(per_gib hypercall "$o" calls 1 raw)" "$(per_gib hypercall "$o" steps 1 raw)" \
			"$(per_gib hypercall "$o" discard_us 1000 raw)"
	done
fi
