# SPDX-License-Identifier: GPL-2.0
#
# Boot a test guest under QEMU (TCG) with the host memory sampler attached.
# Sourced by the demo, the tests and `make run`; one place for how a guest is
# started, watched and stopped.
#
# The functions work under `set -e` too.
#
# Settings (environment, with defaults):
#   KERNEL     bzImage                       (build/obj-guest/arch/x86/boot/bzImage)
#   INITRAMFS  the initramfs of tools/guest  (build/initramfs.cpio)
#   HOSTMEM    the sampler binary            (build/tools/hostmem)
#   GEN_INIT_CPIO  the kernel's cpio packer  (built by mkinitramfs.sh)
#   MEM        guest RAM in MiB              (2048)
#   MEM_OPTS   more of QEMU's -m options     (none; slots=2,maxmem=1G
#              makes room for a pc-dimm)
#   NO_REBOOT  what QEMU does on a reboot    (-no-reboot: exit; empty:
#              reboot the guest)
#   VM_FILES   more files for the guest, as HOST_PATH:GUEST_PATH words
#              (none), put in the job's archive
#   SMP        vCPUs                         (2)
#   QEMU       the QEMU binary               (qemu-system-x86_64)
#   ACCEL      QEMU's accelerator            (tcg; kvm for an L2 guest in
#              the L1 VM of tools/l1/, where this file is sourced too)
#   TIME_SCALE how much slower this machine is than the one the time limits
#              were set on (1; tools/check/calibrate.sh measures it).  Every
#              guest gets it too, so that L1 scales the limits of its L2s.
#
# vm_boot DIR NAME JOB QEMU_ARGS CMDLINE
#   Boot a guest that runs the shell code JOB (see tools/guest/lib.sh) with
#   extra QEMU_ARGS (word-split) and extra kernel CMDLINE.  Writes
#   DIR/NAME.csv (samples and markers) and DIR/NAME.console.log, and sets
#   VM_PID, VM_CSV.  Returns non-zero if QEMU does not start.
# vm_scaled SECS              SECS times TIME_SCALE, rounded up: a time limit
#                             for this machine
# vm_wait_mark NAME TIMEOUT   wait for a marker; 1 if QEMU exited, 2 on timeout
#                             (TIMEOUT is scaled by TIME_SCALE)
# vm_wait_exit TIMEOUT        wait for QEMU to exit; returns its status, or
#                             124 after killing it on timeout (scaled too)
# vm_stop                     stop QEMU (SIGTERM, then SIGKILL) and the sampler
# vm_last_sample_time         host time of the newest sample, in seconds
# vm_mark_time NAME [CSV]     host time of the first marker NAME (of VM_CSV)
# vm_mark_values KEY          the values of the markers KEY=VALUE, in order
# vm_console_errors           print kernel oopses, WARNs and panics, if any
# vm_expect_marks MARK...     check that the guest printed each marker; 1 if
#                             one is missing

vm_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${KERNEL:=$vm_top/build/obj-guest/arch/x86/boot/bzImage}"
: "${INITRAMFS:=$vm_top/build/initramfs.cpio}"
: "${HOSTMEM:=$vm_top/build/tools/hostmem}"
: "${GEN_INIT_CPIO:=$vm_top/build/initramfs.cpio.d/gen_init_cpio}"
: "${MEM:=2048}"
: "${SMP:=2}"
: "${MEM_OPTS:=}"
: "${NO_REBOOT=-no-reboot}"
: "${QEMU:=qemu-system-x86_64}"
: "${ACCEL:=tcg}"

VM_PID= VM_SAMPLER_PID= VM_CSV= VM_LOG= VM_TMP=

vm_log() { echo "[$(date +%T)] $*" >&2; }

# Time limits are written for the machine they were measured on; a slower
# one (TIME_SCALE > 1) gets proportionally more, a faster one no less.
# vm_time_scale prints the factor in effect: TIME_SCALE if it is a number
# of at least 1, else 1.
vm_time_scale() {
	awk -v f="${TIME_SCALE:-1}" 'BEGIN { print (f !~ /^[0-9.]+$/ || f < 1) ? 1 : f }'
}

vm_scaled() {
	awk -v s="$1" -v f="$(vm_time_scale)" \
		'BEGIN { t = s * f; printf "%d", t == int(t) ? t : int(t) + 1 }'
}

