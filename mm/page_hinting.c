// SPDX-License-Identifier: GPL-2.0
/*
 * Free page hinting: tell the host, within a fraction of a second, which
 * blocks of guest memory have become free, so that it can drop them.
 *
 * Upstream free page reporting finds free memory by scanning the free lists
 * a couple of seconds after a large free, with a budget per pass, so that
 * a large free takes ten seconds or more to reach the host.  Hinting
 * instead captures each block at the moment it becomes free, and hands the
 * captured blocks to the same reporting device (the virtio-balloon
 * reporting queue) through the same single worker, in place of the scan.
 *
 * Capture.  Every block that can be hinted becomes free in one place:
 * __free_one_page(), under the zone lock, after merging with its free
 * buddies, which calls page_hinting_notify_merge().  A hook in the free path
 * proper (arch_free_page() in free_pages_prepare()) would see pages on
 * their way to the per-CPU page lists, which are not free buddies yet and
 * merge only when those lists drain -- through __free_one_page(), without a
 * second call to the free-path hook.  Capturing at the merge sees every
 * block once, when it is free, and costs nothing for the many frees below
 * min_order.  A record goes to a per-CPU array: one store with interrupts
 * off, no lock, no allocation.  When an array is full the record is
 * dropped (dropped_full) and the next pass also runs upstream's free list
 * scan as a backstop, so that no free block is missed for good.
 *
 * Hand-off.  The page reporting worker (one, serialized, so that the
 * device's report() has one caller at a time) calls page_hinting_report()
 * instead of its scan while hinting is enabled.  That drains the per-CPU
 * arrays and compresses the records into sorted, merged min_order-aligned
 * candidates (page_hinting_compress.c).  A device that drops nothing
 * smaller than some order (prdev->order: a host whose memory is hugetlb)
 * raises the pass's min_order to it.
 *
 * Aging.  A block freed and allocated again within moments costs the host a
 * drop and a refault and returns nothing, and under alloc/free churn that is
 * most of what is freed.  So the candidates of a pass are not hinted at once:
 * they wait for the next pass, delay_ms later, which hints those that were
 * not freed again in between (a block freed again was allocated in between,
 * and is in the new candidates) -- ph_subtract() -- and, below, only if they
 * are still free.  A block is thus hinted once it has been free for between
 * one and two pass intervals, and a block that lives for less than that
 * between a free and an allocation is never hinted.
 *
 * Each block that aged is kept, under the zone lock, only if it still is a
 * free buddy block of at least min_order, not already reported, not in an
 * isolated pageblock (memory offlining, alloc_contig_range()), and only
 * while the zone stays above its low watermark.  Kept blocks are taken off
 * the free lists so that nothing allocates them while the host drops them,
 * handed to the device in batches of at most 'batch' blocks, then put back
 * and marked PG_reported by page_reporting_drain(), as upstream's scan
 * does; the mark is cleared when the block is allocated or merges.
 * Allocations never wait for a hand-off: they do not see the blocks that
 * are out, and at most 'batch' blocks of at most 2^MAX_PAGE_ORDER pages
 * each are out at any time.
 *
 * Back-off.  Aging spares the blocks reused within a pass interval, but
 * churn with a longer period still has hinted blocks allocated again soon
 * after their hint, each a drop and a refault for nothing.  So hinting
 * counts the pages of hinted blocks allocated within PH_REUSE_WINDOW of a
 * pass (reused_pages), and when more than a quarter of what a pass hinted
 * came back that soon, it doubles its delay -- the pass interval, and so
 * the age a block needs -- up to 2^PH_BACKOFF_MAX times delay_ms; when less
 * than a sixteenth did, it halves it again.  After ten seconds without a
 * pass it starts over at delay_ms, so that the first large free after a
 * while is hinted as fast as ever.  A pass whose hand-off the device
 * refuses (or holds back: the hypercall sink while its host drops
 * nothing) doubles the delay too, and its candidates wait again for a
 * pass that the device takes.
 */
#include <linux/cc_platform.h>
#include <linux/cpu.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/memory_hotplug.h>
#include <linux/moduleparam.h>
#include <linux/page_reporting.h>
#include <linux/percpu.h>
#include <linux/sched/cputime.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sysfs.h>

#include "internal.h"
#include "page_hinting.h"
#include "page_hinting_compress.h"
#include "page_reporting.h"

#define CREATE_TRACE_POINTS
#include <trace/events/page_hinting.h>

/*
 * Records per CPU, 8 KiB each, drained every delay_ms: room for 2 GiB of
 * order-9 blocks per CPU, as much as a process exiting frees in a pass.
 */
