#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hinting must not make a guest run out of memory sooner.  It takes the
# blocks it hands over off the free lists for a moment, so near the edge an
# allocation could find them gone: the low-watermark gate must stop it first.
#
# memedge holds more and more memory until the OOM killer ends it; every
# 2 MiB it maps and frees an 8 MiB burst, so hinting is busy handing blocks
# over at the moment memory runs out.  The same run is made with hinting off,
# with hinting at its defaults and with its most aggressive knobs (every
# order, a 1 ms delay, full batches), interleaved, ROUNDS times each.  The
# least that any hinting run reached must be within SLACK_MIB of the least
# that a run without hinting reached.
#
# Usage: test_pressure.sh [ROUNDS] [MEM_MIB]
# KERNEL=... runs it on another kernel, such as the debug variant.
set -u
rounds=${1:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
MEM=${2:-384} SMP=2
slack=${SLACK_MIB:-8}
. "$top/tools/vm/vm.sh"
dir=$top/build/check/pressure
trap vm_stop EXIT

job="rounds=$rounds
$(cat <<'EOF'
d=/sys/kernel/mm/page_hinting
set_mode() {
	case $1 in
	off)	echo 0 > $d/enabled ;;
	default) echo 9 > $d/min_order; echo 100 > $d/delay_ms; echo 32 > $d/batch
		echo 1 > $d/enabled ;;
	aggressive) echo 0 > $d/min_order; echo 1 > $d/delay_ms; echo 32 > $d/batch
		echo 1 > $d/enabled ;;
	esac
}
for r in $(seq $rounds); do
	for m in off default aggressive; do
		set_mode $m
		sleep 1
		h0=$(cat $d/hinted_bytes)
		out=$(memedge -b 8 -e 2)
		peak=${out#peak_mib=}; peak=${peak%% *}
		mark "peak-$m-$r=$peak"
		mark "hinted-$m-$r=$(( $(cat $d/hinted_bytes) - h0 ))"
		echo "round $r, hinting $m: $out"
	done
done
mark "low-memory-skips=$(cat $d/skipped_low_memory)"
EOF
)"
vm_boot "$dir" run "$job" "-device virtio-balloon-pci,free-page-reporting=on" \
	"page_hinting.enabled=1" || exit 1
vm_wait_exit $((rounds * 120 + 120)) || { echo "FAIL: the guest did not finish"; cat "$VM_LOG"; exit 1; }
cat "$VM_LOG"
fail=0
complain() { echo "FAIL: $*"; fail=1; }
least() { vm_mark_values "peak-$1-[0-9]*" | sort -n | head -1; }
peaks() { vm_mark_values "peak-$1-[0-9]*" | tr '\n' ' '; }
off=$(least off) def=$(least default) agg=$(least aggressive)
for v in "$off" "$def" "$agg"; do
	[ "${v:-0}" -gt 0 ] || { complain "a run reached no peak: off ${off:-?}, default ${def:-?}, aggressive ${agg:-?}"; break; }
done
if [ $fail = 0 ]; then
	[ "$def" -ge $((off - slack)) ] || complain "hinting at its defaults ran out at $def MiB, without hinting at $off MiB"
	[ "$agg" -ge $((off - slack)) ] || complain "aggressive hinting ran out at $agg MiB, without hinting at $off MiB"
fi
hinted=0
for v in $(vm_mark_values "hinted-aggressive-[0-9]*"); do hinted=$((hinted + v)); done
[ "$hinted" -gt 0 ] || complain "aggressive hinting hinted nothing: the test tested nothing"
# Each OOM kill prints a stack trace, and so may the victim's own failed
# allocation as it dies; any other complaint fails.
if vm_console_errors | grep -v 'Call Trace'; then complain "the kernel complained"; fi
[ "$(grep -c 'Call Trace' "$VM_LOG")" -le \
  "$(grep -c 'invoked oom-killer\|memedge: page allocation failure' "$VM_LOG")" ] ||
	complain "a stack trace that is not an OOM kill's"

echo "peaks (MiB): off $(peaks off)| default $(peaks default)| aggressive $(peaks aggressive)"
[ $fail = 0 ] && echo "PASS: near OOM, hinting reached $def (default) and $agg (aggressive) MiB, without hinting $off MiB (slack $slack)"
exit $fail
