// SPDX-License-Identifier: GPL-2.0
/*
 * A free page reporting sink that hands the free blocks to KVM by
 * hypercall (KVM_HC_DISCARD_RANGES), so that the host kernel drops their
 * memory itself, for any VMM, instead of the VMM through virtio-balloon.
 *
 * It is a page reporting device like virtio-balloon's and like Hyper-V's
 * (drivers/hv/hv_balloon.c, hv_free_page_report()): page reporting's
 * worker hands it batches of free blocks taken off the free lists, both
 * the blocks free page hinting captured and those of upstream's free list
 * scan, one batch at a time, and puts them back once report() returns.
 *
 * Only one page reporting device can register.  When the host handles the
 * hypercall, this sink registers first (subsys_initcall, before drivers
 * probe) and virtio-balloon then runs without its reporting queue; boot
 * with kvm_page_hinting.enabled=0 to keep virtio-balloon's reporting, for
 * instance to compare the two on the same kernel.
 *
 * The host handles the call if its query (KVM_DISCARD_RANGES_F_QUERY)
 * answers the unit in which it drops this VM's memory (log2 of its size),
 * or -KVM_EINVAL (a version 1 host: a bad argument of a call it knows, and
 * base pages); a
 * host without it, or one that did not enable it for this VM, answers
 * -KVM_ENOSYS.  The sink registers only if the host drops some memory of
 * the VM in blocks the buddy allocator has (kph_unit_order()), and then
 * hands no smaller block, and raises free page hinting's order to the
 * unit's (prdev.order).  The answer can change while the VM runs (the VMM
 * maps other memory, or mlocks it): the sink asks again at most once a
 * second while it has batches to hand, and hands nothing while the host
 * drops nothing.  Only one reporting device can register, and none takes
 * over after boot, so the sink stays registered then.
 */
#define pr_fmt(fmt) "kvm_page_hinting: " fmt

#include <linux/cc_platform.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/page_reporting.h>
#include <linux/scatterlist.h>
#include <linux/seqlock.h>
#include <linux/sizes.h>
#include <linux/sysfs.h>
#include <linux/kvm_para.h>

static bool kph_enabled = true;
module_param_named(enabled, kph_enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "Report free pages to KVM by hypercall when the host supports it");

/*
 * The hand-off.  report() writes the batch into the list page and passes
 * its address to the host, which reads it during the call.  Page
 * reporting's worker is the only writer and makes one call at a time, so
 * the host needs no lock to see a stable list.  The seqlock is for the
 * other readers (sysfs 'last_list'): the list and its generation, read
 * together, without ever making the worker wait.  It is held only while
 * the list is written, never across the hypercall.
 */
struct kph_sink {
	struct page_reporting_dev_info prdev;
	seqlock_t lock;
	struct kvm_discard_range *list;	/* one page, PAGE_REPORTING_CAPACITY used */
	unsigned int nr;		/* entries of the last batch */
	unsigned long gen;		/* batches written */
	/* The host's unit (0: it drops nothing), and when to ask again. */
	unsigned long unit;
	unsigned long next_query;	/* jiffies */
	/* The host answered the query: calls may end inside an entry. */
	bool resume;
	/* After a refusal, hand nothing before this, and how long it was. */
	unsigned long retry_at;		/* jiffies */
	unsigned int refusals;		/* in a row */
	/* Statistics, written by the worker only. */
	unsigned long calls, blocks, ranges, bytes, errors;
	unsigned long queries, below_unit, deferred;
};

static struct kph_sink kph;

/* How often the host is asked its unit again while there are batches. */
#define KPH_QUERY_INTERVAL	HZ
/* The wait after a refusal doubles from 1 s up to 64 s. */
#define KPH_RETRY_SHIFT_MAX	6

/*
 * The order of the blocks that the host drops whole, from its answer to
 * the query, log2 of its unit in bytes: -ENODEV if it drops nothing of
 * this VM's memory (0), -ERANGE if its unit is above the largest free
 * block (1 GiB hugetlb pages, say), -EPROTO for an error or an answer
 * below a page.  For each of these the sink hands nothing.
 */
static int kph_unit_order(long shift)
{
	if (!shift)
		return -ENODEV;
	if (shift < PAGE_SHIFT)
		return -EPROTO;
	if (shift > PAGE_SHIFT + MAX_PAGE_ORDER)
		return -ERANGE;
	return shift - PAGE_SHIFT;
}

