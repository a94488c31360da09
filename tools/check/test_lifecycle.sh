#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest's lifecycle around hinting: memory offlined under its records,
# and kexec and reboot with hints in flight.  One guest, three boots:
#
#  1. A 256 MiB pc-dimm is onlined movable at boot.  With the longest delay
#     a burst of frees leaves records of the dimm's pages in the per-CPU
#     arrays; the dimm's blocks are offlined, and the pass that delay_ms=1
#     brings forward must skip those records (skipped_offline) without
#     touching the offline memory's struct pages.  Then, for SECONDS,
#     stress-ng --verify and pagecheck run with aggressive hinting while
#     the dimm's blocks are offlined and onlined again and again (an
#     offline must wait for the blocks hinting holds off the free lists).
#     Last, with the checkers still running, the guest kexecs into the same
#     kernel (put in the initramfs) and an initramfs packed from its own
#     root file system.
#  2. The kexeced kernel checks memory for SECONDS and hints, then reboots
#     (reboot -f, no orderly shutdown) with the checkers running; a CMOS
#     byte, which QEMU keeps across the reset, tells the next boot.
#  3. The rebooted guest checks memory for SECONDS and hints again.
#
# Usage: test_lifecycle.sh SECONDS
# KERNEL=... runs it on another kernel, such as the debug variant.
set -u
secs=${1:-15}
top=$(cd "$(dirname "$0")/../.." && pwd)
# 768 MiB below the dimm: each offline of the dimm migrates its pages into
# the boot memory, and they stay there once it is online again, so after a
# few cycles under the checkers' load, kexec_file_load() found too little
# left outside ZONE_MOVABLE for the new kernel and initrd (GFP_HIGHUSER)
# on the debug kernel with 512.
MEM=768 MEM_OPTS=slots=2,maxmem=1G SMP=2 NO_REBOOT=
. "$top/tools/vm/vm.sh"
VM_FILES=$KERNEL:/kernel
dir=$top/build/check/lifecycle
trap vm_stop EXIT

job="secs=$secs
$(cat <<'EOF'
d=/sys/kernel/mm/page_hinting
mem=/sys/devices/system/memory
stage=boot
case " $(cat /proc/cmdline) " in *" lifecycle_stage=kexec "*) stage=kexec ;; esac
[ $stage = boot ] && [ "$(lifecycle cmos)" = 1 ] && stage=reboot
mark "stage=$stage"
aggressive() { echo 0 > $d/min_order; echo 1 > $d/batch; echo 1 > $d/delay_ms; echo 1 > $d/enabled; }
# check SECS NAME: both checkers for SECS seconds, their status as markers.
check() {
	pagecheck -t $1 -j 2 -H 96 -c 1024 -r 16 > /dev/null & pc=$!
	stress-ng --vm 2 --vm-bytes 64M --vm-method all --verify --timeout ${1}s > /dev/null
	mark "$2-stress-status=$?"
	wait $pc; mark "$2-pagecheck-status=$?"
}
# hinted NAME CMD...: run CMD and mark the bytes hinted meanwhile.
hinted() {
	name=$1; shift
	h0=$(cat $d/hinted_bytes)
	"$@"
	mark "$name-hinted=$(( $(cat $d/hinted_bytes) - h0 ))"
}

case $stage in
boot)
	# The dimm's blocks: the online ones in ZONE_MOVABLE.
	blocks=$(grep -l '^Movable$' $mem/memory*/valid_zones | sed 's,/valid_zones,,')
	mark "dimm-blocks=$(echo $blocks | wc -w)"
	echo never > /sys/kernel/mm/transparent_hugepage/enabled
	aggressive; echo 60000 > $d/delay_ms
	sleep 2
	stress-ng --vm 1 --vm-bytes 200M --vm-ops 1 --timeout 10s > /dev/null
	mark "fill-before=$(cat $d/fill | tr ' ' _)"
	for b in $blocks; do echo offline > $b/state || mark "offline-failed=$b"; done
	s0=$(cat $d/skipped_offline)
	echo 1 > $d/delay_ms
	for i in $(seq 20); do
		[ $(cat $d/skipped_offline) -gt $s0 ] && break
		sleep 1
	done
	mark "skipped-offline=$(( $(cat $d/skipped_offline) - s0 ))"
	for b in $blocks; do echo online_movable > $b/state || mark "online-failed=$b"; done
	mark "online-blocks=$(cat $(for b in $blocks; do echo $b/state; done) | grep -c online)"

	# Offline and online the dimm under load.
	echo always > /sys/kernel/mm/transparent_hugepage/enabled
	cycles=0 busy=0 end=$(($(date +%s) + secs))
	(
		while [ $(date +%s) -lt $end ]; do
			for b in $blocks; do
				if echo offline > $b/state 2>/dev/null; then
					cycles=$((cycles + 1))
					echo online_movable > $b/state || mark "online-failed=$b"
				else
					busy=$((busy + 1))
				fi
			done
			usleep 200000
		done
		mark "offline-cycles=$cycles"
		mark "offline-busy=$busy"
	) & flap=$!
	hinted hotplug check $secs hotplug
	wait $flap

	# kexec with the checkers running and hinting at work.
	(cd / && find . -xdev | cpio -o -H newc > /tmp/initrd 2>/dev/null) || mark kexec-initrd-failed
	check 30 doomed &
	sleep 3
	mark kexec
	lifecycle kexec /kernel /tmp/initrd "$(cat /proc/cmdline) lifecycle_stage=kexec"
	mark kexec-failed
	;;
