// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of free page hinting's in-kernel parts: the per-CPU record
 * arrays (fill, overflow, drain), the validation and hand-off of free
 * blocks against the real buddy allocator, their aging across passes, and
 * what a device's refusal does to them.
 *
 * Included at the end of page_hinting.c, so that the tests reach its static
 * functions; built with CONFIG_PAGE_HINTING_KUNIT_TEST.  Run at boot with
 * kunit.enable=1 (tools/check/test_kunit.sh).
 */
#include <kunit/test.h>

static void ph_test_kvfree(void *p)
{
	kvfree(p);
}

/* Drain at most @max records into *@out; returns how many were drained. */
static unsigned int ph_test_drain_max(struct kunit *test, struct ph_range **out,
				      unsigned int max, bool *left)
{
	struct ph_drain d = { .max = max };

	/* Room for every array full is 16 KiB a CPU: too much for kmalloc. */
	d.buf = kvcalloc(max ?: 1, sizeof(*d.buf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d.buf);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ph_test_kvfree, d.buf), 0);
	*out = d.buf;
	return ph_drain_all(&d, left);
}

/* Drain every CPU's records; returns their number. */
static unsigned int ph_test_drain(struct kunit *test, struct ph_range **out)
{
	bool left;

	return ph_test_drain_max(test, out, nr_cpu_ids * PH_CPU_RECORDS, &left);
}

/*
 * PG_reported is PG_uptodate's alias and is cleared at allocation only
 * while page reporting's static key is on; do not leave it on a free
 * block.  A block allocated meanwhile lost its mark in the allocator.
 */
static void ph_test_unmark(struct page *page)
{
	spin_lock_irq(&page_zone(page)->lock);
	if (PageBuddy(page) && PageReported(page))
		__clear_bit(PG_reported, &page->flags);
	spin_unlock_irq(&page_zone(page)->lock);
}

/*
 * The blocks the test devices were handed.  A test can end early, at a
 * skip or a failed assertion, with some of them back on the free lists and
 * marked PG_reported: ph_test_cleanup() unmarks them at the end of every
 * test, on every path.  The tests run one at a time.
 */
static struct page *ph_test_handed[2 * PAGE_REPORTING_CAPACITY];
static unsigned int ph_test_nr_handed;

static void ph_test_note_handed(struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(sgl, sg, nents, i)
		if (!WARN_ON_ONCE(ph_test_nr_handed >= ARRAY_SIZE(ph_test_handed)))
			ph_test_handed[ph_test_nr_handed++] = sg_page(sg);
}

/*
 * Undo what a test may leave behind, however it ended: marks on the blocks
 * it handed, the back-off it raised, candidates still waiting.
 */
static void ph_test_cleanup(void *unused)
{
	while (ph_test_nr_handed)
		ph_test_unmark(ph_test_handed[--ph_test_nr_handed]);
	WRITE_ONCE(ph_backoff, 0);
	kvfree(ph_waiting);
	ph_waiting = NULL;
	ph_nr_waiting = 0;
}

static int ph_test_init(struct kunit *test)
{
	struct ph_range *buf;

	/* The tests record by hand: capture must be off, arrays empty. */
	if (page_hinting_active())
		kunit_skip(test, "hinting is enabled: real records would mix in");
	/*
	 * A handed block that someone allocates before the test unmarks it
	 * must lose its mark, as it does once a reporting device registers:
	 * turn the allocator's clearing on, and leave it on, as
	 * page_reporting_register() does.  A kernel that runs its KUnit
	 * suites at boot keeps it on; it costs a flag test per allocation.
	 */
	static_branch_enable(&page_reporting_enabled);
	ph_test_nr_handed = 0;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ph_test_cleanup, NULL), 0);
	ph_test_drain(test, &buf);
	return 0;
}

