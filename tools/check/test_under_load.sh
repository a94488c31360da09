#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hinting's knobs and CPUs change under it while memory is verified:
#  - stress-ng --verify and pagecheck run with aggressive hinting;
#  - meanwhile every knob is written with good values (boundaries included,
#    so hinting is switched off and on, and min_order, batch and delay_ms
#    jump between their extremes) and bad ones (out of range, negative,
#    huge, garbage): a good write must take, a bad one must fail and change
#    nothing;
#  - and CPU 1 goes offline and online again and again, so its record
#    array is left behind by a dead CPU while it still holds records.
# Then, with the longest delay, a burst of frees on CPU 1 is recorded and
# CPU 1 taken offline before a pass ran; delay_ms is lowered, and the pass
# it brings forward must drain the offline CPU's array and hint its blocks.
#
# Usage: test_under_load.sh SECONDS [MEM_MIB]
# KERNEL=... runs it on another kernel, such as the debug variant.
set -u
secs=${1:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
MEM=${2:-512} SMP=2
. "$top/tools/vm/vm.sh"
dir=$top/build/check/under-load
trap vm_stop EXIT

job="d=/sys/kernel/mm/page_hinting
cpu1=/sys/devices/system/cpu/cpu1/online
secs=$secs
$(cat <<'EOF'
# knob KNOB VALUE good|bad [READ_BACK]: write VALUE; count a wrong outcome
# (a good write must succeed and read back READ_BACK, a bad one must fail
# and leave the value as it was).
writes=0 wrong=0
knob() {
	old=$(cat $d/$1)
	echo "$2" > $d/$1 2>/dev/null
	rc=$?
	new=$(cat $d/$1)
	writes=$((writes + 1))
	if [ $3 = good ] && [ $rc = 0 ] && [ "$new" = "$4" ]; then return; fi
	if [ $3 = bad ] && [ $rc != 0 ] && [ "$new" = "$old" ]; then return; fi
	wrong=$((wrong + 1))
	echo "knob $1: writing '$2' ($3) gave status $rc, value $old -> $new"
}
fuzz_knobs() {
	end=$(($(date +%s) + secs))
	while [ $(date +%s) -lt $end ]; do
		v=$((RANDOM % 11)); knob min_order $v good $v
		for v in 11 -1 4294967296 abc ''; do knob min_order "$v" bad; done
		v=$((1 + RANDOM % 32)); knob batch $v good $v
		knob batch 1 good 1; knob batch 32 good 32
		for v in 0 33 -5 1x 99999999999999999999; do knob batch "$v" bad; done
		knob delay_ms 60000 good 60000; knob delay_ms 1 good 1
		for v in 0 60001 -1 zz 18446744073709551616; do knob delay_ms "$v" bad; done
		knob enabled 0 good 0; knob enabled 1 good 1
		for v in 2 maybe -1 ''; do knob enabled "$v" bad; done
		knob min_order 0 good 0; knob batch 1 good 1
		usleep 50000
	done
	mark "knob-writes=$writes"
	mark "knob-wrong=$wrong"
}
flap_cpu() {
	end=$(($(date +%s) + secs)) flips=0 failed=0
	while [ $(date +%s) -lt $end ]; do
		for s in 0 1; do
			if echo $s > $cpu1; then flips=$((flips + 1)); else failed=$((failed + 1)); fi
			usleep $((100000 + RANDOM % 200000))
		done
	done
	echo 1 > $cpu1
	mark "cpu-flips=$flips"
	mark "cpu-flip-failures=$failed"
}

mark workload-start
pagecheck -t $secs -j 2 -H 160 -c 1024 -r 16 & pc=$!
stress-ng --vm 2 --vm-bytes 96M --vm-method all --verify --timeout ${secs}s & st=$!
fuzz_knobs & fk=$!
flap_cpu & fc=$!
wait $st; mark "stress-status=$?"
wait $pc; mark "pagecheck-status=$?"
wait $fk $fc
mark workload-end
mark "online=$(cat $cpu1)"

# Records left on a CPU that went offline before a pass: with delay_ms at
# its maximum no pass comes, so CPU 1 goes offline with records in its
# array; lowering delay_ms must bring the queued pass forward, and that
# pass must take them.  Blocks are recorded where they merge into the
# buddy lists, which for pages parked on a CPU's per-CPU lists is where
# those lists drain: at min_order 0 the frees of a burst on CPU 1 merge
# there -- of 4 KiB pages: THPs stay on the per-CPU lists, and were seen
# to leave CPU 1 without a record.  Nor may the per-CPU lists hold the
# whole burst: their limit grows under heavy freeing, up to an eighth of
# the zone split across the CPUs (47 MiB per CPU in a 768 MiB guest),
# and after 10 minutes of churn CPU 1's lists took all 16 MiB, which then
# merged on CPU 0 when CPU 1 went down (fill 0:1024 1:0).  A large
# percpu_pagelist_high_fraction pins that limit to its floor, four
# batches.
echo never > /sys/kernel/mm/transparent_hugepage/enabled
echo 100000 > /proc/sys/vm/percpu_pagelist_high_fraction
echo 0 > $d/min_order; echo 32 > $d/batch; echo 60000 > $d/delay_ms
sleep 3
before=$(cat $d/hinted_bytes)
taskset -c 1 stress-ng --vm 1 --vm-bytes 16M --vm-ops 1 --timeout 5s > /dev/null
mark "fill-before=$(cat $d/fill | tr ' ' _)"
echo 0 > $cpu1
mark "fill-offline=$(cat $d/fill | tr ' ' _)"
echo 1 > $d/delay_ms
# At most 16 times delay_ms while the back-off from the churn above lasts,
# and aging takes a second pass; a pass left at 60 s would miss this.
for i in $(seq 20); do
	case " $(cat $d/fill) " in *" 1:0 "*) break ;; esac
	sleep 1
done
sleep 2
mark "fill-drained=$(cat $d/fill | tr ' ' _)"
mark "hinted-after=$(($(cat $d/hinted_bytes) - before))"
echo 1 > $cpu1
for f in hinted_bytes handoffs errors passes; do mark "$f=$(cat $d/$f)"; done
EOF
)"
vm_boot "$dir" run "$job" "-device virtio-balloon-pci,free-page-reporting=on" \
	"page_hinting.enabled=1 page_hinting.min_order=0 page_hinting.delay_ms=1 page_hinting.batch=1" || exit 1
