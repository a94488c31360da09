#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run in L1 by `make l2-smoke` (tools/l1/run.sh --job l2-smoke): boot an L2 guest under L1's KVM, wait for
# its job's marker and its poweroff, check that L2 runs on KVM (not on a
# QEMU that fell back to TCG), and print the figures as L1 markers:
# l2-boot-s (QEMU start to L2's init marker, L1 clock), l2-peak-rss-kib and
# l2-peak-guest-ram-kib (the L2 QEMU's, as sampled by hostmem in L1),
# l2-samples, and l2-result=ok|fail.
set -u
# shellcheck source=tools/guest/lib.sh
. /usr/lib/hinting/lib.sh
# shellcheck source=tools/l1/l2.sh
. /usr/lib/hinting/l2.sh
trap vm_stop EXIT

case $(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null) in
Y) mark kvm-mmu=npt ;;
N) mark kvm-mmu=shadow ;;
esac
# L2 names its hypervisor, so that a QEMU that fell back to TCG is caught.
# shellcheck disable=SC2016 # the job is expanded in L2
job='mark "hypervisor=$(dmesg | sed -n "s/.*Hypervisor detected: //p")"; mark l2-ok'
if ! vm_boot /tmp/l2 smoke "$job" "$L2_QEMU_ARGS" ""; then
	cat /tmp/l2/smoke.qemu.err
	mark l2-result=fail
	exit 1
fi
vm_wait_exit "${L2_BUDGET:-120}"
rc=$?
l2_show_console "$VM_LOG"
cat /tmp/l2/smoke.qemu.err
res=ok
[ $rc = 0 ] || { echo "L2: QEMU exited with $rc"; res=fail; }
vm_expect_marks boot hypervisor=KVM l2-ok poweroff || res=fail
mark "l2-boot-s=$(awk -F, '$8 == "l2-ok" { print $1; exit }' "$VM_CSV")"
# VmRSS of the L2 QEMU and the RSS of its guest-RAM mapping: what a hinting
# test in L1 watches fall.
mark "l2-peak-rss-kib=$(awk -F, 'NR > 1 && $8 == "" && $2 > m { m = $2 } END { print m + 0 }' "$VM_CSV")"
mark "l2-peak-guest-ram-kib=$(awk -F, 'NR > 1 && $8 == "" && $7 > m { m = $7 } END { print m + 0 }' "$VM_CSV")"
mark "l2-samples=$(grep -c ',$' "$VM_CSV")"
mark "l2-result=$res"
[ $res = ok ]