static void ph_test_fill_drain(struct kunit *test)
{
	struct ph_range *buf;
	unsigned long base = 0x100000;
	size_t n, i;
	int cpu;

	for (i = 0; i < 10; i++)
		__page_hinting_record(base + i * 1024, 9 + (i & 1));
	n = ph_test_drain(test, &buf);
	KUNIT_ASSERT_EQ(test, n, 10);
	/* One CPU or several: each record comes back once, whole. */
	for (i = 0; i < 10; i++) {
		size_t j;
		bool found = false;

		for (j = 0; j < n; j++)
			found |= buf[j].start == base + i * 1024 &&
				 buf[j].end == buf[j].start + (1UL << (9 + (i & 1)));
		KUNIT_EXPECT_TRUE_MSG(test, found, "record %zu lost", i);
	}
	for_each_possible_cpu(cpu)
		KUNIT_EXPECT_EQ(test, per_cpu(ph_cpu, cpu).fill, 0);
	KUNIT_EXPECT_TRUE(test, cpumask_empty(&ph_cpus_recorded));
	KUNIT_EXPECT_EQ(test, ph_test_drain(test, &buf), 0);
}

/*
 * Records on one CPU set its bit and only its bit, and a drain with fewer
 * slots than records leaves the rest, the oldest, on the CPU for the next
 * one, with its bit.
 */
static void ph_test_drain_partial(struct kunit *test)
{
	unsigned long base = 0x300000;
	struct ph_range *buf;
	unsigned int i, n;
	bool left;
	int cpu;

	preempt_disable();
	cpu = smp_processor_id();
	for (i = 0; i < 10; i++)
		__page_hinting_record(base + i * 512, 9);
	preempt_enable();
	KUNIT_EXPECT_EQ(test, cpumask_weight(&ph_cpus_recorded), 1);
	KUNIT_EXPECT_TRUE(test, cpumask_test_cpu(cpu, &ph_cpus_recorded));

	n = ph_test_drain_max(test, &buf, 4, &left);
	KUNIT_EXPECT_EQ(test, n, 4);
	KUNIT_EXPECT_TRUE(test, left);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, buf[i].start, base + (6 + i) * 512);
	KUNIT_EXPECT_EQ(test, per_cpu(ph_cpu, cpu).fill, 6);
	KUNIT_EXPECT_TRUE(test, cpumask_test_cpu(cpu, &ph_cpus_recorded));

	n = ph_test_drain_max(test, &buf, 6, &left);
	KUNIT_EXPECT_EQ(test, n, 6);
	KUNIT_EXPECT_FALSE(test, left);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, buf[i].start, base + i * 512);
	KUNIT_EXPECT_EQ(test, per_cpu(ph_cpu, cpu).fill, 0);
	KUNIT_EXPECT_TRUE(test, cpumask_empty(&ph_cpus_recorded));
}

struct ph_test_records {
	unsigned long base;
	unsigned int n;
};

/* Runs on the CPU it records on, interrupts off, as the free path does. */
static void ph_test_record_here(void *info)
{
	struct ph_test_records *r = info;
	unsigned int i;

	for (i = 0; i < r->n; i++)
		__page_hinting_record(r->base + i * 512, 9);
}

/*
 * Two CPUs compete for fewer slots than they hold records: the slots are
 * filled without a gap, every record is drained exactly once over two
 * drains, and a CPU keeps its bit exactly while it keeps records.
 */
