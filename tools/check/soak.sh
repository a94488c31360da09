#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make soak`: make check's reliability tests at lengths CI cannot afford.
#   SOAK_MIN     minutes of each data-integrity run (default 10): stress-ng
#                --verify and pagecheck with the most aggressive knobs, on the
#                guest kernel (virtio sink, TCG) and in L2 under our KVM (the
#                hypercall and the virtio sink); and of knob and CPU hotplug
#                churn under load
#   FUZZ_CALLS   hypercalls the guest-side fuzzer makes (default 1000000), on
#                the guest and on the debug kernel as L1
#   ROUNDS       near-OOM rounds per configuration (default 10)
#   CONCURRENT=1 also fuzz from two vCPUs at once (page_hinting_test -c:
#                see test_fuzz() there for why it is not in make check)
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
passed=0 failed=0 failures=()

s() {
	local id=$1 start=$SECONDS rc
	shift
	echo "....  $id ($(date +%H:%M))"
	"$@" > "$logs/$id.log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		echo "PASS  $id ($((SECONDS - start))s): $(grep -E '^PASS|^L1 ' "$logs/$id.log" | tail -1)"
		passed=$((passed + 1))
	else
		echo "FAIL  $id ($((SECONDS - start))s, exit $rc); the end of $logs/$id.log:"
		tail -25 "$logs/$id.log" | sed 's/^/      /'
		failed=$((failed + 1)) failures+=("$id")
	fi
}

echo "soak: $min min per integrity run, $calls fuzzed calls, $rounds near-OOM rounds"
s verify tools/check/test_verify.sh "$secs" 768
s under-load tools/check/test_under_load.sh "$secs" 768
# Not in make check: stress-ng's parent died of SIGSEGV in 1 of 4 runs here
# (pagecheck clean, and 0 of 3 with hinting off); see the README.
s debug-under-load env KERNEL="$debug_kernel" tools/check/test_under_load.sh "$secs" 768
s pressure tools/check/test_pressure.sh "$rounds"
s l2-verify tools/l1/run.sh --l2 --npt 1 --budget $((secs * 8 + 600)) --name soak-l2 \
	--params "kvm.discard_ranges=1" --quiet --job "VERIFY_SECS=$secs hinting-e2e" \
	--expect e2e-result=ok
s fuzz tools/l1/run.sh --npt 1 --strict --quiet --budget $((calls / 1000 + 300)) \
	--name soak-fuzz --job "run-tests -t $((calls / 1000 + 200)) <<'EOF'
$fuzz
EOF"
s debug-fuzz env KERNEL="$debug_kernel" tools/l1/run.sh --npt 1 --strict --quiet \
	--budget $((calls / 250 + 300)) --name soak-debug-fuzz --job "run-tests -t $((calls / 250 + 200)) <<'EOF'
$fuzz
EOF"

[ $failed = 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
