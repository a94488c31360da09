#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KUnit suites of free page hinting at boot: page_hinting
# (mm/page_hinting_kunit.c) and page_hinting_kvm, the hypercall sink's
# (arch/x86/kernel/kvm_page_hinting_kunit.c); require every case to pass,
# none to be skipped, and the kernel quiet.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MEM=512 SMP=2
. "$top/tools/vm/vm.sh"
dir=$top/build/check/kunit
trap vm_stop EXIT

vm_boot "$dir" run "mark kunit-done" "-device virtio-balloon-pci,free-page-reporting=on" \
	"kunit.enable=1 kunit.filter_glob=page_hinting* loglevel=7" || exit 1
vm_wait_exit 180 || { echo "FAIL: the guest did not finish"; cat "$VM_LOG"; exit 1; }
grep -E 'KTAP|ok |# ' "$VM_LOG"
fail=0
grep -q '# page_hinting: pass:7 fail:0 skip:0 total:7' "$VM_LOG" ||
	{ echo "FAIL: page_hinting did not pass all 7 cases"; fail=1; }
grep -q '# page_hinting_kvm: pass:10 fail:0 skip:0 total:10' "$VM_LOG" ||
	{ echo "FAIL: page_hinting_kvm did not pass all 10 cases"; fail=1; }
grep -q 'not ok' "$VM_LOG" && { echo "FAIL: a case failed"; fail=1; }
if vm_console_errors; then echo "FAIL: the kernel complained"; fail=1; fi
[ $fail = 0 ] && echo "PASS: page_hinting KUnit suites"
exit $fail
