#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot smoke test: the guest boots, sees both vCPUs (ACPI works), prints its
# markers, powers off by itself, and QEMU exits 0, with no oops or WARN.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MEM=256 SMP=2
. "$top/tools/vm/vm.sh"
dir=$top/build/check/boot
trap vm_stop EXIT

vm_boot "$dir" boot 'mark "cpus=$(nproc)"; mark smoke-ok' "" "" || exit 1
vm_wait_mark smoke-ok 120 || { echo "FAIL: no smoke-ok marker"; cat "$VM_LOG"; exit 1; }
vm_wait_exit 60
rc=$?
cat "$VM_LOG"
[ $rc = 0 ] || { echo "FAIL: QEMU exited with $rc"; exit 1; }
grep -q ',,,,,,,cpus=2$' "$VM_CSV" || { echo "FAIL: the guest does not see 2 CPUs"; exit 1; }
grep -q ',,,,,,,poweroff$' "$VM_CSV" || { echo "FAIL: no poweroff marker"; exit 1; }
if vm_console_errors; then echo "FAIL: the kernel complained"; exit 1; fi
samples=$(grep -c ',$' "$VM_CSV")
[ "$samples" -ge 5 ] || { echo "FAIL: only $samples samples"; exit 1; }
echo "booted, marked and powered off; $samples samples"