#define PH_CPU_RECORDS		1024
/* Blocks examined per hold of a zone lock, to bound interrupt latency. */
#define PH_BLOCKS_PER_LOCK	64
/* A hinted block allocated again within this time was hinted in vain. */
#define PH_REUSE_WINDOW		HZ
/* The delay grows to at most delay_ms << PH_BACKOFF_MAX (1.6 s by default). */
#define PH_BACKOFF_MAX		4
/*
 * Passes further apart than this mean the churn has stopped.  Churn frees
 * in bursts (a process unmapping a region), a pass follows each burst, and
 * bursts a few seconds apart are still churn.
 */
#define PH_QUIET		(10 * HZ)

struct ph_cpu {
	unsigned int fill;
	unsigned long rec[PH_CPU_RECORDS];
};

static DEFINE_PER_CPU(struct ph_cpu, ph_cpu);

/*
 * The CPUs whose arrays hold records.  A CPU sets its bit with its first
 * record since it was drained, interrupts off; the drain clears it once the
 * array is empty, on that CPU (or in the worker, once the CPU is dead).  A
 * pass visits these CPUs only, so that its cost follows the records, not
 * the number of CPUs.
 */
static struct cpumask ph_cpus_recorded ____cacheline_aligned_in_smp;

/*
 * Where passes drain the records to: the worker's, kept from pass to pass
 * and grown to the most records a pass has found, so that a pass neither
 * allocates nor zeroes memory in proportion to the number of CPUs.  It
 * holds at most nr_cpu_ids * PH_CPU_RECORDS ranges, for a pass that found
 * every array full, and is freed by the first pass after PH_QUIET without
 * one, so that one burst does not keep it for good.
 */
static struct ph_range *ph_drain_buf;
static unsigned int ph_drain_buf_max;

/* One drain: CPUs claim slots of @buf concurrently, in their IPIs. */
struct ph_drain {
	struct ph_range *buf;
	unsigned int max;
	atomic_t claimed;	/* may exceed @max: the rest found no slot */
};

enum ph_stat {
	PH_CAPTURED,
	PH_DROPPED_FULL,
	PH_CANDIDATES,
	PH_HINTED_PAGES,
	PH_HANDOFFS,
	PH_SKIPPED_NOT_FREE,
	PH_SKIPPED_REPORTED,
	PH_SKIPPED_LOW_MEMORY,
	PH_SKIPPED_OFFLINE,
	PH_ERRORS,
	PH_PASSES,
	PH_REUSED,
	PH_PASS_US,
	PH_NR_STATS
};

struct ph_stats {
	unsigned long v[PH_NR_STATS];
};

static DEFINE_PER_CPU(struct ph_stats, ph_stats);

/*
 * The knobs.  ph_knob_lock serializes their writers; the readers (the
 * capture hook and the worker) read each knob once with READ_ONCE() and
 * work with that value, so a change takes effect at the next record or
 * pass.
 */
static DEFINE_MUTEX(ph_knob_lock);
static bool ph_enabled;
static bool ph_initialized;
unsigned int page_hinting_min_order __read_mostly = pageblock_order;
static unsigned int ph_batch = PAGE_REPORTING_CAPACITY;
static unsigned int ph_delay_ms = 100;
/*
 * Passes that still run upstream's free list scan as the backstop: set when
 * records or candidates were dropped (no memory for them) or hinting was
 * just enabled.  The scan works through a free list in up to 16 budgeted
 * passes, each requesting the next one, so it stays due for that many
 * passes plus one.
 */
#define PH_SCAN_PASSES		17
static atomic_t ph_scan_passes = ATOMIC_INIT(0);

#define PH_DELAY_MS_MAX		60000

/*
 * The candidates of the last pass, waiting to be hinted by the next one if
 * they stay free (see "Aging" above): sorted, disjoint, owned by the worker.
 */
static struct ph_range *ph_waiting;
static size_t ph_nr_waiting;

/*
 * The back-off state.  ph_reuse_until (jiffies) is written by the worker
 * and read by the allocator; ph_backoff is written by the worker and read
 * when the next pass is scheduled.  The rest belongs to the worker alone,
 * whose passes page reporting serializes.
 */
static unsigned long ph_reuse_until;
static unsigned int ph_backoff;
static unsigned long ph_last_hinted;	/* pages the last pass hinted */
static unsigned long ph_last_reused;	/* PH_REUSED at the last pass */
static unsigned long ph_last_pass;	/* jiffies */

DEFINE_STATIC_KEY_FALSE(page_hinting_key);

static void ph_count(enum ph_stat item, unsigned long n)
{
	this_cpu_add(ph_stats.v[item], n);
}

