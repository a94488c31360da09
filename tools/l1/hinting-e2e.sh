#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run in L1 (tools/check/test_l2_hinting.sh boots L1 with tools/l1/run.sh
# --l2 --job): free page hinting end to end under our own KVM.  An L2 guest
# (the guest kernel, hinting on) takes ~300 MiB with stress-ng and exits,
# with one of the two sinks:
#   hypercall  L1 runs with kvm.discard_ranges=1, so its KVM handles
#              KVM_HC_DISCARD_RANGES for the stock QEMU; L2's probe call
#              finds it and the hypercall sink registers
#   virtio     kvm_page_hinting.enabled=0 in L2: virtio-balloon's reporting
#              queue, and QEMU madvise()s what it gets
# L1 checks that the L2 QEMU's guest RAM falls, and that the L2 counters
# show the sink asked for did the work.  A second L2 boot per sink runs
# stress-ng --verify and pagecheck with the most aggressive knobs: no data
# may be corrupted.
#
# Markers for the host, per SINK: SINK-returned-pct, SINK-t90-s,
# SINK-floor-mib, SINK-peak-mib, SINK-hinted-mib, SINK-verify=ok|fail, and
# e2e-result=ok|fail at the end.
#
# The sink "off" is the control: hinting off in L2 (upstream page reporting
# still runs), only the verify boot, to tell a fault of the nested
# environment from one of hinting.
#
# Usage: [VERIFY_SECS=S] hinting-e2e.sh [SINK...]   (default: hypercall virtio)
set -u
# shellcheck source=tools/guest/lib.sh
. /usr/lib/hinting/lib.sh
MEM=${L2_MEM:-512}
# shellcheck source=tools/l1/l2.sh
. /usr/lib/hinting/l2.sh
trap vm_stop EXIT
summary=/usr/bin/hostmem-summary
balloon="-device virtio-balloon-pci,free-page-reporting=on"
result=ok
fail() { echo "FAIL: $*"; result=fail; }

# The L2 job: the workload, then the counters of both sinks every 0.5 s.
# shellcheck disable=SC2016 # expanded in L2
job='run_workload stress-ng --vm 1 --vm-bytes 300M --vm-keep --vm-populate --timeout 4s
s=/sys/kernel/mm
while :; do
	mark "kvm_bytes=$(cat $s/page_hinting_kvm/bytes 2>/dev/null || echo 0)"
	mark "hinted_bytes=$(cat $s/page_hinting/hinted_bytes)"
	sleep 0.5
done'

# The verify run lasts VERIFY_SECS (15; make soak sets more).
verify_secs=${VERIFY_SECS:-15}
verify_job=$(l2_verify_job "$verify_secs")

# last KEY: the last value of the L2 marker KEY=VALUE, 0 if none.
last() { vm_mark_values "$1" | tail -1 | awk '{ print $1 + 0 }'; }

# returned SINK: the memory of a workload comes back through SINK.
returned() {
	local s=$1 t_end returned_pct t90_s floor_mib peak_mib kvm hinted

	vm_boot /tmp/l2 "$s" "$job" "$L2_QEMU_ARGS $balloon" "$cmdline" ||
		{ fail "$s: L2 did not start"; return 1; }
	if ! vm_wait_mark workload-end 120; then
		l2_show_console "$VM_LOG"
		fail "$s: the workload did not end"
		vm_stop
		return 1
	fi
	t_end=$(vm_mark_time workload-end)
	returned_pct='' t90_s='' floor_mib='' peak_mib=''
	while :; do
		eval "$("$summary" -k "$VM_CSV" | grep -E '^(returned_pct|t90_s|floor_mib|peak_mib)=')"
		awk -v r="$returned_pct" 'BEGIN { exit !(r ~ /^[0-9.]+$/ && r >= 80) }' && break
		awk -v a="$(vm_last_sample_time)" -v b="$t_end" -v w="$(vm_scaled 30)" \
			'BEGIN { exit !(a - b > w) }' && break
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.5
	done
	sleep 1	# one more round of L2's counters
	vm_stop
	l2_show_console "$VM_LOG" | grep -v 'mark' | tail -5
	mark "$s-returned-pct=$returned_pct"
	mark "$s-t90-s=$t90_s"
	mark "$s-floor-mib=$floor_mib"
	mark "$s-peak-mib=$peak_mib"
	kvm=$(last kvm_bytes) hinted=$(last hinted_bytes)
	mark "$s-hinted-mib=$((hinted / 1048576))"
	mark "$s-kvm-mib=$((kvm / 1048576))"
	grep -q ',workload-status=0$' "$VM_CSV" || fail "$s: stress-ng failed"
	awk -v r="$returned_pct" 'BEGIN { exit !(r ~ /^[0-9.]+$/ && r >= 50) }' ||
		fail "$s: only $returned_pct % of the workload's memory came back"
	[ "$hinted" -gt $((100 << 20)) ] || fail "$s: hinting handed over only $hinted bytes"
	if [ "$s" = hypercall ]; then
		[ "$kvm" -gt $((100 << 20)) ] ||
			fail "hypercall: the KVM sink handed over only $kvm bytes"
	else
		[ "$kvm" = 0 ] || fail "virtio: the KVM sink was used ($kvm bytes)"
	fi
	if vm_console_errors; then fail "$s: L2's kernel complained"; fi
}

# verify SINK: no corruption with the most aggressive knobs.
verify() {
	local s=$1 rc v

	# One vCPU: with two, L1 itself crashed in 3 of 5 runs (a
	# general-protection fault loop in the L2 QEMU's thread), and
	# two-vCPU L2 guests also die silently (a shutdown, QEMU exits
	# 0) in about one boot in five -- with hinting off and only
	# upstream page reporting too, once before L2's init even ran:
	# TCG's nested SVM, not hinting.
	vm_boot /tmp/l2 "$s-verify" "$verify_job" "$L2_QEMU_ARGS $balloon" \
		"$cmdline $L2_AGGRESSIVE" || { fail "$s: L2 did not start"; return 1; }
	vm_wait_exit $((verify_secs * 3 + 200))
	rc=$?
	v=ok
	[ $rc = 0 ] || { v=fail; fail "$s: the verifying L2 QEMU exited with $rc"; }
	# An L2 that stops before the end reports neither status: say so,
	# rather than blame stress-ng and pagecheck for what they never ran.
	if ! grep -q ',workload-end$' "$VM_CSV"; then
		v=fail
		fail "$s: L2 stopped before the workload ended"
	else
		grep -q ',stress-status=0$' "$VM_CSV" || { v=fail; fail "$s: stress-ng --verify failed"; }
		grep -q ',pagecheck-status=0$' "$VM_CSV" || { v=fail; fail "$s: pagecheck found corruption"; }
	fi
	[ "$s" = off ] || [ "$(last hinted_bytes)" -gt 0 ] 2>/dev/null ||
		{ v=fail; fail "$s: nothing hinted while verifying"; }
	if vm_console_errors; then v=fail; fail "$s: L2's kernel complained"; fi
	[ $v = ok ] || { l2_show_console "$VM_LOG" | tail -30; tail -5 "/tmp/l2/$s-verify.qemu.err"; }
	mark "$s-verify=$v"
}

for sink in "${@:-hypercall virtio}"; do
	for s in $sink; do
		cmdline=$(l2_sink_cmdline "$s") || { fail "no sink $s"; continue; }
		if [ "$s" = off ] || returned "$s"; then
			verify "$s"
		fi
	done
done
mark "e2e-result=$result"
[ $result = ok ]
