/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Free page hinting: the hooks the page allocator and the page reporting
 * core call.  See mm/page_hinting.c.
 */
#ifndef _MM_PAGE_HINTING_H
#define _MM_PAGE_HINTING_H

#include <linux/jump_label.h>
#include <linux/page-flags.h>
#include <linux/scatterlist.h>

struct page_reporting_dev_info;

#ifdef CONFIG_PAGE_HINTING
DECLARE_STATIC_KEY_FALSE(page_hinting_key);
extern unsigned int page_hinting_min_order;

void __page_hinting_record(unsigned long pfn, unsigned int order);

/**
 * page_hinting_notify_merge - a block became free in the buddy allocator
 * @pfn: first page frame of the block
 * @order: its order, after merging with its free buddies
 *
 * Called from __free_one_page() with the zone lock held, where every block
 * that can ever be hinted passes at the moment it becomes a free buddy.
 */
static inline void page_hinting_notify_merge(unsigned long pfn,
					     unsigned int order)
{
	if (!static_branch_unlikely(&page_hinting_key))
		return;
	if (order < READ_ONCE(page_hinting_min_order))
		return;
	__page_hinting_record(pfn, order);
}

void __page_hinting_reused(unsigned int order);

/**
 * page_hinting_notify_alloc - a free block is being allocated
 * @page: the block's first page, still on a free list and still marked
 * @order: its order
 *
 * Called from page_del_and_expand() with the zone lock held, before the
 * allocator clears the block's PG_reported mark: hinting's back-off counts
 * the hinted blocks that are allocated again soon after their hint.
 */
static inline void page_hinting_notify_alloc(struct page *page,
					     unsigned int order)
{
	if (static_branch_unlikely(&page_hinting_key) && PageReported(page))
		__page_hinting_reused(order);
}

bool page_hinting_active(void);
unsigned long page_hinting_delay(void);
bool page_hinting_scan_due(void);
int page_hinting_report(struct page_reporting_dev_info *prdev,
			struct scatterlist *sgl);
#else
static inline void page_hinting_notify_alloc(struct page *page,
					     unsigned int order)
{
}

static inline void page_hinting_notify_merge(unsigned long pfn,
					     unsigned int order)
{
}

static inline bool page_hinting_active(void)
{
	return false;
}

static inline unsigned long page_hinting_delay(void)
{
	return 0;
}

static inline bool page_hinting_scan_due(void)
{
	return true;
}

static inline int page_hinting_report(struct page_reporting_dev_info *prdev,
				      struct scatterlist *sgl)
{
	return 0;
}
#endif /* CONFIG_PAGE_HINTING */

#endif /* _MM_PAGE_HINTING_H */
