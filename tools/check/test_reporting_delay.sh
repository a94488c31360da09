#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# page_reporting.delay_ms (patches/0003): the command line sets it; writes
# out of range or malformed fail with EINVAL and change nothing; a good
# write takes effect.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MEM=256 SMP=1
. "$top/tools/vm/vm.sh"
dir=$top/build/check/reporting-delay
trap vm_stop EXIT

job='p=/sys/module/page_reporting/parameters/delay_ms
mark "boot-value=$(cat $p)"
for v in 0 60001 -5 abc 4294967297; do
	echo "$v" > $p 2>/dev/null; mark "write-$v=$?"
done
mark "after-bad=$(cat $p)"
echo 60000 > $p; mark "write-60000=$?"
mark "after-good=$(cat $p)"'
vm_boot "$dir" run "$job" "-device virtio-balloon-pci,free-page-reporting=on" \
	"page_reporting.delay_ms=250" || exit 1
vm_wait_exit 120 || { echo "FAIL: the guest did not finish"; cat "$VM_LOG"; exit 1; }
cat "$VM_LOG"
vm_expect_marks boot-value=250 write-0=1 write-60001=1 write--5=1 write-abc=1 \
	write-4294967297=1 after-bad=250 write-60000=0 after-good=60000