vm_wait_exit $((secs * 4 + 180)) || { echo "FAIL: the guest did not finish"; cat "$VM_LOG"; exit 1; }
cat "$VM_LOG"
fail=0
complain() { echo "FAIL: $*"; fail=1; }
vm_expect_marks stress-status=0 >/dev/null || complain "stress-ng failed (verification?)"
vm_expect_marks pagecheck-status=0 >/dev/null || complain "pagecheck found corrupted pages"
vm_expect_marks knob-wrong=0 >/dev/null || complain "a knob write had the wrong outcome"
vm_expect_marks online=1 >/dev/null || complain "CPU 1 did not come back online"
writes=$(vm_mark_values knob-writes) flips=$(vm_mark_values cpu-flips)
[ "${writes:-0}" -ge 50 ] || complain "only ${writes:-0} knob writes"
[ "${flips:-0}" -ge 10 ] || complain "CPU 1 changed state only ${flips:-0} times"
# The offline CPU's array: full of records when it went offline (else this
# part tested nothing), empty after the next pass, which hinted memory.
off=$(vm_mark_values fill-offline | sed -n 's/.*1:\([0-9]*\).*/\1/p')
drained=$(vm_mark_values fill-drained | sed -n 's/.*1:\([0-9]*\).*/\1/p')
[ "${off:-0}" -gt 0 ] || complain "CPU 1 had no records when it went offline: $(vm_mark_values fill-offline)"
[ "${drained:-1}" = 0 ] || complain "CPU 1's records were not drained while it was offline: $(vm_mark_values fill-drained)"
[ "$(vm_mark_values hinted-after)" -gt 0 ] 2>/dev/null || complain "nothing hinted after CPU 1 went offline"
if vm_console_errors; then complain "the kernel complained"; fi
[ $fail = 0 ] && echo "PASS: $secs s under load: $writes knob writes, CPU 1 offline/online $flips times, $off records drained from the offline CPU, verify clean"
exit $fail
