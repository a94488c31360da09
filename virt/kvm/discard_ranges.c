// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_HC_DISCARD_RANGES: a guest hands KVM a list of free guest-physical
 * ranges, and KVM drops the host memory behind them itself, on the vCPU
 * thread, instead of exiting to the VMM for each range as free page
 * reporting through virtio-balloon does.  Any VMM benefits, and a hint
 * costs one exit to the host kernel instead of a trip through the VMM.
 *
 * What the guest promises: the ranges are free and stay unused until the
 * call returns; it may read zeros from them afterwards.  What KVM promises
 * the host: nothing the guest sends makes it WARN, crash or stall.  Every
 * argument and entry is checked, the work per call is bounded (the call
 * returns how many entries it completed, and the guest calls again for the
 * rest), and memory is dropped only where the host's own madvise() or
 * fallocate() would drop it with the same result (see
 * kvm_discard_vma_check()).
 *
 * How a batch is dropped:
 *  1. read up to KVM_DISCARD_CHUNK entries from the guest and check each;
 *  2. zap the SPTEs of all of them with one remote TLB flush for the
 *     whole chunk, by the architecture's MMU (kvm_mmu_zap_gfn_ranges()),
 *     which flushes before every break of mmu_lock;
 *  3. drop the host pages range by range, as MADV_DONTNEED does for
 *     private anonymous memory (zap the page table entries) and as
 *     MADV_REMOVE does for shared memory, shmem, memfd and hugetlbfs
 *     (punch a hole in the file).  Hugetlb pages go back to the hugetlb
 *     pool, not to the system.  Ranges with a page pinned for DMA are
 *     skipped (kvm_discard_range_pinned()).
 * Step 3 alone would be correct: it runs KVM's MMU notifier, which zaps
 * and flushes.  But the notifier flushes the remote TLBs once per range;
 * after step 2 it finds no SPTE left and does not flush at all.
 *
 * The vCPU thread runs in the VMM's mm (KVM refuses vCPU ioctls from any
 * other), so kvm->mm is current->mm and GUP-fast sees the guest memory.
 *
 * Locking: the vCPU thread holds kvm->srcu (so the memslots cannot change
 * under us) and no other lock.  Step 2 takes mmu_lock alone; step 3 takes
 * mmap_lock for read and, for a hole punch, drops it before fallocate()
 * (which takes i_rwsem, and whose notifier takes mmu_lock) with a reference
 * on the file, as madvise(MADV_REMOVE) does.  mmu_lock is never held while
 * the host pages are dropped: the MMU notifier that dropping runs takes it.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/falloc.h>	/* after fs.h: it needs the __s64 types */
#include <linux/hugetlb.h>
#include <linux/kvm_discard.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/userfaultfd_k.h>

#include "kvm_mm.h"

#define CREATE_TRACE_POINTS
#include <trace/events/kvm_discard.h>

/* Entries read, zapped and flushed together: one guest hand-off batch. */
#define KVM_DISCARD_CHUNK	32
/*
 * Guest time a call may take before it returns a partial count, checked
 * between entries: a memslot update waits for this vCPU's SRCU read side.
 */
#define KVM_DISCARD_BUDGET_NS	(2 * NSEC_PER_MSEC)

static bool discard_ranges_default;
module_param_named(discard_ranges, discard_ranges_default, bool, 0644);
MODULE_PARM_DESC(discard_ranges,
		 "Let new VMs discard free memory by KVM_HC_DISCARD_RANGES without KVM_CAP_DISCARD_RANGES");

void kvm_discard_init_vm(struct kvm *kvm)
{
	spin_lock_init(&kvm->discard.stats_lock);
	kvm->discard.enabled = READ_ONCE(discard_ranges_default);
}

/*
 * VMs whose memory must not be dropped behind the guest's back, whatever
 * the VMM asked: a device assigned to the VM may DMA into any of its pages
 * at any time, and in a confidential VM every invalidation flushes caches
 * on all CPUs while the guest could not use the zeros anyway.
 */
