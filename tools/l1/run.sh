#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run KVM selftests on the host side of KVM: boot our kernel as an L1 VM
# under QEMU TCG with an AMD CPU model (EPYC: SVM with nested paging), so
# that its built-in kvm_amd works, and run the tests there (run-tests in the
# L1 initramfs, see mkinitramfs.sh).  /dev/kvm on the machine itself cannot
# run guests, and this runs KVM code we build ourselves.
#
# The verdict is non-zero if a test fails (or skips, with --strict), if the
# kernel prints a WARNING, BUG, Oops or lockdep splat, if kvm_amd does not
# run in the MMU mode asked for, or if the whole run exceeds its budget.
#
# Usage: run.sh [OPTIONS] [TEST...]
#   TEST           a test of tools/l1/tests.conf, by its path, run with the
#                  arguments given there (every line with that path for this
#                  MMU mode), or any other built test, run without
#                  arguments; "PATH ARGS..." as one word runs PATH with
#                  ARGS instead; default: every line of tests.conf for the
#                  mode
#   --npt 0|1      kvm_amd.npt: 1 (default) nested paging, 0 the shadow MMU
#   --params STR   more kernel command line for L1, e.g. module parameters
#                  of the built-in KVM: "kvm.tdp_mmu=0 kvm_amd.avic=1"
#   --budget S     the whole run's time limit in seconds (default 300)
#   --timeout S    each test's time limit in L1 (default 120)
#                  (both are multiplied by TIME_SCALE, see tools/vm/vm.sh)
#   --strict       a skipped test fails the run
#   --hugepages N  2 MiB huge pages L1 reserves at boot (default 16, 32 MiB;
#                  tests backed by hugetlbfs skip without them)
#   --l2           boot the initramfs with the L2 payload (mkinitramfs.sh --l2)
#   --initramfs F  boot the initramfs F, made by mkinitramfs.sh (default:
#                  build/l1/initramfs.cpio)
#   --job CMDS     run this shell code in L1 instead of the tests (see
#                  tools/guest/lib.sh for markers and l2.sh for L2 guests)
#   --expect MARK  fail unless L1 printed the marker MARK (repeatable)
#   --name NAME    the run's name: its files are build/l1/runs/NAME.*
#                  (default: npt or shadow)
#   --quiet        print the console only if the run fails
#
# Environment: KERNEL, QEMU as for tools/vm/vm.sh; L1_MEM (2048), L1_SMP (2);
#   L1_BOOT_LIMIT (90): seconds (scaled) for L1 to reach init before it is
#   booted once more
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
npt=1 params='' hugepages=16 budget=300 limit=120 strict=0 l2=0 job='' name='' quiet=0
initramfs=$top/build/l1/initramfs.cpio
expect=()
usage() { sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--npt)		npt=$2; shift ;;
	--params)	params=$2; shift ;;
	--budget)	budget=$2; shift ;;
	--timeout)	limit=$2; shift ;;
	--strict)	strict=1 ;;
	--hugepages)	hugepages=$2; shift ;;
	--l2)		l2=1 ;;
	--initramfs)	initramfs=$2; shift ;;
	--job)		job=$2; shift ;;
	--expect)	expect+=("$2"); shift ;;
	--name)		name=$2; shift ;;
	--quiet)	quiet=1 ;;
	-h|--help)	usage ;;
	-*)		echo "run.sh: unknown option $1" >&2; usage ;;
	*)		break ;;
	esac
	shift
done
case $npt in
0) mode=shadow ;;
1) mode=npt ;;
*) echo "run.sh: --npt takes 0 or 1" >&2; exit 2 ;;
esac
: "${name:=$mode}"

MEM=${L1_MEM:-2048} SMP=${L1_SMP:-2}
INITRAMFS=$initramfs
[ $l2 = 1 ] && INITRAMFS=${initramfs%.cpio}-l2.cpio
. "$top/tools/vm/vm.sh"
[ -f "$INITRAMFS" ] || { echo "run.sh: $INITRAMFS missing: run 'make l1-initramfs'" >&2; exit 2; }
for t in "$@"; do
	grep -q "^file /usr/lib/kvm-selftests/${t%% *} " "$initramfs.d/list" || {
		echo "run.sh: ${t%% *} is not in the L1 initramfs: make l1-selftests TESTS=\"${t%% *}\"" >&2
		exit 2
	}
done
trap vm_stop EXIT
limit=$(vm_scaled "$limit")

