#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hinting's tracepoints fire: with page_hinting:page_hinting_pass and
# page_hinting_handoff enabled, a large free must produce hand-off events
# whose pages add up to what hinted_pages counted meanwhile.  Needs a kernel
# with event tracing (the debug variant): KERNEL=... selects it.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MEM=512 SMP=2
. "$top/tools/vm/vm.sh"
dir=$top/build/check/tracepoints
trap vm_stop EXIT

job='t=/sys/kernel/tracing
mount -t tracefs none $t 2>/dev/null
d=/sys/kernel/mm/page_hinting
# Start with hinting quiet, for the same reason as it is stopped below: a
# hand-off of the boot-time pass that ran while the events were enabled
# came before "before" (299 pages, once).
echo 0 > $d/enabled
sleep 1
echo 1 > $t/events/page_hinting/page_hinting_pass/enable
echo 1 > $t/events/page_hinting/page_hinting_handoff/enable
before=$(cat $d/hinted_pages)
echo 1 > $d/enabled
stress-ng --vm 1 --vm-bytes 200M --vm-keep --vm-populate --timeout 3s -q
sleep 2
# Stop hinting before the count and the events are read: a pass between
# the two would be in one and not the other (13 pages, once).
echo 0 > $d/enabled
sleep 1
hinted=$(($(cat $d/hinted_pages) - before))
echo 0 > $t/events/page_hinting/enable
mark "hinted=$hinted"
mark "passes=$(grep -c page_hinting_pass: $t/trace)"
mark "handoff-pages=$(grep page_hinting_handoff: $t/trace | grep " err=0" |
	sed "s/.* pages=\([0-9]*\).*/\1/" | awk "{ s += \$1 } END { print s + 0 }")"
grep page_hinting_ $t/trace | head -4'
vm_boot "$dir" run "$job" "-device virtio-balloon-pci,free-page-reporting=on" \
	"page_hinting.enabled=1 page_hinting.min_order=0 page_hinting.delay_ms=10" || exit 1
vm_wait_exit 200 || { echo "FAIL: the guest did not finish"; cat "$VM_LOG"; exit 1; }
cat "$VM_LOG"
fail=0
hinted=$(vm_mark_values hinted) passes=$(vm_mark_values passes)
pages=$(vm_mark_values handoff-pages)
echo "hinted_pages grew by ${hinted:-?}; ${passes:-?} pass events; hand-off events: ${pages:-?} pages"
[ "${passes:-0}" -gt 0 ] || { echo "FAIL: no page_hinting_pass event"; fail=1; }
[ "${hinted:-0}" -gt 0 ] || { echo "FAIL: nothing hinted"; fail=1; }
[ "${pages:--1}" = "${hinted:--2}" ] || { echo "FAIL: hand-off events do not add up to hinted_pages"; fail=1; }
if vm_console_errors; then echo "FAIL: the kernel complained"; fail=1; fi
exit $fail