static bool kvm_discard_vm_allowed(struct kvm *kvm)
{
	if (kvm_arch_has_assigned_device(kvm) || kvm_arch_has_private_mem(kvm))
		return false;
#ifdef CONFIG_X86
	/* SEV, SEV-ES, SEV-SNP and software-protected VM types. */
	if (kvm->arch.vm_type != KVM_X86_DEFAULT_VM ||
	    kvm->arch.has_protected_state)
		return false;
#endif
	return true;
}

int kvm_discard_check_extension(struct kvm *kvm)
{
	return !kvm || kvm_discard_vm_allowed(kvm);
}

/* KVM_ENABLE_CAP(KVM_CAP_DISCARD_RANGES): args[0] is 1 to enable, 0 not. */
int kvm_discard_enable_cap(struct kvm *kvm, u64 flags, u64 arg)
{
	if (flags || arg > 1)
		return -EINVAL;
	if (arg && !kvm_discard_vm_allowed(kvm))
		return -EINVAL;
	WRITE_ONCE(kvm->discard.enabled, arg);
	return 0;
}

/*
 * The checks of the call's own arguments, shared with the exit to user
 * space (KVM_CAP_EXIT_HYPERCALL): no flags are defined, and the list of
 * 1..256 entries lies within one guest page.
 */
long kvm_discard_check_args(u64 list_gpa, u64 count, u64 flags)
{
	if (flags || !count ||
	    !IS_ALIGNED(list_gpa, sizeof(struct kvm_discard_range)) ||
	    count > (PAGE_SIZE - offset_in_page(list_gpa)) /
		    sizeof(struct kvm_discard_range))
		return -KVM_EINVAL;
	return 0;
}

/* The part of [gfn, end) in the memslot that holds gfn. */
struct kvm_discard_piece {
	struct kvm_memory_slot *slot;
	gfn_t start;
	gfn_t end;
};

/*
 * The memslot piece at @gfn of a range that ends at @end: the range must
 * lie in writable user memory, as the guest sees it outside SMM.
 */
static long kvm_discard_piece(struct kvm *kvm, gfn_t gfn, gfn_t end,
			      struct kvm_discard_piece *p)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(kvm, gfn);

	if (!kvm_is_visible_memslot(slot) || (slot->flags & KVM_MEM_READONLY))
		return -KVM_EFAULT;
	/* guest_memfd backs private memory, which has no mapping to drop. */
	if (kvm_slot_can_be_private(slot))
		return -KVM_EOPNOTSUPP;
	p->slot = slot;
	p->start = gfn;
	p->end = min(end, slot->base_gfn + slot->npages);
	return 0;
}

/* Check one entry: aligned, non-empty, bounded, all in user memslots. */
static long kvm_discard_check_entry(struct kvm *kvm,
				    const struct kvm_discard_range *r)
{
	struct kvm_discard_piece p;
	gfn_t gfn, end;
	long ret;

	if (!PAGE_ALIGNED(r->gpa) || !PAGE_ALIGNED(r->size) || !r->size ||
	    r->size > KVM_DISCARD_RANGES_MAX_SIZE ||
	    r->gpa + r->size < r->gpa)
		return -KVM_EINVAL;

	end = gpa_to_gfn(r->gpa + r->size);
	for (gfn = gpa_to_gfn(r->gpa); gfn < end; gfn = p.end) {
		ret = kvm_discard_piece(kvm, gfn, end, &p);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Zap the SPTEs of @n checked entries, with one TLB flush for all of them
 * (kvm_mmu_zap_gfn_ranges(), which flushes before any lock break too).
 *
 * The flush always comes before the host pages are dropped: once the
 * SPTEs are gone, the discard's own MMU notifier finds nothing to zap and
 * does not flush, so a stale TLB entry left here would let the guest write
 * to a freed host page.
 */
static void kvm_discard_zap(struct kvm *kvm,
			    const struct kvm_discard_range *r, unsigned int n)
{
	struct kvm_gfn_span spans[KVM_DISCARD_CHUNK];
	unsigned int i;

	if (!n)
		return;
	for (i = 0; i < n; i++) {
		spans[i].start = gpa_to_gfn(r[i].gpa);
		spans[i].end = gpa_to_gfn(r[i].gpa + r[i].size);
	}
	kvm_mmu_zap_gfn_ranges(kvm, spans, n);
}

/*
 * Whether the host memory of [@start, @end) in @vma can be dropped so that
 * the guest reads zeros from it afterwards, and nothing else changes.
 * Follows madvise_dontneed_free_valid_vma() and madvise_remove(), and
 * refuses what they refuse or what would not refault as zeros:
 *  - mlocked, PFN-mapped, I/O and mixed mappings;
 *  - mappings armed for userfaultfd (post-copy migration, live snapshots:
 *    the monitor must see every fault);
 *  - private file mappings, which refault with the file's contents,
 *    including private hugetlb mappings;
 *  - hugetlb ranges that are not whole huge pages: hugetlb pages cannot
 *    be dropped in part;
 *  - shared mappings that are read-only or whose file cannot punch holes.
 */
static long kvm_discard_vma_check(struct vm_area_struct *vma,
				  unsigned long start, unsigned long end)
{
	if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP | VM_IO | VM_MIXEDMAP))
		return -KVM_EOPNOTSUPP;
	if (userfaultfd_armed(vma))
		return -KVM_EOPNOTSUPP;
	if (!(vma->vm_flags & VM_SHARED))
		return vma_is_anonymous(vma) ? 0 : -KVM_EOPNOTSUPP;
	if (!(vma->vm_flags & VM_WRITE) || !vma->vm_file ||
	    !vma->vm_file->f_op->fallocate)
		return -KVM_EOPNOTSUPP;
	if (is_vm_hugetlb_page(vma)) {
		unsigned long size = huge_page_size(hstate_vma(vma));

		if (!IS_ALIGNED(start, size) || !IS_ALIGNED(end, size))
			return -KVM_EINVAL;
	}
	return 0;
}

