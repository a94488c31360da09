// SPDX-License-Identifier: GPL-2.0
/*
 * Free page hinting: compression of captured free ranges.
 *
 * The capture side records every freed block, so the worker sees the same
 * memory many times over: a block freed, reallocated and freed again, the
 * pages of one huge block freed one by one, blocks that merged in the buddy
 * allocator after being recorded separately.  Hinting all of that would cost
 * one validation per record.  Instead every record is widened to the
 * min_order-aligned blocks it touches (only whole blocks of at least
 * min_order are ever hinted, and a block that merged has grown to cover its
 * pieces), and the result is sorted and merged, so that each candidate block
 * is validated once however often it was freed.
 *
 * See page_hinting_compress.h for why this file depends on nothing but basic
 * types and sort().
 */
#include "page_hinting_compress.h"

static int ph_range_cmp(const void *a, const void *b)
{
	const struct ph_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/**
 * ph_compress() - turn captured ranges into sorted, disjoint candidates
 * @r: @n ranges in any order; they may repeat, overlap or touch
 * @n: the number of ranges (0 is fine)
 * @order: the alignment order, min_order
 *
 * Each range is widened to the 2^@order-aligned blocks it touches; then the
 * ranges are sorted and merged, overlapping and adjacent ones becoming one.
 * Empty ranges (start >= end) and ranges that cannot be widened without
 * overflowing are dropped.  The candidates are written to the front of @r,
 * in ascending order, separated by at least one block that is not a
 * candidate; each starts and ends on a 2^@order boundary.
 *
 * Runs in O(n log n) time and O(1) extra space; it neither sleeps nor
 * allocates.
 *
 * Return: the number of candidates, at most @n.
 */
size_t ph_compress(struct ph_range *r, size_t n, unsigned int order)
{
	unsigned long mask;
	size_t i, kept = 0;

	if (order >= 8 * sizeof(unsigned long))
		return 0;
	mask = (1UL << order) - 1;

	/* Widen to whole blocks, dropping what cannot be a candidate. */
	for (i = 0; i < n; i++) {
		unsigned long start = r[i].start & ~mask;
		unsigned long end = r[i].end;

		if (r[i].start >= end || end > ~0UL - mask)
			continue;
		r[kept].start = start;
		r[kept].end = (end + mask) & ~mask;
		kept++;
	}
	if (!kept)
		return 0;

	sort(r, kept, sizeof(*r), ph_range_cmp, NULL);

	/* Merge: r[n - 1] is the candidate being grown. */
	n = 1;
	for (i = 1; i < kept; i++) {
		struct ph_range *cur = &r[n - 1];

		if (r[i].start <= cur->end) {
			if (r[i].end > cur->end)
				cur->end = r[i].end;
		} else {
			r[n++] = r[i];
		}
	}
	return n;
}
