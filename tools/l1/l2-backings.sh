#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run in L1 by `make l2-backings` (tools/l1/run.sh --l2 --hugepages N
# --params kvm.discard_ranges=1 --job l2-backings): the hypercall sink with
# the two QEMU backings that used to stop all memory from coming back.
#   hugetlb  -mem-path /dev/hugepages: QEMU maps an unlinked hugetlbfs file
#            private.  L2's sink hears the 2 MiB unit from the host's query;
#            the memory its workload frees goes back to L1's hugetlb pool
#            (HugePages_Free rises again).
#   mlocked  -overcommit mem-lock=on: the host can drop none of the VM's
#            memory; L2's sink hears a unit of 0 and does not register, so
#            nothing is refused and nothing warns, and the workload runs.
# Markers for the host: hugetlb-unit, hugetlb-peak-pages and
# hugetlb-end-pages (L2's huge pages at the workload's peak and at the
# end), hugetlb-back-pages (back in the pool after the peak),
# hugetlb-kvm-mib (handed by the sink, boot memory included),
# hugetlb-kvm-calls, -blocks and -ranges (the sink's hypercalls, the free
# blocks it handed, and the ranges they made),
# mlocked-registered=0|1, and backings-result=ok|fail.
set -u
# shellcheck source=tools/guest/lib.sh
. /usr/lib/hinting/lib.sh
MEM=${L2_MEM:-256}
# shellcheck source=tools/l1/l2.sh
. /usr/lib/hinting/l2.sh
trap vm_stop EXIT
result=ok
fail() { echo "FAIL: $*"; result=fail; }
free_huge() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }
# last KEY: the last value of the L2 marker KEY=VALUE, empty if none.
last() { vm_mark_values "$1" | tail -1; }
# The sink's complaints are not splats, so vm_console_errors misses them.
sink_warnings() { grep -E 'kvm_page_hinting: .*(refused|completed no range|drops no memory)' "$VM_LOG"; }

# shellcheck disable=SC2016 # expanded in L2
job='s=/sys/kernel/mm/page_hinting_kvm
mark "unit=$(cat $s/unit 2>/dev/null || echo none)"
run_workload stress-ng --vm 1 --vm-bytes 128M --vm-keep --vm-populate --timeout 8s
while :; do
	for f in bytes calls blocks ranges; do
		mark "kvm_$f=$(cat $s/$f 2>/dev/null || echo 0)"
	done
	sleep 0.5
done'

# hugetlb: L2's RAM in L1's huge pages, mapped private.
mkdir -p /dev/hugepages
if ! mount -t hugetlbfs none /dev/hugepages; then
	fail "hugetlb: L1 cannot mount hugetlbfs"
elif free0=$(free_huge) && [ $((free0 * 2)) -lt $((MEM + 64)) ]; then
	fail "hugetlb: $free0 free huge pages for a $MEM MiB L2"
elif ! vm_boot /tmp/l2 hugetlb "$job" "$L2_QEMU_ARGS -mem-path /dev/hugepages" \
	"page_hinting.enabled=1"; then
	fail "hugetlb: L2 did not start"
else
	# From the boot on, not from when L1 sees the workload start (L1 may
	# see it late when the machine is loaded), the fewest free huge pages
	# until the workload's end: L2's peak.  The workload holds its memory
	# for 8 s, plenty of 0.2 s samples even when L1 runs slowly.
	low=$(free_huge)
	deadline=$((SECONDS + $(vm_scaled 240)))
	until grep -q ',workload-end$' "$VM_CSV"; do
		n=$(free_huge)
		[ "$n" -lt "$low" ] && low=$n
		if [ $SECONDS -ge $deadline ] || ! kill -0 "$VM_PID" 2>/dev/null; then
			break
		fi
		sleep 0.2
	done
	grep -q ',workload-end$' "$VM_CSV" || {
		l2_show_console "$VM_LOG" | tail -30
		fail "hugetlb: L2 did not finish its workload"
	}
	# Then until half of the workload's 64 huge pages are back (or 30 s),
	# and 2 s more for the rest and one more round of L2's counters.
	deadline=$((SECONDS + $(vm_scaled 30)))
	while [ $(($(free_huge) - low)) -lt 32 ] && [ $SECONDS -lt $deadline ]; do
		sleep 0.5
	done
	sleep 2
	back=$(($(free_huge) - low))
	vm_stop
	unit=$(last unit) kvm=$(last kvm_bytes)
	mark "hugetlb-unit=$unit"
	# L2's huge pages at its peak and at the end; of those, back.
	mark "hugetlb-peak-pages=$((free0 - low))"
	mark "hugetlb-end-pages=$((free0 - low - back))"
	mark "hugetlb-back-pages=$back"
	mark "hugetlb-kvm-mib=$((${kvm:-0} / 1048576))"
	mark "hugetlb-kvm-calls=$(last kvm_calls)"
	mark "hugetlb-kvm-blocks=$(last kvm_blocks)"
	mark "hugetlb-kvm-ranges=$(last kvm_ranges)"
	grep -q ',workload-status=0$' "$VM_CSV" || fail "hugetlb: the workload failed"
	[ "$unit" = 2097152 ] || fail "hugetlb: L2's sink heard unit '$unit', not 2 MiB"
	# 128 MiB of workload is 64 huge pages.  Memory that L2 freed after
	# its boot comes back while the workload starts, so the low point
	# understates what it took: half of the workload must come back
	# after that low point.
	[ "$back" -ge 32 ] ||
		fail "hugetlb: $back huge pages came back, of the workload's 64"
	[ "${kvm:-0}" -ge $((64 << 20)) ] || fail "hugetlb: the sink handed over only $kvm bytes"
	if vm_console_errors || sink_warnings; then fail "hugetlb: L2's kernel complained"; fi
	[ $result = ok ] || { l2_show_console "$VM_LOG" | tail -30; cat /tmp/l2/hugetlb.qemu.err; }
fi
umount /dev/hugepages 2>/dev/null

# mlocked: nothing can be dropped, and L2 hears so at boot.
# shellcheck disable=SC2016 # expanded in L2
job='mark "registered=$([ -d /sys/kernel/mm/page_hinting_kvm ] && echo 1 || echo 0)"
mark "told=$(dmesg | grep -c "kvm_page_hinting: the host drops no memory of this VM")"
run_workload stress-ng --vm 1 --vm-bytes 96M --vm-keep --vm-populate --timeout 3s
sleep 2
mark l2-done'
if ! vm_boot /tmp/l2 mlocked "$job" "$L2_QEMU_ARGS -overcommit mem-lock=on" \
	"page_hinting.enabled=1"; then
	fail "mlocked: L2 did not start"
elif ! vm_wait_mark l2-done 150; then
	l2_show_console "$VM_LOG" | tail -30
	fail "mlocked: L2 did not finish its workload"
	vm_stop
else
	vm_stop
	registered=$(last registered)
	mark "mlocked-registered=$registered"
	grep -q ',workload-status=0$' "$VM_CSV" || fail "mlocked: the workload failed"
	[ "$registered" = 0 ] || fail "mlocked: the sink registered though nothing can be dropped"
	[ "$(last told)" = 1 ] ||
		fail "mlocked: L2 did not say why it does not report by hypercall"
	if vm_console_errors || grep -E 'kvm_page_hinting: .*(refused|completed no range)' "$VM_LOG"; then
		fail "mlocked: L2's kernel complained"
	fi
	[ $result = ok ] || { l2_show_console "$VM_LOG" | tail -30; cat /tmp/l2/mlocked.qemu.err; }
fi
mark "backings-result=$result"
[ $result = ok ]