# The job: the requested lines of tests.conf, fed to run-tests.
if [ -z "$job" ]; then
	# The lines for this mode, without their mode tags; a test named
	# on the command line has its lines for this mode, else those of the
	# other mode, else none: it runs without arguments.
	conf=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/tools/l1/tests.conf")
	lines=$(for t in "${@:-}"; do
		echo "$conf" | awk -v m="@$mode" -v t="$t" '
			{ tag = ""
			  if ($1 ~ /^@/) { tag = $1; sub(/^[^ \t]+[ \t]+/, "") }
			  mine = (tag == "" || tag == m) }
			t == "" && mine { print; next }
			t != "" && $1 == t { if (mine) a[na++] = $0; else b[nb++] = $0 }
			END { if (t == "") exit
			      if (na) for (i = 0; i < na; i++) print a[i]
			      else if (nb) for (i = 0; i < nb; i++) print b[i]
			      else print t }'
	done)
	job="run-tests -t $limit <<'EOF'
$lines
EOF"
fi

# loglevel=5 (vm.sh's default too): WARN()'s "WARNING:" lines and lockdep's
# reports are KERN_WARNING, which a quiet console would hide.
# Huge pages are reserved at boot, when memory is not yet fragmented; a
# second hugepages= in --params would be ignored, hence the option.
cmdline="loglevel=5 kvm_amd.npt=$npt hugepages=$hugepages $params"
vm_log "L1 ($mode, $MEM MiB, $SMP vCPUs, budget $(vm_scaled "$budget")s): $cmdline"
# A boot that does not reach init within boot_limit is tried once more.
# Under TCG on a loaded machine an L1 vCPU has been seen to halt for good
# early in the boot, before init and before any test: its timer interrupt
# never came ("rcu_sched kthread timer wakeup didn't happen ... Possible
# timer handling issue on cpu=0"), once in about 30 debug-kernel boots with
# a compile beside them (docs/ci.md).  Booting again costs less than the
# whole budget that such a hang used to take; the retry is printed, and a
# second hang fails the run.  Boots take 23-55 s here, loaded.
boot_limit=${L1_BOOT_LIMIT:-90}
start=$SECONDS
for try in 1 2; do
	vm_boot "$top/build/l1/runs" "$name" "$job" "-cpu EPYC" "$cmdline" || exit 1
	vm_wait_mark boot "$boot_limit"
	[ $? = 2 ] && [ $try = 1 ] || break
	vm_stop
	mv "$VM_LOG" "$top/build/l1/runs/$name.hung.console.log"
	echo "RETRY: L1 $name did not reach init within $(vm_scaled $boot_limit)s;" \
		"booting once more (console: build/l1/runs/$name.hung.console.log)"
done
vm_wait_exit "$budget"
rc=$?
took=$((SECONDS - start))

fail=0
complain() { echo "FAIL: $*"; fail=1; }
if [ $rc = 124 ]; then
	complain "L1 did not finish within $(vm_scaled "$budget")s"
elif [ $rc != 0 ]; then
	complain "QEMU exited with $rc: $(cat "$top/build/l1/runs/$name.qemu.err")"
fi
vm_expect_marks boot poweroff > /dev/null || complain "L1 did not boot and power off by itself"
for m in "${expect[@]}"; do
	vm_expect_marks "$m" > /dev/null || complain "no marker $m"
done
if vm_console_errors > /dev/null; then
	complain "the kernel complained:"
	vm_console_errors | head -20 | sed 's/^/      /'
fi
# A job that reports the MMU mode (run-tests, l2-smoke) must be in the one
# asked for: kvm_amd falls back to shadow paging without NPT.
got=$(vm_mark_values kvm-mmu)
if [ -n "$got" ] || grep -q 'run-tests' <<< "$job"; then
	[ "$got" = "$mode" ] || complain "kvm_amd runs with ${got:-no} MMU, not $mode"
fi
if grep -q 'run-tests' <<< "$job"; then
	summary=$(vm_mark_values kvm-tests)
	case $summary in
	pass:*/fail:0/skip:0) ;;
	pass:*/fail:0/skip:*) [ $strict = 1 ] && complain "tests skipped: $summary" ;;
	"") complain "no test summary (L1 crashed or hung?)" ;;
	*) complain "tests failed: $summary" ;;
	esac
fi
if [ $fail = 1 ] || [ $quiet = 0 ]; then
	cat "$VM_LOG"
fi
# TAP lines only, so that the verdict is readable after a long console.
grep -E '^(ok|not ok) [0-9]' "$VM_LOG"
# And the end of each failed test's own output, where its assertion is:
# make check shows only the tail of this, long after the console.
for n in $(vm_mark_values kvm-test | sed -n 's/^\([0-9]*\):fail.*/\1/p'); do
	echo "--- the end of test $n's output:"
	sed -n "/@@mark kvm-test-start=$n\$/,/@@mark kvm-test=$n:/p" "$VM_LOG" |
		grep -v '@@mark' | tail -15 | sed 's/^/    /'
done
echo "L1 $name: ${took}s, ${summary:-no tests}, console: $VM_LOG"
[ $fail = 0 ] && echo "PASS: L1 $name"
exit $fail
