/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Free page hinting: compression of captured free ranges into hint
 * candidates.
 *
 * This header and page_hinting_compress.c depend on nothing but basic types
 * and sort(), so that the very same source is compiled into the kernel and
 * into the userspace unit, fuzz and benchmark programs of
 * tools/testing/page_hinting/, which supply sort() themselves.
 */
#ifndef _MM_PAGE_HINTING_COMPRESS_H
#define _MM_PAGE_HINTING_COMPRESS_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/sort.h>
#else
#include <stdbool.h>
#include <stddef.h>
typedef int (*cmp_func_t)(const void *a, const void *b);
typedef void (*swap_func_t)(void *a, void *b, int size);
void sort(void *base, size_t num, size_t size, cmp_func_t cmp_func,
	  swap_func_t swap_func);
/* As <linux/array_size.h> has it, for the programs' tables. */
#define ARRAY_SIZE(arr)	(sizeof(arr) / sizeof((arr)[0]))
#endif

/* A range of page frames: [start, end). */
struct ph_range {
	unsigned long start;
	unsigned long end;
};

/*
 * The free path records a freed block as one word, so that recording is a
 * single store: the pfn shifted up, the order in the low bits.  pfns are
 * at most 52 bits wide (x86-64 five-level paging), so nothing is lost.
 */
#define PH_REC_ORDER_BITS	6
#define PH_REC_ORDER_MASK	((1UL << PH_REC_ORDER_BITS) - 1)

static inline unsigned long ph_rec_pack(unsigned long pfn, unsigned int order)
{
	return (pfn << PH_REC_ORDER_BITS) | (order & PH_REC_ORDER_MASK);
}

static inline void ph_rec_unpack(unsigned long rec, struct ph_range *r)
{
	unsigned long pfn = rec >> PH_REC_ORDER_BITS;
	unsigned int order = rec & PH_REC_ORDER_MASK;

	r->start = pfn;
	/* An order too large to be real yields an empty range: dropped. */
	r->end = order < 8 * sizeof(unsigned long) &&
		 pfn + (1UL << order) > pfn ? pfn + (1UL << order) : pfn;
}

size_t ph_compress(struct ph_range *r, size_t n, unsigned int order);
size_t ph_subtract(const struct ph_range *a, size_t na,
		   const struct ph_range *b, size_t nb, struct ph_range *out);

#endif /* _MM_PAGE_HINTING_COMPRESS_H */
