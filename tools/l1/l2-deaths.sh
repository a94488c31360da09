#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run in L1 by `make soak` (tools/check/soak.sh boots L1 with tools/l1/run.sh
# --l2 --job): how often an L2 guest dies before its workload ends, per sink
# and with hinting off, and of what.  Each run is the verify boot of
# hinting-e2e.sh (one vCPU, stress-ng --verify and pagecheck for VERIFY_SECS
# seconds; hinting at min_order=0, delay_ms=1, batch=1), the sinks taking
# turns so that a change in L1 over time hits them alike.
#
# What an L2 died of is captured three ways: QEMU's own log of guest errors
# and CPU resets (-d guest_errors,cpu_reset: a triple fault resets the CPU,
# and with -no-reboot QEMU then exits 0), L1's KVM tracepoints for the exits
# that end a guest (kvm_exit with SVM_EXIT_SHUTDOWN, the triple fault, with
# the guest's RIP; kvm_userspace_exit with KVM_EXIT_SHUTDOWN or
# KVM_EXIT_INTERNAL_ERROR; only where L1's kernel has event tracing), and
# L2's console (a panic, an oops).
#
# Markers: one per run,
#   l2-death sink=S run=R outcome=ok|died cause=C secs=T resets=N qemu_rc=RC
# (C: none, triple-fault, internal-error, panic, oops, reset (a CPU reset
# after power-on, where L1 has no tracepoints to tell a triple fault),
# verify-failed, qemu-hung-at-exit (L2 powered off, QEMU did not exit),
# timeout or qemu-exit-N), then l2-deaths-done.  For a QEMU that outlives
# its time, L1 prints its threads' states and kernel stacks and what its
# vCPU does in two seconds: the KVM counters that move and, with
# tracepoints, its exits by reason and the guest RIPs and fault addresses
# that recur (a fault that never resolves, a guest spinning in its code;
# L2 boots with nokaslr, so that build/obj-guest/System.map names them).
#
# Usage: [VERIFY_SECS=S] [L2_DEADLINE=S] l2-deaths.sh RUNS [SINK...]
#   (default sinks: off upstream virtio hypercall, see l2_sink_cmdline;
#   L2_DEADLINE, the time a run may take before it counts as a timeout,
#   defaults to 3 * VERIFY_SECS + 200, scaled by TIME_SCALE; a short one
#   shows what a timeout prints)
set -u
# shellcheck source=tools/guest/lib.sh
. /usr/lib/hinting/lib.sh
MEM=${L2_MEM:-512}
# shellcheck source=tools/l1/l2.sh
. /usr/lib/hinting/l2.sh
trap vm_stop EXIT

runs=${1:-10}
shift
sinks=${*:-off upstream virtio hypercall}
verify_secs=${VERIFY_SECS:-15}
balloon="-device virtio-balloon-pci,free-page-reporting=on"
job=$(l2_verify_job "$verify_secs")

# KVM's tracepoints, where L1's kernel has event tracing (the debug
# kernel; the guest kernel has none: then QEMU's log and L2's console say
# what they can).  SVM_EXIT_SHUTDOWN is 0x7f; KVM_EXIT_SHUTDOWN 8,
# KVM_EXIT_INTERNAL_ERROR 17.
t=/sys/kernel/tracing
[ -d $t/events ] || mount -t tracefs tracefs $t 2>/dev/null
if [ -d $t/events/kvm ]; then
	echo 'exit_reason == 127' > $t/events/kvm/kvm_exit/filter
	echo 'reason == 8 || reason == 17' > $t/events/kvm/kvm_userspace_exit/filter
	echo 1 > $t/events/kvm/kvm_exit/enable
	echo 1 > $t/events/kvm/kvm_userspace_exit/enable
	echo 1 > $t/tracing_on
else
	echo "l2-deaths: no KVM tracepoints in this L1: QEMU's log and L2's console only"
	t=
fi

# KVM's statistics of each VM, per QEMU process, in debugfs.
[ -d /sys/kernel/debug/kvm ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# kvm_stats PID: "name value" lines of KVM's statistics of QEMU PID's VM.
kvm_stats() {
	local f

	for f in /sys/kernel/debug/kvm/"$1"-*/*; do
		[ -f "$f" ] && echo "${f##*/} $(cat "$f" 2>/dev/null)"
	done
}

# stalled PID: what the vCPU of a QEMU that outlives its time does in two
# seconds: which of KVM's counters move (faults in a loop, halts, exits
# of some kind, or none: the guest runs without exiting), and, with
# tracepoints, its exits by reason and the guest RIPs and fault addresses
# that recur.
stalled() {
	kvm_stats "$1" > /tmp/stall.before
	if [ -n "$t" ]; then
		echo 0 > $t/events/kvm/kvm_exit/filter
		echo 1 > $t/events/kvm/kvm_page_fault/enable
		echo > $t/trace
	fi
	sleep 2
	if [ -n "$t" ]; then
		echo 0 > $t/events/kvm/kvm_page_fault/enable
		cp $t/trace /tmp/stall.trace
		echo 'exit_reason == 127' > $t/events/kvm/kvm_exit/filter
	fi
	echo "  KVM counters that moved in 2 s:"
	kvm_stats "$1" > /tmp/stall.after
	awk 'NR == FNR { a[$1] = $2; next }
		$2 != a[$1] { printf "    %s %+d\n", $1, $2 - a[$1] }' \
		/tmp/stall.before /tmp/stall.after
	rm -f /tmp/stall.before /tmp/stall.after
	[ -n "$t" ] || return 0
	echo "  exits by reason, the commonest RIPs and fault addresses:"
	grep -o 'reason [A-Za-z_0-9]*' /tmp/stall.trace | sort | uniq -c | sort -rn | head -5
	grep -o 'kvm_exit: .* rip 0x[0-9a-f]*' /tmp/stall.trace | grep -o 'rip 0x[0-9a-f]*' |
		sort | uniq -c | sort -rn | head -3
	grep -o 'address [0-9a-fx]*' /tmp/stall.trace | sort | uniq -c | sort -rn | head -3
	rm -f /tmp/stall.trace
}

