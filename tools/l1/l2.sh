# SPDX-License-Identifier: GPL-2.0
#
# Run L2 guests inside the L1 VM, under L1's KVM: a bash script in L1 (the
# initramfs of `mkinitramfs.sh --l2`) sources this file and then uses
# tools/vm/vm.sh's functions exactly as the host does with L1: vm_boot,
# vm_wait_mark, vm_wait_exit, vm_mark_time, ...  hostmem samples the L2 QEMU,
# so VM_CSV holds L2's RSS (guest_ram_kib: the guest-RAM mapping) and its
# markers stamped with L1's clock.
#
# L2 is the guest kernel and initramfs of the host build (so tools/guest/'s
# init, lib.sh, stress-ng and pagecheck are there), with MEM=256 MiB and
# SMP=1 unless set before sourcing.  L2_QEMU_ARGS are the QEMU arguments
# every L2 needs; add devices after them, e.g.
#   vm_boot /tmp/l2 run "$job" "$L2_QEMU_ARGS -device virtio-balloon-pci" ""
#
# l2_show_console [LOG]: print L2's console on L1's, each line prefixed
# "l2| ", with L2's markers renamed so that the host does not take them
# for L1's.
#
# l2_sink_cmdline SINK: L2's kernel command line for a sink: hypercall,
# virtio (kvm_page_hinting off), off (hinting off; upstream page
# reporting still runs) or upstream (hinting off, upstream page reporting
# as aggressive as L2_AGGRESSIVE makes hinting: order 0, 1 ms delay).
# Fails for another name.
#
# l2_verify_job SECS: the job of a verify boot (hinting-e2e.sh,
# l2-deaths.sh): stress-ng --verify and pagecheck for SECS seconds, with
# their statuses, between workload-start and workload-end markers, then
# the sinks' counters; boot it with L2_AGGRESSIVE, the most aggressive
# hinting knobs.
: "${KERNEL:=/l2/bzImage}"
: "${INITRAMFS:=/l2/initramfs.cpio}"
: "${MEM:=256}"
: "${SMP:=1}"
# -cpu host: what L1's KVM offers, without XSAVE: under TCG's nested SVM
# its CPUID leaf 0xd sizes disagree and L2's kernel WARNs at boot
# (fpu__init_system_xstate); -nodefaults: no NIC nor VGA, whose ROMs the L1
# initramfs does not carry.
# shellcheck disable=SC2034 # used by vm.sh and the sourcing script
{
	HOSTMEM=/usr/bin/hostmem
	GEN_INIT_CPIO=/usr/bin/gen_init_cpio
	ACCEL=kvm
	L2_QEMU_ARGS="-cpu host,xsave=off -nodefaults"
}
# shellcheck source=tools/vm/vm.sh
. /usr/lib/hinting/vm.sh

l2_show_console() {
	sed -e 's/@@mark /@@l2-mark /' -e 's/^/l2| /' "${1:-$VM_LOG}"
}

l2_sink_cmdline() {
	case $1 in
	hypercall) echo "page_hinting.enabled=1" ;;
	virtio) echo "page_hinting.enabled=1 kvm_page_hinting.enabled=0" ;;
	off) echo "page_hinting.enabled=0" ;;
	upstream) echo "page_hinting.enabled=0 page_reporting.page_reporting_order=0" \
		"page_reporting.delay_ms=1" ;;
	*) return 1 ;;
	esac
}

# shellcheck disable=SC2034 # used by the sourcing scripts
L2_AGGRESSIVE="page_hinting.min_order=0 page_hinting.delay_ms=1 page_hinting.batch=1"

l2_verify_job() {
	# shellcheck disable=SC2016 # $pc and $? expanded in L2
	echo "mark workload-start
pagecheck -t $1 -j 1 -H 96 -c 512 -r 16 & pc=\$!
stress-ng --vm 1 --vm-bytes 96M --vm-method all --verify --timeout ${1}s"'
mark "stress-status=$?"
wait $pc
mark "pagecheck-status=$?"
mark workload-end
mark "kvm_bytes=$(cat /sys/kernel/mm/page_hinting_kvm/bytes 2>/dev/null || echo 0)"
mark "hinted_bytes=$(cat /sys/kernel/mm/page_hinting/hinted_bytes)"'
}
