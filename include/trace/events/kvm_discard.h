/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoint of KVM_HC_DISCARD_RANGES (virt/kvm/discard_ranges.c): one
 * event per call the host handles in the kernel, with what the guest asked
 * for, what was done (bytes dropped, bytes skipped), how long it took and
 * the longest it held mmu_lock at a stretch.
 * The VM's binary statistics (discard_*) sum the same figures; the event
 * tells which vCPU, when, and which calls were partial or refused.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm

#if !defined(_TRACE_KVM_DISCARD_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_KVM_DISCARD_H

#include <linux/tracepoint.h>

TRACE_EVENT(kvm_discard_ranges,

	TP_PROTO(unsigned int vcpu_id, u64 list_gpa, u64 count,
		 unsigned long done, u64 bytes, u64 skipped, long ret, u64 ns,
		 u64 hold_ns),

	TP_ARGS(vcpu_id, list_gpa, count, done, bytes, skipped, ret, ns,
		hold_ns),

	TP_STRUCT__entry(
		__field(unsigned int,	vcpu_id)
		__field(u64,		list_gpa)
		__field(u64,		count)
		__field(unsigned long,	done)
		__field(u64,		bytes)
		__field(u64,		skipped)
		__field(long,		ret)
		__field(u64,		ns)
		__field(u64,		hold_ns)
	),

	TP_fast_assign(
		__entry->vcpu_id	= vcpu_id;
		__entry->list_gpa	= list_gpa;
		__entry->count		= count;
		__entry->done		= done;
		__entry->bytes		= bytes;
		__entry->skipped	= skipped;
		__entry->ret		= ret;
		__entry->ns		= ns;
		__entry->hold_ns	= hold_ns;
	),

	TP_printk("vcpu %u list 0x%llx count %llu done %lu bytes %llu skipped %llu ret %ld ns %llu hold_ns %llu",
		  __entry->vcpu_id, __entry->list_gpa, __entry->count,
		  __entry->done, __entry->bytes, __entry->skipped, __entry->ret,
		  __entry->ns, __entry->hold_ns)
);

#endif /* _TRACE_KVM_DISCARD_H */

/* The system is kvm, the file is not kvm.h. */
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kvm_discard

/* This part must be outside protection */
#include <trace/define_trace.h>