static void ph_test_drain_two_cpus(struct kunit *test)
{
	struct ph_test_records r[2] = { { 0x400000, 6 }, { 0x500000, 10 } };
	unsigned int seen[16] = {}, i, j, n, total = 0;
	struct ph_range *buf;
	int cpus[2], k;
	bool left;

	cpus_read_lock();
	if (num_online_cpus() < 2) {
		cpus_read_unlock();
		kunit_skip(test, "needs two online CPUs");
	}
	cpus[0] = cpumask_first(cpu_online_mask);
	cpus[1] = cpumask_next(cpus[0], cpu_online_mask);
	for (k = 0; k < 2; k++)
		KUNIT_EXPECT_EQ(test, smp_call_function_single(cpus[k], ph_test_record_here,
							       &r[k], 1), 0);
	cpus_read_unlock();
	KUNIT_EXPECT_EQ(test, cpumask_weight(&ph_cpus_recorded), 2);

	for (j = 0; j < 2; j++) {
		n = ph_test_drain_max(test, &buf, j ? 16 : 12, &left);
		KUNIT_EXPECT_EQ(test, n, j ? 4 : 12);
		KUNIT_EXPECT_EQ(test, left, !j);
		for (i = 0; i < n; i++) {
			for (k = 0; k < 2; k++) {
				unsigned long off = buf[i].start - r[k].base;

				if (buf[i].start >= r[k].base && off / 512 < r[k].n &&
				    !(off % 512))
					seen[k * 6 + off / 512]++;
			}
		}
		for (k = 0; k < 2; k++)
			KUNIT_EXPECT_EQ(test, cpumask_test_cpu(cpus[k], &ph_cpus_recorded),
					per_cpu(ph_cpu, cpus[k]).fill > 0);
	}
	for (i = 0; i < 16; i++) {
		KUNIT_EXPECT_EQ_MSG(test, seen[i], 1, "record %u", i);
		total += seen[i];
	}
	KUNIT_EXPECT_EQ(test, total, 16);
	KUNIT_EXPECT_TRUE(test, cpumask_empty(&ph_cpus_recorded));
}

static void ph_test_overflow(struct kunit *test)
{
	unsigned long dropped = ph_stat_sum(PH_DROPPED_FULL);
	struct ph_range *buf;
	unsigned int i;

	atomic_set(&ph_scan_passes, 0);
	/* On one CPU: preemption off, so that one array overflows. */
	preempt_disable();
	for (i = 0; i < PH_CPU_RECORDS + 5; i++)
		__page_hinting_record(0x200000 + i * 512, 9);
	preempt_enable();
	KUNIT_EXPECT_EQ(test, ph_stat_sum(PH_DROPPED_FULL) - dropped, 5);
	KUNIT_EXPECT_EQ(test, atomic_read(&ph_scan_passes), PH_SCAN_PASSES);
	KUNIT_EXPECT_EQ(test, ph_test_drain(test, &buf), PH_CPU_RECORDS);
	atomic_set(&ph_scan_passes, 0);
}

struct ph_test_dev {
	struct page_reporting_dev_info prdev;
	unsigned int calls;
	unsigned int nents;
	struct page *page;
	unsigned int length;
};

static int ph_test_report(struct page_reporting_dev_info *prdev,
			  struct scatterlist *sg, unsigned int nents)
{
	struct ph_test_dev *dev = container_of(prdev, struct ph_test_dev, prdev);

	ph_test_note_handed(sg, nents);
	dev->calls++;
	dev->nents = nents;
	dev->page = sg_page(sg);
	dev->length = sg->length;
	/* What the host sees must be off the free lists now. */
	WARN_ON_ONCE(PageBuddy(sg_page(sg)));
	return 0;
}

/* A scatterlist for PAGE_REPORTING_CAPACITY blocks, freed with the test. */
static struct scatterlist *ph_test_sgl(struct kunit *test)
{
	struct scatterlist *sgl;

	sgl = kunit_kcalloc(test, PAGE_REPORTING_CAPACITY, sizeof(*sgl), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sgl);
	sg_init_table(sgl, PAGE_REPORTING_CAPACITY);
	return sgl;
}

/*
 * A free MAX_PAGE_ORDER block (too large for the per-CPU page lists, so it
 * goes straight to the buddy free lists) is found from any of its
 * min_order blocks, handed over once, put back and marked reported, and
 * skipped the next time.  An allocated block is never handed over.
 */