/*
 * Count the worker's CPU time in a pass, less the device's report() (the
 * host's work, or a wait for it): in microseconds, so that the sum lasts
 * on 32-bit too, carrying the nanoseconds over to the next pass.
 */
static void ph_count_pass_time(u64 ns)
{
	static u64 carry;	/* the worker's */

	ns += carry;
	carry = do_div(ns, NSEC_PER_USEC);
	ph_count(PH_PASS_US, ns);
}

static unsigned long __maybe_unused ph_stat_sum(enum ph_stat item)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(ph_stats, cpu).v[item];
	return sum;
}

/*
 * Hinting lets the host replace free pages with zeroed ones.  That is wrong
 * where the guest checks a non-zero poison pattern in free pages, and
 * pointless in a confidential guest, whose host cannot share what it drops.
 */
static bool ph_supported(void)
{
	return !page_poisoning_enabled_static() &&
	       !cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT);
}

void __page_hinting_record(unsigned long pfn, unsigned int order)
{
	struct ph_cpu *pc;
	unsigned long flags;
	unsigned int fill;

	local_irq_save(flags);
	pc = this_cpu_ptr(&ph_cpu);
	fill = pc->fill;
	if (likely(fill < PH_CPU_RECORDS)) {
		if (!fill) {
			cpumask_set_cpu(smp_processor_id(), &ph_cpus_recorded);
			/*
			 * Pairs with the smp_mb() in ph_drain_all(): either
			 * the pass that is due sees this bit, or this CPU
			 * sees that no pass is due and requests one below.
			 */
			smp_mb__after_atomic();
		}
		pc->rec[fill] = ph_rec_pack(pfn, order);
		pc->fill = fill + 1;
		__this_cpu_inc(ph_stats.v[PH_CAPTURED]);
	} else {
		__this_cpu_inc(ph_stats.v[PH_DROPPED_FULL]);
		atomic_set(&ph_scan_passes, PH_SCAN_PASSES);
	}
	local_irq_restore(flags);

	/*
	 * The first record since this CPU's array was drained asks for a
	 * pass, delay_ms from now; later ones find one requested already.
	 */
	if (!fill)
		__page_reporting_notify();
}

bool page_hinting_active(void)
{
	return static_branch_unlikely(&page_hinting_key);
}

/* Pages of a hinted block are being allocated; zone lock held. */
void __page_hinting_reused(unsigned int order)
{
	if (time_before(jiffies, READ_ONCE(ph_reuse_until)))
		__this_cpu_add(ph_stats.v[PH_REUSED], 1UL << order);
}

static unsigned int ph_effective_delay_ms(void)
{
	return min_t(unsigned int, READ_ONCE(ph_delay_ms) << READ_ONCE(ph_backoff),
		   PH_DELAY_MS_MAX);
}

unsigned long page_hinting_delay(void)
{
	return msecs_to_jiffies(ph_effective_delay_ms());
}

/*
 * Adjust the delay to how much of what the last pass hinted was allocated
 * again soon after (see "Back-off" above).  Called by the worker, before
 * a pass.
 */
static void ph_adapt(void)
{
	unsigned long reused = ph_stat_sum(PH_REUSED);
	unsigned long n = reused - ph_last_reused;
	unsigned int backoff = ph_backoff;

	if (time_after(jiffies, ph_last_pass + PH_QUIET))
		backoff = 0;
	else if (ph_last_hinted && n > ph_last_hinted / 4)
		backoff = min_t(unsigned int, backoff + 1, PH_BACKOFF_MAX);
	else if (ph_last_hinted && n < ph_last_hinted / 16 && backoff)
		backoff--;
	WRITE_ONCE(ph_backoff, backoff);
	ph_last_reused = reused;
}

/*
 * Whether the page reporting worker should also scan the free lists: always
 * without hinting (upstream's behaviour), and with it only as the backstop.
 */
bool page_hinting_scan_due(void)
{
	if (!page_hinting_active())
		return true;
	if (atomic_dec_if_positive(&ph_scan_passes) < 0)
		return false;
	/*
	 * Run the passes the scan still needs one after the other, not at
	 * the next burst of frees: the scan reports every free block, young
	 * or not, and would take those frees before they age.
	 */
	__page_reporting_notify();
	return true;
}

/*
 * Move the records of CPU @cpu's array @pc to the slots of @d it claims,
 * the newest first, so that those that find no slot are already at the
 * front of the array, where they stay for the next pass.  (They miss this
 * pass's aging: a waiting block they would have shown freed again is
 * hinted nonetheless, and found reallocated only if it is.)  The CPU
 * cannot add records meanwhile: this runs there with interrupts off, or
 * once it is dead.
 */
