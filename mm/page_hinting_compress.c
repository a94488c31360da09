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
 * Aging.  A block is hinted only once it has stayed free for a whole pass
 * interval: the candidates of one pass wait for the next, which hints those
 * that were not freed again meanwhile (ph_subtract()) and are still free.
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

/**
 * ph_subtract() - the parts of some candidates that others do not cover
 * @a: @na sorted, disjoint ranges, as ph_compress() returns them
 * @na: the number of ranges in @a (0 is fine)
 * @b: @nb sorted, disjoint ranges, as ph_compress() returns them
 * @nb: the number of ranges in @b (0 is fine)
 * @out: room for @na + @nb ranges, overlapping neither @a nor @b
 *
 * Writes to @out, in ascending order, the maximal runs of page frames that
 * lie in a range of @a and in no range of @b.  Each range of @b splits at
 * most one range of @a in two, hence the room needed.
 *
 * Runs in O(@na + @nb) time; it neither sleeps nor allocates.
 *
 * Return: the number of ranges written, at most @na + @nb.
 */
size_t ph_subtract(const struct ph_range *a, size_t na,
		   const struct ph_range *b, size_t nb, struct ph_range *out)
{
	size_t i, j = 0, k, m = 0;

	for (i = 0; i < na; i++) {
		unsigned long start = a[i].start, end = a[i].end;

		/* The ranges of @b before this one cannot cut the next ones. */
		while (j < nb && b[j].end <= start)
			j++;
		/*
		 * A range of @b that reaches past @end may still cut the next
		 * range of @a, so the walk over the overlapping ones uses @k.
		 */
		for (k = j; k < nb && b[k].start < end && start < end; k++) {
			if (b[k].start > start) {
				out[m].start = start;
				out[m].end = b[k].start;
				m++;
			}
			if (b[k].end > start)
				start = b[k].end < end ? b[k].end : end;
		}
		if (start < end) {
			out[m].start = start;
			out[m].end = end;
			m++;
		}
	}
	return m;
}
