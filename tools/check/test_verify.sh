#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# No hint may corrupt guest data: stress-ng writes patterns into memory it
# frees and reallocates, and verifies them, while hinting runs with its most
# aggressive knobs (every order, a 1 ms delay, one block per hand-off), so
# that blocks are taken off the free lists, handed over and put back all the
# time.  Hinting must have handed memory over, and stress-ng must find no
# error.
#
# Usage: test_verify.sh SECONDS [MEM_MIB]
# KERNEL=... runs it on another kernel, such as the debug variant.
set -u
secs=${1:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
MEM=${2:-512} SMP=2
. "$top/tools/vm/vm.sh"
dir=$top/build/check/verify
trap vm_stop EXIT

# Both checkers at once: stress-ng's patterns and pagecheck's rings of
# chunks, freed and reused while hinting hands their pages over.
job="mark workload-start
pagecheck -t $secs -j 2 -H 240 -c 1024 -r 16 & pc=\$!
stress-ng --vm 2 --vm-bytes 128M --vm-method all --verify --timeout ${secs}s --metrics-brief
mark \"stress-status=\$?\"
wait \$pc
mark \"pagecheck-status=\$?\"
mark workload-end
for f in hinted_bytes handoffs errors dropped_full passes candidates captured skipped_not_free skipped_reported skipped_low_memory; do mark \"\$f=\$(cat /sys/kernel/mm/page_hinting/\$f)\"; done"
vm_boot "$dir" run "$job" "-device virtio-balloon-pci,free-page-reporting=on" \
	"page_hinting.enabled=1 page_hinting.min_order=0 page_hinting.delay_ms=1 page_hinting.batch=1" || exit 1
vm_wait_exit $((secs * 4 + 120)) || { echo "FAIL: the guest did not finish"; cat "$VM_LOG"; exit 1; }
cat "$VM_LOG"
grep -q ',,,,,,,stress-status=0$' "$VM_CSV" || { echo "FAIL: stress-ng failed (verification?)"; exit 1; }
grep -q ',,,,,,,pagecheck-status=0$' "$VM_CSV" || { echo "FAIL: pagecheck found corrupted pages"; exit 1; }
if vm_console_errors; then echo "FAIL: the kernel complained"; exit 1; fi
hinted=$(vm_mark_values hinted_bytes)
[ "${hinted:-0}" -gt 0 ] || { echo "FAIL: nothing was hinted: the test tested nothing"; exit 1; }
echo "PASS: $secs s of stress-ng --verify with aggressive hinting, $((hinted / 1048576)) MiB hinted, no error"
