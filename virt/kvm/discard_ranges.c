// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_HC_DISCARD_RANGES: a guest hands KVM a list of free guest-physical
 * ranges, and KVM drops the host memory behind them itself, on the vCPU
 * thread, instead of exiting to the VMM for each range as free page
 * reporting through virtio-balloon does.  Any VMM benefits, and a hint
 * costs one exit to the host kernel instead of a trip through the VMM.
 *
 * What the guest promises: the ranges are free and stay unused until the
 * call returns; it may read zeros from them afterwards, or their old
 * contents where the host could not drop them.  What KVM promises the
 * host: nothing the guest sends makes it WARN, crash or stall.  Every
 * argument and entry is checked, the work per call is bounded (the call
 * returns how many entries it completed, and the guest calls again for the
 * rest: the budget is checked before each step of at most 64 MiB, an
 * entry that the budget ends in the middle is written back into the
 * guest's list as the part not done where the guest allows it, and the
 * zap lets go of mmu_lock whenever another CPU waits for it), and
 * memory is dropped only where the host's own madvise() or
 * fallocate() would drop it with the same result, as QEMU's
 * ram_block_discard_range() does, and more strictly with files
 * (kvm_discard_classify()).  Memory that cannot be dropped so (mlocked,
 * pinned for DMA, armed for userfaultfd, PFN or I/O mapped, part of a huge
 * page, a file that must not change) is skipped: counted per reason
 * in the VM's statistics, and done as far as the guest is concerned, so
 * that a VM with some such memory keeps returning the rest.
 *
 * How a batch is dropped:
 *  1. read up to KVM_DISCARD_CHUNK entries from the guest and check each,
 *     the VMAs behind it included, under mmap_lock; an entry the host
 *     refuses (bad format, not in a user memslot, nothing mapped) ends the
 *     batch before it;
 *  then, step by step (KVM_DISCARD_STEP bytes of entries, the last of
 *  them cut there if it is longer, the guest allows it and no huge page
 *  lies across the cut; the budget checked before each step):
 *  2. zap the SPTEs of the step's entries with memory to drop, with one
 *     remote TLB flush for the step (one per run of such entries, if
 *     entries with nothing to drop lie between them), by the
 *     architecture's MMU (kvm_mmu_zap_gfn_ranges(), which lets mmu_lock
 *     go between steps of 16 MiB when another CPU waits for it, and
 *     flushes before every break of it);
 *  3. drop the host memory range by range, as MADV_DONTNEED does for
 *     private memory whose file, if any, holds nothing there (zap the
 *     page table entries), and by punching a hole in the file for shared
 *     memory (as MADV_REMOVE does: shmem, memfd, hugetlbfs) and, where
 *     the operator allows it, for a private mapping of the VM's own file
 *     (then its private copies are zapped too).  Hugetlb pages go back to
 *     the hugetlb pool, not to the system.
 * Step 3 alone would be correct: it runs KVM's MMU notifier, which zaps
 * and flushes.  But the notifier flushes the remote TLBs once per range;
 * after step 2 it finds no SPTE left and does not flush at all.
 *
 * The vCPU thread runs in the VMM's mm (KVM refuses vCPU ioctls from any
 * other), so kvm->mm is current->mm and GUP-fast sees the guest memory.
 *
 * Locking: the vCPU thread holds kvm->srcu (so the memslots cannot change
 * under us) and no other lock.  Step 1 takes mmap_lock for read (and a
 * file's i_mmap_rwsem inside it); step 2 takes mmu_lock alone; step 3
 * takes mmap_lock for read and, for a hole punch, drops it before fallocate()
 * (which takes i_rwsem, and whose notifier takes mmu_lock) with a reference
 * on the file, as madvise(MADV_REMOVE) does.  mmu_lock is never held while
 * the host pages are dropped: the MMU notifier that dropping runs takes it.
 */
#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/falloc.h>	/* after fs.h: it needs the __s64 types */
#include <linux/hugetlb.h>
#include <linux/kvm_discard.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/userfaultfd_k.h>

#include "kvm_mm.h"

#define CREATE_TRACE_POINTS
#include <trace/events/kvm_discard.h>

/* Entries read and checked together: one guest hand-off batch. */
#define KVM_DISCARD_CHUNK	32
/*
 * Guest time a call may take before it returns a partial count, checked
 * before each step: a memslot update waits for this vCPU's SRCU read side.
 * A parameter so that tests can make calls return early at will.
 */
static unsigned int discard_budget_us = 2000;
module_param(discard_budget_us, uint, 0644);
MODULE_PARM_DESC(discard_budget_us,
		 "Time a KVM_HC_DISCARD_RANGES call may take before it returns a partial count, in us");
/*
 * A step: the memory zapped with one TLB flush and then dropped, this many
 * bytes of consecutive entries.  A guest that sets
 * KVM_DISCARD_RANGES_F_RESUME has an entry that goes beyond cut where the
 * step ends (kvm_discard_step_end()); for one that does not, as in
 * version 1, a larger entry is one step, as is one over hugetlb pages that
 * no cut at an aligned gfn keeps whole (KVM_DISCARD_NO_CUT), which only a
 * VMM that maps them askew makes.  The budget is checked before each
 * step, and a step once begun is finished, so that a call that returns
 * early has done exactly the entries it counts and the part of the next
 * one that it writes back.  The size is a trade: the budget can be
 * overrun by one step, and each step costs a remote TLB flush and a walk
 * of the VMAs.  64 MiB of base pages is some 16K page table entries to
 * clear and pages to free, roughly the 2 ms of the default budget on
 * current hardware (an estimate: under nested TCG a step takes 11 to
 * 30 ms, by machine, tools/l1/discard-bench.sh); hugetlb memory drops far
 * faster (a call of one or two steps took 3 to 4 ms there).  A guest that
 * hands a free GiB in full batches of 32 4 MiB blocks so costs 16 steps.
 */
#define KVM_DISCARD_STEP	SZ_64M
/*
 * The value of an entry's shift (u8 shift[] of kvm_discard_ranges(),
 * otherwise log2 of its largest hugetlb page) when some of its hugetlb
 * memory lies at host addresses that are not aligned to the page size as
 * their gpas are: a cut at an aligned gfn would split a huge page there,
 * so such an entry is never cut (kvm_discard_step_end()).
 */
#define KVM_DISCARD_NO_CUT	U8_MAX
/* How long the answer to the query is kept (kvm_discard_query()). */
#define KVM_DISCARD_UNIT_TTL	HZ

static bool discard_ranges_default;
module_param_named(discard_ranges, discard_ranges_default, bool, 0644);
MODULE_PARM_DESC(discard_ranges,
		 "Let new VMs discard free memory by KVM_HC_DISCARD_RANGES without KVM_CAP_DISCARD_RANGES");

/*
 * Whether the files that VMs map private for their memory are theirs
 * alone, so that a hole may be punched in them (kvm_discard_file_how()).
 * Only the host's operator can know: a manager process may keep a memfd
 * template open to start more VMs from it, and its pages would be lost.
 */
static bool discard_private_files;
module_param(discard_private_files, bool, 0644);
MODULE_PARM_DESC(discard_private_files,
		 "Punch holes in the files that VMs map private, where the pages to drop are in the file");

void kvm_discard_init_vm(struct kvm *kvm)
{
	spin_lock_init(&kvm->discard.stats_lock);
	mutex_init(&kvm->discard.unit_lock);
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
 * space (KVM_CAP_EXIT_HYPERCALL): no flags, and the list of 1..256
 * entries lies within one guest page.  The query
 * (KVM_DISCARD_RANGES_F_QUERY) is refused here: KVM cannot know what a
 * VMM that handles the call drops, and a VMM written for version 1 never
 * saw a2, so the guest gets a version 1 host's answer, -KVM_EINVAL, and
 * hints base pages; so is KVM_DISCARD_RANGES_F_RESUME, which the VMM may
 * not honour (the handler in the kernel takes it off before this check).
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

/*
 * What becomes of a piece of the host memory behind an entry: it is
 * dropped, one of two ways, or skipped for a reason that the VM's
 * statistics count (discard_skipped_*_bytes).  A skipped piece keeps its
 * contents and counts as done: the guest cannot do better by calling
 * again, and an error would stop it hinting the memory that can go.
 */
enum kvm_discard_how {
	KVM_DISCARD_ZAP,	/* private anonymous: as MADV_DONTNEED does */
	KVM_DISCARD_PUNCH,	/* a file: punch a hole, drop private copies */
	KVM_DISCARD_SKIP_LOCKED,	/* mlocked (-overcommit mem-lock=on) */
	KVM_DISCARD_SKIP_PINNED,	/* a page pinned for DMA */
	KVM_DISCARD_SKIP_UFFD,	/* armed for userfaultfd */
	KVM_DISCARD_SKIP_IO,	/* PFN, I/O or mixed mapping */
	KVM_DISCARD_SKIP_UNIT,	/* part of a hugetlb page */
	KVM_DISCARD_SKIP_FILE,	/* a file whose hole cannot be punched */
	KVM_DISCARD_NR_HOW
};

/* What a call did, for the statistics and the tracepoint. */
struct kvm_discard_tally {
	unsigned long ranges;			/* entries done */
	unsigned long steps;			/* steps begun, and so done */
	u64 bytes[KVM_DISCARD_NR_HOW];		/* of their pieces, by fate */
	u64 hold_ns;				/* longest hold of mmu_lock */
};

/*
 * Whether a page of [@start, @end) of @vma may be pinned for DMA (io_uring
 * fixed buffers, RDMA, vhost-vdpa...).  Dropping it would leave the device
 * writing to a page the guest no longer sees.  The pages are looked up
 * locklessly (GUP-fast), with a reference held only for the check; a page
 * that is not mapped cannot be pinned.  Where only this mm's mappings are
 * dropped (@file_pages false), an mm that never pinned a page
 * (MMF_HAS_PINNED, set by its first FOLL_PIN) has none to lose; a hole in
 * a file also frees pages that another process may have pinned.
 */
static bool kvm_discard_range_pinned(struct vm_area_struct *vma,
				     unsigned long start, unsigned long end,
				     bool file_pages)
{
	struct page *pages[16];
	int nr, got, i;
	bool pinned;

	if (!file_pages && !test_bit(MMF_HAS_PINNED, &vma->vm_mm->flags))
		return false;
	while (start < end) {
		nr = min_t(unsigned long, (end - start) >> PAGE_SHIFT,
			   ARRAY_SIZE(pages));
		got = get_user_pages_fast_only(start, nr, 0, pages);
		if (got < 0)
			got = 0;
		pinned = false;
		for (i = 0; i < got; i++) {
			pinned |= folio_maybe_dma_pinned(page_folio(pages[i]));
			put_page(pages[i]);
		}
		if (pinned)
			return true;
		/* GUP-fast stops at the first page it cannot map: skip it. */
		start += (unsigned long)(got < nr ? got + 1 : got) << PAGE_SHIFT;
		cond_resched();
	}
	return false;
}

/*
 * Whether the file behind a private mapping holds pages where @vma maps
 * [@start, @end): then the guest would read them after its private copies
 * are dropped.  Swapped-out shmem pages count (the page cache only holds
 * their swap entries).
 */
static bool kvm_discard_file_has_pages(struct vm_area_struct *vma,
				       unsigned long start, unsigned long end)
{
	struct file *file = vma->vm_file;
	loff_t off = ((loff_t)vma->vm_pgoff << PAGE_SHIFT) + (start - vma->vm_start);

	if (shmem_file(file) && READ_ONCE(SHMEM_I(file_inode(file))->swapped))
		return true;
	return filemap_range_has_page(file->f_mapping, off, off + (end - start) - 1);
}

/*
 * Whether a hole may be punched in the file behind a private mapping where
 * @vma maps [@start, @end): the host's operator said that such files are
 * the VMs' own (discard_private_files), the file has no name (a memfd,
 * QEMU's unlinked -mem-path file; an O_TMPFILE file could still be given
 * one), and no other mapping, of any process, maps that range of it.  A
 * named file mapped private may be a template that other VMs map too.
 */
static bool kvm_discard_file_is_own(struct vm_area_struct *vma,
				    unsigned long start, unsigned long end)
{
	struct address_space *mapping = vma->vm_file->f_mapping;
	pgoff_t first = vma->vm_pgoff + ((start - vma->vm_start) >> PAGE_SHIFT);
	pgoff_t last = first + ((end - start) >> PAGE_SHIFT) - 1;
	struct vm_area_struct *other;
	bool own = true;

	if (!READ_ONCE(discard_private_files) ||
	    READ_ONCE(file_inode(vma->vm_file)->i_nlink))
		return false;
	i_mmap_lock_read(mapping);
	vma_interval_tree_foreach(other, &mapping->i_mmap, first, last) {
		if (other != vma) {
			own = false;
			break;
		}
	}
	i_mmap_unlock_read(mapping);
	return own;
}

/*
 * How the memory that a file backs is dropped where @vma maps [@start,
 * @end), or why it is skipped.  Only shmem, memfd and hugetlbfs: a hole
 * punched in another file system may wait for its I/O, or for as long as
 * it is frozen, while the vCPU holds kvm->srcu.  A shared mapping has the
 * hole punched, as madvise(MADV_REMOVE) does, if the VMM may write the
 * file.  A private one has its private copies dropped, which is enough
 * where the file holds no page there (QEMU's -mem-path file, written only
 * through the mapping: a refault reads a hole, zeros); where it does, the
 * hole is punched first, if the file is the VM's own
 * (kvm_discard_file_is_own()) and opened for writing, and the range is
 * skipped otherwise: it would refault the file's old contents.
 */
static enum kvm_discard_how kvm_discard_file_how(struct vm_area_struct *vma,
						 unsigned long start,
						 unsigned long end)
{
	struct file *file = vma->vm_file;

	if (!file || !(shmem_file(file) || is_file_hugepages(file)))
		return KVM_DISCARD_SKIP_FILE;
	if (vma->vm_flags & VM_SHARED)
		return (vma->vm_flags & VM_MAYWRITE) && (file->f_mode & FMODE_WRITE) ?
		       KVM_DISCARD_PUNCH : KVM_DISCARD_SKIP_FILE;
	if (!kvm_discard_file_has_pages(vma, start, end))
		return KVM_DISCARD_ZAP;
	if (!(file->f_mode & FMODE_WRITE) || !kvm_discard_file_is_own(vma, start, end))
		return KVM_DISCARD_SKIP_FILE;
	return KVM_DISCARD_PUNCH;
}

/*
 * How the host memory of [@start, *@end) in @vma is dropped so that the
 * guest reads zeros from it afterwards and nothing else changes, or why it
 * is skipped.  Follows madvise_dontneed_free_valid_vma() and
 * madvise_remove(), and is stricter than QEMU's ram_block_discard_range()
 * with files (kvm_discard_file_how()).  A hugetlb range is cut at huge
 * page boundaries: *@end may come back smaller, the rest of the range
 * being the next piece, so that the whole huge pages inside a range are
 * dropped and only the pieces at its ends are skipped.  @check (the check
 * before the SPTEs are zapped) leaves out the scan for DMA pins: zapping
 * the SPTEs of a pinned range costs only faults.
 */
static enum kvm_discard_how kvm_discard_classify(struct vm_area_struct *vma,
						 unsigned long start,
						 unsigned long *end, bool check)
{
	enum kvm_discard_how how = KVM_DISCARD_ZAP;

	mmap_assert_locked(vma->vm_mm);

	if (vma->vm_flags & VM_LOCKED)
		return KVM_DISCARD_SKIP_LOCKED;
	if (vma->vm_flags & (VM_PFNMAP | VM_IO | VM_MIXEDMAP))
		return KVM_DISCARD_SKIP_IO;
	if (userfaultfd_armed(vma))
		return KVM_DISCARD_SKIP_UFFD;
	if (is_vm_hugetlb_page(vma)) {
		unsigned long size = huge_page_size(hstate_vma(vma));

		if (!IS_ALIGNED(start, size)) {
			*end = min(*end, ALIGN(start, size));
			return KVM_DISCARD_SKIP_UNIT;
		}
		if (*end - start < size)
			return KVM_DISCARD_SKIP_UNIT;
		*end = ALIGN_DOWN(*end, size);
	}
	if (!vma_is_anonymous(vma))
		how = kvm_discard_file_how(vma, start, *end);
	if (how >= KVM_DISCARD_SKIP_LOCKED || check)
		return how;
	if (kvm_discard_range_pinned(vma, start, *end, how == KVM_DISCARD_PUNCH))
		return KVM_DISCARD_SKIP_PINNED;
	return how;
}

/*
 * Whether some host memory of [@hva, @hva + @len) in @mm, the memory of
 * the guest-physical addresses from @gpa on, would be dropped (1) or all
 * of it skipped (0); -KVM_EFAULT where the VMM mapped nothing.  *@shift is
 * raised to log2 of the largest hugetlb page to be dropped in it, or set
 * to KVM_DISCARD_NO_CUT if such a page is not aligned as its gpa is.
 * mmap_lock is held for read.
 */
static long kvm_discard_hva_check(struct mm_struct *mm, unsigned long hva,
				  gpa_t gpa, unsigned long len, u8 *shift)
{
	unsigned long end = hva + len, gap = hva - gpa, stop;
	struct vm_area_struct *vma;
	long ret = 0;

	mmap_assert_locked(mm);

	while (hva < end) {
		vma = vma_lookup(mm, hva);
		if (!vma)
			return -KVM_EFAULT;
		stop = min(end, vma->vm_end);
		if (kvm_discard_classify(vma, hva, &stop, true) < KVM_DISCARD_SKIP_LOCKED) {
			ret = 1;
			if (is_vm_hugetlb_page(vma) && *shift != KVM_DISCARD_NO_CUT) {
				unsigned int huge = huge_page_shift(hstate_vma(vma));

				if (IS_ALIGNED(gap, 1UL << huge))
					*shift = max_t(unsigned int, *shift, huge);
				else
					*shift = KVM_DISCARD_NO_CUT;
			}
		}
		hva = stop;
	}
	return ret;
}

/*
 * Punch the hole for [@hva, @stop) of @vma, which maps a file, and, in a
 * private mapping, drop the private copies of its pages, which would stay
 * after the hole (QEMU's ram_block_discard_range() does the same).
 * fallocate() takes i_rwsem, which ranks above mmap_lock: mmap_lock is
 * dropped around it, with a reference on the file, as madvise(MADV_REMOVE)
 * does.  The VMA is looked up and judged again after, and its private
 * copies are dropped only if it still maps the same part of the file and
 * may still be zapped.  Returns with mmap_lock held again, and whether all
 * of the range was dropped.
 */
static bool kvm_discard_punch(struct mm_struct *mm, struct vm_area_struct *vma,
			      unsigned long hva, unsigned long stop)
{
	loff_t offset = ((loff_t)vma->vm_pgoff << PAGE_SHIFT) + (hva - vma->vm_start);
	bool private = !(vma->vm_flags & VM_SHARED);
	struct file *file = get_file(vma->vm_file);
	unsigned long end = stop;
	int ret;

	mmap_read_unlock(mm);
	ret = vfs_fallocate(file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			    offset, stop - hva);
	mmap_read_lock(mm);
	if (!ret && private) {
		vma = vma_lookup(mm, hva);
		if (vma && vma->vm_file == file && !(vma->vm_flags & VM_SHARED) &&
		    ((loff_t)vma->vm_pgoff << PAGE_SHIFT) + (hva - vma->vm_start) == offset &&
		    kvm_discard_classify(vma, hva, &end, false) == KVM_DISCARD_ZAP && end == stop)
			zap_page_range_single(vma, hva, stop - hva, NULL);
		else
			ret = -EAGAIN;
	}
	fput(file);
	return !ret;
}

/*
 * Drop the host memory of [@hva, @hva + @len) in @mm, piece by piece as
 * kvm_discard_classify() says, adding what was dropped and skipped to @t.
 * The VMAs are looked up again rather than taken from
 * kvm_discard_hva_check(): the VMM may have changed them since.  A piece
 * that is dropped though its SPTEs were not zapped first is still safe
 * (the MMU notifier zaps and flushes them), only slower; a piece whose
 * SPTEs were zapped and that is skipped only faults again.
 */
static long kvm_discard_hva(struct mm_struct *mm, unsigned long hva,
			    unsigned long len, struct kvm_discard_tally *t)
{
	unsigned long end = hva + len, stop;
	struct vm_area_struct *vma;
	enum kvm_discard_how how;
	long ret = 0;

	mmap_read_lock(mm);
	while (hva < end) {
		vma = vma_lookup(mm, hva);
		if (!vma) {
			ret = -KVM_EFAULT;
			break;
		}
		stop = min(end, vma->vm_end);
		how = kvm_discard_classify(vma, hva, &stop, false);
		if (how == KVM_DISCARD_ZAP)
			/* What MADV_DONTNEED does, with mmap_lock for read. */
			zap_page_range_single(vma, hva, stop - hva, NULL);
		else if (how == KVM_DISCARD_PUNCH &&
			 !kvm_discard_punch(mm, vma, hva, stop))
			/* Sealed, immutable, or its VMA changed meanwhile. */
			how = KVM_DISCARD_SKIP_FILE;

		t->bytes[how] += stop - hva;
		hva = stop;
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * The unit in which the host drops the VM's memory, as log2 of its size
 * in bytes, or 0 if it can drop none: the largest page size among the
 * backings with memory to drop (a hugetlb page is dropped whole, anything
 * else by base page).  A guest that hints no less, aligned, wastes no
 * call on memory that is skipped for its size.  A VM whose RAM is hugetlb
 * and whose video memory is anonymous gets the huge page size: hints of
 * base pages would be skipped in the RAM, where nearly all of its memory
 * is.  Hugetlb memory of a memslot whose guest-physical and host virtual
 * addresses are not aligned alike cannot be dropped by aligned hints, and
 * does not count.
 *
 * The answer is what kvm_discard_classify() says of the memslots' VMAs as
 * they are now, before the DMA-pin scan (which is per page, and changes
 * with every pin).  The walk takes mmap_lock for read once per memslot and
 * yields between memslots, so its cost grows with the VMAs behind the
 * memslots, not with the memory.
 */
static unsigned int kvm_discard_walk_unit(struct kvm *kvm)
{
	struct kvm_memory_slot *slot;
	struct vm_area_struct *vma;
	unsigned long size, start, end, stop;
	unsigned int shift = 0;
	int bkt;

	kvm_for_each_memslot(slot, bkt, kvm_memslots(kvm)) {
		unsigned long hva = slot->userspace_addr;
		unsigned long hva_end = hva + (slot->npages << PAGE_SHIFT);
		unsigned long gap = hva - gfn_to_gpa(slot->base_gfn);
		struct vma_iterator vmi;

		if (!kvm_is_visible_memslot(slot) ||
		    (slot->flags & KVM_MEM_READONLY) ||
		    kvm_slot_can_be_private(slot))
			continue;
		if (fatal_signal_pending(current))
			break;
		mmap_read_lock(kvm->mm);
		vma_iter_init(&vmi, kvm->mm, hva);
		for_each_vma_range(vmi, vma, hva_end) {
			size = is_vm_hugetlb_page(vma) ?
			       huge_page_size(hstate_vma(vma)) : PAGE_SIZE;
			if (ilog2(size) <= shift || !IS_ALIGNED(gap, size))
				continue;
			start = ALIGN(max(hva, vma->vm_start), size);
			end = ALIGN_DOWN(min(hva_end, vma->vm_end), size);
			stop = end;
			if (start < end &&
			    kvm_discard_classify(vma, start, &stop, true) <
			    KVM_DISCARD_SKIP_LOCKED)
				shift = ilog2(size);
		}
		mmap_read_unlock(kvm->mm);
		cond_resched();
	}
	return shift;
}

/*
 * The answer to KVM_DISCARD_RANGES_F_QUERY (kvm_discard_walk_unit()),
 * kept for a second: the walk costs what the VM's mappings make it cost,
 * and a guest may ask as often as it likes.  The guest asks again from
 * time to time because the VMM may change the mappings at any time.  Not
 * inlined: the walk's frame would add to the handler's chunk of entries.
 */
static noinline_for_stack long kvm_discard_query(struct kvm *kvm)
{
	struct kvm_discard *d = &kvm->discard;
	unsigned int shift;

	mutex_lock(&d->unit_lock);
	if (!d->unit_valid || time_after_eq(jiffies, d->unit_expires)) {
		d->unit_shift = kvm_discard_walk_unit(kvm);
		d->unit_expires = jiffies + KVM_DISCARD_UNIT_TTL;
		d->unit_valid = true;
	}
	shift = d->unit_shift;
	mutex_unlock(&d->unit_lock);
	return shift;
}

/*
 * Check one entry before any of its SPTEs are zapped: aligned, non-empty,
 * bounded, all in user memslots, and mapped by the VMM.  @span becomes its
 * gfns, and *@shift log2 of the largest hugetlb page to be dropped in it
 * (0 if none, KVM_DISCARD_NO_CUT if one is misaligned).  Returns whether
 * some of its host memory is to be dropped (its SPTEs are zapped then,
 * also those of skipped pieces, which costs only a fault), or a KVM error
 * code.  mmap_lock is held for read.  Not inlined: its frame would add to
 * the handler's chunk of entries.
 */
static noinline_for_stack long
kvm_discard_check_entry(struct kvm *kvm, struct kvm_discard_range r,
			struct kvm_gfn_span *span, u8 *shift)
{
	struct kvm_discard_piece p;
	gfn_t gfn, end;
	long ret, drop = 0;

	if (!PAGE_ALIGNED(r.gpa) || !PAGE_ALIGNED(r.size) || !r.size ||
	    r.size > KVM_DISCARD_RANGES_MAX_SIZE ||
	    r.gpa + r.size < r.gpa)
		return -KVM_EINVAL;

	*shift = 0;
	end = gpa_to_gfn(r.gpa + r.size);
	for (gfn = gpa_to_gfn(r.gpa); gfn < end; gfn = p.end) {
		ret = kvm_discard_piece(kvm, gfn, end, &p);
		if (ret)
			return ret;
		ret = kvm_discard_hva_check(kvm->mm, __gfn_to_hva_memslot(p.slot, gfn),
					    gfn_to_gpa(gfn),
					    (p.end - p.start) << PAGE_SHIFT, shift);
		if (ret < 0)
			return ret;
		drop |= ret;
	}
	span->start = gpa_to_gfn(r.gpa);
	span->end = end;
	return drop;
}

/*
 * The step that begins at entry @first of the @n checked entries @spans:
 * KVM_DISCARD_STEP bytes of entries.  With @resume (the guest set
 * KVM_DISCARD_RANGES_F_RESUME), an entry that goes beyond is cut at a gfn
 * aligned to the step size, or to its largest hugetlb page (@shift) if
 * that is larger, so that no huge page is split between two steps (a step
 * of 1 GiB pages is one page); an entry after the first with no such gfn
 * in its part is left to the next step.  Without @resume, or for an entry
 * with a misaligned huge page (KVM_DISCARD_NO_CUT), an entry is never
 * cut: one that goes beyond ends the step before it, or, if it is the
 * first, is the whole step.  Returns the end of the step (the index
 * after its last entry) and sets *@cut to the gfn where its last entry's
 * part in it ends.
 */
static unsigned int kvm_discard_step_end(const struct kvm_gfn_span *spans,
					 const u8 *shift, unsigned int first,
					 unsigned int n, bool resume, gfn_t *cut)
{
	u64 left = KVM_DISCARD_STEP >> PAGE_SHIFT, align;
	bool can_cut;
	unsigned int i;
	gfn_t at;

	BUILD_BUG_ON_NOT_POWER_OF_2(KVM_DISCARD_STEP);

	for (i = first; i < n; i++) {
		if (spans[i].end - spans[i].start <= left) {
			left -= spans[i].end - spans[i].start;
			continue;
		}
		at = spans[i].end;
		can_cut = resume && shift[i] != KVM_DISCARD_NO_CUT;
		if (can_cut) {
			align = max_t(u64, KVM_DISCARD_STEP, 1ULL << shift[i]) >> PAGE_SHIFT;
			/*
			 * The first entry reaches the next aligned gfn at
			 * least (align is no less than left).
			 */
			at = ALIGN_DOWN(spans[i].start + (i == first ? align : left), align);
			at = min(at, spans[i].end);
		}
		if (i > first && (!can_cut || at <= spans[i].start))
			break;
		*cut = at;
		return i + 1;
	}
	*cut = spans[i - 1].end;
	return i;
}

/*
 * Write what is left of an entry that a call ended in the middle of back
 * into the guest's list at @gpa, so that the next call, which starts at
 * that entry, does only the rest.  The list is in writable memory (checked
 * before the first step); should the write fail anyway (the VMM unmapped
 * the page), the entry stays whole and the next call does its first part
 * again, which drops nothing more.  Not inlined: its entry would add to
 * the handler's frame.
 */
static noinline_for_stack long
kvm_discard_write_back(struct kvm_vcpu *vcpu, gpa_t gpa,
		       const struct kvm_gfn_span *rest)
{
	struct kvm_discard_range r = {
		.gpa = gfn_to_gpa(rest->start),
		.size = (u64)(rest->end - rest->start) << PAGE_SHIFT,
	};

	return kvm_vcpu_write_guest(vcpu, gpa, &r, sizeof(r)) ? -KVM_EFAULT : 0;
}

/* Drop the host memory of the gfns of one checked entry. */
static long kvm_discard_entry(struct kvm *kvm, const struct kvm_gfn_span *span,
			      struct kvm_discard_tally *t)
{
	gfn_t gfn, end = span->end;
	struct kvm_discard_piece p;
	long ret;

	for (gfn = span->start; gfn < end; gfn = p.end) {
		ret = kvm_discard_piece(kvm, gfn, end, &p);
		if (ret)
			return ret;
		ret = kvm_discard_hva(kvm->mm, __gfn_to_hva_memslot(p.slot, gfn),
				      (p.end - p.start) << PAGE_SHIFT, t);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * One step: zap the SPTEs of the entries [@first, @last] of @spans that
 * have memory to drop (the bits of @drop), with one TLB flush for each run
 * of them, then drop the host memory of the entries one by one, counting
 * those done (@last only if it is whole, not @last_cut).  Not inlined: its
 * frame would add to the handler's chunk of entries.
 */
static noinline_for_stack long kvm_discard_step(struct kvm *kvm,
						const struct kvm_gfn_span *spans,
						unsigned long drop, unsigned int first,
						unsigned int last, bool last_cut,
						struct kvm_discard_tally *t)
{
	unsigned int rs = first, re, k;
	long ret;

	t->steps++;
	for_each_set_bitrange_from(rs, re, &drop, last + 1)
		t->hold_ns = max(t->hold_ns,
				 kvm_mmu_zap_gfn_ranges(kvm, &spans[rs], re - rs));
	for (k = first; k <= last; k++) {
		ret = kvm_discard_entry(kvm, &spans[k], t);
		if (ret)
			return ret;
		if (k < last || !last_cut)
			t->ranges++;
		cond_resched();
	}
	return 0;
}

static void kvm_discard_account(struct kvm *kvm,
				const struct kvm_discard_tally *t,
				bool error, u64 ns)
{
	struct kvm_vm_stat_generic *st = &kvm->stat.generic;
	const u64 *b = t->bytes;

	spin_lock(&kvm->discard.stats_lock);
	st->discard_calls++;
	st->discard_ranges += t->ranges;
	st->discard_steps += t->steps;
	st->discard_bytes += b[KVM_DISCARD_ZAP] + b[KVM_DISCARD_PUNCH];
	st->discard_errors += error;
	st->discard_ns += ns;
	st->discard_max_call_ns = max(st->discard_max_call_ns, ns);
	st->discard_max_hold_ns = max(st->discard_max_hold_ns, t->hold_ns);
	st->discard_skipped_locked_bytes += b[KVM_DISCARD_SKIP_LOCKED];
	st->discard_skipped_pinned_bytes += b[KVM_DISCARD_SKIP_PINNED];
	st->discard_skipped_uffd_bytes += b[KVM_DISCARD_SKIP_UFFD];
	st->discard_skipped_io_bytes += b[KVM_DISCARD_SKIP_IO];
	st->discard_skipped_unit_bytes += b[KVM_DISCARD_SKIP_UNIT];
	st->discard_skipped_file_bytes += b[KVM_DISCARD_SKIP_FILE];
	spin_unlock(&kvm->discard.stats_lock);
}

/**
 * kvm_discard_ranges - handle KVM_HC_DISCARD_RANGES
 * @vcpu: the calling vCPU, in its run loop (kvm->srcu held)
 * @list_gpa: guest-physical address of the first struct kvm_discard_range
 * @count: number of entries
 * @flags: 0 or KVM_DISCARD_RANGES_F_RESUME, or KVM_DISCARD_RANGES_F_QUERY
 *	   with @list_gpa and @count 0
 * @in_smm: whether the vCPU is in System Management Mode
 *
 * Return: the number of entries done, from the first on, or a negative
 * KVM error code if the first entry or the call itself is refused.  To the
 * query, log2 of the unit in which the host drops the VM's memory, or 0
 * (kvm_discard_walk_unit()).  An entry is done when its memory was dropped
 * or skipped (kvm_discard_classify()).  A call does at least one step
 * (unless a fatal signal is pending).  With KVM_DISCARD_RANGES_F_RESUME,
 * if it ends inside an entry, that entry is rewritten in the list as the
 * part not done, and the count, which stops before it, may be 0 (if that
 * write fails, a count of 0 is -KVM_EFAULT instead: the entry is left
 * whole, and a call again redoes its first part, dropping nothing more);
 * without it, entries are never cut, and the count is at least 1.  A
 * later entry that is refused ends the call early; calling again from it
 * returns its error.
 */
long kvm_discard_ranges(struct kvm_vcpu *vcpu, u64 list_gpa, u64 count,
			u64 flags, bool in_smm)
{
	/*
	 * A chunk of entries, each turned in place into its gfns once it
	 * is checked: half the stack of two arrays.
	 */
	union {
		struct kvm_discard_range r[KVM_DISCARD_CHUNK];
		struct kvm_gfn_span spans[KVM_DISCARD_CHUNK];
	} c;
	u8 shift[KVM_DISCARD_CHUNK];	/* per entry: kvm_discard_check_entry() */
	struct kvm *kvm = vcpu->kvm;
	u64 budget_ns = (u64)READ_ONCE(discard_budget_us) * NSEC_PER_USEC;
	u64 start = ktime_get_ns(), ns, dropped, skipped = 0;
	struct kvm_discard_tally t = {};
	unsigned long drop;	/* the entries of the chunk with memory to drop */
	unsigned int i, j;
	bool resume = flags & KVM_DISCARD_RANGES_F_RESUME;
	gfn_t cut, end;
	bool split;	/* the entry at i was cut by the step before */
	long ret, err;

	BUILD_BUG_ON(sizeof(c.r[0]) != sizeof(c.spans[0]));
	BUILD_BUG_ON(KVM_DISCARD_CHUNK > BITS_PER_LONG);
	RCU_LOCKDEP_WARN(!srcu_read_lock_held(&kvm->srcu),
			 "KVM_HC_DISCARD_RANGES outside the vCPU's SRCU read side");

	if (!READ_ONCE(kvm->discard.enabled))
		return -KVM_ENOSYS;
	if (in_smm || !kvm_discard_vm_allowed(kvm)) {
		ret = -KVM_EPERM;
		goto out;
	}
	/* The query is not a call that drops: only its errors count. */
	if (flags == KVM_DISCARD_RANGES_F_QUERY && !list_gpa && !count)
		return kvm_discard_query(kvm);
	ret = kvm_discard_check_args(list_gpa, count,
				     flags & ~KVM_DISCARD_RANGES_F_RESUME);
	if (ret)
		goto out;
	/* A cut entry is written back: the list must be writable. */
	if (resume) {
		struct kvm_memory_slot *slot;

		slot = kvm_vcpu_gfn_to_memslot(vcpu, gpa_to_gfn(list_gpa));

		if (!kvm_is_visible_memslot(slot) || (slot->flags & KVM_MEM_READONLY)) {
			ret = -KVM_EFAULT;
			goto out;
		}
	}

	while (t.ranges < count) {
		unsigned int n = min_t(u64, count - t.ranges, KVM_DISCARD_CHUNK);

		if (t.steps && ktime_get_ns() - start > budget_ns)
			break;
		if (kvm_vcpu_read_guest(vcpu, list_gpa + t.ranges * sizeof(c.r[0]),
					c.r, n * sizeof(c.r[0]))) {
			ret = -KVM_EFAULT;
			break;
		}
		/*
		 * Check every entry, its backing included, before any SPTE
		 * is zapped; a refused entry ends the chunk, and the call,
		 * before it.
		 */
		err = 0;
		drop = 0;
		for (i = 0; i < n; i++) {
			mmap_read_lock(kvm->mm);
			err = kvm_discard_check_entry(kvm, c.r[i], &c.spans[i], &shift[i]);
			mmap_read_unlock(kvm->mm);
			if (err < 0)
				break;
			if (err)
				__set_bit(i, &drop);
			err = 0;
			cond_resched();
		}
		n = i;
		/*
		 * Zap and drop step by step, the budget checked before each
		 * step: what a step not begun covers is neither zapped nor
		 * dropped when the call returns, and the next call does it
		 * once.  An entry cut by a step is done in place: its span
		 * starts where the step ended.
		 */
		for (i = 0, split = false; i < n; i = split ? j - 1 : j) {
			if (fatal_signal_pending(current) ||
			    (t.steps && ktime_get_ns() - start > budget_ns)) {
				gpa_t entry_gpa = list_gpa + t.ranges * sizeof(c.r[0]);

				if (split)
					ret = kvm_discard_write_back(vcpu, entry_gpa, &c.spans[i]);
				goto out;
			}
			/* The step's last entry, j - 1, is zapped and dropped to cut. */
			j = kvm_discard_step_end(c.spans, shift, i, n, resume, &cut);
			end = c.spans[j - 1].end;
			c.spans[j - 1].end = cut;
			split = cut < end;
			ret = kvm_discard_step(kvm, c.spans, drop, i, j - 1, split, &t);
			if (ret)
				goto out;
			c.spans[j - 1].start = cut;
			c.spans[j - 1].end = end;
		}
		if (err) {
			ret = err;
			break;
		}
	}
out:
	ns = ktime_get_ns() - start;
	kvm_discard_account(kvm, &t, ret != 0, ns);
	dropped = t.bytes[KVM_DISCARD_ZAP] + t.bytes[KVM_DISCARD_PUNCH];
	for (i = KVM_DISCARD_SKIP_LOCKED; i < KVM_DISCARD_NR_HOW; i++)
		skipped += t.bytes[i];
	trace_kvm_discard_ranges(vcpu->vcpu_id, list_gpa, count, t.ranges,
				 dropped, skipped, ret, ns, t.hold_ns);
	return t.ranges ? t.ranges : ret;
}
