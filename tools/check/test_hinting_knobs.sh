#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# /sys/kernel/mm/page_hinting/: boot parameters set the knobs; every bad
# write (out of range, negative, garbage, huge) fails with EINVAL and changes
# nothing; good writes take effect; statistics are read-only.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MEM=256 SMP=2
. "$top/tools/vm/vm.sh"
dir=$top/build/check/hinting-knobs
trap vm_stop EXIT

job='d=/sys/kernel/mm/page_hinting
for k in enabled min_order batch delay_ms; do mark "boot-$k=$(cat $d/$k)"; done
try() {	# try KNOB VALUE: write, then mark the status and the value read back
	echo "$2" > $d/$1 2>/dev/null; mark "w-$1-$2=$?:$(cat $d/$1)"
}
for v in 11 -1 abc 4294967296 ""; do try min_order "$v"; done
for v in 0 33 -5 1x; do try batch "$v"; done
for v in 0 60001 99999999999 zz; do try delay_ms "$v"; done
for v in 2 maybe; do try enabled "$v"; done
try min_order 0; try min_order 10; try batch 1; try batch 32
try delay_ms 1; try delay_ms 60000; try enabled 0; try enabled 1
echo 5 > $d/captured 2>/dev/null; mark "w-captured=$?"
mark "fill=$(cat $d/fill | tr " " _)"
mark "boot-param-ro=$(stat -c %a /sys/module/page_hinting/parameters/delay_ms)"'
vm_boot "$dir" run "$job" "-device virtio-balloon-pci,free-page-reporting=on" \
	"page_hinting.enabled=1 page_hinting.delay_ms=250 page_hinting.batch=16" || exit 1
vm_wait_exit 120 || { echo "FAIL: the guest did not finish"; cat "$VM_LOG"; exit 1; }
cat "$VM_LOG"
fail=0
vm_expect_marks boot-enabled=1 boot-min_order=9 boot-batch=16 boot-delay_ms=250 \
	w-min_order-11=1:9 w-min_order--1=1:9 w-min_order-abc=1:9 \
	w-min_order-4294967296=1:9 w-min_order-=1:9 \
	w-batch-0=1:16 w-batch-33=1:16 w-batch--5=1:16 w-batch-1x=1:16 \
	w-delay_ms-0=1:250 w-delay_ms-60001=1:250 w-delay_ms-99999999999=1:250 \
	w-delay_ms-zz=1:250 w-enabled-2=1:1 w-enabled-maybe=1:1 \
	w-min_order-0=0:0 w-min_order-10=0:10 w-batch-1=0:1 w-batch-32=0:32 \
	w-delay_ms-1=0:1 w-delay_ms-60000=0:60000 w-enabled-0=0:0 w-enabled-1=0:1 \
	w-captured=1 boot-param-ro=444 || fail=1
grep -q ',,,,,,,fill=0:[0-9]*_1:[0-9]*$' "$VM_CSV" || { echo "FAIL: fill lists both CPUs"; fail=1; }
if vm_console_errors; then echo "FAIL: the kernel complained"; fail=1; fi
exit $fail
