// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the hypercall sink's hand-off loop (kph_hand_off()), with
 * a stand-in for the hypercall that answers as a host or a VMM might, and
 * of what it makes of the host's unit and of refusals.
 * Included by kvm_page_hinting.c, whose functions are static.
 */
#include <kunit/test.h>
#include <linux/sizes.h>

/* What the stand-in answers, call by call, and what it was asked. */
static struct {
	const long *answers;
	unsigned int nr_answers;
	unsigned int calls;
	unsigned int first[8];
	struct kvm_discard_range list[32];
} kph_fake;

/* An answer: do the first half of the first entry, as KVM's budget may. */
#define KPH_FAKE_CUT	LONG_MIN

static long kph_fake_call(struct kvm_discard_range *list, unsigned int first,
			  unsigned int nr)
{
	unsigned int i = kph_fake.calls++;

	if (i < ARRAY_SIZE(kph_fake.first))
		kph_fake.first[i] = first;
	/*
	 * Past its answers it completes everything, so that a loop that does
	 * not stop when it should still ends, and the test fails instead of
	 * hanging.
	 */
	if (i >= kph_fake.nr_answers)
		return nr - first;
	if (kph_fake.answers[i] != KPH_FAKE_CUT)
		return kph_fake.answers[i];
	list[first].size /= 2;
	list[first].gpa += list[first].size;
	return 0;
}

/* Hand @nents entries of 8 MiB each to the stand-in. */
static long kph_fake_hand_off(unsigned int nents, const long *answers,
			      unsigned int nr_answers)
{
	unsigned int i;

	memset(&kph_fake, 0, sizeof(kph_fake));
	kph_fake.answers = answers;
	kph_fake.nr_answers = nr_answers;
	for (i = 0; i < ARRAY_SIZE(kph_fake.list); i++) {
		kph_fake.list[i].gpa = (u64)i * SZ_16M;
		kph_fake.list[i].size = SZ_8M;
	}
	return kph_hand_off(kph_fake.list, nents, kph_fake_call);
}

/* A host that completes a few entries a call is called again from there. */
static void kph_test_partial(struct kunit *test)
{
	static const long answers[] = { 3, 1, 28 };

	KUNIT_EXPECT_EQ(test, kph_fake_hand_off(32, answers, ARRAY_SIZE(answers)), 0);
	KUNIT_EXPECT_EQ(test, kph_fake.calls, 3);
	KUNIT_EXPECT_EQ(test, kph_fake.first[1], 3);
	KUNIT_EXPECT_EQ(test, kph_fake.first[2], 4);
}

/* A count beyond the list (a broken host) ends the hand-off, done. */
static void kph_test_overcount(struct kunit *test)
{
	static const long answers[] = { 2, 100 };

	KUNIT_EXPECT_EQ(test, kph_fake_hand_off(8, answers, ARRAY_SIZE(answers)), 0);
	KUNIT_EXPECT_EQ(test, kph_fake.calls, 2);
}

/* A refused entry ends the hand-off with the host's error. */
static void kph_test_refused(struct kunit *test)
{
	static const long answers[] = { 4, -KVM_EOPNOTSUPP };

	KUNIT_EXPECT_EQ(test, kph_fake_hand_off(8, answers, ARRAY_SIZE(answers)),
			-KVM_EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, kph_fake.calls, 2);
}

/*
 * A host that ends a call inside an entry rewrites it and may count no
 * entry: the next call starts from that entry, and that is progress.
 */
static void kph_test_cut(struct kunit *test)
{
	static const long answers[] = { KPH_FAKE_CUT, 2, KPH_FAKE_CUT, 6 };

	KUNIT_EXPECT_EQ(test, kph_fake_hand_off(8, answers, ARRAY_SIZE(answers)), 0);
	KUNIT_EXPECT_EQ(test, kph_fake.calls, 4);
	KUNIT_EXPECT_EQ(test, kph_fake.first[1], 0);
	KUNIT_EXPECT_EQ(test, kph_fake.first[2], 2);
	KUNIT_EXPECT_EQ(test, kph_fake.first[3], 2);
	KUNIT_EXPECT_EQ(test, kph_fake.list[0].size, SZ_4M);
	KUNIT_EXPECT_EQ(test, kph_fake.list[2].size, SZ_4M);
}

/*
 * A VMM that handles the call itself and answers 0 entries done, leaving
 * the list alone: one call, then an error, not a call after call for
 * ever; also after calls that cut the entry.
 */
static void kph_test_no_progress(struct kunit *test)
{
	static const long answers[] = { 0, 0, 0, 0 };

	static const long after_cut[] = { KPH_FAKE_CUT, 0, 0 };

	KUNIT_EXPECT_EQ(test, kph_fake_hand_off(8, answers, ARRAY_SIZE(answers)),
			-EPROTO);
	KUNIT_EXPECT_EQ(test, kph_fake.calls, 1);
	KUNIT_EXPECT_EQ(test, kph_fake_hand_off(8, after_cut, ARRAY_SIZE(after_cut)),
			-EPROTO);
	KUNIT_EXPECT_EQ(test, kph_fake.calls, 2);
}

/*
 * The host's answer to the query, log2 of its unit: base pages and huge
 * pages up to the largest free block are units; 0, 1 GiB pages and
 * answers that are not a unit (a broken host, an error code) make the
 * sink hand nothing.
 */
