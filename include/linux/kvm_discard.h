/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM_HC_DISCARD_RANGES: a guest asks KVM to drop the host memory behind
 * free guest-physical ranges.  See virt/kvm/discard_ranges.c and
 * Documentation/virt/kvm/x86/hypercalls.rst.
 */
#ifndef __LINUX_KVM_DISCARD_H
#define __LINUX_KVM_DISCARD_H

#include <linux/mutex_types.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>

struct kvm;
struct kvm_vcpu;

/* Per-VM state, embedded in struct kvm. */
struct kvm_discard {
	/* KVM_CAP_DISCARD_RANGES was enabled, or defaulted on at VM creation. */
	bool enabled;
	/* Serializes the updates of the VM's discard statistics. */
	spinlock_t stats_lock;
	/*
	 * The answer to the query, log2 of the unit in bytes or 0, valid
	 * until unit_expires (jiffies) once unit_valid; under unit_lock.
	 */
	struct mutex unit_lock;
	bool unit_valid;
	unsigned int unit_shift;
	unsigned long unit_expires;
};

#ifdef CONFIG_KVM_DISCARD_RANGES
void kvm_discard_init_vm(struct kvm *kvm);
int kvm_discard_check_extension(struct kvm *kvm);
int kvm_discard_enable_cap(struct kvm *kvm, u64 flags, u64 arg);
long kvm_discard_check_args(u64 list_gpa, u64 count, u64 flags);
long kvm_discard_ranges(struct kvm_vcpu *vcpu, u64 list_gpa, u64 count,
			u64 flags, bool in_smm);
#else
static inline void kvm_discard_init_vm(struct kvm *kvm)
{
}

static inline int kvm_discard_check_extension(struct kvm *kvm)
{
	return 0;
}

static inline int kvm_discard_enable_cap(struct kvm *kvm, u64 flags, u64 arg)
{
	return -EINVAL;
}

static inline long kvm_discard_check_args(u64 list_gpa, u64 count, u64 flags)
{
	return -KVM_ENOSYS;
}

static inline long kvm_discard_ranges(struct kvm_vcpu *vcpu, u64 list_gpa,
				      u64 count, u64 flags, bool in_smm)
{
	return -KVM_ENOSYS;
}
#endif /* CONFIG_KVM_DISCARD_RANGES */

#endif /* __LINUX_KVM_DISCARD_H */