# resets NAME: the CPU resets QEMU logged for the run NAME; the first two
# are at power-on (machine creation and the first system reset), and with
# -no-reboot any later one is the guest's: a triple fault
# (KVM_EXIT_SHUTDOWN) or a reboot.
resets() {
	grep -c 'CPU Reset' "/tmp/l2/$1.qemu-d.log" 2>/dev/null || echo 0
}

# cause NAME RC: what the run NAME, which exited with RC, died of.
cause() {
	local trace=/tmp/trace.$1

	if grep -qi 'kvm_exit:.*reason shutdown\|KVM_EXIT_SHUTDOWN' "$trace" 2>/dev/null; then
		echo triple-fault
	elif grep -q 'KVM_EXIT_INTERNAL_ERROR' "$trace" 2>/dev/null; then
		echo internal-error
	elif grep -q 'Kernel panic' "$VM_LOG"; then
		echo panic
	elif grep -qE 'Oops|BUG:|general protection' "$VM_LOG"; then
		echo oops
	elif [ "$(resets "$1")" -gt 2 ]; then
		echo reset
	elif [ "$2" = 124 ] && grep -q ',poweroff$' "$VM_CSV"; then
		echo qemu-hung-at-exit
	elif [ "$2" = 124 ]; then
		echo timeout
	elif grep -q ',workload-end$' "$VM_CSV"; then
		echo verify-failed
	else
		echo "qemu-exit-$2"
	fi
}

for ((r = 1; r <= runs; r++)); do
	for s in $sinks; do
		cmdline=$(l2_sink_cmdline "$s") ||
			{ echo "l2-deaths: no sink $s" >&2; exit 2; }
		# nokaslr: the RIPs a stall prints are those of L2's System.map.
		cmdline="$cmdline $L2_AGGRESSIVE nokaslr"
		name=$s-$r
		[ -z "$t" ] || echo > $t/trace
		start=$SECONDS
		if ! vm_boot /tmp/l2 "$name" "$job" \
			"$L2_QEMU_ARGS $balloon -d guest_errors,cpu_reset -D /tmp/l2/$name.qemu-d.log" \
			"$cmdline"; then
			mark "l2-death sink=$s run=$r outcome=died cause=no-start secs=0"
			continue
		fi
		# QEMU's threads, as L1 sees them, if it outlives its time:
		# where each one waits (the vCPU's in KVM, say).
		deadline=$((SECONDS + $(vm_scaled "${L2_DEADLINE:-$((verify_secs * 3 + 200))}")))
		while kill -0 "$VM_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
			sleep 0.2
		done
		if kill -0 "$VM_PID" 2>/dev/null; then
			echo "l2-deaths: $name: QEMU still runs after its time; its threads:"
			for task in /proc/"$VM_PID"/task/*; do
				echo "  $(cat "$task/comm") state $(awk '{ print $3 }' "$task/stat")" \
					"wchan $(cat "$task/wchan" 2>/dev/null)"
				sed 's/^/    /' "$task/stack" 2>/dev/null
			done
			stalled "$VM_PID"
		fi
		vm_wait_exit 1
		rc=$?
		[ -z "$t" ] || cp $t/trace "/tmp/trace.$name"
		if [ $rc = 0 ] && grep -q ',stress-status=0$' "$VM_CSV" &&
		   grep -q ',pagecheck-status=0$' "$VM_CSV"; then
			outcome=ok c=none
		else
			outcome=died c=$(cause "$name" $rc)
			echo "l2-deaths: $name died ($c) after $((SECONDS - start)) s:"
			grep -v '^#\|^ *$' "/tmp/trace.$name" 2>/dev/null | tail -5
			tail -20 "/tmp/l2/$name.qemu-d.log" 2>/dev/null
			# L2's console from its first report of a kernel error
			# on (the whole report, up to 120 lines), else its end.
			first=$(grep -n -m1 -E 'BUG:|Oops|WARNING:|general protection|double fault|Kernel panic' \
				"$VM_LOG" | cut -d: -f1)
			if [ -n "$first" ]; then
				l2_show_console "$VM_LOG" | tail -n "+$((first > 20 ? first - 20 : 1))" | head -120
			else
				l2_show_console "$VM_LOG" | tail -15
			fi
		fi
		mark "l2-death sink=$s run=$r outcome=$outcome cause=$c secs=$((SECONDS - start))" \
			"resets=$(resets "$name") qemu_rc=$rc"
		rm -rf /tmp/l2/"$name".* /tmp/trace."$name"
	done
done
mark l2-deaths-done