static void ph_drain_cpu(struct ph_cpu *pc, int cpu, struct ph_drain *d)
{
	unsigned int fill = pc->fill, first, take, i;

	first = atomic_fetch_add(fill, &d->claimed);
	take = first < d->max ? min(fill, d->max - first) : 0;
	for (i = 0; i < take; i++)
		ph_rec_unpack(pc->rec[fill - take + i], &d->buf[first + i]);
	pc->fill = fill - take;
	if (!pc->fill)
		cpumask_clear_cpu(cpu, &ph_cpus_recorded);
}

/* Runs on each CPU with records, interrupts off: nothing can interleave. */
static void ph_drain_local(void *d)
{
	ph_drain_cpu(this_cpu_ptr(&ph_cpu), smp_processor_id(), d);
}

/*
 * Collect the records of the CPUs that have some into @d.  The CPUs claim
 * consecutive slots, so the first ranges of @d->buf are the records, as
 * many as fit.  Return: their number, and in *@left whether some did not
 * fit.
 */
static unsigned int ph_drain_all(struct ph_drain *d, bool *left)
{
	unsigned int claimed;
	int cpu;

	atomic_set(&d->claimed, 0);
	/* Pairs with the barrier after a CPU's first record sets its bit. */
	smp_mb();
	cpus_read_lock();
	/*
	 * The handlers clear their own bits in the mask while it is in use:
	 * smp_call_function_many_cond() works from a copy, as the TLB
	 * shootdown does with a live mm_cpumask().
	 */
	on_each_cpu_mask(&ph_cpus_recorded, ph_drain_local, d, true);
	/*
	 * With CPU hotplug excluded, an offline CPU is dead and cannot add
	 * records: its array is drained from here, so nothing recorded on a
	 * CPU that went away is lost.
	 */
	for_each_cpu_andnot(cpu, &ph_cpus_recorded, cpu_online_mask)
		ph_drain_cpu(per_cpu_ptr(&ph_cpu, cpu), cpu, d);
	cpus_read_unlock();
	claimed = atomic_read(&d->claimed);
	*left = claimed > d->max;
	return min(claimed, d->max);
}

/*
 * Make ph_drain_buf hold the records the CPUs have now, with room for half
 * as many again recorded until the drain, in whole arrays; after a quiet
 * spell, start again from what is needed now.  Return: false if records
 * wait and there is no buffer at all; a buffer that could not grow drains
 * what fits, and the rest waits in the arrays.
 */
static bool ph_drain_buf_reserve(void)
{
	unsigned int want = 0, most = nr_cpu_ids * PH_CPU_RECORDS;
	struct ph_range *buf;
	int cpu;

	if (ph_drain_buf && time_after(jiffies, ph_last_pass + PH_QUIET)) {
		kvfree(ph_drain_buf);
		ph_drain_buf = NULL;
		ph_drain_buf_max = 0;
	}
	for_each_cpu(cpu, &ph_cpus_recorded)
		want += READ_ONCE(per_cpu(ph_cpu, cpu).fill);
	if (want <= ph_drain_buf_max)
		return true;
	want = min(most, round_up(want + want / 2, PH_CPU_RECORDS));
	buf = kvmalloc_array(want, sizeof(*buf), GFP_KERNEL | __GFP_NOWARN);
	if (buf) {
		kvfree(ph_drain_buf);
		ph_drain_buf = buf;
		ph_drain_buf_max = want;
	}
	return !!ph_drain_buf;
}

struct ph_batch {
	struct page_reporting_dev_info *prdev;
	/* PAGE_REPORTING_CAPACITY entries, filled from the end like upstream */
	struct scatterlist *sgl;
	struct zone *zone;	/* the zone of every block in the batch */
	struct zone *low_zone;	/* a zone found below its watermark */
	unsigned int nents;
	unsigned int max;
	unsigned int order;	/* min_order for this pass */
	unsigned long hinted;	/* pages the device took in this pass */
	u64 report_runtime;	/* CPU time the device's report() took, ns */
};

/*
 * The free buddy block that contains @pfn, if there is one of at least
 * min_order.  Like find_large_buddy(): the first PageBuddy page found at
 * ever coarser alignments below @pfn is the only candidate, as free blocks
 * never overlap.
 */