static void ph_test_free_block(struct kunit *test)
{
	const unsigned int order = MAX_PAGE_ORDER, min_order = pageblock_order;
	struct ph_test_dev dev = { .prdev.report = ph_test_report };
	struct scatterlist *sgl;
	struct ph_batch b;
	unsigned long pfn, reported;
	unsigned int found_order;
	struct zone *zone;
	struct page *page;

	sgl = ph_test_sgl(test);

	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
	if (!page)
		kunit_skip(test, "no free order-%u block", order);
	pfn = page_to_pfn(page);
	zone = page_zone(page);

	spin_lock_irq(&zone->lock);
	KUNIT_EXPECT_NULL(test, ph_free_block(zone, pfn, min_order, &found_order));
	spin_unlock_irq(&zone->lock);

	__free_pages(page, order);
	spin_lock_irq(&zone->lock);
	KUNIT_EXPECT_PTR_EQ(test, ph_free_block(zone, pfn + (1UL << min_order),
						min_order, &found_order), page);
	KUNIT_EXPECT_EQ(test, found_order, order);
	spin_unlock_irq(&zone->lock);

	b = (struct ph_batch) {
		.prdev = &dev.prdev, .sgl = sgl, .max = PAGE_REPORTING_CAPACITY,
		.order = min_order,
	};
	KUNIT_EXPECT_EQ(test, ph_report_range(&b, pfn, pfn + (1UL << order)), 0);
	KUNIT_EXPECT_EQ(test, ph_flush(&b), 0);
	if (dev.calls != 1 || dev.page != page) {
		/* Someone allocated the block meanwhile: nothing to check. */
		kunit_skip(test, "the block was reallocated during the test");
	}
	KUNIT_EXPECT_EQ(test, dev.nents, 1);
	KUNIT_EXPECT_EQ(test, dev.length, PAGE_SIZE << order);

	spin_lock_irq(&zone->lock);
	KUNIT_EXPECT_TRUE(test, PageBuddy(page));
	KUNIT_EXPECT_TRUE(test, PageReported(page));
	spin_unlock_irq(&zone->lock);

	/* Reported and not reallocated: not handed over again. */
	reported = ph_stat_sum(PH_SKIPPED_REPORTED);
	KUNIT_EXPECT_EQ(test, ph_report_range(&b, pfn, pfn + (1UL << order)), 0);
	KUNIT_EXPECT_EQ(test, ph_flush(&b), 0);
	KUNIT_EXPECT_EQ(test, dev.calls, 1);
	KUNIT_EXPECT_GE(test, ph_stat_sum(PH_SKIPPED_REPORTED) - reported, 1);
}

/* Free a block of @order, recorded as hinting's capture would record it. */
static struct page *ph_test_free_recorded(struct kunit *test, unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);

	if (!page)
		kunit_skip(test, "no free order-%u block", order);
	__free_pages(page, order);
	__page_hinting_record(page_to_pfn(page), order);
	return page;
}

/*
 * A captured block is hinted by the pass after the one that collected it,
 * and only if it was not freed again in between: a block that lives for
 * less than a pass interval between a free and an allocation is never
 * hinted.
 */
static void ph_test_aging(struct kunit *test)
{
	const unsigned int order = MAX_PAGE_ORDER;
	struct ph_test_dev dev = { .prdev.report = ph_test_report };
	struct scatterlist *sgl;
	struct page *page;
	unsigned long pfn;

	sgl = ph_test_sgl(test);

	/* A pass with nothing captured empties the waiting list. */
	KUNIT_ASSERT_EQ(test, page_hinting_report(&dev.prdev, sgl), 0);
	KUNIT_ASSERT_EQ(test, ph_nr_waiting, 0);
	dev.calls = 0;

	page = ph_test_free_recorded(test, order);
	pfn = page_to_pfn(page);

	/* Collected by this pass: too young to be hinted. */
	KUNIT_EXPECT_EQ(test, page_hinting_report(&dev.prdev, sgl), 0);
	KUNIT_EXPECT_EQ(test, dev.calls, 0);
	KUNIT_EXPECT_EQ(test, ph_nr_waiting, 1);

	/* Freed again before the next pass: still too young. */
	__page_hinting_record(pfn, order);
	KUNIT_EXPECT_EQ(test, page_hinting_report(&dev.prdev, sgl), 0);
	KUNIT_EXPECT_EQ(test, dev.calls, 0);

	/* Free for a whole pass interval: hinted. */
	KUNIT_EXPECT_EQ(test, page_hinting_report(&dev.prdev, sgl), 0);
	KUNIT_EXPECT_EQ(test, ph_nr_waiting, 0);
	if (dev.calls != 1 || dev.page != page)
		kunit_skip(test, "the block was reallocated during the test");
	KUNIT_EXPECT_EQ(test, dev.length, PAGE_SIZE << order);
}

