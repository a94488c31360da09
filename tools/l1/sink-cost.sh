#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run in L1 (tools/l1/sinks.sh boots L1 with tools/l1/run.sh --l2 --job):
# what it costs the host to take back an L2 guest's freed memory, by sink.
#
# For each SINK, min_order and run, an L2 guest (our guest kernel, 512 MiB,
# one vCPU) fills 300 MiB with stress-ng --vm-keep and exits.  L1 watches
# the L2 QEMU from the workload's start marker to WINDOW seconds after its
# end marker (the workload frees its memory as it exits, before the end
# marker) and prints one line per run:
#
#   @@mark sink-cost sink=S order=O run=R hinted_kib=.. t90_s=..
#     returned_kib=.. returned_pct=.. floor_mib=.. exits=.. hypercalls=.. irqs=..
#     discard_us=.. sys_us=.. other_us=.. calls=.. steps=.. faults=..
#     halts=.. io=.. irq_exits=.. batches=.. blocks=.. ranges=..
#
# hinted_kib is what L2's hinting handed over in the window (its
# hinted_bytes; not what upstream's free list scan, its backstop, reported
# through the same sink); returned_kib (peak - floor), t90_s, returned_pct
# and floor_mib are hostmem-summary's figures for the QEMU's guest RAM.  The rest are increments over the window, workload included
# (the off sink's runs measure that part): exits, hypercalls, irqs (injected
# interrupts) and discard_us (time in KVM's discard handler) from the VM's
# KVM statistics in debugfs; sys_us, the kernel time of all of QEMU's
# threads (KVM's exit handling, the guest's page faults, madvise(); in
# clock ticks); other_us, the CPU time of QEMU's threads but the vCPU's
# (schedstat), where a VMM could hand the work off; calls and steps,
# KVM's discard_calls and discard_steps; faults, halts, io and irq_exits,
# the exits of those kinds (pf_taken, halt_exits, io_exits, irq_exits:
# where the exits go); batches, blocks and ranges, what
# L2's hypercall sink counted (0 for the other sinks).
#
# Sinks:
#   off        no hinting and no reporting device: the cost of the
#              workload itself over the same window
#   virtio     kvm_page_hinting.enabled=0: virtio-balloon's reporting queue
#   hypercall  KVM_HC_DISCARD_RANGES; L1 must run with kvm.discard_ranges=1
#
# Usage: sink-cost.sh [--runs N] [--orders "9 0"] [--window S] SINK...
set -u
# shellcheck source=tools/guest/lib.sh
. /usr/lib/hinting/lib.sh
MEM=512
# shellcheck source=tools/l1/l2.sh
. /usr/lib/hinting/l2.sh
trap vm_stop EXIT

runs=3 orders=9 window=10
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--orders) orders=$2; shift ;;
	--window) window=$2; shift ;;
	*) break ;;
	esac
	shift
done
[ -d /sys/kernel/debug/kvm ] || mount -t debugfs debugfs /sys/kernel/debug
summary=/usr/bin/hostmem-summary
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

# L2: its counters, the workload, then its counters every 0.5 s, in one
# marker of about the same length for every sink (each character on L2's serial
# console is an exit, and the exits are compared): hinted_bytes, and the
# hypercall sink's batches, blocks and ranges (0 without it).  The
# workload starts once the free list scan that enabling hinting starts (the
# backstop for memory free before; page_hinting.c) is over: that scan does
# not age blocks and would report the workload's memory first.
# shellcheck disable=SC2016 # expanded in L2
job='counters() {
	local c=$(cat /sys/kernel/mm/page_hinting/hinted_bytes) f
	for f in batches blocks ranges; do
		c=$c:$(cat /sys/kernel/mm/page_hinting_kvm/$f 2>/dev/null || echo 0)
	done
	mark "counters=$c"
}
sleep 5
counters
run_workload stress-ng --vm 1 --vm-bytes 300M --vm-keep --vm-populate --timeout 4s
while :; do
	counters
	sleep 0.5
done'