static struct page *ph_free_block(struct zone *zone, unsigned long pfn,
				  unsigned int min_order, unsigned int *order)
{
	unsigned int o;

	lockdep_assert_held(&zone->lock);

	for (o = min_order; o <= MAX_PAGE_ORDER; o++) {
		unsigned long head_pfn = pfn & ~((1UL << o) - 1);
		struct page *head = pfn_to_online_page(head_pfn);

		if (!head || page_zone(head) != zone)
			return NULL;
		if (!PageBuddy(head))
			continue;
		*order = buddy_order(head);
		if (*order < min_order || head_pfn + (1UL << *order) <= pfn)
			return NULL;
		return head;
	}
	return NULL;
}

/*
 * Take the block at @pfn off the free lists into the batch if it may be
 * hinted.  Returns the first pfn after what was examined.
 */
static unsigned long ph_take_block(struct ph_batch *b, struct zone *zone,
				   unsigned long pfn)
{
	unsigned long next = pfn + (1UL << b->order);
	unsigned int order;
	struct page *head;

	lockdep_assert_held(&zone->lock);

	head = ph_free_block(zone, pfn, b->order, &order);
	if (!head) {
		ph_count(PH_SKIPPED_NOT_FREE, 1);
		return next;
	}
	next = max(next, page_to_pfn(head) + (1UL << order));
	if (PageReported(head)) {
		ph_count(PH_SKIPPED_REPORTED, 1);
		return next;
	}
	if (is_migrate_isolate(get_pageblock_migratetype(head))) {
		ph_count(PH_SKIPPED_NOT_FREE, 1);
		return next;
	}
	/*
	 * Like page reporting, and unlike __isolate_free_page()'s own check
	 * against the min watermark, never take a zone below its low
	 * watermark: the allocator would otherwise reclaim or OOM for memory
	 * that is only out for a moment.
	 */
	if (!zone_watermark_ok(zone, 0, low_wmark_pages(zone) + (1UL << order),
			       0, ALLOC_CMA) ||
	    !__isolate_free_page(head, order)) {
		ph_count(PH_SKIPPED_LOW_MEMORY, 1);
		b->low_zone = zone;
		return next;
	}
	b->nents++;
	sg_set_page(&b->sgl[PAGE_REPORTING_CAPACITY - b->nents], head,
		    PAGE_SIZE << order, 0);
	return next;
}

/* Hand the batch to the device, then put its blocks back, marked. */
static int ph_flush(struct ph_batch *b)
{
	struct scatterlist *sg;
	unsigned long pages = 0;
	unsigned int i;
	u64 start, runtime, ns;
	int err;

	if (!b->nents)
		return 0;
	sg = &b->sgl[PAGE_REPORTING_CAPACITY - b->nents];
	for (i = 0; i < b->nents; i++)
		pages += sg[i].length >> PAGE_SHIFT;

	/* report() sleeps: no lock is held here. */
	start = ktime_get_ns();
	runtime = task_sched_runtime(current);
	err = b->prdev->report(b->prdev, sg, b->nents);
	b->report_runtime += task_sched_runtime(current) - runtime;
	ns = ktime_get_ns() - start;
	trace_page_hinting_handoff(b->nents, pages, ns, err);
	if (err) {
		ph_count(PH_ERRORS, 1);
	} else {
		ph_count(PH_HANDOFFS, 1);
		ph_count(PH_HINTED_PAGES, pages);
		b->hinted += pages;
	}

	spin_lock_irq(&b->zone->lock);
	page_reporting_drain(b->prdev, sg, b->nents, !err);
	spin_unlock_irq(&b->zone->lock);
	b->nents = 0;
	return err;
}

/*
 * Hint the free blocks of the candidate [@pfn, @end).
 *
 * The candidate was recorded a pass or more ago, and its memory may have
 * gone offline since: pfn_to_online_page() tells, but does not keep a
 * section online, nor its memmap in place.  Offlining marks the sections
 * offline before it takes the zone lock, so a check under the zone lock
 * holds while the lock is held; but the first check, which finds the zone
 * to lock, reads the page's flags without it, and offlining poisons the
 * memmap (with CONFIG_DEBUG_VM) and removing memory frees it, neither under
 * the zone lock.  Memory hotplug is held off (get_online_mems(), as
 * kmemleak's scan does) from that first check to the zone lock's release,
 * and not across the device's report(), which may wait for the host: the
 * blocks handed to it are off the free lists, and offlining retries until
 * they are back.
 */