/*
 * Whether a page of [@start, @end) of the current mm may be pinned for DMA
 * (io_uring fixed buffers, RDMA, vhost-vdpa...).  Dropping it would leave
 * the device writing to a page the guest no longer sees, so such ranges
 * are skipped.  A page that is not mapped cannot be pinned; the lookup is
 * lockless (GUP-fast) and takes a reference only for the check.
 */
static bool kvm_discard_range_pinned(unsigned long start, unsigned long end)
{
	struct page *pages[16];
	int nr, got, i;
	bool pinned;

	while (start < end) {
		nr = min_t(unsigned long, (end - start) >> PAGE_SHIFT,
			   ARRAY_SIZE(pages));
		got = get_user_pages_fast_only(start, nr, 0, pages);
		pinned = false;
		for (i = 0; i < got; i++) {
			pinned |= folio_maybe_dma_pinned(page_folio(pages[i]));
			put_page(pages[i]);
		}
		if (pinned)
			return true;
		/* GUP-fast stops at the first page it cannot map: skip it. */
		start += (unsigned long)(got < nr ? got + 1 : got) << PAGE_SHIFT;
	}
	return false;
}

/* Drop the host memory of [@hva, @hva + @len) in @mm. */
static long kvm_discard_hva(struct mm_struct *mm, unsigned long hva,
			    unsigned long len)
{
	unsigned long end = hva + len;
	long ret = 0;

	mmap_read_lock(mm);
	while (hva < end) {
		struct vm_area_struct *vma = vma_lookup(mm, hva);
		unsigned long stop;
		struct file *file;
		loff_t offset;

		if (!vma) {
			ret = -KVM_EFAULT;
			break;
		}
		stop = min(end, vma->vm_end);
		ret = kvm_discard_vma_check(vma, hva, stop);
		if (ret)
			break;
		if (kvm_discard_range_pinned(hva, stop)) {
			hva = stop;
			continue;
		}

		if (!(vma->vm_flags & VM_SHARED)) {
			/* What MADV_DONTNEED does, with mmap_lock for read. */
			zap_page_range_single(vma, hva, stop - hva, NULL);
			hva = stop;
			continue;
		}

		/*
		 * What MADV_REMOVE does: fallocate() takes i_rwsem, which
		 * ranks above mmap_lock, so drop mmap_lock first and keep
		 * the file alive with a reference.  The VMA may change
		 * meanwhile: the next piece is looked up again.
		 */
		offset = ((loff_t)vma->vm_pgoff << PAGE_SHIFT) + (hva - vma->vm_start);
		file = get_file(vma->vm_file);
		mmap_read_unlock(mm);
		ret = vfs_fallocate(file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				    offset, stop - hva);
		fput(file);
		if (ret)
			return -KVM_EFAULT;
		hva = stop;
		mmap_read_lock(mm);
	}
	mmap_read_unlock(mm);
	return ret;
}

