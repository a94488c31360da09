#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host gets freed guest memory back, or keeps it, as configured.  A small
# guest runs stress-ng, which takes ~500 MiB and exits; then:
#   on       upstream free page reporting returns at least half of it
#   off      without reporting the host keeps it (the chain can tell)
#   hinting  free page hinting returns at least half of it, through its own
#            capture path (hinted_bytes), not only the backstop scan
#
# Usage: test_reporting.sh on|off|hinting
set -u
mode=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
MEM=1024 SMP=2
. "$top/tools/vm/vm.sh"
summary=$(dirname "$HOSTMEM")/hostmem-summary
dir=$top/build/check/reporting-$mode
trap vm_stop EXIT

case $mode in
on)	qargs="-device virtio-balloon-pci,free-page-reporting=on" cmdline= ;;
off)	qargs="-device virtio-balloon-pci,free-page-reporting=off" cmdline= ;;
hinting) qargs="-device virtio-balloon-pci,free-page-reporting=on"
	cmdline="page_hinting.enabled=1" ;;
*)	echo "usage: $0 on|off|hinting" >&2; exit 2 ;;
esac

# --vm-populate takes all of the workload's memory when it starts: without
# it stress-ng fills it as fast as the guest runs, and the debug kernel on
# a slower machine had touched only 204 MiB when the 5 s were over.  While
# idle, the guest reports hinting's counters as markers.
job='run_workload stress-ng --vm 2 --vm-bytes 512M --vm-keep --vm-populate --timeout 5s
s=/sys/kernel/mm/page_hinting
while :; do
	[ -d $s ] && mark "hinted_bytes=$(cat $s/hinted_bytes)"
	sleep 0.5
done'
vm_boot "$dir" run "$job" "$qargs" "$cmdline" || exit 1
vm_wait_mark workload-end 240 || { echo "FAIL: the workload did not end"; cat "$VM_LOG"; exit 1; }
grep -q ',workload-status=0$' "$VM_CSV" || { echo "FAIL: stress-ng failed"; cat "$VM_LOG"; exit 1; }
t_end=$(vm_mark_time workload-end)

# figures: the run's figures so far, as shell variables.
figures() { eval "$("$summary" -k "$VM_CSV" | sed -n 's/^\([a-z0-9_]*\)=\([-0-9.a-z]*\)$/\1=\2/p')"; }
# at_least VALUE MIN: VALUE is a number (not nan) and at least MIN.
at_least() { awk -v v="$1" -v m="$2" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v + 0 >= m) }'; }
since_end() { awk -v a="$(vm_last_sample_time)" -v b="$t_end" 'BEGIN { printf "%d", a - b }'; }

# Wait for the condition, not a fixed time: returning modes succeed as soon
# as half is back, within 60 s (scaled); off must hold for 10 s, longer than
# reporting's 2 s delay and several of its passes.
window=$(vm_scaled 60)
while :; do
	figures
	elapsed=$(since_end)
	if [ "$mode" != off ]; then
		at_least "$returned_pct" 50 && break
		[ "$elapsed" -ge "$window" ] && break
	else
		[ "$elapsed" -ge 10 ] && break
	fi
	kill -0 "$VM_PID" 2>/dev/null || { echo "FAIL: QEMU exited"; cat "$VM_LOG"; exit 1; }
	sleep 0.5
done
# hinted: the largest hinted_bytes the guest has reported so far.
hinted() { vm_mark_values hinted_bytes | sort -n | tail -1; }
if [ "$mode" = hinting ]; then
	# The guest reports its counters every 0.5 s: wait for one from after
	# the memory came back.
	for ((i = 0; i < $(vm_scaled 20); i++)); do
		at_least "$(hinted)" $((300 * 1048576)) && break
		sleep 0.5
	done
fi
vm_stop
"$summary" --header -L "reporting=$mode" "$VM_CSV"
"$summary" -k "$VM_CSV"
if vm_console_errors; then echo "FAIL: the kernel complained"; exit 1; fi

taken=$(awk -v p="$peak_mib" -v b="$before_mib" 'BEGIN { printf "%d", p - b }')
[ "$taken" -ge 300 ] || { echo "FAIL: the workload took only $taken MiB: nothing to measure"; exit 1; }
if [ "$mode" = off ]; then
	at_least "$returned_pct" 0 && ! at_least "$returned_pct" 20 ||
		{ echo "FAIL: $returned_pct % came back without reporting: the chain is wrong"; exit 1; }
	echo "PASS: the host kept the memory ($returned_pct % back after $elapsed s)"
	exit 0
fi
at_least "$returned_pct" 50 ||
	{ echo "FAIL: only $returned_pct % of $taken MiB came back within $window s"; exit 1; }
if [ "$mode" = hinting ]; then
	hinted=$(hinted)
	at_least "${hinted:-0}" $((taken * 1048576 / 2)) ||
		{ echo "FAIL: hinting handed over only ${hinted:-0} bytes of $taken MiB"; exit 1; }
	echo "hinting handed over $((hinted / 1048576)) MiB"
fi
echo "PASS: $returned_pct % of $taken MiB came back, $elapsed s after the workload (t90: $t90_s)"