static int ph_report_range(struct ph_batch *b, unsigned long pfn,
			   unsigned long end)
{
	int err;

	while (pfn < end) {
		struct page *page;
		struct zone *zone;
		unsigned int n = 0;

		get_online_mems();
		page = pfn_to_online_page(pfn);
		/*
		 * A record may outlive its memory: the block was offlined
		 * after it was freed.  Its struct pages are not to be read.
		 */
		if (!page) {
			put_online_mems();
			ph_count(PH_SKIPPED_OFFLINE, 1);
			pfn += 1UL << b->order;
			continue;
		}
		zone = page_zone(page);
		if (zone == b->low_zone) {
			put_online_mems();
			pfn += 1UL << b->order;
			continue;
		}
		/*
		 * A batch never mixes zones: its drain takes one zone lock.
		 * Hand over the other zone's batch first, and look again.
		 */
		if (zone != b->zone && b->nents) {
			put_online_mems();
			err = ph_flush(b);
			if (err)
				return err;
			continue;
		}
		b->zone = zone;

		spin_lock_irq(&zone->lock);
		while (pfn < end && n++ < PH_BLOCKS_PER_LOCK &&
		       b->nents < b->max && b->low_zone != zone) {
			page = pfn_to_online_page(pfn);
			if (page && page_zone(page) != zone)
				break;
			if (page) {
				pfn = ph_take_block(b, zone, pfn);
			} else {
				ph_count(PH_SKIPPED_OFFLINE, 1);
				pfn += 1UL << b->order;
			}
		}
		spin_unlock_irq(&zone->lock);
		put_online_mems();

		if (b->nents >= b->max) {
			err = ph_flush(b);
			if (err)
				return err;
		}
		cond_resched();
	}
	return 0;
}

/*
 * Add the @nr aged candidates that a refused pass could not hint to the
 * waiting ones, to be hinted by a later pass if they stay free: the blocks
 * of those candidates that were handed before the refusal are marked
 * reported by now, and are skipped then.  Without memory for that, the
 * free list scan stands in for them.
 */
static void ph_wait_again(const struct ph_range *aged, size_t nr,
			  unsigned int order)
{
	struct ph_range *all;
	size_t n = ph_nr_waiting + nr;

	if (!nr)
		return;
	all = kvmalloc_array(n, sizeof(*all), GFP_KERNEL);
	if (!all) {
		ph_count(PH_ERRORS, 1);
		atomic_set(&ph_scan_passes, PH_SCAN_PASSES);
		return;
	}
	memcpy(all, ph_waiting, ph_nr_waiting * sizeof(*all));
	memcpy(all + ph_nr_waiting, aged, nr * sizeof(*all));
	kvfree(ph_waiting);
	ph_waiting = all;
	ph_nr_waiting = ph_compress(all, n, order);
}

/**
 * page_hinting_report - hand the blocks captured since the last pass over
 * @prdev: the page reporting device
 * @sgl: PAGE_REPORTING_CAPACITY scatterlist entries, initialized
 *
 * Called by the page reporting worker, which serializes the passes.
 *
 * Return: 0, or the device's error.
 */
int page_hinting_report(struct page_reporting_dev_info *prdev,
			struct scatterlist *sgl)
{
	struct ph_batch b = {
		.prdev = prdev,
		.sgl = sgl,
		.max = clamp_t(unsigned int, READ_ONCE(ph_batch), 1,
			       PAGE_REPORTING_CAPACITY),
		/* The device may drop nothing smaller (its unit). */
		.order = max(READ_ONCE(page_hinting_min_order),
			     READ_ONCE(prdev->order)),
	};
	struct ph_range *aged = NULL, *waiting = NULL;
	u64 runtime = task_sched_runtime(current);
	struct ph_drain d;
	size_t n, i, nr_aged;
	bool left;
	int err = 0;

	if (!ph_drain_buf_reserve()) {
		/*
		 * The records stay in their arrays, and ask for the next
		 * pass: their CPUs request none until they are drained.
		 */
		ph_count(PH_ERRORS, 1);
		__page_reporting_notify();
		return -ENOMEM;
	}
	ph_adapt();
	d.buf = ph_drain_buf;
	d.max = ph_drain_buf_max;
	n = ph_drain_all(&d, &left);
	n = ph_compress(ph_drain_buf, n, b.order);
	ph_count(PH_CANDIDATES, n);
	ph_count(PH_PASSES, 1);

	/*
	 * What waited and was not freed again ages into @aged; what was freed
	 * since the last pass waits for the next one.  Without memory for
	 * either, the free list scan stands in for the candidates lost.
	 */
	if (n)
		waiting = kvmalloc_array(n, sizeof(*waiting), GFP_KERNEL);
	if (ph_nr_waiting)
		aged = kvmalloc_array(ph_nr_waiting + n, sizeof(*aged), GFP_KERNEL);
	if ((n && !waiting) || (ph_nr_waiting && !aged)) {
		ph_count(PH_ERRORS, 1);
		atomic_set(&ph_scan_passes, PH_SCAN_PASSES);
		kvfree(waiting);
		waiting = NULL;
		n = 0;
	}
	if (aged)
		nr_aged = ph_subtract(ph_waiting, ph_nr_waiting, ph_drain_buf, n, aged);
	else
		nr_aged = 0;
	if (waiting)
		memcpy(waiting, ph_drain_buf, n * sizeof(*waiting));
	kvfree(ph_waiting);
	ph_waiting = waiting;
	ph_nr_waiting = n;

