#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make soak`: make check's reliability tests at lengths CI cannot afford.
#   SOAK_MIN     minutes of each data-integrity run (default 10): stress-ng
#                --verify and pagecheck with the most aggressive knobs, on the
#                guest kernel (virtio sink, TCG) and in L2 under our KVM (the
#                hypercall and the virtio sink); and of knob and CPU hotplug
#                churn under load; a third of it per boot of the lifecycle
#                test (memory offlining, kexec, reboot)
#   FUZZ_CALLS   hypercalls the guest-side fuzzer makes (default 1000000), on
#                the guest and on the debug kernel as L1
#   ROUNDS       near-OOM rounds per configuration (default 10)
#   CONCURRENT=1 also fuzz from two vCPUs at once (page_hinting_test -c:
#                see test_fuzz() there for why it is not in make check)
#   L2_RUNS      verify boots of L2 per sink and with hinting off, to count
#                how often L2 dies and of what (default 10)
# Ends with "N passed, N failed" like make check; logs in build/soak/.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
min=${SOAK_MIN:-10} calls=${FUZZ_CALLS:-1000000} rounds=${ROUNDS:-10}
secs=$((min * 60))
logs=$top/build/soak
mkdir -p "$logs"
debug_kernel=$top/build/obj-debug/arch/x86/boot/bzImage
fuzz="x86_64/page_hinting_test -F -n $calls${CONCURRENT:+ -c}"
# shellcheck source=tools/check/runner.sh
. "$top/tools/check/runner.sh"

echo "soak: $min min per integrity run, $calls fuzzed calls, $rounds near-OOM rounds"
t verify $((secs * 4 + 300)) "" "stress-ng --verify and pagecheck, aggressive hinting" \
	tools/check/test_verify.sh "$secs" 768
t under-load $((secs * 4 + 360)) "" "knobs and CPU hotplug under load" \
	tools/check/test_under_load.sh "$secs" 768
# Not in make check: under TCG, offlining CPU 1 on the debug kernel sometimes
# corrupts a register of a stress-ng process, which dies of SIGSEGV, with
# hinting off too (2 of 8 runs); see the README.
t debug-under-load $((secs * 6 + 420)) "" "knobs and CPU hotplug under load, debug kernel" \
	env KERNEL="$debug_kernel" tools/check/test_under_load.sh "$secs" 768
t lifecycle $((secs * 12 + 300)) "" "memory offlined under load, kexec, reboot" \
	tools/check/test_lifecycle.sh $((secs / 3))
t pressure $((rounds * 120 + 300)) "" "near OOM, hinting off, default and aggressive" \
	tools/check/test_pressure.sh "$rounds"
t l2-verify $((secs * 8 + 700)) "" "L2 under our KVM: verify with both sinks" \
	tools/l1/run.sh --l2 --npt 1 --budget $((secs * 8 + 600)) --name soak-l2 \
	--params "kvm.discard_ranges=1" --quiet --job "VERIFY_SECS=$secs hinting-e2e" \
	--expect e2e-result=ok
t fuzz $((calls / 1000 + 400)) "" "$calls fuzzed hypercalls, guest kernel as L1" \
	tools/l1/run.sh --npt 1 --strict --quiet --budget $((calls / 1000 + 300)) \
	--name soak-fuzz --job "run-tests -t $(vm_scaled $((calls / 1000 + 200))) <<'EOF'
$fuzz
EOF"
t debug-fuzz $((calls / 250 + 400)) "" "$calls fuzzed hypercalls, debug kernel as L1" \
	env KERNEL="$debug_kernel" tools/l1/run.sh --npt 1 --strict --quiet \
	--budget $((calls / 250 + 300)) --name soak-debug-fuzz --job "run-tests -t $(vm_scaled $((calls / 250 + 200))) <<'EOF'
$fuzz
EOF"
# make check leaves this out of debug-kvm-npt for time (see check.sh).
t debug-memslots 900 "" "debug kernel as L1: set_memory_region_test, all 32,764 memslots" \
	env KERNEL="$debug_kernel" tools/l1/run.sh --npt 1 --strict --quiet --budget 840 \
	--timeout 780 --name soak-debug-memslots set_memory_region_test
# make check runs the zap under contention over 2 MiB on the debug kernel
# (see check.sh); here over its full 8 MiB, 330 s (shadow) to 610 s (npt).
for mmu in npt shadow; do
	t debug-zap-$mmu 1100 "" "debug kernel as L1: the zap under contention over 8 MiB, $mmu" \
		env KERNEL="$debug_kernel" tools/l1/run.sh --npt $([ $mmu = npt ] && echo 1 || echo 0) \
		--strict --quiet --budget 1000 --timeout 900 --name soak-debug-zap-$mmu \
		"x86_64/page_hinting_test -Z"
done

# Not in make check (see check.sh): hinting end to end in L2, with both
# sinks, and each sink's host cost measured on its own path.
t l2-hinting 420 "" "L2 under our KVM: the hypercall and the virtio sink return memory, --verify clean" \
	make -s l2-hinting L1_BUDGET=400
t sink-cost 300 "" "L2 under our KVM: each sink's host cost (exits, CPU) is measured on its own path" \
	tools/check/test_sink_cost.sh
l2_runs=${L2_RUNS:-10}
t l2-deaths $((l2_runs * 4 * 105 + 400)) "" "L2 deaths per sink and with hinting off, and what of" \
	tools/check/test_l2_deaths.sh "$l2_runs"

# The figures each test printed.
grep -h '^PASS' "$logs"/*.log
t_summary
