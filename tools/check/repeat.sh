#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-repeat`: run make check's suite N times in a row and report
# every entry's pass rate, to find the flaky ones: an entry that does not
# pass every time is fixed, or moves to make soak with its rate and reason
# written down; it is never retried until it passes.  The one step that is
# redone is an L1 boot that hung before init, before any test ran
# (tools/l1/run.sh); the table counts the runs where that happened.
#
# Each run's output is build/check-repeat/run-K.log, with the logs of the
# entries that failed in build/check-repeat/run-K/; the rates go to
# build/check-repeat/rates.md as a Markdown table.  The last line counts the
# entries that passed every run and those that did not, as
# "N passed, N failed".
#
# Usage: repeat.sh [N]             (N: 5)
#        repeat.sh --rates LOG...  only the table, of the outputs of
#                                  make check in LOGs (e.g. CI's logs)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

# rates LOG...: the table of the make check outputs LOGs on stdout, in the
# order given (run K is the Kth LOG; an entry missing from a run, one that
# stopped early, did not pass in it), and "N passed, N failed" on stderr.
rates() {
	awk -v n=$# -v list="$(printf '%s\n' "$@")" '
	BEGIN { split(list, f, "\n"); for (i = 1; i <= n; i++) idx[f[i]] = i }
	/^(PASS|FAIL)  / {
		run = idx[FILENAME]; id = $2; sub(/:$/, "", id)
		if (!(id in seen)) { seen[id] = 1; order[++ids] = id }
		if ($1 == "PASS") pass[id]++; else failed[id] = failed[id] " " run
	}
	/^      RETRY: / { retried[id] = retried[id] " " idx[FILENAME] }
	END {
		printf "| entry | passed | failed in runs | retried a step in runs |\n|---|---|---|---|\n"
		for (i = 1; i <= ids; i++) {
			id = order[i]
			printf "| %s | %d of %d | %s | %s |\n", id, pass[id], n,
				failed[id] == "" ? "-" : failed[id], retried[id] == "" ? "-" : retried[id]
			if (pass[id] == n) good++; else bad++
		}
		printf "%d passed, %d failed\n", good, bad > "/dev/stderr"
	}' "$@"
}

if [ "${1:-}" = --rates ]; then
	shift
	[ $# -gt 0 ] || { echo "repeat.sh: --rates needs the logs" >&2; exit 2; }
	rates "$@"
	exit
fi
cd "$top" || exit 2
n=${1:-5}
case $n in
'' | *[!0-9]* | 0) echo "repeat.sh: N must be a number of runs, at least 1" >&2; exit 2 ;;
esac
out=$top/build/check-repeat
rm -rf "$out"
mkdir -p "$out"
# One calibration for every run, so that the runs have the same limits.
TIME_SCALE=${TIME_SCALE:-$(tools/check/calibrate.sh -v)}
export TIME_SCALE

for ((k = 1; k <= n; k++)); do
	start=$SECONDS
	tools/check/check.sh > "$out/run-$k.log" 2>&1
	echo "run $k of $n: $(tail -1 "$out/run-$k.log") in $(((SECONDS - start) / 60)) min"
	mkdir -p "$out/run-$k"
	# Entries that ran and failed; those not run left no log of this run.
	sed -n 's/^FAIL  \([^ :]*\) (.*/\1/p' "$out/run-$k.log" | while read -r id; do
		cp "build/check/$id.log" "$out/run-$k/" 2>/dev/null || true
	done
done

logs=()
for ((k = 1; k <= n; k++)); do logs+=("$out/run-$k.log"); done
rates "${logs[@]}" > "$out/rates.md" 2> "$out/summary"
cat "$out/rates.md"
echo "time scale $TIME_SCALE; rates in $out/rates.md"
cat "$out/summary"
! grep -q ', [1-9][0-9]* failed$' "$out/summary"