	for (i = 0; i < nr_aged && !err; i++)
		err = ph_report_range(&b, aged[i].start, aged[i].end);
	if (!err)
		err = ph_flush(&b);
	/*
	 * The device refused a batch, or holds batches back for a while
	 * (its host drops nothing now): what aged waits again, for a pass
	 * that the device takes, and the passes back off meanwhile.
	 */
	if (err) {
		ph_wait_again(aged, nr_aged, b.order);
		WRITE_ONCE(ph_backoff, min_t(unsigned int, ph_backoff + 1,
					     PH_BACKOFF_MAX));
	}
	kvfree(aged);

	/*
	 * The candidates now waiting need a pass of their own, and so do
	 * records that found no room in the drain.
	 */
	if (ph_nr_waiting || left)
		__page_reporting_notify();

	ph_last_hinted = b.hinted;
	ph_count_pass_time(task_sched_runtime(current) - runtime - b.report_runtime);
	ph_last_pass = jiffies;
	trace_page_hinting_pass(n, nr_aged, ph_last_hinted,
				ph_effective_delay_ms(), err);
	WRITE_ONCE(ph_reuse_until, ph_last_pass + PH_REUSE_WINDOW);
	return err;
}

static int ph_set_enabled(bool on)
{
	if (on && !ph_supported())
		return -EOPNOTSUPP;
	mutex_lock(&ph_knob_lock);
	ph_enabled = on;
	if (ph_initialized) {
		if (on && !static_key_enabled(&page_hinting_key)) {
			/* Free memory from before now was never captured. */
			atomic_set(&ph_scan_passes, PH_SCAN_PASSES);
			static_branch_enable(&page_hinting_key);
			__page_reporting_notify();
		} else if (!on) {
			static_branch_disable(&page_hinting_key);
		}
	}
	mutex_unlock(&ph_knob_lock);
	return 0;
}

/*
 * Boot parameters (page_hinting.enabled=1, ...): stored here, applied at
 * late_initcall time, read-only in /sys/module.  /sys/kernel/mm/page_hinting/
 * is the run-time interface.
 */
static int ph_param_set_order(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, MAX_PAGE_ORDER);
}

static int ph_param_set_batch(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, PAGE_REPORTING_CAPACITY);
}

static int ph_param_set_delay(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, PH_DELAY_MS_MAX);
}

static const struct kernel_param_ops ph_order_ops = {
	.set = ph_param_set_order,
	.get = param_get_uint,
};

static const struct kernel_param_ops ph_batch_ops = {
	.set = ph_param_set_batch,
	.get = param_get_uint,
};

static const struct kernel_param_ops ph_delay_ops = {
	.set = ph_param_set_delay,
	.get = param_get_uint,
};

module_param_named(enabled, ph_enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "Hint freed blocks to the host");
module_param_cb(min_order, &ph_order_ops, &page_hinting_min_order, 0444);
MODULE_PARM_DESC(min_order, "Smallest order hinted (default pageblock_order)");
module_param_cb(batch, &ph_batch_ops, &ph_batch, 0444);
MODULE_PARM_DESC(batch, "Blocks per hand-off (1-32)");
module_param_cb(delay_ms, &ph_delay_ops, &ph_delay_ms, 0444);
MODULE_PARM_DESC(delay_ms, "Delay from a free to its hint, in ms (1-60000)");

#ifdef CONFIG_SYSFS
static ssize_t ph_store_uint(const char *buf, size_t count, unsigned int *knob,
			     unsigned int min, unsigned int max)
{
	unsigned int v;

	if (kstrtouint(buf, 0, &v) || v < min || v > max)
		return -EINVAL;
	mutex_lock(&ph_knob_lock);
	WRITE_ONCE(*knob, v);
	mutex_unlock(&ph_knob_lock);
	/* A pass queued with the old delay must not wait it out. */
	if (knob == &ph_delay_ms)
		page_reporting_delay_changed();
	return count;
}

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(ph_enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool on;
	int err;

	if (kstrtobool(buf, &on))
		return -EINVAL;
	err = ph_set_enabled(on);
	return err ? err : count;
}

