#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# How often L2 guests die under our KVM in L1 (nested TCG), per sink and
# with hinting off, and of what (tools/l1/l2-deaths.sh): RUNS verify boots
# of each, taking turns.  Two controls run with hinting off in L2: off
# (upstream page reporting at its defaults) and upstream (page reporting
# as aggressive as the sinks' hinting, so that L1 drops and refaults L2's
# memory as often).  Prints one row per sink: runs, deaths, and the
# causes counted.  Fails if a run's data was corrupted (stress-ng --verify
# or pagecheck failed while L2 lived), or if a sink died of a cause that
# neither control died of in the same L1: that one may be ours, and is to
# be found, not retried away.
#
# Usage: test_l2_deaths.sh [RUNS] [VERIFY_SECS]   (default 10 and 15)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-10} secs=${2:-15}
name=l2-deaths
"$top/tools/l1/run.sh" --l2 --npt 1 --quiet --name $name \
	--budget $((runs * 4 * (secs + 90) + 300)) --params "kvm.discard_ranges=1" \
	--job "VERIFY_SECS=$secs l2-deaths $runs" --expect l2-deaths-done || exit 1
log=$top/build/l1/runs/$name.console.log
rows=$(sed -n 's/^@@mark l2-death //p' "$log" | tr -d '\r')
printf '%-10s %5s %7s  %s\n' sink runs deaths causes
for s in off upstream virtio hypercall; do
	awk -v s="sink=$s" '$1 == s {
			n++; split($4, c, "="); if ($3 != "outcome=ok") { d++; k[c[2]]++ } }
		END { out = ""; for (x in k) out = out x ":" k[x] " "
			printf "%-10s %5d %7d  %s\n", substr(s, 6), n, d, out }' <<< "$rows"
done
fail=0
if grep -q 'cause=verify-failed' <<< "$rows"; then
	echo "FAIL: data corrupted in a live L2:"
	grep 'cause=verify-failed' <<< "$rows"
	fail=1
fi
controls=$(awk '($1 == "sink=off" || $1 == "sink=upstream") && $3 != "outcome=ok" { print $4 }' \
	<<< "$rows" | sort -u)
while read -r c; do
	[ -z "$c" ] || [ "$c" = cause=verify-failed ] && continue
	grep -qx "$c" <<< "$controls" && continue
	echo "FAIL: with hinting, L2 died of ${c#cause=}, which no control died of:"
	grep " $c " <<< "$rows"
	fail=1
done < <(awk '$1 != "sink=off" && $1 != "sink=upstream" && $3 != "outcome=ok" { print $4 }' \
	<<< "$rows" | sort -u)
[ $fail = 0 ] && echo "PASS: L2 deaths: none of a cause the controls do not share"
exit $fail