/*
 * What the host's answer @ret to the query says: its unit, as log2 of
 * bytes, and whether it takes KVM_DISCARD_RANGES_F_RESUME (*@resume).  A
 * version 1 host knows no flag and answers -KVM_EINVAL: it drops base
 * pages, and finishes every entry it begins.  A host that answers is
 * version 2: it takes the flag, and ends a long call inside an entry.
 * Other errors are returned as they are (-KVM_ENOSYS: not handled for
 * this VM).
 */
static long kph_query_answer(long ret, bool *resume)
{
	*resume = ret >= 0;
	return ret == -KVM_EINVAL ? PAGE_SHIFT : ret;
}

/*
 * Ask the host its unit (kph_query_answer()).  A VM that migrates to a
 * version 1 host has its calls with the flag refused (-KVM_EINVAL): the
 * sink waits a second after the refusal, asks again before its next call
 * (by then its answer has expired), and hands without the flag until an
 * answer says otherwise.
 */
static long kph_query_unit(void)
{
	long ret = kvm_hypercall3(KVM_HC_DISCARD_RANGES, 0, 0,
				  KVM_DISCARD_RANGES_F_QUERY);

	WRITE_ONCE(kph.queries, kph.queries + 1);
	return kph_query_answer(ret, &kph.resume);
}

/*
 * Follow the host's unit while the sink runs: from now on, blocks below
 * it are not handed, and free page hinting's passes take none smaller
 * (they read prdev.order).  An answer that is not a unit makes the sink
 * hand nothing until the next one.  Page reporting's free list scan keeps
 * the order it registered with; what it finds below the unit is left out
 * in kph_report().
 */
static void kph_update_unit(void)
{
	long shift = kph_query_unit();
	int order = kph_unit_order(shift);

	kph.next_query = jiffies + KPH_QUERY_INTERVAL;
	if (order < 0) {
		if (kph.unit)
			pr_warn_ratelimited("the host %s (%ld): handing nothing\n",
					    shift < 0 ? "refused the query" :
					    "drops no memory in blocks this guest has",
					    shift);
		WRITE_ONCE(kph.unit, 0);
		return;
	}
	if (PAGE_SIZE << order != kph.unit)
		pr_info_ratelimited("the host drops this VM's memory in units of %lu KiB\n",
				    (PAGE_SIZE << order) >> 10);
	WRITE_ONCE(kph.unit, PAGE_SIZE << order);
	WRITE_ONCE(kph.prdev.order, order);
}

/*
 * Whether a refusal or a unit of 0 holds the batches back.  After each
 * refusal in a row the sink waits twice as long, up to 64 s, so that a
 * host that keeps refusing is asked rarely, and warned about rarely.
 */
static bool kph_deferred(void)
{
	if (time_after_eq(jiffies, kph.next_query))
		kph_update_unit();
	return !kph.unit || (kph.refusals && time_before(jiffies, kph.retry_at));
}

/* The wait after the @refusals + 1'th refusal in a row. */
static unsigned long kph_retry_delay(unsigned int refusals)
{
	return HZ << min_t(unsigned int, refusals, KPH_RETRY_SHIFT_MAX);
}

/* Count a refusal and start the wait after it; returns the wait, in s. */
static unsigned int kph_refused(void)
{
	unsigned long delay = kph_retry_delay(kph.refusals);

	kph.retry_at = jiffies + delay;
	if (kph.refusals < UINT_MAX)
		kph.refusals++;
	return delay / HZ;
}

/* Whether the host drops a block at @gpa of @size in units of @unit. */
static bool kph_fits_unit(phys_addr_t gpa, u64 size, unsigned long unit)
{
	return size >= unit && IS_ALIGNED(gpa, unit);
}

/*
 * The largest entry made of merged blocks.  A host that may end a call
 * inside an entry (kph.resume) bounds a call itself: up to what an entry
 * may be.  One that finishes every entry it begins would make a long call
 * of a large one; a sixteenth of a full batch of 4 MiB blocks stays short
 * and already saves most of the per-entry work.
 */
static u64 kph_merge_max(bool resume)
{
	return resume ? KVM_DISCARD_RANGES_MAX_SIZE : SZ_16M;
}

