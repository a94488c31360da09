#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The measuring chain sees a real effect.  With upstream free page reporting
# on, the host gets back at least half of what the workload freed; with it
# off, the host keeps it.  A small guest and workload, to fit CI's budget.
#
# Usage: test_reporting.sh on|off
set -u
mode=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
MEM=1024 SMP=2
. "$top/tools/vm/vm.sh"
summary=$(dirname "$HOSTMEM")/hostmem-summary
dir=$top/build/check/reporting-$mode
trap vm_stop EXIT

job='run_workload stress-ng --vm 2 --vm-bytes 512M --vm-keep --timeout 5s
idle 100000'
vm_boot "$dir" run "$job" "-device virtio-balloon-pci,free-page-reporting=$mode" "" || exit 1
vm_wait_mark workload-end 240 || { echo "FAIL: the workload did not end"; cat "$VM_LOG"; exit 1; }
grep -q ',workload-status=0$' "$VM_CSV" || { echo "FAIL: stress-ng failed"; cat "$VM_LOG"; exit 1; }
t_end=$(awk -F, '$8 == "workload-end" { print $1; exit }' "$VM_CSV")

# figures: the run's figures so far, as shell variables.
figures() { eval "$("$summary" -k "$VM_CSV" | sed -n 's/^\([a-z0-9_]*\)=\([-0-9.a-z]*\)$/\1=\2/p')"; }
# at_least VALUE MIN: VALUE is a number (not nan) and at least MIN.
at_least() { awk -v v="$1" -v m="$2" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v + 0 >= m) }'; }
since_end() { awk -v a="$(vm_last_sample_time)" -v b="$t_end" 'BEGIN { printf "%d", a - b }'; }

# Wait for the condition, not a fixed time: on succeeds as soon as half is
# back; off must hold for 10 s, longer than reporting's 2 s delay and several
# of its passes.
while :; do
	figures
	elapsed=$(since_end)
	if [ "$mode" = on ]; then
		at_least "$returned_pct" 50 && break
		[ "$elapsed" -ge 60 ] && break
	else
		[ "$elapsed" -ge 10 ] && break
	fi
	kill -0 "$VM_PID" 2>/dev/null || { echo "FAIL: QEMU exited"; cat "$VM_LOG"; exit 1; }
	sleep 0.5
done
vm_stop
"$summary" --header -L "reporting=$mode" "$VM_CSV"
"$summary" -k "$VM_CSV"
if vm_console_errors; then echo "FAIL: the kernel complained"; exit 1; fi

taken=$(awk -v p="$peak_mib" -v b="$before_mib" 'BEGIN { printf "%d", p - b }')
[ "$taken" -ge 300 ] || { echo "FAIL: the workload took only $taken MiB: nothing to measure"; exit 1; }
if [ "$mode" = on ]; then
	at_least "$returned_pct" 50 ||
		{ echo "FAIL: only $returned_pct % of $taken MiB came back within 60 s"; exit 1; }
	echo "PASS: $returned_pct % of $taken MiB came back, $elapsed s after the workload"
else
	at_least "$returned_pct" 0 && ! at_least "$returned_pct" 20 ||
		{ echo "FAIL: $returned_pct % came back without reporting: the chain is wrong"; exit 1; }
	echo "PASS: the host kept the memory ($returned_pct % back after $elapsed s)"
fi
