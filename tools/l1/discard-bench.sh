#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# How long one KVM_HC_DISCARD_RANGES call and one hold of mmu_lock get when
# a guest hints a lot at once, against the budget that bounds a call
# (kvm.discard_budget_us): `x86_64/page_hinting_test -B MIB` in L1, with
# nested paging and with the shadow MMU.  Per backing (anonymous memory by
# base pages, shared hugetlb) and list shape (256 entries, a full list;
# entries of the largest size, 1 GiB) it prints the calls and steps the
# hand-off took, the longest call and hold (the VM's peak statistics) and
# the longest call over the budget.  Nested TCG makes every instruction of
# L1 far dearer than on hardware: a step of base pages takes longer than
# the budget here, so calls end after their first step; what the table
# shows is that the longest call stays near one step and no hold grows
# with the size of the list or of its entries.
#
# Usage: discard-bench.sh [--mib MIB] [--budget S]
#   --mib MIB   the memory hinted at once (default 1024); L1 gets MIB MiB
#               of huge pages and 2 GiB more than MIB for the rest
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
mib=1024 budget=''
while [ $# -gt 0 ]; do
	case $1 in
	--mib) mib=$2; shift ;;
	--budget) budget=$2; shift ;;
	-h|--help) sed -n '/^# Usage:/,/^[^#]/p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
	*) echo "discard-bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
: "${budget:=$((mib + 600))}"

fmt='%-7s %-20s %7s %6s %6s %12s %12s %9s\n'
table=$(mktemp)
trap 'rm -f "$table"' EXIT
for npt in 1 0; do
	mode=$([ $npt = 1 ] && echo npt || echo shadow)
	name=discard-bench-$mode
	L1_MEM=$((mib * 2 + 2048)) "$top/tools/l1/run.sh" --npt $npt --quiet \
		--hugepages $((mib / 2)) --budget "$budget" --timeout "$budget" \
		--name "$name" "x86_64/page_hinting_test -B $mib" || exit 1
	log=$top/build/l1/runs/$name.console.log
	us=$(sed -n 's/.*# bench: budget_us=\([0-9]*\).*/\1/p' "$log" | head -1)
	sed -n 's/.*# bench: backing=/backing=/p' "$log" | tr -d '\r' |
		while read -r line; do
			declare -A v=()
			for kv in $line; do
				v[${kv%%=*}]=${kv#*=}
			done
			# shellcheck disable=SC2059
			printf "$fmt" "$mode" "${v[backing]}" "${v[entries]}" "${v[calls]}" \
				"${v[steps]}" "${v[max_call_us]}" "${v[max_hold_us]}" \
				"$(awk -v c="${v[max_call_us]}" -v b="$us" \
					'BEGIN { if (b > 0) printf "%.1f", c / b; else print "-" }')"
		done >> "$table"
done
echo
echo "One hand-off of $mib MiB in L1 (nested TCG), kvm.discard_budget_us=${us:-?}:"
echo "calls and steps it took, the longest call and hold of mmu_lock, and the"
echo "longest call over the budget (x_budget)"
# shellcheck disable=SC2059
printf "$fmt" mmu backing entries calls steps max_call_us max_hold_us x_budget
cat "$table"
