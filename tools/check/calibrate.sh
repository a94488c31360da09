#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print TIME_SCALE: how much slower this machine is than the one the time
# limits of make check were set on, from a fixed workload: gzip -9 of a
# fixed text, one copy per core at once (what make check runs most, kernel
# builds with -j$(nproc) and QEMU's TCG with a thread per vCPU, is integer
# code on every core), the fastest of three rounds, so that a short stall
# does not count.
#
# The reference is the workload's time on the machine where every limit was
# last checked: a 2-core machine of the kind the project runs on, idle,
# that built the cold guest kernel in REF_BUILD_S.  A faster machine gets 1:
# limits never shrink.  Results below 1.05 are rounded to 1, so that the
# noise of an idle machine does not move the limits.
#
# Usage: calibrate.sh [-v]    -v: also print the measurement on stderr
set -euo pipefail
REF_S=1.45
REF_BUILD_S=421

best=
for _ in 1 2 3; do
	start=$(date +%s.%N)
	for ((i = 0; i < $(nproc); i++)); do
		seq 1 4000000 | gzip -9 > /dev/null &
	done
	wait
	end=$(date +%s.%N)
	best=$(awk -v a="$start" -v b="$end" -v m="$best" \
		'BEGIN { t = b - a; print (m == "" || t < m) ? t : m }')
done
scale=$(awk -v t="$best" -v r="$REF_S" 'BEGIN { f = t / r; printf "%.2f", f < 1.05 ? 1 : f }')
[ "${1:-}" = -v ] &&
	echo "calibrate: ${best}s against ${REF_S}s on the reference machine (cold kernel build ${REF_BUILD_S}s): TIME_SCALE=$scale" >&2
echo "$scale"