kexec)
	aggressive
	hinted kexec check $secs kexec
	lifecycle cmos 1
	check 30 doomed &
	sleep 3
	mark reboot
	reboot -f
	mark reboot-failed
	;;
reboot)
	lifecycle cmos 0
	aggressive
	hinted reboot check $secs reboot
	;;
esac
for f in skipped_offline skipped_not_free errors; do mark "$stage-$f=$(cat $d/$f)"; done
EOF
)"
qemu_args="-object memory-backend-ram,id=dimm0,size=256M
	-device pc-dimm,id=d0,memdev=dimm0
	-device virtio-balloon-pci,free-page-reporting=on"
vm_boot "$dir" run "$job" "$qemu_args" \
	"memhp_default_state=online_movable page_hinting.enabled=1" || exit 1
vm_wait_exit $((secs * 12 + 300)) || { echo "FAIL: the guest did not finish"; cat "$VM_LOG"; exit 1; }
cat "$VM_LOG"
fail=0
complain() { echo "FAIL: $*"; fail=1; }
for m in stage=boot stage=kexec stage=reboot; do
	vm_expect_marks $m >/dev/null || complain "no $m: a boot did not happen"
done
for s in hotplug kexec reboot; do
	vm_expect_marks $s-stress-status=0 >/dev/null || complain "$s: stress-ng failed (verification?)"
	vm_expect_marks $s-pagecheck-status=0 >/dev/null || complain "$s: pagecheck found corrupted pages"
	[ "$(vm_mark_values $s-hinted)" -gt 0 ] 2>/dev/null || complain "$s: nothing was hinted"
done
[ "$(vm_mark_values dimm-blocks)" = 2 ] || complain "the dimm is not 2 movable blocks: $(vm_mark_values dimm-blocks)"
[ "$(vm_mark_values online-blocks)" = 2 ] || complain "the dimm did not come back online"
skipped=$(vm_mark_values skipped-offline) cycles=$(vm_mark_values offline-cycles)
[ "${skipped:-0}" -gt 0 ] || complain "no record of offlined memory was skipped: $(vm_mark_values fill-before)"
[ "${cycles:-0}" -gt 0 ] || complain "the dimm was never offlined under load"
for m in offline-failed online-failed kexec-initrd-failed kexec-failed reboot-failed; do
	[ -z "$(vm_mark_values $m)" ] || complain "$m $(vm_mark_values $m)"
done
# Offlining memory under load, mm may fail to isolate or migrate a page
# that is in use for a moment (a new THP still in a per-CPU LRU batch, a
# page under I/O) and retries; it prints the page (dump_page(), "isolation
# failed", "migration failure"), which is no fault.  Only those dumps are
# left out of the search for complaints.
awk '/failed to isolate pfn|migrating pfn [0-9a-f]+ failed/ { skip = 1 }
	!skip { print }
	/page dumped because: (isolation failed|migration failure)/ { skip = 0 }' \
	"$VM_LOG" > "$dir/run.console.checked"
VM_LOG=$dir/run.console.checked
if vm_console_errors; then complain "the kernel complained"; fi
[ $fail = 0 ] && echo "PASS: $skipped records of offlined memory skipped; the dimm offlined $cycles times under load ($(vm_mark_values offline-busy) busy); kexec and reboot with hints in flight; verify clean in all three boots"
exit $fail
