// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of ph_compress() and the record packing: duplicates, full
 * overlap, adjacency, widening, empty and full arrays, overflow; and of
 * ph_subtract(): holes, cuts at either end, ranges of the second list that
 * span several of the first, empty lists.  TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_hinting_compress.h"

static int tests, failures;

#define R(s, e) { (s), (e) }

/* One TAP line: whether @got ranges of @r are exactly the @m of @want. */
static void report(const char *what, const char *name, const struct ph_range *r,
		   size_t got, const struct ph_range *want, size_t m)
{
	size_t i;
	int ok = got == m;

	for (i = 0; ok && i < m; i++)
		ok = r[i].start == want[i].start && r[i].end == want[i].end;
	tests++;
	if (ok) {
		printf("ok %d - %s%s\n", tests, what, name);
	} else {
		failures++;
		printf("not ok %d - %s%s: got %zu:", tests, what, name, got);
		for (i = 0; i < got && i < 16; i++)
			printf(" [%#lx,%#lx)", r[i].start, r[i].end);
		printf("%s\n", got > 16 ? " ..." : "");
	}
}

/* Compress @in (n ranges) at @order and compare with @want (m ranges). */
static void check(const char *name, const struct ph_range *in, size_t n,
		  unsigned int order, const struct ph_range *want, size_t m)
{
	struct ph_range *buf = malloc((n ? n : 1) * sizeof(*buf));

	if (n)
		memcpy(buf, in, n * sizeof(*buf));
	report("", name, buf, ph_compress(buf, n, order), want, m);
	free(buf);
}

#define CHECK(name, order, in, want)					\
	do {								\
		const struct ph_range _in[] = in, _want[] = want;	\
		check(name, _in, ARRAY_SIZE(_in), order,	\
		      _want, ARRAY_SIZE(_want));		\
	} while (0)
#define A(...) { __VA_ARGS__ }

static void test_shapes(void)
{
	check("empty array", NULL, 0, 9, NULL, 0);
	CHECK("one aligned block", 9, A(R(512, 1024)), A(R(512, 1024)));
	CHECK("one page widens to its block", 9, A(R(700, 701)), A(R(512, 1024)));
	CHECK("a range across a boundary widens to two blocks", 9,
	      A(R(1000, 1030)), A(R(512, 1536)));
	CHECK("duplicates collapse", 9, A(R(600, 601), R(600, 601), R(600, 601)),
	      A(R(512, 1024)));
	CHECK("pages of one block collapse", 9,
	      A(R(1023, 1024), R(512, 513), R(800, 808), R(513, 515)),
	      A(R(512, 1024)));
	CHECK("full overlap", 0, A(R(100, 200), R(120, 130), R(100, 200)),
	      A(R(100, 200)));
	CHECK("partial overlap", 0, A(R(150, 250), R(100, 200)), A(R(100, 250)));
	CHECK("adjacent ranges merge", 0, A(R(200, 300), R(100, 200)),
	      A(R(100, 300)));
	CHECK("adjacent blocks merge", 9, A(R(1024, 1025), R(512, 513)),
	      A(R(512, 1536)));
	CHECK("a gap of one block keeps them apart", 9,
	      A(R(1536, 1537), R(512, 513)), A(R(512, 1024), R(1536, 2048)));
	CHECK("order 0: a gap of one page keeps them apart", 0,
	      A(R(3, 4), R(1, 2)), A(R(1, 2), R(3, 4)));
	CHECK("unsorted input comes out sorted", 0,
	      A(R(50, 60), R(10, 20), R(30, 40)),
	      A(R(10, 20), R(30, 40), R(50, 60)));
	CHECK("empty ranges are dropped", 9, A(R(5, 5), R(9, 3), R(600, 601)),
	      A(R(512, 1024)));
	CHECK("only empty ranges", 0, A(R(5, 5), R(9, 3)), A());
	CHECK("a range that cannot be widened is dropped", 9,
	      A(R(~0UL - 10, ~0UL), R(0, 1)), A(R(0, 512)));
	CHECK("top block that fits is kept", 9,
	      A(R(~0UL - 1023, ~0UL - 1000)), A(R(~0UL - 1023, ~0UL - 511)));
	CHECK("an impossible order yields nothing", 64, A(R(0, 1)), A());
	CHECK("order 63", 63, A(R(5, 6)), A(R(0, 1UL << 63)));
	CHECK("first pfn 0", 9, A(R(0, 1)), A(R(0, 512)));
}

