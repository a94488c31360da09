#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make peers`: every x86_64 KVM selftest that ships in the 6.12 source, run
# in the L1 VM on the unpatched kernel and on ours; a test that passes on the
# unpatched kernel must pass on ours.  Tests that fail, time out or skip on
# the unpatched kernel too (TCG's SVM lacks some features; some tests need
# more memory or time than L1 has) are listed, not compared.
#
# The unpatched kernel is Debian's linux-source-6.12 as unpacked, built in
# build/obj-pristine with our guest config less our own options.  The tests
# are built once, from our tree (upstream's tests are unchanged there), and
# the same binaries run on both kernels.
#
# Usage: peers.sh
# Environment: NPT (1; 0 for the shadow MMU), PEER_TIMEOUT (each test's
# limit in seconds, 120), PEER_TESTS (a subset, as paths), JOBS;
# PEER_COMPARE=1 only compares the results of the last run again.
# Results: build/peers/{pristine,ours}.tap and build/peers/summary.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/build
out=$b/peers
npt=${NPT:-1} limit=${PEER_TIMEOUT:-120}
pristine=$b/linux-pristine
obj=$b/obj-pristine
mkdir -p "$out"

if [ "${PEER_COMPARE:-0}" != 1 ]; then
	"$top/tools/build/pristine-tree.sh" "$pristine"

	# Our guest config less our options: the unpatched tree has none of them.
	grep -vE 'PAGE_HINTING|KVM_DISCARD_RANGES' "$top/configs/guest.config" > "$out/pristine.config"
	"$top/tools/build/merge-config.sh" "$pristine" "$obj" "$out/pristine.config"
	echo "  KERNEL  pristine: building bzImage in $obj"
	MAKEFLAGS='' make -C "$pristine" O="$obj" CC="ccache gcc" -j"${JOBS:-$(nproc)}" bzImage \
		> "$obj/build.log" 2>&1 || { tail -40 "$obj/build.log"; exit 1; }
fi

# Every x86_64 test of the selftest Makefile.
kst=$b/linux/tools/testing/selftests/kvm
if [ -n "${PEER_TESTS:-}" ]; then
	read -r -a tests <<< "$PEER_TESTS"
else
	mapfile -t tests < <(sed -n 's/^TEST_GEN_PROGS_x86_64 +\{0,1\}= *\([^ ]*\)$/\1/p' "$kst/Makefile")
fi
if [ "${PEER_COMPARE:-0}" != 1 ]; then
	"$top/tools/build/kvm-selftests.sh" "${tests[@]}"
	"$top/tools/l1/mkinitramfs.sh" "$b/l1/initramfs-peers.cpio" "${tests[@]}"
fi

budget=$((${#tests[@]} * (limit + 10) + 120))
for k in pristine ours; do
	[ "${PEER_COMPARE:-0}" = 1 ] && break
	kernel=$obj/arch/x86/boot/bzImage
	[ $k = ours ] && kernel=$b/obj-guest/arch/x86/boot/bzImage
	KERNEL=$kernel "$top/tools/l1/run.sh" --npt "$npt" --timeout "$limit" \
		--budget "$budget" --initramfs "$b/l1/initramfs-peers.cpio" \
		--name "peers-$k" "${tests[@]}" > "$out/$k.log" 2>&1 || true
	grep -E '^(ok|not ok) [0-9]' "$out/$k.log" | awk '!seen[$0]++' > "$out/$k.tap" || true
	echo "  L1      $k: $(tail -2 "$out/$k.log" | head -1)"
done

# A test's verdict on one kernel, over its lines (a test of tests.conf may
# run with several argument lists): fail if one failed, else pass if one
# passed, else skip; missing if it did not run (L1 died).
verdict() {
	awk -v t="$2" '{ n = ($1 == "ok") ? 3 : 4 }
		$n == t { if ($1 == "not") f = 1; else if ($0 ~ /# SKIP/) s = 1; else p = 1 }
		END { print f ? "fail" : p ? "pass" : s ? "skip" : "missing" }' "$out/$1.tap"
}
regressions=0 compared=0
printf '%-50s %-8s %s\n' TEST pristine ours > "$out/summary"
for t in "${tests[@]}"; do
	p=$(verdict pristine "$t") o=$(verdict ours "$t")
	note=
	if [ "$p" = pass ]; then
		compared=$((compared + 1))
		[ "$o" = pass ] || { note="  <- REGRESSION"; regressions=$((regressions + 1)); }
	fi
	printf '%-50s %-8s %s%s\n' "$t" "$p" "$o" "$note" >> "$out/summary"
done
echo "$compared tests pass on the unpatched kernel; $regressions of them do not on ours (npt=$npt)" >> "$out/summary"
cat "$out/summary"
[ $regressions = 0 ] && [ $compared -gt 0 ]