vm_boot() {
	local dir=$1 name=$2 job=$3 qargs=$4 cmdline=$5
	local fifo=$dir/$name.fifo initrd=$dir/$name.initrd fd qemu_bin i

	mkdir -p "$dir"
	VM_CSV=$dir/$name.csv
	VM_LOG=$dir/$name.console.log
	rm -f "$fifo" "$VM_CSV" "$VM_LOG"

	# The job goes into a second cpio archive appended to the initramfs:
	# the kernel unpacks concatenated archives in order.
	mkdir -p "$dir/$name.job"
	{ echo "export TIME_SCALE=$(vm_time_scale)"
	  printf '%s\n' "$job"; } > "$dir/$name.job/job"
	printf 'file /job %s 644 0 0\n' "$dir/$name.job/job" > "$dir/$name.job/list"
	for i in ${VM_FILES:-}; do
		printf 'file %s %s 644 0 0\n' "${i#*:}" "${i%%:*}" >> "$dir/$name.job/list"
	done
	"$GEN_INIT_CPIO" "$dir/$name.job/list" > "$dir/$name.job/cpio" || return 1
	cat "$INITRAMFS" "$dir/$name.job/cpio" > "$initrd"

	# QEMU's console goes through a FIFO to the sampler, which stamps the
	# markers as they arrive.  Holding the FIFO open here lets QEMU open it
	# before the sampler exists, and the sampler is attached only once the
	# pid really is QEMU's.
	mkfifo "$fifo"
	VM_TMP="$fifo $initrd"
	exec {fd}<>"$fifo"
	qemu_bin=$(command -v "$QEMU") || { vm_log "no $QEMU: run 'make deps'"; return 1; }
	# loglevel=5, not quiet (4): WARN() and lockdep print at KERN_WARNING,
	# and vm_console_errors must see them.
	# shellcheck disable=SC2086
	"$qemu_bin" -accel "$ACCEL" -m "$MEM${MEM_OPTS:+,$MEM_OPTS}" \
		-smp "$SMP,sockets=$SMP,cores=1,threads=1" \
		-display none -monitor none -serial stdio $NO_REBOOT \
		-kernel "$KERNEL" -initrd "$initrd" \
		-append "console=ttyS0 loglevel=5 panic=-1 $cmdline" \
		$qargs > "$fifo" 2> "$dir/$name.qemu.err" < /dev/null {fd}<&- &
	VM_PID=$!
	for ((i = 0; i < 200; i++)); do
		[ "$(readlink "/proc/$VM_PID/exe" 2>/dev/null)" = "$qemu_bin" ] && break
		sleep 0.01
	done
	"$HOSTMEM" -p "$VM_PID" -r "${MEM}M" -c "$fifo" -l "$VM_LOG" -o "$VM_CSV" {fd}<&- &
	VM_SAMPLER_PID=$!
	# Once the sampler has the FIFO open, QEMU must be its only writer, so
	# that the sampler sees the end of the console when QEMU exits.
	for ((i = 0; i < 200; i++)); do
		[ -s "$VM_CSV" ] && break
		sleep 0.01
	done
	exec {fd}<&-
	kill -0 "$VM_PID" 2>/dev/null || { vm_log "QEMU did not start: $(cat "$dir/$name.qemu.err")"; return 1; }
}

vm_wait_mark() {
	local name=$1 deadline=$((SECONDS + $(vm_scaled "$2")))

	while [ $SECONDS -lt $deadline ]; do
		grep -q ",,,,,,,$name\$" "$VM_CSV" 2>/dev/null && return 0
		if ! kill -0 "$VM_PID" 2>/dev/null; then
			wait "$VM_SAMPLER_PID" 2>/dev/null || true
			grep -q ",,,,,,,$name\$" "$VM_CSV" && return 0
			return 1
		fi
		sleep 0.1
	done
	return 2
}

vm_wait_exit() {
	local deadline=$((SECONDS + $(vm_scaled "$1"))) rc

	while kill -0 "$VM_PID" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			vm_stop
			return 124
		fi
		sleep 0.1
	done
	rc=0
	wait "$VM_PID" || rc=$?
	wait "$VM_SAMPLER_PID" 2>/dev/null || true
	vm_cleanup
	return $rc
}

vm_stop() {
	local i

	if kill -0 "$VM_PID" 2>/dev/null; then
		kill -TERM "$VM_PID" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$VM_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$VM_PID" 2>/dev/null || true
	fi
	wait "$VM_PID" 2>/dev/null || true
	# The sampler ends by itself when QEMU is gone.
	wait "$VM_SAMPLER_PID" 2>/dev/null || true
	vm_cleanup
	return 0
}

# The per-boot initrd (35 MiB) and FIFO are not needed once QEMU is gone.
vm_cleanup() {
	# shellcheck disable=SC2086
	[ -n "$VM_TMP" ] && rm -f $VM_TMP
	VM_TMP=
}

vm_last_sample_time() {
	awk -F, '$8 == "" && NR > 1 { t = $1 } END { print t + 0 }' "$VM_CSV"
}

vm_mark_time() {
	awk -F, -v m="$1" '$8 == m { print $1; exit }' "${2:-$VM_CSV}"
}

vm_mark_values() {
	sed -n "s/.*,,,,,,,$1=\\(.*\\)\$/\\1/p" "$VM_CSV"
}

vm_expect_marks() {
	local want fail=0

	for want in "$@"; do
		if grep -q ",,,,,,,$want\$" "$VM_CSV"; then
			echo "ok: $want"
		else
			echo "FAIL: want $want"
			fail=1
		fi
	done
	return $fail
}

vm_console_errors() {
	# Oopses, WARNs, panics, and what the debug config's checkers print
	# (KASAN and KFENCE reports, lockdep, might_sleep, DEBUG_VM, DEBUG_LIST,
	# kmemleak's suspects, hung tasks).
	grep -E 'Kernel panic|BUG:|WARNING:|Oops|general protection|Call Trace|KASAN|KFENCE|possible circular locking|inconsistent lock state|possible recursive locking|sleeping function called|page dumped because|list_(add|del) corruption|unreferenced object|blocked for more than' "$VM_LOG"
}
