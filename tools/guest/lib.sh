# SPDX-License-Identifier: GPL-2.0
#
# Helpers for guest jobs.  The host stamps "@@mark NAME" console lines with
# its own clock as they arrive (the guest clock lags under TCG), so a marker
# is printed right when its event happens.

# mark NAME: a marker for the host.
mark() {
	echo "@@mark $*"
}

# run_workload CMD...: run the workload between the workload-start and
# workload-end markers; the end marker is printed the moment the workload's
# processes have exited, and its exit status follows as another marker.
run_workload() {
	mark workload-start
	# The host stamps a marker when it reads it, and "before" is its last
	# sample up to that stamp.  The serial port sends the marker after
	# echo has returned, slowly under nested TCG: once L2's marker came
	# out after stress-ng had filled its memory, "before" held the peak
	# and the returned share was NaN.  Give the marker time to get out.
	sleep 1
	"$@"
	rc=$?
	# The status first: the host reads the console in order, so a test
	# that has seen workload-end has the status too.
	mark "workload-status=$rc"
	mark workload-end
	return $rc
}

# idle SECS: stay up, doing nothing, so the host can watch its RSS fall.
idle() {
	mark idle
	sleep "$1"
}

# finish: power the VM off; QEMU then exits with status 0.  A kernel with
# kmemleak (the debug config) is scanned first and what it suspects is
# printed, which tools/vm/vm.sh counts as the kernel complaining.
finish() {
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	if [ -w /sys/kernel/debug/kmemleak ]; then
		echo scan > /sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak
		mark "kmemleak=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)"
	fi
	mark poweroff
	sync
	poweroff -f
}