static void test_full_array(void)
{
	enum { N = 4096 };
	struct ph_range *in = malloc(N * sizeof(*in));
	struct ph_range want = { 0, N * 4 };
	size_t i;

	/* Every fourth page, in descending order: one run of 4-page blocks. */
	for (i = 0; i < N; i++) {
		in[i].start = (N - 1 - i) * 4;
		in[i].end = in[i].start + 1;
	}
	check("a full array of 4096 records, one per 4-page block", in, N, 2,
	      &want, 1);
	/* The same at order 0: 4096 separate pages. */
	{
		struct ph_range *w = malloc(N * sizeof(*w));

		for (i = 0; i < N; i++) {
			w[i].start = i * 4;
			w[i].end = i * 4 + 1;
		}
		check("a full array at order 0 stays 4096 ranges", in, N, 0, w, N);
		free(w);
	}
	free(in);
}

static void test_records(void)
{
	struct ph_range r;
	unsigned long pfn = (1UL << 52) - 1;

	ph_rec_unpack(ph_rec_pack(pfn, 10), &r);
	tests++;
	if (r.start == pfn && r.end == pfn + 1024) {
		printf("ok %d - a 52-bit pfn and order 10 survive packing\n", tests);
	} else {
		failures++;
		printf("not ok %d - packing: [%#lx,%#lx)\n", tests, r.start, r.end);
	}
	ph_rec_unpack(ph_rec_pack(12345, 0), &r);
	tests++;
	if (r.start == 12345 && r.end == 12346) {
		printf("ok %d - order 0 record\n", tests);
	} else {
		failures++;
		printf("not ok %d - order 0: [%#lx,%#lx)\n", tests, r.start, r.end);
	}
	/*
	 * The largest record, all bits set, must not wrap around: on 64-bit
	 * a 58-bit pfn plus 2^63 still fits; on 32-bit the order is too large
	 * to shift by and the record unpacks empty.
	 */
	ph_rec_unpack(~0UL, &r);
	tests++;
	if (r.start == ~0UL >> PH_REC_ORDER_BITS &&
	    (r.end == r.start || r.end == r.start + (1UL << 63))) {
		printf("ok %d - the largest record does not wrap\n", tests);
	} else {
		failures++;
		printf("not ok %d - overflow: [%#lx,%#lx)\n", tests, r.start, r.end);
	}
}

/* Subtract @b (nb ranges) from @a (na) and compare with @want (m ranges). */
static void check_sub(const char *name, const struct ph_range *a, size_t na,
		      const struct ph_range *b, size_t nb,
		      const struct ph_range *want, size_t m)
{
	struct ph_range *out = malloc((na + nb + 1) * sizeof(*out));

	report("subtract: ", name, out, ph_subtract(a, na, b, nb, out), want, m);
	free(out);
}

#define SUB(name, a, b, want)						\
	do {								\
		const struct ph_range _a[] = a, _b[] = b, _w[] = want;	\
		check_sub(name, _a, ARRAY_SIZE(_a),		\
			  _b, ARRAY_SIZE(_b),		\
			  _w, ARRAY_SIZE(_w));		\
	} while (0)

static void test_subtract(void)
{
	check_sub("both empty", NULL, 0, NULL, 0, NULL, 0);
	SUB("nothing to subtract", A(R(0, 10), R(20, 30)), A(),
	    A(R(0, 10), R(20, 30)));
	SUB("nothing to subtract from", A(), A(R(0, 10)), A());
	SUB("disjoint lists", A(R(0, 10), R(40, 50)), A(R(10, 20), R(30, 40)),
	    A(R(0, 10), R(40, 50)));
	SUB("the same list leaves nothing", A(R(0, 10), R(20, 30)),
	    A(R(0, 10), R(20, 30)), A());
	SUB("a hole in the middle", A(R(0, 100)), A(R(40, 60)),
	    A(R(0, 40), R(60, 100)));
	SUB("cut at the start", A(R(10, 100)), A(R(0, 20)), A(R(20, 100)));
	SUB("cut at the end", A(R(10, 100)), A(R(90, 200)), A(R(10, 90)));
	SUB("several holes", A(R(0, 100)), A(R(10, 20), R(30, 40), R(99, 100)),
	    A(R(0, 10), R(20, 30), R(40, 99)));
	SUB("one range covers several", A(R(0, 10), R(20, 30), R(40, 50)),
	    A(R(5, 45)), A(R(0, 5), R(45, 50)));
	SUB("one range cuts the end of one and the start of the next",
	    A(R(0, 10), R(20, 30)), A(R(8, 22)), A(R(0, 8), R(22, 30)));
	SUB("ranges of b before and after all of a", A(R(100, 200)),
	    A(R(0, 10), R(300, 400)), A(R(100, 200)));
	SUB("the top of the address space", A(R(~0UL - 100, ~0UL)),
	    A(R(~0UL - 50, ~0UL - 40)),
	    A(R(~0UL - 100, ~0UL - 50), R(~0UL - 40, ~0UL)));
}

int main(void)
{
	test_shapes();
	test_full_array();
	test_records();
	test_subtract();
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
