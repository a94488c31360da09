// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's sort() for userspace builds of page_hinting_compress.c: same
 * contract (an unstable in-place sort by cmp_func), implemented by qsort().
 */
#include <stdlib.h>

#include "page_hinting_compress.h"

void sort(void *base, size_t num, size_t size, cmp_func_t cmp_func,
	  swap_func_t swap_func)
{
	(void)swap_func;
	qsort(base, num, size, cmp_func);
}
