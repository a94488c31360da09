# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# The test runner of make check and make soak: sourced with $logs set to
# the directory for each test's log.  t runs one test with a time budget;
# t_summary ends with the line "N passed, N failed" and the status.
#
# Budgets are written for the machine they were checked on and scaled by
# TIME_SCALE (tools/check/calibrate.sh measures it once, unless it is set),
# which the tests inherit for their own limits (tools/vm/vm.sh's vm_scaled).
passed=0 failed=0 failures=()
declare -A ok
runner_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/vm/vm.sh
. "$runner_top/tools/vm/vm.sh"
if [ -z "${TIME_SCALE:-}" ]; then
	TIME_SCALE=$("$runner_top/tools/check/calibrate.sh" -v)
fi
export TIME_SCALE
echo "time scale: $TIME_SCALE (every budget and time limit is multiplied by it)"

# t ID BUDGET_S NEEDS DESCRIPTION CMD...: NEEDS are IDs that must have passed.
t() {
	local id=$1 budget start
	budget=$(vm_scaled "$2")
	t_ready "$@" || return
	echo "....  $id: $4 (budget ${budget}s)"
	shift 4
	start=$SECONDS
	timeout --kill-after=10 "$budget" "$@" > "$logs/$id.log" 2>&1
	t_verdict "$id" $? "$start" "$budget"
}

# t_start ID BUDGET_S NEEDS DESCRIPTION CMD...: t, but in the background,
# for a build that can use the CPU the tests leave idle; t_join ID waits for
# it and gives its verdict.  Its status goes through a file, not wait: a
# cold make check starts more processes than there are pids, and bash
# forgets the status of a job whose pid was reused; the file also holds
# the time the job ended, so that its verdict says how long it ran, not how
# long until it was joined.  The run stops what is still in the background
# when it ends, however it ends.
declare -A bg_pid bg_start bg_budget
t_start() {
	local id=$1 budget
	budget=$(vm_scaled "$2")
	t_ready "$@" || return
	echo "....  $id: $4, in the background (budget ${budget}s)"
	shift 4
	rm -f "$logs/$id.rc" "$logs/$id.pid"
	(
		timeout --kill-after=10 "$budget" "$@" > "$logs/$id.log" 2>&1 < /dev/null &
		echo $! > "$logs/$id.pid"
		wait $!
		echo "$? $SECONDS" > "$logs/$id.rc"
	) &
	bg_pid[$id]=$! bg_start[$id]=$SECONDS bg_budget[$id]=$budget
}

t_join() {
	local id=$1 rc end

	[ -n "${bg_pid[$id]:-}" ] || return 0	# t_start said why it did not start
	wait "${bg_pid[$id]}"
	read -r rc end 2>/dev/null < "$logs/$id.rc" || rc=lost end=
	t_verdict "$id" "$rc" "${bg_start[$id]}" "${bg_budget[$id]}" "$end"
	unset "bg_pid[$id]"
}

t_stop_background() {
	local id
	for id in "${!bg_pid[@]}"; do
		kill -TERM "$(cat "$logs/$id.pid" 2>/dev/null)" 2>/dev/null
	done
}
trap t_stop_background EXIT

# t_ready ID BUDGET_S NEEDS DESCRIPTION: whether every test of NEEDS passed;
# if not, ID fails without running.
t_ready() {
	local n
	for n in ${3//,/ }; do
		if [ "${ok[$n]:-}" != 1 ]; then
			echo "FAIL  $1: $4 (not run: $n failed)"
			failed=$((failed + 1)) failures+=("$1")
			return 1
		fi
	done
}

# t_verdict ID STATUS START BUDGET [END]: count and print how ID ended (at
# END, in $SECONDS, or now).
t_verdict() {
	local id=$1 rc=$2 budget=$4 took=$((${5:-$SECONDS} - $3))
	if [ "$rc" = 0 ]; then
		echo "PASS  $id (${took}s)"
		# A step an entry had to redo (a hung L1 boot, tools/l1/run.sh)
		# shows here, where the pass rates are counted from.
		grep '^RETRY: ' "$logs/$id.log" 2>/dev/null | sed 's/^/      /'
		passed=$((passed + 1)) ok[$id]=1
	else
		[ "$rc" = 124 ] && echo "      timed out after ${budget}s" >> "$logs/$id.log"
		echo "FAIL  $id (${took}s, exit $rc); the end of $logs/$id.log:"
		tail -25 "$logs/$id.log" | sed 's/^/      /'
		failed=$((failed + 1)) failures+=("$id")
	fi
}

t_summary() {
	[ $failed = 0 ] || echo "failed: ${failures[*]}"
	echo "$passed passed, $failed failed"
	[ $failed = 0 ]
}