/* A device that refuses every batch, as the hypercall sink does at times. */
static int ph_test_refuse(struct page_reporting_dev_info *prdev,
			  struct scatterlist *sg, unsigned int nents)
{
	struct ph_test_dev *dev = container_of(prdev, struct ph_test_dev, prdev);

	ph_test_note_handed(sg, nents);
	dev->calls++;
	dev->page = sg_page(sg);
	return -EAGAIN;
}

/*
 * A block that the device refused is hinted by a later pass that the
 * device takes: it waits again, unreported, and the passes back off.
 */
static void ph_test_refused(struct kunit *test)
{
	const unsigned int order = MAX_PAGE_ORDER;
	struct ph_test_dev dev = { .prdev.report = ph_test_refuse };
	struct scatterlist *sgl;
	struct page *page;

	sgl = ph_test_sgl(test);
	KUNIT_ASSERT_EQ(test, page_hinting_report(&dev.prdev, sgl), 0);
	KUNIT_ASSERT_EQ(test, ph_nr_waiting, 0);

	page = ph_test_free_recorded(test, order);
	KUNIT_EXPECT_EQ(test, page_hinting_report(&dev.prdev, sgl), 0);
	KUNIT_EXPECT_EQ(test, ph_nr_waiting, 1);

	/* Aged, handed, refused: it waits again, and the delay doubles. */
	WRITE_ONCE(ph_backoff, 0);
	KUNIT_EXPECT_EQ(test, page_hinting_report(&dev.prdev, sgl), -EAGAIN);
	if (dev.calls != 1 || dev.page != page)
		kunit_skip(test, "the block was reallocated during the test");
	KUNIT_EXPECT_EQ(test, ph_backoff, 1);
	KUNIT_EXPECT_FALSE(test, PageReported(page));
	/* A failure, not a skip below, if the refused block was dropped. */
	KUNIT_ASSERT_EQ(test, ph_nr_waiting, 1);

	/* The device takes the next pass's batch: the block is hinted. */
	dev.prdev.report = ph_test_report;
	dev.calls = 0;
	KUNIT_EXPECT_EQ(test, page_hinting_report(&dev.prdev, sgl), 0);
	KUNIT_EXPECT_EQ(test, ph_nr_waiting, 0);
	if (dev.calls != 1 || dev.page != page)
		kunit_skip(test, "the block was reallocated during the test");
	KUNIT_EXPECT_EQ(test, dev.length, PAGE_SIZE << order);
}

static struct kunit_case ph_test_cases[] = {
	KUNIT_CASE(ph_test_fill_drain),
	KUNIT_CASE(ph_test_drain_partial),
	KUNIT_CASE(ph_test_drain_two_cpus),
	KUNIT_CASE(ph_test_overflow),
	KUNIT_CASE(ph_test_free_block),
	KUNIT_CASE(ph_test_aging),
	KUNIT_CASE(ph_test_refused),
	{}
};

static struct kunit_suite ph_test_suite = {
	.name = "page_hinting",
	.init = ph_test_init,
	.test_cases = ph_test_cases,
};

kunit_test_suite(ph_test_suite);