/*
 * Add the block [@gpa, @gpa + @size) to the @n entries of @list, merged
 * into the last entry if it touches it on either side and the sum stays
 * within @max: page reporting hands a batch's blocks in
 * ascending or descending order of address, and much of the host's work
 * is per entry.  A merged entry may span two memslots that are adjacent
 * in guest-physical memory; the host handles it piece by piece, and a
 * piece it refuses makes it refuse the whole entry.  Returns the new number of
 * entries.
 */
static unsigned int kph_add_range(struct kvm_discard_range *list,
				  unsigned int n, u64 gpa, u64 size, u64 max)
{
	struct kvm_discard_range *last = n ? &list[n - 1] : NULL;

	if (last && last->size + size <= max) {
		if (last->gpa + last->size == gpa) {
			last->size += size;
			return n;
		}
		if (gpa + size == last->gpa) {
			last->gpa = gpa;
			last->size += size;
			return n;
		}
	}
	list[n].gpa = gpa;
	list[n].size = size;
	return n + 1;
}

/* The call itself: entries [@first, @nr) of @list. */
static long kph_call(struct kvm_discard_range *list, unsigned int first,
		     unsigned int nr)
{
	WRITE_ONCE(kph.calls, kph.calls + 1);
	return kvm_hypercall3(KVM_HC_DISCARD_RANGES, __pa(&list[first]), nr - first,
			      kph.resume ? KVM_DISCARD_RANGES_F_RESUME : 0);
}

typedef long (*kph_call_fn)(struct kvm_discard_range *list,
			    unsigned int first, unsigned int nr);

/*
 * Hand the @nents entries of @list to the host with @call.  The host does
 * a bounded amount of work per call and returns how many entries it
 * completed; where it stopped inside an entry, it rewrote that entry in
 * the list as the part not done.  Call again from there for the rest.
 * KVM makes progress at every call unless the VM is being killed, but a
 * VMM that handles the call itself (KVM_EXIT_HYPERCALL) may answer 0 and
 * leave the entry alone: no progress is an error, or the worker would
 * call forever.  The hypercall clobbers memory: the entry is read again.
 *
 * Return: 0, the host's error code (a negative KVM_E*) for a refused
 * entry, or -EPROTO when a call made no progress.
 */
static long kph_hand_off(struct kvm_discard_range *list, unsigned int nents,
			 kph_call_fn call)
{
	unsigned int done = 0;
	u64 size;
	long ret;

	while (done < nents) {
		size = list[done].size;
		ret = call(list, done, nents);
		if (ret < 0)
			return ret;
		if (!ret && (!list[done].size || list[done].size >= size))
			return -EPROTO;
		done += min_t(long, ret, nents - done);
		cond_resched();
	}
	return 0;
}

static int kph_report(struct page_reporting_dev_info *prdev,
		      struct scatterlist *sgl, unsigned int nents)
{
	unsigned int i, n = 0, left_out = 0;
	struct scatterlist *sg;
	u64 bytes = 0;
	long ret;

	/* The blocks go back to the free lists unreported, for a later pass. */
	if (kph_deferred()) {
		WRITE_ONCE(kph.deferred, kph.deferred + 1);
		return -EAGAIN;
	}

	/*
	 * A block below the unit would be skipped by the host: leave it out,
	 * and let it count as reported, so that it is not handed again.
	 */
	write_seqlock(&kph.lock);
	for_each_sg(sgl, sg, nents, i) {
		phys_addr_t gpa = page_to_phys(sg_page(sg));

		if (!kph_fits_unit(gpa, sg->length, kph.unit)) {
			left_out++;
			continue;
		}
		n = kph_add_range(kph.list, n, gpa, sg->length,
				  kph_merge_max(kph.resume));
		bytes += sg->length;
	}
	/* last_list shows the last list handed: only a list with entries. */
	if (n) {
		kph.nr = n;
		kph.gen++;
	}
	write_sequnlock(&kph.lock);
	if (left_out)
		WRITE_ONCE(kph.below_unit, kph.below_unit + left_out);
	if (!n)
		return 0;

