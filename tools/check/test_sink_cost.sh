#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The sinks' host cost, measured inside L1 (tools/l1/sinks.sh, one run each,
# a short window): the figures `make bench` prints must come from the sink
# asked for.  The hypercall sink's memory must go through KVM's handler
# (hypercalls and discard time counted), the virtio sink's through QEMU (no
# hypercall, no time in the handler), and both must hand over the
# workload's memory.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tools/vm/vm.sh
. "$top/tools/vm/vm.sh"
# The window must hold the hand-off of the workload's memory: scaled.
"$top/tools/l1/sinks.sh" --table bench --runs 1 --window "$(vm_scaled 6)" --orders 9 || exit 1
log=$top/build/l1/runs/sinks-bench.console.log
fail=0
# get SINK KEY: the value of KEY in SINK's run.
get() {
	sed -n "s/^@@mark sink-cost sink=$1 .* $2=\([^ ]*\).*/\1/p" "$log" | head -1
}
for s in virtio hypercall; do
	h=$(get $s hinted_kib)
	[ "${h:-0}" -gt $((100 * 1024)) ] ||
		{ echo "FAIL: the $s sink handed over only ${h:-no} KiB"; fail=1; }
done
[ "$(get hypercall hypercalls)" -gt 0 ] ||
	{ echo "FAIL: the hypercall sink made no hypercall"; fail=1; }
[ "$(get hypercall discard_us)" -gt 0 ] ||
	{ echo "FAIL: KVM's discard handler took no time"; fail=1; }
[ "$(get virtio hypercalls)" = 0 ] ||
	{ echo "FAIL: the virtio sink made $(get virtio hypercalls) hypercalls"; fail=1; }
[ "$(get virtio discard_us)" = 0 ] ||
	{ echo "FAIL: KVM's discard handler ran for the virtio sink"; fail=1; }
[ $fail = 0 ] && echo "PASS: each sink's cost is measured on its own path"
exit $fail