# snap PID: the VM's counters now, as "exits hypercalls irqs discard_ns
# discard_calls discard_steps pf_taken halt_exits io_exits irq_exits
# stime_ticks other_ns": KVM's statistics, the
# kernel time of all of QEMU's
# threads (KVM's exit handling, page faults, madvise(); clock ticks) and
# the CPU time of the threads other than the vCPU's.
snap() {
	local pid=$1 d t comm ns s other=0 f
	local -a v

	d=$(echo /sys/kernel/debug/kvm/"$pid"-*)
	for f in exits hypercalls irq_injections discard_ns discard_calls discard_steps \
		pf_taken halt_exits io_exits irq_exits; do
		v+=("$(cat "$d/$f" 2>/dev/null || echo 0)")
	done
	for t in /proc/"$pid"/task/*; do
		read -r comm < "$t/comm" || continue
		read -r ns _ < "$t/schedstat" || continue
		case $comm in
		CPU\ */KVM) ;;
		*) other=$((other + ns)) ;;
		esac
	done
	# Field 15 of stat, stime, for the whole process; comm may hold
	# blanks, so count from after its closing parenthesis.
	s=$(cat "/proc/$pid/stat")
	# shellcheck disable=SC2086
	set -- ${s##*) }
	echo "${v[*]} ${13} $other"
}

# growth N: how much L2's Nth counter grew from its first marker in the
# run (before the workload) to its last; 0 without markers.
growth() {
	awk -F, -v n="$1" '
		index($8, "counters=") == 1 {
			split(substr($8, 10), c, ":")
			if (first == "") first = c[n]; last = c[n] }
		END { printf "%d", last - first }' "$VM_CSV"
}

for sink in "$@"; do
	dev="-device virtio-balloon-pci,free-page-reporting=on"
	case $sink in
	off)	cmdline="page_hinting.enabled=0 kvm_page_hinting.enabled=0"
		dev="-device virtio-balloon-pci,free-page-reporting=off" ;;
	virtio)	cmdline="page_hinting.enabled=1 kvm_page_hinting.enabled=0" ;;
	hypercall) cmdline="page_hinting.enabled=1" ;;
	*)	echo "sink-cost: no sink $sink" >&2; exit 2 ;;
	esac
	for order in $orders; do
		[ "$sink" = off ] && [ "$order" != "${orders%% *}" ] && continue
		for ((r = 1; r <= runs; r++)); do
			name=$sink-o$order-r$r
			# debug-threads: the vCPU thread is named "CPU 0/KVM".
			vm_boot /tmp/l2 "$name" "$job" \
				"$L2_QEMU_ARGS -name l2,debug-threads=on $dev" \
				"$cmdline page_hinting.min_order=$order" ||
				{ mark "sink-cost-error=$name-boot"; continue; }
			if ! vm_wait_mark workload-start 120; then
				l2_show_console "$VM_LOG" | tail -20
				mark "sink-cost-error=$name-boot"
				vm_stop
				continue
			fi
			s0=$(snap "$VM_PID")
			read -r e0 h0 i0 d0 c0 p0 f0 l0 x0 q0 k0 o0 <<< "$s0"
			if ! vm_wait_mark workload-end 120; then
				l2_show_console "$VM_LOG" | tail -20
				mark "sink-cost-error=$name-workload"
				vm_stop
				continue
			fi
			sleep "$window"
			s1=$(snap "$VM_PID")
			read -r e1 h1 i1 d1 c1 p1 f1 l1 x1 q1 k1 o1 <<< "$s1"
			echo "sink-cost: $name: counters $s0 -> $s1"
			returned_pct='' t90_s='' floor_mib='' peak_mib=''
			eval "$("$summary" -k "$VM_CSV" |
				grep -E '^(returned_pct|t90_s|floor_mib|peak_mib)=')"
			hinted=$(($(growth 1) / 1024))
			vm_stop
			mark "sink-cost sink=$sink order=$order run=$r" \
				"hinted_kib=$hinted t90_s=$t90_s" \
				"returned_kib=$(awk -v p="$peak_mib" -v f="$floor_mib" \
					'BEGIN { printf "%d", (p - f) * 1024 }')" \
				"returned_pct=$returned_pct floor_mib=$floor_mib" \
				"exits=$((e1 - e0)) hypercalls=$((h1 - h0))" \
				"irqs=$((i1 - i0)) discard_us=$(((d1 - d0) / 1000))" \
				"sys_us=$(((k1 - k0) * 1000000 / hz))" \
				"other_us=$(((o1 - o0) / 1000))" \
				"calls=$((c1 - c0)) steps=$((p1 - p0))" \
				"faults=$((f1 - f0)) halts=$((l1 - l0)) io=$((x1 - x0)) irq_exits=$((q1 - q0))" \
				"batches=$(growth 2) blocks=$(growth 3) ranges=$(growth 4)"
		done
	done
done
mark sink-cost-done