	ret = kph_hand_off(kph.list, n, kph_call);
	if (ret) {
		unsigned int wait = kph_refused();

		WRITE_ONCE(kph.errors, kph.errors + 1);
		if (ret == -EPROTO)
			pr_warn_ratelimited("a call completed no range (%u in a row); waiting %u s\n",
					    kph.refusals, wait);
		else
			pr_warn_ratelimited("the host refused a range: %ld (%u in a row); waiting %u s\n",
					    ret, kph.refusals, wait);
		return -EIO;
	}
	kph.refusals = 0;
	WRITE_ONCE(kph.blocks, kph.blocks + nents - left_out);
	WRITE_ONCE(kph.ranges, kph.ranges + n);
	WRITE_ONCE(kph.bytes, kph.bytes + bytes);
	return 0;
}

#define KPH_STAT(_name, _var)						\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lu\n", READ_ONCE(_var));		\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

KPH_STAT(calls, kph.calls);
KPH_STAT(batches, kph.gen);
KPH_STAT(blocks, kph.blocks);
KPH_STAT(ranges, kph.ranges);
KPH_STAT(bytes, kph.bytes);
KPH_STAT(errors, kph.errors);
KPH_STAT(unit, kph.unit);
KPH_STAT(queries, kph.queries);
KPH_STAT(below_unit, kph.below_unit);
KPH_STAT(deferred, kph.deferred);

/* "gen N" and the entries of the last batch, one "gpa size" pair a line. */
static ssize_t last_list_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct kvm_discard_range copy[PAGE_REPORTING_CAPACITY];
	unsigned int seq, nr, i;
	unsigned long gen;
	int len;

	do {
		seq = read_seqbegin(&kph.lock);
		gen = kph.gen;
		nr = min_t(unsigned int, kph.nr, PAGE_REPORTING_CAPACITY);
		memcpy(copy, kph.list, nr * sizeof(*copy));
	} while (read_seqretry(&kph.lock, seq));

	len = sysfs_emit(buf, "gen %lu\n", gen);
	for (i = 0; i < nr; i++)
		len += sysfs_emit_at(buf, len, "%#llx %#llx\n",
				     copy[i].gpa, copy[i].size);
	return len;
}

static struct kobj_attribute last_list_attr = __ATTR_RO(last_list);

static struct attribute *kph_attrs[] = {
	&calls_attr.attr,
	&batches_attr.attr,
	&blocks_attr.attr,
	&ranges_attr.attr,
	&bytes_attr.attr,
	&errors_attr.attr,
	&unit_attr.attr,
	&queries_attr.attr,
	&below_unit_attr.attr,
	&deferred_attr.attr,
	&last_list_attr.attr,
	NULL,
};

static const struct attribute_group kph_group = {
	.attrs = kph_attrs,
};

/*
 * Dropped pages come back as zeros: wrong where the guest expects a
 * non-zero poison pattern in free pages, and useless in a confidential
 * guest, whose host cannot hand it plain zeros.
 */
static bool kph_guest_can_use(void)
{
	return kvm_para_available() && !page_poisoning_enabled_static() &&
	       !cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT);
}

static int __init kph_init(void)
{
	struct kobject *kobj;
	long shift;
	int order, err;

	if (!kph_enabled || !kph_guest_can_use())
		return 0;
	shift = kph_query_unit();
	if (shift < 0)		/* not handled for this VM */
		return 0;
	order = kph_unit_order(shift);
	if (order < 0) {
		pr_info("the host drops no memory of this VM in blocks this guest has (unit 2^%ld): not reporting by hypercall\n",
			shift);
		return 0;
	}

	kph.list = (void *)get_zeroed_page(GFP_KERNEL);
	if (!kph.list)
		return -ENOMEM;
	seqlock_init(&kph.lock);
	kph.unit = PAGE_SIZE << order;
	kph.next_query = jiffies + KPH_QUERY_INTERVAL;
	kph.prdev.order = order;
	kph.prdev.report = kph_report;
	err = page_reporting_register(&kph.prdev);
	if (err) {
		pr_info("another free page reporting device is registered (%d)\n",
			err);
		free_page((unsigned long)kph.list);
		return 0;
	}
	pr_info("reporting free pages to KVM by hypercall, in units of %lu KiB\n",
		kph.unit >> 10);

	kobj = kobject_create_and_add("page_hinting_kvm", mm_kobj);
	if (!kobj || sysfs_create_group(kobj, &kph_group))
		pr_warn("no statistics in sysfs\n");
	return 0;
}
subsys_initcall(kph_init);

#if IS_ENABLED(CONFIG_PAGE_HINTING_KVM_KUNIT_TEST)
#include "kvm_page_hinting_kunit.c"
#endif