/* Drop the host memory of one checked entry. */
static long kvm_discard_entry(struct kvm *kvm, const struct kvm_discard_range *r)
{
	gfn_t gfn, end = gpa_to_gfn(r->gpa + r->size);
	struct kvm_discard_piece p;
	long ret;

	for (gfn = gpa_to_gfn(r->gpa); gfn < end; gfn = p.end) {
		ret = kvm_discard_piece(kvm, gfn, end, &p);
		if (ret)
			return ret;
		ret = kvm_discard_hva(kvm->mm, __gfn_to_hva_memslot(p.slot, gfn),
				      (p.end - p.start) << PAGE_SHIFT);
		if (ret)
			return ret;
	}
	return 0;
}

static void kvm_discard_account(struct kvm *kvm, unsigned long ranges,
				u64 bytes, bool error, u64 ns)
{
	spin_lock(&kvm->discard.stats_lock);
	kvm->stat.generic.discard_calls++;
	kvm->stat.generic.discard_ranges += ranges;
	kvm->stat.generic.discard_bytes += bytes;
	kvm->stat.generic.discard_errors += error;
	kvm->stat.generic.discard_ns += ns;
	spin_unlock(&kvm->discard.stats_lock);
}

/**
 * kvm_discard_ranges - handle KVM_HC_DISCARD_RANGES
 * @vcpu: the calling vCPU, in its run loop (kvm->srcu held)
 * @list_gpa: guest-physical address of the first struct kvm_discard_range
 * @count: number of entries
 * @flags: must be 0
 * @in_smm: whether the vCPU is in System Management Mode
 *
 * Return: the number of entries whose memory was dropped, from the first
 * on (at least one, unless a fatal signal is pending), or a negative KVM
 * error code if the first entry or the call itself is refused.  A later
 * entry that is refused ends the call early; calling again from it
 * returns its error.
 */
long kvm_discard_ranges(struct kvm_vcpu *vcpu, u64 list_gpa, u64 count,
			u64 flags, bool in_smm)
{
	struct kvm_discard_range r[KVM_DISCARD_CHUNK];
	struct kvm *kvm = vcpu->kvm;
	u64 start = ktime_get_ns(), bytes = 0, ns;
	unsigned long done = 0;
	long ret, err;

	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&kvm->srcu),
			 "KVM_HC_DISCARD_RANGES outside the vCPU's SRCU read side");

	if (!READ_ONCE(kvm->discard.enabled))
		return -KVM_ENOSYS;
	if (in_smm || !kvm_discard_vm_allowed(kvm)) {
		ret = -KVM_EPERM;
		goto out;
	}
	ret = kvm_discard_check_args(list_gpa, count, flags);
	if (ret)
		goto out;

	while (done < count) {
		unsigned int n = min_t(u64, count - done, KVM_DISCARD_CHUNK), i;

		if (kvm_vcpu_read_guest(vcpu, list_gpa + done * sizeof(*r), r,
					n * sizeof(*r))) {
			ret = -KVM_EFAULT;
			break;
		}
		/* A refused entry ends the chunk, and the call, before it. */
		err = 0;
		for (i = 0; i < n && !err; i++)
			err = kvm_discard_check_entry(kvm, &r[i]);
		if (err)
			n = i - 1;
		kvm_discard_zap(kvm, r, n);

		for (i = 0; i < n; i++) {
			if (fatal_signal_pending(current))
				goto out;
			if (done && ktime_get_ns() - start > KVM_DISCARD_BUDGET_NS)
				goto out;
			ret = kvm_discard_entry(kvm, &r[i]);
			if (ret)
				goto out;
			done++;
			bytes += r[i].size;
			cond_resched();
		}
		if (err) {
			ret = err;
			break;
		}
	}
out:
	ns = ktime_get_ns() - start;
	kvm_discard_account(kvm, done, bytes, ret != 0, ns);
	trace_kvm_discard_ranges(vcpu->vcpu_id, list_gpa, count, done, bytes,
				 ret, ns);
	return done ? done : ret;
}
