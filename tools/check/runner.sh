# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# The test runner of make check and make soak: sourced with $logs set to
# the directory for each test's log.  t runs one test with a time budget;
# t_summary ends with the line "N passed, N failed" and the status.
passed=0 failed=0 failures=()
declare -A ok

# t ID BUDGET_S NEEDS DESCRIPTION CMD...: NEEDS are IDs that must have passed.
t() {
	local id=$1 budget=$2 needs=$3 desc=$4 start rc n
	shift 4
	for n in ${needs//,/ }; do
		if [ "${ok[$n]:-}" != 1 ]; then
			echo "FAIL  $id: $desc (not run: $n failed)"
			failed=$((failed + 1)) failures+=("$id")
			return
		fi
	done
	start=$SECONDS
	echo "....  $id: $desc (budget ${budget}s)"
	timeout --kill-after=10 "$budget" "$@" > "$logs/$id.log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		echo "PASS  $id ($((SECONDS - start))s)"
		passed=$((passed + 1)) ok[$id]=1
	else
		[ $rc = 124 ] && echo "      timed out after ${budget}s" >> "$logs/$id.log"
		echo "FAIL  $id ($((SECONDS - start))s, exit $rc); the end of $logs/$id.log:"
		tail -25 "$logs/$id.log" | sed 's/^/      /'
		failed=$((failed + 1)) failures+=("$id")
	fi
}

t_summary() {
	[ $failed = 0 ] || echo "failed: ${failures[*]}"
	echo "$passed passed, $failed failed"
	[ $failed = 0 ]
}
