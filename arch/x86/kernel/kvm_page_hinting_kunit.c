// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the hypercall sink's hand-off loop (kph_hand_off()), with
 * a stand-in for the hypercall that answers as a host or a VMM might.
 * Included by kvm_page_hinting.c, whose functions are static.
 */
#include <kunit/test.h>

/* What the stand-in answers, call by call, and what it was asked. */
static struct {
	const long *answers;
	unsigned int nr_answers;
	unsigned int calls;
	unsigned int first[8];
} kph_fake;

static long kph_fake_call(unsigned int first, unsigned int nr)
{
	unsigned int i = kph_fake.calls++;

	if (i < ARRAY_SIZE(kph_fake.first))
		kph_fake.first[i] = first;
	/*
	 * Past its answers it completes everything, so that a loop that does
	 * not stop when it should still ends, and the test fails instead of
	 * hanging.
	 */
	return i < kph_fake.nr_answers ? kph_fake.answers[i] : nr - first;
}

static long kph_fake_hand_off(unsigned int nents, const long *answers,
			      unsigned int nr_answers)
{
	memset(&kph_fake, 0, sizeof(kph_fake));
	kph_fake.answers = answers;
	kph_fake.nr_answers = nr_answers;
	return kph_hand_off(nents, kph_fake_call);
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
 * A VMM that handles the call itself and answers 0 entries done: one
 * call, then an error, not a call after call for ever.
 */
static void kph_test_no_progress(struct kunit *test)
{
	static const long answers[] = { 0, 0, 0, 0 };

	KUNIT_EXPECT_EQ(test, kph_fake_hand_off(8, answers, ARRAY_SIZE(answers)),
			-EPROTO);
	KUNIT_EXPECT_EQ(test, kph_fake.calls, 1);
}

static struct kunit_case kph_test_cases[] = {
	KUNIT_CASE(kph_test_partial),
	KUNIT_CASE(kph_test_overcount),
	KUNIT_CASE(kph_test_refused),
	KUNIT_CASE(kph_test_no_progress),
	{}
};

static struct kunit_suite kph_test_suite = {
	.name = "page_hinting_kvm",
	.test_cases = kph_test_cases,
};

kunit_test_suite(kph_test_suite);