static struct kobj_attribute enabled_attr = __ATTR_RW(enabled);

#define PH_UINT_KNOB(_name, _var, _min, _max)				\
static unsigned int *const _name##_knob = &(_var);			\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%u\n", READ_ONCE(*_name##_knob));	\
}									\
static ssize_t _name##_store(struct kobject *kobj,			\
			     struct kobj_attribute *attr,		\
			     const char *buf, size_t count)		\
{									\
	return ph_store_uint(buf, count, _name##_knob, _min, _max);	\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RW(_name)

PH_UINT_KNOB(min_order, page_hinting_min_order, 0, MAX_PAGE_ORDER);
PH_UINT_KNOB(batch, ph_batch, 1, PAGE_REPORTING_CAPACITY);
PH_UINT_KNOB(delay_ms, ph_delay_ms, 1, PH_DELAY_MS_MAX);

#define PH_STAT(_name, _item, _mult)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lu\n", ph_stat_sum(_item) * (_mult));	\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

PH_STAT(captured, PH_CAPTURED, 1);
PH_STAT(dropped_full, PH_DROPPED_FULL, 1);
PH_STAT(candidates, PH_CANDIDATES, 1);
PH_STAT(hinted_pages, PH_HINTED_PAGES, 1);
PH_STAT(hinted_bytes, PH_HINTED_PAGES, PAGE_SIZE);
PH_STAT(handoffs, PH_HANDOFFS, 1);
PH_STAT(skipped_not_free, PH_SKIPPED_NOT_FREE, 1);
PH_STAT(skipped_reported, PH_SKIPPED_REPORTED, 1);
PH_STAT(skipped_low_memory, PH_SKIPPED_LOW_MEMORY, 1);
PH_STAT(skipped_offline, PH_SKIPPED_OFFLINE, 1);
PH_STAT(errors, PH_ERRORS, 1);
PH_STAT(passes, PH_PASSES, 1);
PH_STAT(reused_pages, PH_REUSED, 1);
PH_STAT(pass_us, PH_PASS_US, 1);

static ssize_t effective_delay_ms_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", ph_effective_delay_ms());
}

static struct kobj_attribute effective_delay_ms_attr =
	__ATTR_RO(effective_delay_ms);

/* How full each CPU's array is now: "cpu:fill" pairs. */
static ssize_t fill_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	int cpu, len = 0;

	for_each_possible_cpu(cpu)
		len += sysfs_emit_at(buf, len, "%s%d:%u", len ? " " : "", cpu,
				     READ_ONCE(per_cpu(ph_cpu, cpu).fill));
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

static struct kobj_attribute fill_attr = __ATTR_RO(fill);

static struct attribute *ph_attrs[] = {
	&enabled_attr.attr,
	&min_order_attr.attr,
	&batch_attr.attr,
	&delay_ms_attr.attr,
	&captured_attr.attr,
	&dropped_full_attr.attr,
	&candidates_attr.attr,
	&hinted_pages_attr.attr,
	&hinted_bytes_attr.attr,
	&handoffs_attr.attr,
	&skipped_not_free_attr.attr,
	&skipped_reported_attr.attr,
	&skipped_low_memory_attr.attr,
	&skipped_offline_attr.attr,
	&errors_attr.attr,
	&passes_attr.attr,
	&reused_pages_attr.attr,
	&pass_us_attr.attr,
	&effective_delay_ms_attr.attr,
	&fill_attr.attr,
	NULL,
};

static const struct attribute_group ph_attr_group = {
	.attrs = ph_attrs,
};

static int __init ph_sysfs_init(void)
{
	struct kobject *kobj;
	int err;

	kobj = kobject_create_and_add("page_hinting", mm_kobj);
	if (!kobj)
		return -ENOMEM;
	err = sysfs_create_group(kobj, &ph_attr_group);
	if (err)
		kobject_put(kobj);
	return err;
}
#else
static inline int ph_sysfs_init(void)
{
	return 0;
}
#endif /* CONFIG_SYSFS */

static int __init page_hinting_init(void)
{
	bool on;

	mutex_lock(&ph_knob_lock);
	ph_initialized = true;
	on = ph_enabled;
	ph_enabled = false;
	mutex_unlock(&ph_knob_lock);
	if (on && ph_set_enabled(true))
		pr_info("page_hinting: not supported here (page poisoning or a confidential guest)\n");
	return ph_sysfs_init();
}
late_initcall(page_hinting_init);

#ifdef CONFIG_PAGE_HINTING_KUNIT_TEST
#include "page_hinting_kunit.c"
#endif
