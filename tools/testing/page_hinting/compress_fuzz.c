// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz test of ph_compress(): random range sets against a slow reference
 * model.  The model marks every page of every widened range in a bitmap and
 * reads the candidates back as the maximal runs of marked pages; ph_compress()
 * must produce exactly those runs.  Range sets are drawn to hit the edge
 * cases often: duplicates, nesting, adjacency, empty ranges, a few or a full
 * array, pfns near the top of the address space.  Each iteration also
 * compresses a second set and checks ph_subtract() of the two candidate
 * lists against the same kind of bitmap model.
 *
 * usage: compress_fuzz [ITERATIONS [SEED]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_hinting_compress.h"

#define SPAN	8192		/* pfns the model covers, above a base */
#define MAXN	4096		/* the largest array drawn */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic for a seed, good enough to explore. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static unsigned long below(unsigned long n)
{
	return n ? rnd() % n : 0;
}

static unsigned char bitmap[SPAN];

/* The maximal runs of marked pages in the bitmap, as ranges above @base. */
static size_t runs(unsigned long base, struct ph_range *out)
{
	unsigned long p;
	size_t m = 0;

	for (p = 0; p < SPAN; p++) {
		if (!bitmap[p])
			continue;
		if (m && out[m - 1].end == base + p) {
			out[m - 1].end++;
		} else {
			out[m].start = base + p;
			out[m].end = base + p + 1;
			m++;
		}
	}
	return m;
}

/*
 * The reference: mark the blocks each range touches, from the block of its
 * first page to the block of its last page, then collect the runs.
 */
static size_t model(const struct ph_range *in, size_t n, unsigned int order,
		    unsigned long base, struct ph_range *out)
{
	unsigned long blk = 1UL << order, first, last;
	size_t i;

	memset(bitmap, 0, sizeof(bitmap));
	for (i = 0; i < n; i++) {
		if (in[i].start >= in[i].end)
			continue;
		first = (in[i].start - base) / blk * blk;
		last = (in[i].end - 1 - base) / blk * blk;
		memset(bitmap + first, 1, last + blk - first);
	}
	return runs(base, out);
}

/*
 * Draw @n ranges inside the model's window at @base, starting within
 * @spread of it: empty, duplicated, buddy-aligned and short ranges.
 */
static void draw(struct ph_range *in, size_t n, unsigned int order,
		 unsigned long base, unsigned long spread)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned long start = base + below(spread);
		unsigned long len;

		switch (below(6)) {
		case 0:
			len = 0;		/* empty */
			break;
		case 1:
			if (i) {
				in[i] = in[below(i)];	/* a duplicate */
				continue;
			}
			len = 1;
			break;
		case 2:
			len = 1UL << below(order + 2);	/* a buddy block */
			start &= ~(len - 1);
			if (start < base)
				start = base;
			break;
		default:
			len = 1 + below(40);
		}
		in[i].start = start;
		in[i].end = start + len;
		if (below(16) == 0) {		/* reversed: empty too */
			in[i].end = start;
			in[i].start = start + len;
		}
	}
}

/*
 * The reference for ph_subtract(): mark the pages of @a, unmark those of
 * @b, and collect the runs of marked pages.
 */
static size_t sub_model(const struct ph_range *a, size_t na,
			const struct ph_range *b, size_t nb,
			unsigned long base, struct ph_range *out)
{
	size_t i;

	memset(bitmap, 0, sizeof(bitmap));
	for (i = 0; i < na; i++)
		memset(bitmap + a[i].start - base, 1, a[i].end - a[i].start);
	for (i = 0; i < nb; i++)
		memset(bitmap + b[i].start - base, 0, b[i].end - b[i].start);
	return runs(base, out);
}

static void dump(const char *what, const struct ph_range *r, size_t n)
{
	size_t i;

	fprintf(stderr, "%s (%zu):", what, n);
	for (i = 0; i < n && i < 64; i++)
		fprintf(stderr, " [%#lx,%#lx)", r[i].start, r[i].end);
	fprintf(stderr, "%s\n", n > 64 ? " ..." : "");
}

int main(int argc, char **argv)
{
	static struct ph_range in[MAXN], work[MAXN], want[SPAN];
	static struct ph_range in2[256], work2[256], diff[MAXN + 256];
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000;
	unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
	unsigned long it, records = 0;

	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (it = 0; it < iters; it++) {
		/* Orders up to 10 (4 MiB blocks); SPAN is a multiple of 1024. */
		unsigned int order = below(11);
		/* The model's window: anywhere, or at the top of 52-bit pfns. */
		unsigned long base = below(4) == 0 ?
			(1UL << 52) - SPAN : below(1UL << 40) & ~1023UL;
		size_t n, n2, got, got2, m;
		unsigned int order2;
		/*
		 * Few distinct values make duplicates and overlaps common.  The
		 * largest start, plus the longest range (2048), widened by a
		 * block (1024), stays inside the model's window.
		 */
		unsigned long spread = below(3) == 0 ? 64 : SPAN - 4096;

		switch (below(8)) {
		case 0:
			n = below(4);			/* empty, tiny */
			break;
		case 1:
			n = MAXN;			/* a full array */
			break;
		default:
			n = 1 + below(256);
		}
		draw(in, n, order, base, spread);
		memcpy(work, in, n * sizeof(*in));
		got = ph_compress(work, n, order);
		m = model(in, n, order, base, want);
		records += n;
		if (got != m || memcmp(work, want, m * sizeof(*want))) {
			fprintf(stderr,
				"compress_fuzz: mismatch at iteration %lu (seed %lu, order %u, base %#lx)\n",
				it, seed, order, base);
			dump("input", in, n);
			dump("ph_compress", work, got);
			dump("model", want, m);
			printf("not ok 1 - %lu random range sets agree with the model\n", iters);
			return 1;
		}

		/* A second candidate list, at any order up to the first's. */
		order2 = below(order + 1);
		n2 = below(256);
		draw(in2, n2, order2, base, spread);
		memcpy(work2, in2, n2 * sizeof(*in2));
		got2 = ph_compress(work2, n2, order2);
		m = sub_model(work, got, work2, got2, base, want);
		n = ph_subtract(work, got, work2, got2, diff);
		if (n != m || memcmp(diff, want, m * sizeof(*want))) {
			fprintf(stderr,
				"compress_fuzz: subtraction mismatch at iteration %lu (seed %lu, base %#lx)\n",
				it, seed, base);
			dump("a", work, got);
			dump("b", work2, got2);
			dump("ph_subtract", diff, n);
			dump("model", want, m);
			printf("not ok 2 - %lu random subtractions agree with the model\n", iters);
			return 1;
		}
	}
	printf("ok 1 - %lu random range sets (%lu records, seed %lu) agree with the model\n",
	       iters, records, seed);
	printf("ok 2 - %lu random subtractions agree with the model\n", iters);
	printf("1..2\n");
	return 0;
}
