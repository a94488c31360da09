#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# How fast does the host get a guest's freed memory back?  Boots the guest
# once per row of rows.conf (and --runs times each), runs the same workload,
# then lets the guest idle while the host samples QEMU's memory at 10 Hz,
# until the RSS is flat or --idle-max has passed.  Prints one table row per
# configuration (medians over the runs), and writes a CSV per run and a PNG
# plot of the guest-RAM RSS over time.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)

usage() {
	cat <<USAGE
usage: demo.sh [options]
  --runs N          boots per row; the table shows medians (default 1)
  --mem MIB         guest RAM in MiB (default 2048)
  --smp N           vCPUs (default 2)
  --workload CMD    guest workload (default: stress-ng --vm 2 --vm-bytes 1500M
                    --vm-keep --timeout 20s)
  --rows "A B"      rows of the rows file to run (default: all)
  --rows-file FILE  the configurations (default tools/vm/rows.conf)
  --idle-min S      idle at least S seconds after the workload (default 31,
                    so that end+30s is measured)
  --idle-max S      stop idling after S seconds even if RSS still moves
                    (default 90)
  --out DIR         where CSVs and the plot go (default build/demo)
  -h, --help        this help
Environment: KERNEL, INITRAMFS, HOSTMEM, QEMU (see tools/vm/vm.sh).
USAGE
}

runs=1 mem=2048 smp=2 rows_sel= idle_min=31 idle_max=90
workload="stress-ng --vm 2 --vm-bytes 1500M --vm-keep --timeout 20s"
rows_file=$top/tools/vm/rows.conf out=$top/build/demo
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--mem) mem=$2; shift ;;
	--smp) smp=$2; shift ;;
	--workload) workload=$2; shift ;;
	--rows) rows_sel=$2; shift ;;
	--rows-file) rows_file=$2; shift ;;
	--idle-min) idle_min=$2; shift ;;
	--idle-max) idle_max=$2; shift ;;
	--out) out=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "demo: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
for v in "$runs" "$mem" "$smp" "$idle_min" "$idle_max"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "demo: '$v' is not a positive number" >&2; exit 2; }
done
[ "$idle_max" -ge "$idle_min" ] || { echo "demo: --idle-max < --idle-min" >&2; exit 2; }

MEM=$mem SMP=$smp
. "$top/tools/vm/vm.sh"
summary=$(dirname "$HOSTMEM")/hostmem-summary
for f in "$KERNEL" "$INITRAMFS" "$HOSTMEM" "$summary"; do
	[ -e "$f" ] || { echo "demo: $f missing: run 'make kernel initramfs tools'" >&2; exit 1; }
done
trap vm_stop EXIT
trap 'echo "demo: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# The rows: name|qemu args|cmdline, comments and blank lines skipped.
mapfile -t rows < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$rows_file")
[ ${#rows[@]} -gt 0 ] || { echo "demo: no rows in $rows_file" >&2; exit 1; }
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }

# flat: the guest-RAM RSS moved less than 4 MiB over the last 10 s.
flat() {
	awk -F, -v now="$1" 'NR > 1 && $8 == "" && $1 >= now - 10 && $7 >= 0 {
		if (n++ == 0 || $7 < lo) lo = $7; if ($7 > hi) hi = $7 }
		END { exit !(n > 0 && hi - lo < 4096) }' "$VM_CSV"
}

mkdir -p "$out"
job="run_workload $workload
idle 100000"
results=() results_vmrss=()
declare -A row_csvs
names=()
for row in "${rows[@]}"; do
	IFS='|' read -r name qargs cmdline <<< "$row"
	name=$(trim "$name") qargs=$(trim "$qargs") cmdline=$(trim "$cmdline")
	if [ -n "$rows_sel" ] && [[ " $rows_sel " != *" $name "* ]]; then
		continue
	fi
	names+=("$name")
	csvs=()
	for ((r = 1; r <= runs; r++)); do
		id=$name.run$r
		vm_log "$id: booting ($mem MiB, $smp vCPUs) ${qargs:+with $qargs}"
		vm_boot "$out" "$id" "$job" "$qargs" "$cmdline"
		if ! vm_wait_mark boot 120; then
			vm_log "$id: the guest did not boot; see $VM_LOG"; exit 1
		fi
		vm_log "$id: running: $workload"
		if ! vm_wait_mark workload-end 1800; then
			vm_log "$id: the workload did not end; see $VM_LOG"; exit 1
		fi
		if ! grep -q ',workload-status=0$' "$VM_CSV"; then
			vm_log "$id: the workload failed; see $VM_LOG"; exit 1
		fi
		t_end=$(vm_mark_time workload-end)
		vm_log "$id: workload done; idling until RSS is flat (${idle_min}-${idle_max} s)"
		while :; do
			sleep 1
			now=$(vm_last_sample_time)
			idle=$(awk -v a="$now" -v b="$t_end" 'BEGIN { printf "%d", a - b }')
			[ "$idle" -ge "$idle_max" ] && break
			[ "$idle" -ge "$idle_min" ] && flat "$now" && break
			kill -0 "$VM_PID" 2>/dev/null || { vm_log "$id: QEMU exited early; see $VM_LOG"; exit 1; }
		done
		vm_stop
		if vm_console_errors > /dev/null; then
			vm_log "$id: the guest kernel complained:"; vm_console_errors >&2
		fi
		"$summary" -L "$id" "$VM_CSV" | sed 's/^/    /' >&2
		csvs+=("$VM_CSV")
	done
	row_csvs[$name]="${csvs[*]}"
	# shellcheck disable=SC2086
	results+=("$("$summary" -L "$name" ${row_csvs[$name]})")
	# shellcheck disable=SC2086
	results_vmrss+=("$("$summary" -c vmrss_kib -L "$name" ${row_csvs[$name]})")
done

# The plot: guest-RAM RSS against seconds since the end of the workload, the
# first run of each row.
plot=$out/demo.png
{
	echo "set terminal pngcairo size 1100,600 noenhanced"
	echo "set output '$plot'"
	echo "set datafile separator ','"
	echo "set title 'Guest RAM resident on the host (${mem} MiB guest, $workload)'"
	echo "set xlabel 'seconds since the workload ended'"
	echo "set ylabel 'guest-RAM RSS (MiB)'"
	echo "set key top right"
	echo "set grid"
	echo "set yrange [0:*]"
	sep="plot"
	for name in "${names[@]}"; do
		read -r first _ <<< "${row_csvs[$name]}"
		t_end=$(vm_mark_time workload-end "$first")
		echo "$sep '$first' every ::1 using (\$1 - $t_end):(\$7 / 1024) with lines lw 2 title '$name' \\"
		sep=","
	done
	echo
} > "$out/demo.gp"
if command -v gnuplot > /dev/null; then
	gnuplot "$out/demo.gp" 2> "$out/gnuplot.err" || { cat "$out/gnuplot.err" >&2; exit 1; }
else
	plot="(gnuplot missing: run 'make deps')"
fi

echo
echo "Guest-RAM RSS on the host, MiB (median of $runs run(s); $mem MiB guest, $smp vCPUs)"
echo "workload: $workload"
"$summary" --header
printf '%s\n' "${results[@]}"
echo
echo "The whole QEMU process (VmRSS: guest RAM plus QEMU itself and its TCG code cache), MiB"
"$summary" --header
printf '%s\n' "${results_vmrss[@]}"
echo
echo "CSV per run: $out/*.csv (columns: see 'hostmem --help')"
echo "plot: $plot"
