// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmark of ph_compress(): nanoseconds per captured record, and how
 * many candidates the records collapse into, for record patterns the free
 * path produces.  The baseline, measured in the same run on the same
 * records, is sorting them alone: compression should cost little more than
 * its sort.  Median of 7 repetitions, each at least 20 ms long.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "page_hinting_compress.h"

#define REPS 7
#define GUEST_PFNS (2UL << 18)	/* a 2 GiB guest */

static uint64_t rng = 88172645463325252ULL;

static unsigned long rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_start(const void *a, const void *b)
{
	const struct ph_range *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

enum pattern { SCATTERED, CHURN, STREAM, NPATTERNS };
static const char *const pattern_name[] = {
	"scattered order-0 pages over 2 GiB",
	"churn: 64 hot pages freed again and again",
	"stream: an unmapped region, page by page",
};

static void fill(struct ph_range *r, size_t n, enum pattern p)
{
	unsigned long base = rnd() % (GUEST_PFNS / 2);
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned long pfn;

		switch (p) {
		case SCATTERED:
			pfn = rnd() % GUEST_PFNS;
			break;
		case CHURN:
			pfn = base + (rnd() % 64) * 7;
			break;
		default:
			pfn = base + i;
		}
		r[i].start = pfn;
		r[i].end = pfn + 1;
	}
}

/* Median ns per record of @what over REPS repetitions. */
static double measure(const struct ph_range *src, struct ph_range *work,
		      size_t n, int what, size_t *out)
{
	double per[REPS];
	int rep;

	for (rep = 0; rep < REPS; rep++) {
		double t0 = now_ns(), t;
		unsigned long loops = 0;

		do {
			memcpy(work, src, n * sizeof(*work));
			if (what)
				*out = ph_compress(work, n, 9);
			else
				qsort(work, n, sizeof(*work), cmp_start);
			loops++;
			t = now_ns();
		} while (t - t0 < 20e6);
		per[rep] = (t - t0) / loops / n;
	}
	qsort(per, REPS, sizeof(per[0]), cmp_double);
	return per[REPS / 2];
}

int main(void)
{
	static const size_t sizes[] = { 512, 4096, 32768 };
	size_t s, cand = 0;
	int p;

	printf("ph_compress, min_order 9, ns per record (median of %d); baseline: sorting alone\n",
	       REPS);
	printf("%-44s %7s %10s %10s %7s %11s\n", "records", "count", "compress",
	       "sort only", "ratio", "candidates");
	for (p = 0; p < NPATTERNS; p++) {
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			size_t n = sizes[s];
			struct ph_range *src = malloc(n * sizeof(*src));
			struct ph_range *work = malloc(n * sizeof(*work));
			double c, b;

			fill(src, n, p);
			b = measure(src, work, n, 0, NULL);
			c = measure(src, work, n, 1, &cand);
			printf("%-44s %7zu %8.1fns %8.1fns %6.2fx %11zu\n",
			       pattern_name[p], n, c, b, c / b, cand);
			free(src);
			free(work);
		}
	}
	return 0;
}
