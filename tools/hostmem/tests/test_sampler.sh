#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Integration test of hostmem against a live process (memhog): it must see
# the memory rise and fall, stamp the markers, stop when the process exits,
# and give clear errors for a missing pid and bad options.  TAP output.
set -u
BIN=${BIN:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
t() {	# t NAME CMD...: a TAP line for the command's status
	local name=$1; shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; failed=$((failed + 1)); fi
}

# A live process, its console through a FIFO as QEMU's would be.
mkfifo "$tmp/console"
"$BIN/memhog" 96 400 > "$tmp/console" &
pid=$!
"$BIN/hostmem" -p "$pid" -r 96M -i 20 -c "$tmp/console" -l "$tmp/console.log" \
	-o "$tmp/run.csv" 2> "$tmp/err"
rc=$?
wait "$pid"
t "sampler exits 0 when the process exits" [ $rc = 0 ]
t "header" grep -qx 'time_s,vmrss_kib,rss_anon_kib,rss_file_kib,rss_shmem_kib,hugetlb_kib,guest_ram_kib,event' "$tmp/run.csv"
samples=$(grep -c ',$' "$tmp/run.csv")
t "at least 30 samples at 50 Hz over 1.2 s (got $samples)" [ "$samples" -ge 30 ]
t "start marker stamped" grep -q ',,,,,,,workload-start$' "$tmp/run.csv"
t "end marker stamped" grep -q ',,,,,,,workload-end$' "$tmp/run.csv"
t "marker without newline at exit stamped" grep -q ',,,,,,,last$' "$tmp/run.csv"
t "console copied to the log" grep -q 'some kernel line' "$tmp/console.log"
t "no errors" [ ! -s "$tmp/err" ]
"$BIN/hostmem-summary" -k "$tmp/run.csv" > "$tmp/kv" 2>&1
t "summary of the guest-RAM column" [ $? = 0 ]
. "$tmp/kv" 2>/dev/null
t "guest-RAM rose by ~96 MiB (peak $peak_mib, before $before_mib)" \
	awk -v p="$peak_mib" -v b="$before_mib" 'BEGIN { exit !(p - b >= 90 && p - b <= 100) }'
t "and fell back after MADV_DONTNEED (returned $returned_pct %)" \
	awk -v r="$returned_pct" 'BEGIN { exit !(r >= 95) }'
"$BIN/hostmem-summary" -k -c rss_anon_kib "$tmp/run.csv" > "$tmp/kv2"
t "RssAnon column rose too" awk -F= '/^peak_mib/ { p = $2 } /^before_mib/ { b = $2 } END { exit !(p - b >= 90) }' "$tmp/kv2"

# Timestamps are monotonic and markers fall between samples in order.
t "times increase" awk -F, 'NR > 1 { if ($1 < last) exit 1; last = $1 }' "$tmp/run.csv"

# Errors.
sleep 0.1 & gone=$!; wait $gone
"$BIN/hostmem" -p "$gone" > "$tmp/out" 2> "$tmp/err"; rc=$?
t "exited pid: exit 1" [ $rc = 1 ]
t "exited pid: says no such process" grep -q "pid $gone: no such process" "$tmp/err"
"$BIN/hostmem" > /dev/null 2> "$tmp/err"; rc=$?
t "no pid: usage error 2" [ $rc = 2 ]
"$BIN/hostmem" -p 1 -r 2X > /dev/null 2> "$tmp/err"; rc=$?
t "bad size: usage error 2" [ $rc = 2 ]
t "bad size: says so" grep -q "bad size '2X'" "$tmp/err"
"$BIN/hostmem" -p abc > /dev/null 2> "$tmp/err"; rc=$?
t "bad pid: usage error 2" [ $rc = 2 ]
"$BIN/hostmem" -p $$ -d 0.3 -c /nonexistent > /dev/null 2> "$tmp/err"; rc=$?
t "missing console file: exit 1" [ $rc = 1 ]

# Any pid works, and -d bounds the run: sample this shell for 0.35 s at 10 Hz.
"$BIN/hostmem" -p $$ -d 0.35 > "$tmp/self.csv"; rc=$?
t "duration ends the run with 0" [ $rc = 0 ]
t "default 10 Hz: 3-5 samples in 0.35 s" awk 'END { exit !(NR - 1 >= 3 && NR - 1 <= 5) }' "$tmp/self.csv"

echo "1..$n"
[ $failed = 0 ]