static void kph_test_unit_order(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kph_unit_order(PAGE_SHIFT), 0);
	KUNIT_EXPECT_EQ(test, kph_unit_order(21), 21 - PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, kph_unit_order(PAGE_SHIFT + MAX_PAGE_ORDER),
			MAX_PAGE_ORDER);
	KUNIT_EXPECT_EQ(test, kph_unit_order(0), -ENODEV);
	KUNIT_EXPECT_EQ(test, kph_unit_order(PAGE_SHIFT + MAX_PAGE_ORDER + 1),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, kph_unit_order(30), -ERANGE);
	KUNIT_EXPECT_EQ(test, kph_unit_order(PAGE_SHIFT - 1), -EPROTO);
	KUNIT_EXPECT_EQ(test, kph_unit_order(-KVM_EPERM), -EPROTO);
	KUNIT_EXPECT_EQ(test, kph_unit_order(-KVM_ENOSYS), -EPROTO);
}

/*
 * A host that answers the query takes KVM_DISCARD_RANGES_F_RESUME, even
 * one that drops nothing now; a version 1 host (-KVM_EINVAL) drops base
 * pages and does not; one that refuses the query does neither.
 */
static void kph_test_query_answer(struct kunit *test)
{
	bool resume;

	KUNIT_EXPECT_EQ(test, kph_query_answer(21, &resume), 21);
	KUNIT_EXPECT_TRUE(test, resume);
	KUNIT_EXPECT_EQ(test, kph_query_answer(0, &resume), 0);
	KUNIT_EXPECT_TRUE(test, resume);
	KUNIT_EXPECT_EQ(test, kph_query_answer(-KVM_EINVAL, &resume), PAGE_SHIFT);
	KUNIT_EXPECT_FALSE(test, resume);
	KUNIT_EXPECT_EQ(test, kph_query_answer(-KVM_ENOSYS, &resume), -KVM_ENOSYS);
	KUNIT_EXPECT_FALSE(test, resume);
	KUNIT_EXPECT_EQ(test, kph_query_answer(-KVM_EPERM, &resume), -KVM_EPERM);
	KUNIT_EXPECT_FALSE(test, resume);
}

/*
 * Blocks below the unit are left out: the blocks of a free list scan at
 * an order below the unit's, or of a pass that began before the unit grew.
 */
static void kph_test_fits_unit(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, kph_fits_unit(SZ_2M, PAGE_SIZE, PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, kph_fits_unit(SZ_4M, SZ_4M, SZ_2M));
	KUNIT_EXPECT_FALSE(test, kph_fits_unit(SZ_2M, SZ_1M, SZ_2M));
	KUNIT_EXPECT_FALSE(test, kph_fits_unit(SZ_2M + SZ_1M, SZ_1M, SZ_2M));
}

/*
 * Adjacent blocks become one entry, in the order page reporting hands
 * them (descending addresses from free page hinting, ascending from a
 * scan), up to the largest merged entry; a gap starts a new one.  That is
 * KVM_DISCARD_RANGES_MAX_SIZE for a host that ends a call inside an entry
 * when it must, 16 MiB for one that finishes every entry it begins.
 */
static void kph_test_add_range(struct kunit *test)
{
	const u64 max = kph_merge_max(true);
	struct kvm_discard_range list[4] = {};
	unsigned int n = 0;

	KUNIT_EXPECT_EQ(test, max, KVM_DISCARD_RANGES_MAX_SIZE);
	KUNIT_EXPECT_EQ(test, kph_merge_max(false), SZ_16M);

	n = kph_add_range(list, n, 3 * SZ_2M, SZ_2M, max);
	n = kph_add_range(list, n, 2 * SZ_2M, SZ_2M, max);	/* below: merged */
	n = kph_add_range(list, n, 4 * SZ_2M, SZ_2M, max);	/* above: merged */
	KUNIT_EXPECT_EQ(test, n, 1);
	KUNIT_EXPECT_EQ(test, list[0].gpa, 2 * SZ_2M);
	KUNIT_EXPECT_EQ(test, list[0].size, 3 * SZ_2M);

	n = kph_add_range(list, n, 8 * SZ_2M, SZ_2M, max);	/* a gap */
	KUNIT_EXPECT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, list[1].gpa, 8 * SZ_2M);

	/* No merged entry above the largest. */
	list[1].size = max;
	n = kph_add_range(list, n, 8 * SZ_2M + max, SZ_2M, max);
	KUNIT_EXPECT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, list[1].size, max);
	KUNIT_EXPECT_EQ(test, list[2].size, SZ_2M);
}

/* The wait after refusals in a row doubles from 1 s, up to 64 s. */
static void kph_test_retry_delay(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kph_retry_delay(0), HZ);
	KUNIT_EXPECT_EQ(test, kph_retry_delay(1), 2 * HZ);
	KUNIT_EXPECT_EQ(test, kph_retry_delay(6), 64 * HZ);
	KUNIT_EXPECT_EQ(test, kph_retry_delay(7), 64 * HZ);
	KUNIT_EXPECT_EQ(test, kph_retry_delay(UINT_MAX), 64 * HZ);
}

static struct kunit_case kph_test_cases[] = {
	KUNIT_CASE(kph_test_partial),
	KUNIT_CASE(kph_test_overcount),
	KUNIT_CASE(kph_test_refused),
	KUNIT_CASE(kph_test_cut),
	KUNIT_CASE(kph_test_no_progress),
	KUNIT_CASE(kph_test_unit_order),
	KUNIT_CASE(kph_test_query_answer),
	KUNIT_CASE(kph_test_fits_unit),
	KUNIT_CASE(kph_test_retry_delay),
	KUNIT_CASE(kph_test_add_range),
	{}
};

static struct kunit_suite kph_test_suite = {
	.name = "page_hinting_kvm",
	.test_cases = kph_test_cases,
};

kunit_test_suite(kph_test_suite);
