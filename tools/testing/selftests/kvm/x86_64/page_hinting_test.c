// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_HC_DISCARD_RANGES: the guest hints free ranges, KVM drops the host
 * memory behind them.
 *
 * For each backing (anonymous, anonymous THP, shmem, shared hugetlb when
 * huge pages are reserved) the guest writes a pattern to every page of a
 * test region and hints some ranges; the host checks with mincore() that
 * the hinted ranges lost their backing and the rest kept it, and the guest
 * checks that the hinted ranges read as zeros -- through its own page
 * tables and KVM's SPTEs, so a missed zap or TLB flush shows -- while
 * every other page kept its data, also while a second vCPU writes and
 * reads the neighbouring pages during the hints.
 *
 * Then every kind of malformed call gets its error, a VM without
 * KVM_CAP_DISCARD_RANGES gets -KVM_ENOSYS, a call the VMM asked to see
 * exits with KVM_EXIT_HYPERCALL, and every other kind of backing a VMM
 * uses is dropped or skipped: a private hugetlbfs file written only through
 * its mapping (-mem-path) is dropped, a private mapping of the VM's own
 * file that holds pages (memfd, unlinked file) only with
 * kvm.discard_private_files=1; named or read-only files mapped private,
 * files mapped twice, mlocked memory, memory armed for userfaultfd, pages
 * pinned for DMA and parts of huge pages are skipped, counted, and keep
 * their data, and the call succeeds.
 *
 * Last, a fuzzer in the guest makes -n calls (default 100000) of random
 * lists, mostly malformed -- unaligned, empty, oversized and wrapping
 * ranges, ranges across memslot edges, outside every memslot and in the
 * APIC page, bad counts, flags and list addresses -- and checks each
 * result against a model: the error of the first entry, or a count no
 * larger than the valid prefix.  It runs on one vCPU, then on two at once
 * while the host deletes and re-creates a memslot that some entries hit.
 *
 * The VMM's side of the lifecycle: the memory behind a memslot is unmapped
 * and mapped again (anonymous, then a shared memfd) while a vCPU hints it,
 * and VMMs are killed with SIGKILL while their vCPU writes and hints its
 * memory -- the process dies and its guest memory goes with it.  Deleting a
 * memslot under the handler is the fuzzer's second phase.
 *
 * Zapping under contention (-Z, a run of its own): many ranges are hinted
 * while the hinting vCPU is asked to yield, a second vCPU faults, a
 * memslot flips and compaction migrates the VM's pages, so that the zap
 * breaks mmu_lock; on a CONFIG_KVM_PROVE_MMU kernel each break checks that
 * no zap is left unflushed.
 *
 * The bench (-B MIB, a run of its own): the longest call and mmu_lock
 * hold when a guest hints MIB MiB at once (test_bench()).
 *
 * usage: page_hinting_test [-c] [-C] [-F] [-L] [-P] [-Z] [-n FUZZ_CALLS] [-s SEED]
 *                          [-z ROUNDS] [-m MIB] [-B MIB]
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvm_para.h>
#include <linux/mman.h>
#include <linux/falloc.h>
#include <linux/userfaultfd.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define TEST_SLOT	10
#define TEST_GPA	0xc0000000ULL
#define TEST_SIZE	(16ULL << 20)
#define TEST_PAGES	(TEST_SIZE / PAGE_SIZE)
#define EXTRA_SLOT	11
#define EXTRA_GPA	(TEST_GPA + TEST_SIZE + (16ULL << 20))
#define EXTRA_SIZE	(2ULL << 20)
#define SZ_512K		(512ULL * 1024)
#define SZ_1M		(1024ULL * 1024)
#define SZ_2M		(2ULL << 20)
/* The memslot the fuzzer's second phase deletes and re-creates. */
#define FLAP_SLOT	12
#define FLAP_GPA	(TEST_GPA + TEST_SIZE + (64ULL << 20))
#define FLAP_SIZE	SZ_2M
/* A larger region, for the tests of calls that end inside an entry. */
#define BIG_SLOT	13
#define BIG_GPA		0x100000000ULL
/*
 * KVM's step (KVM_DISCARD_STEP in virt/kvm/discard_ranges.c): the budget
 * is checked before each, so with kvm.discard_budget_us=0 a call does one.
 */
#define HOST_STEP	(64ULL << 20)
/*
 * Anonymous memory up to 1 MiB short of a step, then hugetlb memory that
 * the VMM maps at 2 MiB-aligned addresses but the guest sees 1 MiB off.
 */
#define MISALIGNED_SLOT	14
#define MISALIGNED_GPA	0x200000000ULL
#define MISALIGNED_ANON	(HOST_STEP - SZ_1M)
#define MISALIGNED_HUGE	(2 * SZ_2M)

/* The commands the host gives the guest through the global 'cmd'. */
enum {
	OP_FILL,	/* write the pattern of a0 (seed) to every test page, or a2 pages from a1 */
	OP_CHECK,	/* count pages in [a0, a0 + a1) not matching seed a2, or zero if a3 */
	OP_HINT,	/* KVM_HC_DISCARD_RANGES(a0, a1, a2) */
	OP_NEIGHBOUR,	/* vCPU 1: write and check [a0, a0 + a1) until told to stop */
	OP_FUZZ,	/* a0 random calls, seed a1, list page gva a2 / gpa a3 per vCPU */
	OP_REPEAT,	/* a0 calls of KVM_HC_DISCARD_RANGES(a1, a2, 0); see guest_repeat() */
	OP_CHURN,	/* forever: write every test page, hint the list (a0, a1) */
	OP_TOUCH,	/* both vCPUs: write half the test pages each until told to stop */
	OP_ROUNDS,	/* a0 rounds: write [a3, a3 + half), hint the list (a1, a2), check zeros */
};

struct command {
	uint64_t op, a0, a1, a2, a3;
};

static struct command cmd;
/* vCPU 1's range, and the flag that stops it (guest virtual addresses). */
static uint64_t nb_start, nb_pages;
/* The pages OP_ROUNDS writes and hints, from its a3 on. */
static uint64_t zap_pages;
static uint64_t *stop_flag;

static uint64_t pattern(uint64_t gpa, uint64_t seed)
{
	return (gpa * 0x9e3779b97f4a7c15ULL) ^ seed;
}

/* The first and the last word of each page carry the pattern. */
static void guest_fill(uint64_t start, uint64_t npages, uint64_t seed)
{
	uint64_t gpa;

	for (gpa = start; gpa < start + npages * PAGE_SIZE; gpa += PAGE_SIZE) {
		uint64_t *p = (uint64_t *)gpa;

		WRITE_ONCE(p[0], pattern(gpa, seed));
		WRITE_ONCE(p[PAGE_SIZE / 8 - 1], pattern(gpa, ~seed));
	}
}

static uint64_t guest_check(uint64_t start, uint64_t npages, uint64_t seed,
			    bool zero)
{
	uint64_t gpa, bad = 0;

	for (gpa = start; gpa < start + npages * PAGE_SIZE; gpa += PAGE_SIZE) {
		uint64_t *p = (uint64_t *)gpa;
		uint64_t first = zero ? 0 : pattern(gpa, seed);
		uint64_t last = zero ? 0 : pattern(gpa, ~seed);

		bad += READ_ONCE(p[0]) != first ||
		       READ_ONCE(p[PAGE_SIZE / 8 - 1]) != last;
	}
	return bad;
}

/* The fuzzer: xorshift64*, one state per vCPU. */
static uint64_t fz_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

static uint64_t fz_below(uint64_t *state, uint64_t n)
{
	return n ? fz_next(state) % n : 0;
}

/* Whether the flapping memslot exists some of the time (phase two). */
static bool fz_flap;

/*
 * A random entry: valid in the test region, or malformed in one way.  No
 * entry ever covers memslot 0, where the guest's code and data live.
 */
static void fz_entry(uint64_t *st, struct kvm_discard_range *e)
{
	uint64_t k = 1 + fz_below(st, 8);

	switch (fz_below(st, fz_flap ? 10 : 9)) {
	case 0:
	case 1:		/* valid */
		e->size = (1 + fz_below(st, 64)) * PAGE_SIZE;
		e->gpa = TEST_GPA + fz_below(st, TEST_PAGES - e->size / PAGE_SIZE + 1) *
				    PAGE_SIZE;
		break;
	case 2:		/* unaligned address */
		e->gpa = TEST_GPA + fz_below(st, TEST_SIZE - PAGE_SIZE);
		e->gpa |= 8;
		e->size = PAGE_SIZE;
		break;
	case 3:		/* unaligned size */
		e->gpa = TEST_GPA;
		e->size = k * PAGE_SIZE + 1 + fz_below(st, PAGE_SIZE - 1);
		break;
	case 4:		/* empty */
		e->gpa = TEST_GPA + fz_below(st, TEST_PAGES) * PAGE_SIZE;
		e->size = 0;
		break;
	case 5:		/* above the maximum size */
		e->gpa = TEST_GPA;
		e->size = KVM_DISCARD_RANGES_MAX_SIZE + k * PAGE_SIZE;
		break;
	case 6:		/* at the top of the address space, wrapping or not */
		e->gpa = -(k * PAGE_SIZE);
		e->size = (1 + fz_below(st, 16)) * PAGE_SIZE;
		break;
	case 7:		/* across the start or the end of the test memslot */
		if (fz_below(st, 2))
			e->gpa = TEST_GPA + TEST_SIZE - k * PAGE_SIZE;
		else
			e->gpa = TEST_GPA - k * PAGE_SIZE;
		e->size = (k + 1 + fz_below(st, 8)) * PAGE_SIZE;
		break;
	case 8:		/* outside every memslot, or in the APIC page */
		e->gpa = fz_below(st, 2) ? 0xfee00000 :
			 (1ULL << 40) + fz_below(st, 1 << 20) * PAGE_SIZE;
		e->size = k * PAGE_SIZE;
		break;
	default:	/* in the memslot that comes and goes */
		e->gpa = FLAP_GPA + fz_below(st, FLAP_SIZE / PAGE_SIZE - k + 1) * PAGE_SIZE;
		e->size = k * PAGE_SIZE;
		break;
	}
}

/*
 * The model of one entry: 0 if KVM must drop it, its error if it must
 * refuse it, 1 if either may happen (the memslot that comes and goes).
 */
static int64_t fz_expect(const struct kvm_discard_range *e)
{
	uint64_t end = e->gpa + e->size;

	if ((e->gpa | e->size) & (PAGE_SIZE - 1) || !e->size ||
	    e->size > KVM_DISCARD_RANGES_MAX_SIZE || end < e->gpa)
		return -KVM_EINVAL;
	if (e->gpa >= TEST_GPA && end <= TEST_GPA + TEST_SIZE)
		return 0;
	if (fz_flap && e->gpa >= FLAP_GPA && end <= FLAP_GPA + FLAP_SIZE)
		return 1;
	return -KVM_EFAULT;
}

/*
 * @calls random calls with the list page at @list (gva) / @list_gpa; every
 * result must agree with the model.  Returns the calls that dropped memory.
 */
static uint64_t guest_fuzz(uint64_t calls, uint64_t seed,
			   struct kvm_discard_range *list, uint64_t list_gpa)
{
	uint64_t st = seed * 0x9e3779b97f4a7c15ULL + 1, c, n, i, j, dropped = 0;
	int64_t ret, want;

	for (c = 0; c < calls; c++) {
		uint64_t gpa = list_gpa, flags = 0;

		n = fz_below(&st, 16) ? 1 + fz_below(&st, 40) : PAGE_SIZE / sizeof(*list);
		for (i = 0; i < n; i++)
			fz_entry(&st, &list[i]);

		/* One call in eight is malformed itself. */
		want = 0;
		switch (fz_below(&st, 64)) {
		case 0:
			flags = 1 + fz_below(&st, 1 << 16);
			want = -KVM_EINVAL;
			break;
		case 1:
			n = 0;
			want = -KVM_EINVAL;
			break;
		case 2:
			n = PAGE_SIZE / sizeof(*list) + 1 + fz_below(&st, 1 << 20);
			want = -KVM_EINVAL;
			break;
		case 3:
			gpa += 8;
			want = -KVM_EINVAL;
			break;
		case 4:		/* a list that runs off its page */
			gpa += PAGE_SIZE - sizeof(*list) * (1 + fz_below(&st, 4));
			n = 8;
			want = -KVM_EINVAL;
			break;
		case 5:
			gpa = (1ULL << 40) + fz_below(&st, 1 << 20) * PAGE_SIZE;
			want = -KVM_EFAULT;
			break;
		case 6:
			gpa = 0xfee00000;
			want = -KVM_EFAULT;
			break;
		case 7:
			gpa = TEST_GPA + TEST_SIZE + fz_below(&st, 4) * PAGE_SIZE;
			want = -KVM_EFAULT;
			break;
		}

		ret = kvm_hypercall(KVM_HC_DISCARD_RANGES, gpa, n, flags, 0);
		if (want) {
			__GUEST_ASSERT(ret == want,
				       "call %lu (list %lx, %lu entries, flags %lx): got %ld, want %ld",
				       c, gpa, n, flags, ret, want);
			continue;
		}

		/*
		 * Entries up to the first one the model refuses must be
		 * dropped; KVM may stop early (its work per call is bounded)
		 * but not before the first.  An entry in the flapping memslot
		 * may go either way.
		 */
		for (i = 0; i < n && !fz_expect(&list[i]); i++)
			;
		for (j = i; j < n && fz_expect(&list[j]) >= 0; j++)
			;
		if (i == n || i > 0 || fz_expect(&list[0]) == 1) {
			__GUEST_ASSERT((ret >= 1 && ret <= (int64_t)j) ||
				       (!i && ret == -KVM_EFAULT),
				       "call %lu: %lu entries, %lu valid, %lu maybe: got %ld",
				       c, n, i, j, ret);
		} else {
			want = fz_expect(&list[0]);
			__GUEST_ASSERT(ret == want,
				       "call %lu: entry 0 [%lx + %lx]: got %ld, want %ld",
				       c, (uint64_t)list[0].gpa, (uint64_t)list[0].size, ret, want);
		}
		dropped += ret > 0;
	}
	return dropped;
}

/* Calls of guest_repeat() that found no mapping behind a range. */
static uint64_t rp_faults;

/*
 * The same call @calls times while the host unmaps and remaps the memory
 * behind it: each call either drops its ranges (partially, if KVM's time
 * budget ends it) or finds a range with no mapping behind it (-KVM_EFAULT).
 * Returns the calls that dropped memory.
 */
static uint64_t guest_repeat(uint64_t calls, uint64_t gpa, uint64_t n)
{
	uint64_t i, ok = 0;
	int64_t ret;

	for (i = 0; i < calls; i++) {
		ret = kvm_hypercall(KVM_HC_DISCARD_RANGES, gpa, n, 0, 0);
		if (ret == -KVM_EFAULT) {
			rp_faults++;
			continue;
		}
		__GUEST_ASSERT(ret >= 1 && ret <= (int64_t)n,
			       "call %lu of %lu entries returned %ld", i, n, ret);
		ok++;
	}
	return ok;
}

/*
 * @rounds times: write a pattern to the @n pages from @start, so that they
 * have SPTEs, hint the @nr entries of the list at @gpa (calling again after
 * partial calls), and count the pages that do not read as zeros after.
 * The list cuts the pages into @nr equal ranges; every other round writes
 * only the second half of each, so that a walk that zaps a range first
 * crosses leaves that the last round's hint left empty.
 */
static uint64_t guest_rounds(uint64_t rounds, uint64_t gpa, uint64_t nr,
			     uint64_t start, uint64_t n)
{
	uint64_t i, r, done, bad = 0, per = n / nr;
	int64_t ret;

	for (i = 0; i < rounds; i++) {
		if (i & 1) {
			for (r = 0; r < nr; r++)
				guest_fill(start + (r * per + per / 2) * PAGE_SIZE,
					   per - per / 2, i + 1);
		} else {
			guest_fill(start, n, i + 1);
		}
		for (done = 0; done < nr; done += ret) {
			ret = kvm_hypercall(KVM_HC_DISCARD_RANGES,
					    gpa + done * sizeof(struct kvm_discard_range),
					    nr - done, 0, 0);
			__GUEST_ASSERT(ret >= 1 && ret <= (int64_t)(nr - done),
				       "round %lu: a call of %lu entries returned %ld",
				       i, nr - done, ret);
		}
		bad += guest_check(start, n, 0, true);
	}
	return bad;
}

static void guest_code(uint64_t id)
{
	uint64_t round = 0, bad = 0;

	if (READ_ONCE(cmd.op) == OP_TOUCH) {
		do {
			guest_fill(TEST_GPA + id * TEST_SIZE / 2, TEST_PAGES / 2, round);
			round++;
		} while (!READ_ONCE(*stop_flag));
		GUEST_SYNC2(0, round);
		GUEST_DONE();
	}
	if (id == 1 && READ_ONCE(cmd.op) == OP_FUZZ) {
		GUEST_SYNC1(guest_fuzz(cmd.a0, cmd.a1 + 1,
				       (void *)(cmd.a2 + PAGE_SIZE), cmd.a3 + PAGE_SIZE));
		GUEST_DONE();
	}
	if (id == 1) {
		/*
		 * The neighbour: write and read back until the host says
		 * stop, publishing the rounds done in the word after the flag.
		 */
		do {
			guest_fill(nb_start, nb_pages, round);
			bad += guest_check(nb_start, nb_pages, round, false);
			WRITE_ONCE(stop_flag[1], ++round);
		} while (!READ_ONCE(*stop_flag));
		GUEST_SYNC2(bad, round);
		GUEST_DONE();
	}

	for (;;) {
		switch (READ_ONCE(cmd.op)) {
		case OP_FILL:
			guest_fill(cmd.a2 ? cmd.a1 : TEST_GPA,
				   cmd.a2 ? cmd.a2 : TEST_PAGES, cmd.a0);
			GUEST_SYNC1(0);
			break;
		case OP_CHECK:
			GUEST_SYNC1(guest_check(cmd.a0, cmd.a1, cmd.a2, cmd.a3));
			break;
		case OP_HINT:
			GUEST_SYNC1(kvm_hypercall(KVM_HC_DISCARD_RANGES, cmd.a0,
						  cmd.a1, cmd.a2, 0));
			break;
		case OP_FUZZ:
			GUEST_SYNC1(guest_fuzz(cmd.a0, cmd.a1, (void *)cmd.a2, cmd.a3));
			break;
		case OP_REPEAT:
			GUEST_SYNC1(guest_repeat(cmd.a0, cmd.a1, cmd.a2));
			break;
		case OP_ROUNDS:
			GUEST_SYNC1(guest_rounds(cmd.a0, cmd.a1, cmd.a2, cmd.a3,
						 zap_pages));
			break;
		case OP_CHURN:
			for (round = 0;; round++) {
				guest_fill(TEST_GPA, TEST_PAGES, round);
				kvm_hypercall(KVM_HC_DISCARD_RANGES, cmd.a0, cmd.a1, 0, 0);
			}
		default:
			GUEST_FAIL("unknown command %lu", cmd.op);
		}
	}
}

static struct kvm_discard_range *list;	/* the host's view of the list page */
static vm_paddr_t list_gpa;
static uint64_t *host_stop;	/* the host's view of *stop_flag */

/*
 * A vCPU must stop only for a ucall; for anything else (a triple fault,
 * say), print its registers before failing, to say where it was.
 */
static void expect_io_exit(struct kvm_vcpu *vcpu)
{
	if (vcpu->run->exit_reason != KVM_EXIT_IO) {
		fprintf(stderr, "vCPU %u stopped with exit reason %u (%s):\n", vcpu->id,
			vcpu->run->exit_reason, exit_reason_str(vcpu->run->exit_reason));
		vcpu_dump(stderr, vcpu, 2);
	}
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
}

/* Run vCPU 0 for one command; returns the value the guest synced. */
static uint64_t run_op(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint64_t op,
		       uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct ucall uc;

	cmd = (struct command){ op, a0, a1, a2, a3 };
	sync_global_to_guest(vm, cmd);
	vcpu_run(vcpu);
	expect_io_exit(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		return uc.args[0];
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("unexpected ucall %lu", uc.cmd);
	}
	return 0;
}

/* KVM_HC_DISCARD_RANGES on @n entries of the list page from @first on. */
static int64_t hint_flags(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
			  uint64_t gpa, uint64_t n, uint64_t flags)
{
	return run_op(vm, vcpu, OP_HINT, gpa, n, flags, 0);
}

/* The query: log2 of the unit in which the host drops the VM's memory, or 0. */
static int64_t query_unit(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	return hint_flags(vm, vcpu, 0, 0, KVM_DISCARD_RANGES_F_QUERY);
}

/* A call as the guest's sink makes it to a version 2 host. */
static int64_t hint(struct kvm_vm *vm, struct kvm_vcpu *vcpu, int first, int n)
{
	return hint_flags(vm, vcpu, list_gpa + first * sizeof(*list), n,
			  KVM_DISCARD_RANGES_F_RESUME);
}

/*
 * Hint entries [first, first + n) to the end, calling again after partial
 * calls as the guest's sink does: KVM bounds the work per call, and where
 * it stops inside an entry it writes the part not done back into the list
 * (then a call may return 0 with progress).  Returns the entries done, or
 * the error of the entry the calls stopped at.
 */
static int64_t hint_all(struct kvm_vm *vm, struct kvm_vcpu *vcpu, int first, int n)
{
	uint64_t size;
	int done = 0;
	int64_t ret;

	while (done < n) {
		size = list[first + done].size;
		ret = hint(vm, vcpu, first + done, n - done);
		if (ret < 0)
			return done ? done : ret;
		TEST_ASSERT(ret <= n - done && (ret > 0 || list[first + done].size < size),
			    "a call returned %ld, its first entry %#llx bytes", ret,
			    list[first + done].size);
		done += ret;
	}
	return done;
}

static void set_range(int i, uint64_t gpa, uint64_t size)
{
	list[i].gpa = gpa;
	list[i].size = size;
}

/* Pages of [gpa, gpa + size) in the test slot with host memory behind. */
static uint64_t resident(struct kvm_vm *vm, uint64_t gpa, uint64_t size)
{
	static unsigned char vec[TEST_PAGES];
	uint64_t i, n = 0;

	TEST_ASSERT(!mincore(addr_gpa2hva(vm, gpa), size, vec),
		    "mincore: %s", strerror(errno));
	for (i = 0; i < size / PAGE_SIZE; i++)
		n += vec[i] & 1;
	return n;
}

static uint64_t check(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint64_t gpa,
		      uint64_t size, uint64_t seed, bool zero)
{
	return run_op(vm, vcpu, OP_CHECK, gpa, size / PAGE_SIZE, seed, zero);
}

struct neighbour {
	struct kvm_vcpu *vcpu;
	uint64_t bad, rounds;
};

static void *neighbour_thread(void *arg)
{
	struct neighbour *nb = arg;
	struct ucall uc;

	vcpu_run(nb->vcpu);
	expect_io_exit(nb->vcpu);
	switch (get_ucall(nb->vcpu, &uc)) {
	case UCALL_SYNC:
		nb->bad = uc.args[0];
		nb->rounds = uc.args[1];
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("unexpected ucall %lu", uc.cmd);
	}
	return NULL;
}

static struct kvm_vm *create_vm(struct kvm_vcpu **vcpus, int nr_vcpus,
				enum vm_mem_backing_src_type src, bool enable)
{
	struct kvm_vm *vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	vm_vaddr_t list_gva, stop_gva;
	int i;

	vm_userspace_mem_region_add(vm, src, TEST_GPA, TEST_SLOT, TEST_PAGES, 0);
	/* Identity map: the guest's virtual addresses are its physical ones. */
	virt_map(vm, TEST_GPA, TEST_GPA, TEST_PAGES);
	list_gva = vm_vaddr_alloc_page(vm);
	list_gpa = addr_gva2gpa(vm, list_gva);
	list = addr_gva2hva(vm, list_gva);
	stop_gva = vm_vaddr_alloc_page(vm);
	host_stop = addr_gva2hva(vm, stop_gva);
	host_stop[0] = 0;
	host_stop[1] = 0;
	stop_flag = (uint64_t *)stop_gva;
	sync_global_to_guest(vm, stop_flag);
	for (i = 0; i < nr_vcpus; i++)
		vcpu_args_set(vcpus[i], 1, (uint64_t)i);
	if (enable)
		vm_enable_cap(vm, KVM_CAP_DISCARD_RANGES, 1);
	return vm;
}

/*
 * Hint two ranges (one of them 4 MiB across a 2 MiB boundary) while vCPU 1
 * rewrites the pages between them, and check what is gone and what stays.
 */
static void test_backing(enum vm_mem_backing_src_type src)
{
	/* [2 MiB, 4 MiB) and [6 MiB, 10 MiB) of the region */
	const uint64_t a = TEST_GPA + SZ_2M, b = TEST_GPA + 3 * SZ_2M;
	uint64_t a_size = SZ_2M, b_size = 2 * SZ_2M;
	struct kvm_vcpu *vcpus[2];
	struct neighbour nb;
	struct kvm_vm *vm;
	pthread_t thread;
	uint64_t seed = 0x5eed0000 + src;
	int64_t ret, unit_shift;

	vm = create_vm(vcpus, 2, src, true);
	/*
	 * Hugetlb pages are dropped whole; the rest of the VM is anonymous.
	 * THP is split and dropped by base page.
	 */
	unit_shift = src == VM_MEM_SRC_SHARED_HUGETLB ?
		     __builtin_ctzll(get_backing_src_pagesz(src)) : PAGE_SHIFT;
	TEST_ASSERT_EQ(query_unit(vm, vcpus[0]), unit_shift);
	TEST_ASSERT_EQ(run_op(vm, vcpus[0], OP_FILL, seed, 0, 0, 0), 0);
	TEST_ASSERT_EQ(resident(vm, TEST_GPA, TEST_SIZE), TEST_PAGES);

	/* vCPU 1 works on [4 MiB, 6 MiB), between the two hinted ranges. */
	nb_start = TEST_GPA + 2 * SZ_2M;
	nb_pages = SZ_2M / PAGE_SIZE;
	sync_global_to_guest(vm, nb_start);
	sync_global_to_guest(vm, nb_pages);
	nb = (struct neighbour){ .vcpu = vcpus[1] };
	pthread_create(&thread, NULL, neighbour_thread, &nb);
	/* Hint while the neighbour is at work, not before it started. */
	while (!READ_ONCE(host_stop[1]))
		usleep(1000);

	set_range(0, a, a_size);
	set_range(1, b, b_size);
	ret = hint_all(vm, vcpus[0], 0, 2);
	TEST_ASSERT(ret == 2, "%s: hinting 2 ranges returned %ld",
		    vm_mem_backing_src_alias(src)->name, ret);

	WRITE_ONCE(*host_stop, 1);
	pthread_join(thread, NULL);
	TEST_ASSERT(nb.rounds > 0 && nb.bad == 0,
		    "%s: the neighbouring vCPU saw %lu bad pages in %lu rounds",
		    vm_mem_backing_src_alias(src)->name, nb.bad, nb.rounds);

	/* The host memory behind the hinted ranges is gone, the rest is not. */
	TEST_ASSERT_EQ(resident(vm, a, a_size), 0);
	TEST_ASSERT_EQ(resident(vm, b, b_size), 0);
	TEST_ASSERT_EQ(resident(vm, TEST_GPA, SZ_2M), SZ_2M / PAGE_SIZE);
	TEST_ASSERT_EQ(resident(vm, b + b_size, TEST_GPA + TEST_SIZE - b - b_size),
		       (TEST_GPA + TEST_SIZE - b - b_size) / PAGE_SIZE);

	/* The guest reads zeros there, and its data everywhere else. */
	TEST_ASSERT_EQ(check(vm, vcpus[0], a, a_size, 0, true), 0);
	TEST_ASSERT_EQ(check(vm, vcpus[0], b, b_size, 0, true), 0);
	TEST_ASSERT_EQ(check(vm, vcpus[0], TEST_GPA, SZ_2M, seed, false), 0);
	TEST_ASSERT_EQ(check(vm, vcpus[0], b + b_size,
			     TEST_GPA + TEST_SIZE - b - b_size, seed, false), 0);

	/*
	 * Part of a huge page cannot be dropped: it is skipped, and counted,
	 * while the whole huge pages of a range are dropped.  The last 4 KiB
	 * of the second last huge page and the last huge page here.
	 */
	if (src == VM_MEM_SRC_SHARED_HUGETLB) {
		const uint64_t last = TEST_GPA + TEST_SIZE - SZ_2M;

		set_range(0, last - PAGE_SIZE, SZ_2M + PAGE_SIZE);
		TEST_ASSERT_EQ(hint(vm, vcpus[0], 0, 1), 1);
		TEST_ASSERT_EQ(resident(vm, last - SZ_2M, SZ_2M), SZ_2M / PAGE_SIZE);
		TEST_ASSERT_EQ(resident(vm, last, SZ_2M), 0);
		TEST_ASSERT_EQ(check(vm, vcpus[0], last - SZ_2M, SZ_2M, seed, false), 0);
		TEST_ASSERT_EQ(vm_get_stat(vm, "discard_skipped_unit_bytes"), PAGE_SIZE);
		a_size += SZ_2M;	/* for discard_bytes */
	}

	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_ranges"),
		       2 + (src == VM_MEM_SRC_SHARED_HUGETLB));
	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_bytes"), a_size + b_size);
	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_errors"), 0);
	ksft_test_result_pass("%s: hinted ranges read as zeros, neighbours kept (%lu rounds)\n",
			      vm_mem_backing_src_alias(src)->name, nb.rounds);
	kvm_vm_free(vm);
}

/* mlock() or munlock() all the memory behind the VM's memslots. */
static void lock_vm_memory(struct kvm_vm *vm, bool lock)
{
	struct userspace_mem_region *region;
	int ctr;

	hash_for_each(vm->regions.slot_hash, ctr, region, slot_node) {
		void *hva = (void *)region->region.userspace_addr;
		size_t size = region->region.memory_size;

		TEST_ASSERT(!(lock ? mlock(hva, size) : munlock(hva, size)),
			    "%s: %s", lock ? "mlock" : "munlock", strerror(errno));
	}
}

/*
 * The query (version 2): what the host can drop follows the VMAs as they
 * are now, and a VM whose memory is all mlocked (-overcommit mem-lock=on)
 * hears that nothing can be dropped, so that its guest hands nothing.
 * Malformed queries are malformed calls.
 */
static void test_query(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = create_vm(&vcpu, 1, VM_MEM_SRC_ANONYMOUS, true);
	TEST_ASSERT_EQ(query_unit(vm, vcpu), PAGE_SHIFT);
	/* KVM keeps its answer for a second: wait for the next one. */
	lock_vm_memory(vm, true);
	usleep(1100 * 1000);
	TEST_ASSERT_EQ(query_unit(vm, vcpu), 0);
	lock_vm_memory(vm, false);
	usleep(1100 * 1000);
	TEST_ASSERT_EQ(query_unit(vm, vcpu), PAGE_SHIFT);

	TEST_ASSERT_EQ(hint_flags(vm, vcpu, list_gpa, 0, KVM_DISCARD_RANGES_F_QUERY),
		       -KVM_EINVAL);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, 0, 1, KVM_DISCARD_RANGES_F_QUERY),
		       -KVM_EINVAL);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, 0, 0, 1 << 2), -KVM_EINVAL);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, 0, 0, KVM_DISCARD_RANGES_F_QUERY | 1 << 2),
		       -KVM_EINVAL);
	/* The probe of version 1 stays one with the other flag. */
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, 0, 0, KVM_DISCARD_RANGES_F_RESUME),
		       -KVM_EINVAL);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, 0, 0,
				  KVM_DISCARD_RANGES_F_QUERY | KVM_DISCARD_RANGES_F_RESUME),
		       -KVM_EINVAL);
	/* A query drops nothing and is not a call; its errors count. */
	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_calls"), 6);
	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_errors"), 6);
	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_ranges"), 0);

	vm_enable_cap(vm, KVM_CAP_DISCARD_RANGES, 0);
	TEST_ASSERT_EQ(query_unit(vm, vcpu), -KVM_ENOSYS);
	ksft_test_result_pass("the query answers the unit, 0 when all is mlocked\n");
	kvm_vm_free(vm);
}

/* The guest pages that KVM maps with 4 KiB SPTEs, VM-wide. */
static uint64_t mapped_4k(struct kvm_vm *vm)
{
	return vm_get_stat(vm, "pages_4k");
}

#define BUDGET_PARAM	"/sys/module/kvm/parameters/discard_budget_us"

/* kvm.discard_budget_us: how long a call may take before it returns early. */
static unsigned int get_budget_us(void)
{
	FILE *f = fopen(BUDGET_PARAM, "r");
	unsigned int us = 0;

	TEST_ASSERT(f && fscanf(f, "%u", &us) == 1, "kvm.discard_budget_us");
	fclose(f);
	return us;
}

/* Set kvm.discard_budget_us; whether it was written. */
static bool write_budget_us(unsigned int us)
{
	FILE *f = fopen(BUDGET_PARAM, "w");

	return f && fprintf(f, "%u", us) > 0 && !fclose(f);
}

static void set_budget_us(unsigned int us)
{
	TEST_ASSERT(write_budget_us(us), "kvm.discard_budget_us: %s", strerror(errno));
}

/*
 * The budget before a test set it: put back once, at the test's end or at
 * exit after a failure, where asserting again would only hide the first
 * failure's message.
 */
static unsigned int saved_budget_us = UINT_MAX;

/* kvm.discard_budget_us=0: every call returns after its first step. */
static void zero_budget(void)
{
	saved_budget_us = get_budget_us();
	set_budget_us(0);
}

static void restore_budget(void)
{
	if (saved_budget_us == UINT_MAX)
		return;
	write_budget_us(saved_budget_us);
	saved_budget_us = UINT_MAX;
}

/*
 * Add the memslot BIG_SLOT of @size bytes at BIG_GPA, mapped in the guest
 * by 2 MiB pages (few page tables, whatever the size; the host's backing
 * decides the size of the SPTEs).
 */
static void add_big_region(struct kvm_vm *vm, enum vm_mem_backing_src_type src,
			   uint64_t size)
{
	vm_userspace_mem_region_add(vm, src, BIG_GPA, BIG_SLOT, size / PAGE_SIZE, 0);
	virt_map_level(vm, BIG_GPA, BIG_GPA, size, PG_LEVEL_2M);
}

/*
 * One round of test_partial_call(): the big region filled, then hinted as
 * eight small entries and one of two steps and a bit after them, calling
 * again after each early return from the list as the host left it.
 * Returns the calls whose work did not match what they said they did:
 * the VM's 4 KiB SPTEs must fall by exactly the pages of the entries
 * counted and of the part the host cut off the first entry not counted, a
 * call may do no more than one step, and the rest of a cut entry must
 * still hold its data.  *@partial counts the early returns, *@cut those
 * that ended inside an entry.
 */
static uint64_t partial_round(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
			      uint64_t round, uint64_t *partial, uint64_t *cut)
{
	const uint64_t big = 2 * HOST_STEP + 4 * SZ_1M;
	const int n = 9;
	struct kvm_discard_range before[9], *b, *a;
	uint64_t mapped, gone, pages, steps, bad = 0;
	int64_t done, ret;
	int i;

	for (i = 0; i < n - 1; i++)
		set_range(i, BIG_GPA + i * SZ_512K, SZ_512K);
	set_range(n - 1, BIG_GPA + 4 * SZ_1M, big);
	TEST_ASSERT_EQ(run_op(vm, vcpu, OP_FILL, round, BIG_GPA,
			      (big + 4 * SZ_1M) / PAGE_SIZE, 0), 0);
	for (done = 0; done < n; done += ret) {
		memcpy(before, list, sizeof(before));
		mapped = mapped_4k(vm);
		steps = vm_get_stat(vm, "discard_steps");
		ret = hint(vm, vcpu, done, n - done);
		TEST_ASSERT(ret >= 0 && ret <= n - done,
			    "a call from entry %ld returned %ld", done, ret);
		/* Before check() below faults the guest's own pages in. */
		gone = mapped - mapped_4k(vm);
		TEST_ASSERT_EQ(vm_get_stat(vm, "discard_steps"), steps + 1);
		for (pages = 0, i = done; i < done + ret; i++)
			pages += before[i].size / PAGE_SIZE;
		if (done + ret < n) {
			/* What is left of the entry the call stopped at. */
			b = &before[done + ret];
			a = &list[done + ret];
			TEST_ASSERT(a->size && a->size <= b->size &&
				    a->gpa + a->size == b->gpa + b->size,
				    "entry %ld [%#llx, +%#llx) came back as [%#llx, +%#llx)",
				    done + ret, b->gpa, b->size, a->gpa, a->size);
			pages += (b->size - a->size) / PAGE_SIZE;
			*cut += a->size < b->size;
			++*partial;
			if (check(vm, vcpu, a->gpa, a->size, round, false)) {
				printf("# round %lu: the rest of entry %ld lost data\n",
				       round, done + ret);
				bad++;
			}
		}
		TEST_ASSERT(pages, "a call from entry %ld did nothing", done);
		if (gone != pages) {
			printf("# round %lu: a call from entry %ld that did %lu pages",
			       round, done, pages);
			printf(" unmapped %lu pages\n", gone);
			bad++;
		}
	}
	/* All of it was dropped, none twice and none left out. */
	TEST_ASSERT_EQ(check(vm, vcpu, BIG_GPA, big + 4 * SZ_1M, 0, true), 0);
	return bad;
}

/*
 * A call that returns early (the host's budget) has done exactly what it
 * says: the entries it counted and, where it stopped inside an entry, the
 * part it cut off it, which it wrote back into the list; the other
 * entries are untouched, and the next call does the rest once.  With
 * kvm.discard_budget_us=0 every call returns after its first step
 * (HOST_STEP bytes of entries), so the large entry is cut twice in every
 * round, the first time behind the small ones (the write-back goes to
 * entry 8 of the call), and the last call does its rest.  Before KVM cut
 * entries, the first call did all of the large one.  A guest that does
 * not set KVM_DISCARD_RANGES_F_RESUME gets entries done whole, as from a
 * version 1 host, and a list it allows to be cut must be writable.  The
 * region has no THP (4 KiB SPTEs), and the guest's code for a call is
 * faulted in first.  The host's MMU notifier may zap SPTEs of its own at
 * any time (compaction, reclaim): a round that saw that is not an error,
 * two are.
 */
static void test_partial_call(void)
{
	uint64_t partial = 0, cut = 0, bad_rounds = 0, round;
	/* Above the big region: below it lie the VMX identity map and TSS. */
	const uint64_t ro_gpa = BIG_GPA + 2 * HOST_STEP + 8 * SZ_1M;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	void *ro;

	vm = create_vm(&vcpu, 1, VM_MEM_SRC_ANONYMOUS, true);
	add_big_region(vm, VM_MEM_SRC_ANONYMOUS, 2 * HOST_STEP + 8 * SZ_1M);
	set_range(0, TEST_GPA, PAGE_SIZE);
	TEST_ASSERT_EQ(hint(vm, vcpu, 0, 1), 1);
	zero_budget();
	for (round = 0; round < 3; round++) {
		uint64_t before = cut;

		bad_rounds += !!partial_round(vm, vcpu, round, &partial, &cut);
		TEST_ASSERT(cut > before, "round %lu: no call ended inside an entry", round);
	}

	/* Without the flag, the large entry is one step, one call. */
	TEST_ASSERT_EQ(run_op(vm, vcpu, OP_FILL, 7, BIG_GPA, 2 * HOST_STEP / PAGE_SIZE, 0), 0);
	set_range(0, BIG_GPA, 2 * HOST_STEP);
	set_range(1, BIG_GPA + 2 * HOST_STEP, SZ_1M);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, list_gpa, 2, 0), 1);
	TEST_ASSERT_EQ(list[0].size, 2 * HOST_STEP);
	TEST_ASSERT_EQ(check(vm, vcpu, BIG_GPA, 2 * HOST_STEP, 0, true), 0);

	/* A list in read-only memory may not be cut: refused before any step. */
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, ro_gpa, BIG_SLOT + 1,
				    SZ_2M / PAGE_SIZE, KVM_MEM_READONLY);
	ro = addr_gpa2hva(vm, ro_gpa);
	memcpy(ro, list, 2 * sizeof(*list));
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, ro_gpa, 2, KVM_DISCARD_RANGES_F_RESUME),
		       -KVM_EFAULT);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, ro_gpa, 2, 0), 1);

	restore_budget();
	TEST_ASSERT(bad_rounds < 2, "%lu of 3 rounds: calls did other than they said",
		    bad_rounds);
	ksft_test_result_pass("%lu early returns, %lu inside an entry, each did what it said\n",
			      partial, cut);
	kvm_vm_free(vm);
}

/* Every malformed call gets its error; partial calls report their count. */
static void test_bad_input(void)
{
	const uint64_t end = TEST_GPA + TEST_SIZE;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct {
		const char *what;
		uint64_t gpa, size;
		int64_t want;
	} entries[] = {
		{ "unaligned gpa", TEST_GPA + 8, PAGE_SIZE, -KVM_EINVAL },
		{ "unaligned size", TEST_GPA, PAGE_SIZE + 8, -KVM_EINVAL },
		{ "empty range", TEST_GPA, 0, -KVM_EINVAL },
		{ "range above the maximum size", TEST_GPA,
		  KVM_DISCARD_RANGES_MAX_SIZE + PAGE_SIZE, -KVM_EINVAL },
		{ "range wrapping around", -PAGE_SIZE, 2 * PAGE_SIZE, -KVM_EINVAL },
		{ "range outside every memslot", 1ULL << 40, PAGE_SIZE, -KVM_EFAULT },
		{ "range across the end of a memslot", end - PAGE_SIZE,
		  2 * PAGE_SIZE, -KVM_EFAULT },
		{ "range in the APIC page", 0xfee00000, PAGE_SIZE, -KVM_EFAULT },
		{ "range in a read-only memslot", EXTRA_GPA, PAGE_SIZE, -KVM_EFAULT },
	};
	unsigned int i;
	int64_t ret;

	vm = create_vm(&vcpu, 1, VM_MEM_SRC_ANONYMOUS, true);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, EXTRA_GPA, EXTRA_SLOT,
				    EXTRA_SIZE / PAGE_SIZE, KVM_MEM_READONLY);

	for (i = 0; i < ARRAY_SIZE(entries); i++) {
		set_range(0, entries[i].gpa, entries[i].size);
		ret = hint(vm, vcpu, 0, 1);
		TEST_ASSERT(ret == entries[i].want, "%s: got %ld, want %ld",
			    entries[i].what, ret, entries[i].want);
		/* After a good entry, the call stops at the bad one. */
		set_range(0, TEST_GPA, PAGE_SIZE);
		set_range(1, entries[i].gpa, entries[i].size);
		ret = hint(vm, vcpu, 0, 2);
		TEST_ASSERT(ret == 1, "good + %s: got %ld, want 1",
			    entries[i].what, ret);
	}

	/* The call's own arguments. */
	set_range(0, TEST_GPA, PAGE_SIZE);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, list_gpa, 1, 1), -KVM_EINVAL);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, list_gpa, 0, 0), -KVM_EINVAL);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, list_gpa, 257, 0), -KVM_EINVAL);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, list_gpa, -1ULL, 0), -KVM_EINVAL);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, list_gpa + 8, 1, 0), -KVM_EINVAL);
	/* A list that runs off its page. */
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, list_gpa + PAGE_SIZE - 16, 2, 0),
		       -KVM_EINVAL);
	/* A list outside every memslot, and one in the APIC's MMIO page. */
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, 1ULL << 40, 1, 0), -KVM_EFAULT);
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, 0xfee00000, 1, 0), -KVM_EFAULT);

	/* Duplicates and overlaps are fine: dropping twice changes nothing. */
	set_range(0, TEST_GPA, SZ_2M);
	set_range(1, TEST_GPA, SZ_2M);
	set_range(2, TEST_GPA + PAGE_SIZE, SZ_2M);
	TEST_ASSERT_EQ(hint_all(vm, vcpu, 0, 3), 3);

	/* A full page of entries. */
	for (i = 0; i < PAGE_SIZE / sizeof(*list); i++)
		set_range(i, TEST_GPA + (i % TEST_PAGES) * PAGE_SIZE, PAGE_SIZE);
	ret = hint(vm, vcpu, 0, PAGE_SIZE / sizeof(*list));
	TEST_ASSERT(ret > 0 && ret <= (int64_t)(PAGE_SIZE / sizeof(*list)),
		    "256 entries: got %ld", ret);
	TEST_ASSERT_EQ(hint_all(vm, vcpu, 0, PAGE_SIZE / sizeof(*list)),
		       PAGE_SIZE / sizeof(*list));

	TEST_ASSERT(vm_get_stat(vm, "discard_errors") > 0, "errors not counted");
	ksft_test_result_pass("malformed calls and entries get their errors\n");
	kvm_vm_free(vm);
}

static uint64_t free_huge_pages(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	uint64_t n = 0;

	if (f) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

/*
 * An entry over hugetlb pages that lie in the VMM at addresses not
 * aligned to their size as their guest-physical addresses are is never
 * cut: a cut at a gfn aligned to the step falls inside such a page, which
 * then neither part holds whole, so neither step drops it.  The entry
 * (MISALIGNED_ANON then MISALIGNED_HUGE) ends the step of a small entry
 * before it, and is then one step of one call, with
 * kvm.discard_budget_us=0, and reads as zeros after.  Before KVM marked
 * such entries, that call cut it 64 MiB in (it returned 0), and the huge
 * page across the cut kept its data (counted as skipped, below the unit).
 */
static void test_misaligned_hugetlb(void)
{
	const uint64_t gpa = MISALIGNED_GPA, anon = MISALIGNED_ANON;
	const uint64_t huge = MISALIGNED_HUGE, size = anon + huge;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t steps;
	void *hva;

	/* Free pages may be reserved by others: only mmap() tells. */
	hva = mmap(NULL, huge, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
	if (hva == MAP_FAILED) {
		ksft_test_result_skip("misaligned hugetlb: no 2 MiB huge pages (%s)\n",
				      strerror(errno));
		return;
	}
	vm = create_vm(&vcpu, 1, VM_MEM_SRC_ANONYMOUS, true);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, gpa, MISALIGNED_SLOT,
				    anon / PAGE_SIZE, 0);
	/* The library aligns hugetlb memslots: this one is made by hand. */
	vm_set_user_memory_region(vm, MISALIGNED_SLOT + 1, 0, gpa + anon, huge, hva);
	/* In 2 MiB pages, the last one beyond the memslot, never touched. */
	virt_map_level(vm, gpa, gpa, align_up(size, SZ_2M), PG_LEVEL_2M);

	TEST_ASSERT_EQ(run_op(vm, vcpu, OP_FILL, 5, gpa, size / PAGE_SIZE, 0), 0);
	set_range(0, TEST_GPA, SZ_1M);
	set_range(1, gpa, size);
	zero_budget();
	steps = vm_get_stat(vm, "discard_steps");
	TEST_ASSERT_EQ(hint(vm, vcpu, 0, 2), 1);
	TEST_ASSERT_EQ(hint(vm, vcpu, 1, 1), 1);
	restore_budget();
	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_steps"), steps + 2);
	TEST_ASSERT_EQ(list[1].size, size);
	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_skipped_unit_bytes"), 0);
	TEST_ASSERT_EQ(check(vm, vcpu, gpa, size, 0, true), 0);
	kvm_vm_free(vm);
	TEST_ASSERT(!munmap(hva, huge), "munmap: %s", strerror(errno));
	ksft_test_result_pass("an entry over misaligned hugetlb pages is dropped whole\n");
}

/* The host writes what guest_fill() writes, through its own mapping. */
static void host_fill(void *hva, uint64_t gpa, uint64_t size, uint64_t seed)
{
	uint64_t off;

	for (off = 0; off < size; off += PAGE_SIZE) {
		uint64_t *p = hva + off;

		WRITE_ONCE(p[0], pattern(gpa + off, seed));
		WRITE_ONCE(p[PAGE_SIZE / 8 - 1], pattern(gpa + off, ~seed));
	}
}

/* Pages of what host_fill() wrote that lost their pattern. */
static uint64_t host_check(void *hva, uint64_t gpa, uint64_t size, uint64_t seed)
{
	uint64_t off, bad = 0;

	for (off = 0; off < size; off += PAGE_SIZE) {
		uint64_t *p = hva + off;

		bad += READ_ONCE(p[0]) != pattern(gpa + off, seed) ||
		       READ_ONCE(p[PAGE_SIZE / 8 - 1]) != pattern(gpa + off, ~seed);
	}
	return bad;
}

/* Bytes of [off, off + size) of the file @fd that are not zero. */
static uint64_t file_nonzero(int fd, uint64_t off, uint64_t size)
{
	static char buf[PAGE_SIZE];
	uint64_t n = 0, i, j;

	for (i = 0; i < size; i += PAGE_SIZE) {
		TEST_ASSERT(pread(fd, buf, PAGE_SIZE, off + i) == PAGE_SIZE,
			    "pread: %s", strerror(errno));
		for (j = 0; j < PAGE_SIZE; j++)
			n += !!buf[j];
	}
	return n;
}

/*
 * Put @mem behind the extra memslot, hint all of it, and check what the
 * guest reads there: zeros if the host had to drop it, its data (the
 * pattern of @seed, written before) if it had to skip it, with the bytes
 * counted in the statistic @skipped.  The call succeeds either way.
 */
static void hint_extra(struct kvm_vm *vm, struct kvm_vcpu *vcpu, void *mem,
		       uint64_t seed, const char *skipped, const char *what)
{
	uint64_t before = skipped ? vm_get_stat(vm, skipped) : 0;

	vm_set_user_memory_region(vm, EXTRA_SLOT, 0, EXTRA_GPA, EXTRA_SIZE, mem);
	TEST_ASSERT_EQ(check(vm, vcpu, EXTRA_GPA, EXTRA_SIZE, seed, false), 0);
	set_range(0, EXTRA_GPA, EXTRA_SIZE);
	TEST_ASSERT(hint(vm, vcpu, 0, 1) == 1, "%s: the call did not succeed", what);
	TEST_ASSERT(check(vm, vcpu, EXTRA_GPA, EXTRA_SIZE, seed, !skipped) == 0,
		    "%s: the guest does not read %s", what, skipped ? "its data" : "zeros");
	if (skipped)
		TEST_ASSERT(vm_get_stat(vm, skipped) == before + EXTRA_SIZE,
			    "%s: %s did not count it", what, skipped);
	vm_set_user_memory_region(vm, EXTRA_SLOT, 0, EXTRA_GPA, 0, NULL);
}

/*
 * A file mapped private for guest memory (QEMU's -mem-path and
 * memory-backend-file,share=off): the file's pages and the private copies
 * of them.  The file is written through a shared mapping (hugetlbfs has no
 * write()), and then the second half of it through the private one.
 */
static void *map_private_file(int fd, uint64_t seed)
{
	void *mem, *shared;

	TEST_ASSERT(!ftruncate(fd, EXTRA_SIZE), "ftruncate: %s", strerror(errno));
	shared = mmap(NULL, EXTRA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(shared != MAP_FAILED, "mmap shared: %s", strerror(errno));
	host_fill(shared, EXTRA_GPA, EXTRA_SIZE, seed);
	munmap(shared, EXTRA_SIZE);
	mem = mmap(NULL, EXTRA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap private: %s", strerror(errno));
	host_fill(mem + EXTRA_SIZE / 2, EXTRA_GPA + EXTRA_SIZE / 2, EXTRA_SIZE / 2, seed);
	return mem;
}

/* Reopen @fd read-only, as a VMM does for a file it must not change. */
static int reopen_read_only(int fd)
{
	char path[64];
	int ro;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY);
	TEST_ASSERT(ro >= 0, "open %s: %s", path, strerror(errno));
	return ro;
}

/* kvm.discard_private_files: whether the files VMs map private are theirs. */
static void set_private_files(bool on)
{
	FILE *f = fopen("/sys/module/kvm/parameters/discard_private_files", "w");

	TEST_ASSERT(f && fputs(on ? "1" : "0", f) >= 0 && !fclose(f),
		    "kvm.discard_private_files: %s", strerror(errno));
}

/*
 * What the host drops, and what it skips, for every kind of backing a
 * VMM uses.  A file mapped private whose file holds nothing under the
 * range (QEMU's -mem-path hugetlbfs file, written only through the
 * mapping) loses its private copies.  Where the file holds pages, the
 * hole is punched only with kvm.discard_private_files=1 and only in the
 * VM's own file (a memfd, an unlinked file, mapped once); a named file, a
 * file opened read-only and a file mapped twice are skipped, as without
 * the parameter, and so are mlocked memory and memory armed for
 * userfaultfd: counted, with their data kept, and the call succeeds.
 */
static void test_backing_kinds(void)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_api api = { .api = UFFD_API };
	static const char tmpl[] = "/dev/shm/page_hinting_test.XXXXXX";
	const char *file_skip = "discard_skipped_file_bytes";
	uint64_t seed = 0x5eed1000, free_before;
	char name[sizeof(tmpl)];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int fd, ro, uffd;
	void *mem, *alias;

	vm = create_vm(&vcpu, 1, VM_MEM_SRC_ANONYMOUS, true);
	virt_map(vm, EXTRA_GPA, EXTRA_GPA, EXTRA_SIZE / PAGE_SIZE);
	set_private_files(false);

	/* Private hugetlbfs, written only through the mapping (-mem-path). */
	free_before = free_huge_pages();
	fd = memfd_create("page_hinting_test", MFD_HUGETLB);
	if (fd >= 0 && free_before >= 1 && get_def_hugetlb_pagesz() == SZ_2M) {
		TEST_ASSERT(!ftruncate(fd, EXTRA_SIZE), "ftruncate");
		mem = mmap(NULL, EXTRA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		TEST_ASSERT(mem != MAP_FAILED, "mmap: %s", strerror(errno));
		host_fill(mem, EXTRA_GPA, EXTRA_SIZE, seed);
		TEST_ASSERT_EQ(free_huge_pages(), free_before - 1);
		vm_set_user_memory_region(vm, EXTRA_SLOT, 0, EXTRA_GPA, EXTRA_SIZE, mem);
		set_range(0, EXTRA_GPA, EXTRA_SIZE);
		TEST_ASSERT_EQ(hint(vm, vcpu, 0, 1), 1);
		TEST_ASSERT_EQ(free_huge_pages(), free_before);
		TEST_ASSERT_EQ(check(vm, vcpu, EXTRA_GPA, EXTRA_SIZE, 0, true), 0);
		vm_set_user_memory_region(vm, EXTRA_SLOT, 0, EXTRA_GPA, 0, NULL);
		munmap(mem, EXTRA_SIZE);
	} else {
		ksft_print_msg("no free 2 MiB huge pages: private hugetlbfs not tried\n");
	}
	if (fd >= 0)
		close(fd);

	/* A private memfd mapping whose file holds pages: skipped... */
	fd = memfd_create("page_hinting_test", 0);
	TEST_ASSERT(fd >= 0, "memfd_create: %s", strerror(errno));
	mem = map_private_file(fd, seed);
	hint_extra(vm, vcpu, mem, seed, file_skip, "private memfd");
	TEST_ASSERT(file_nonzero(fd, 0, EXTRA_SIZE), "the memfd lost its data");
	munmap(mem, EXTRA_SIZE);

	/* ...unless the operator says such files are the VMs' own. */
	set_private_files(true);
	mem = map_private_file(fd, seed);
	hint_extra(vm, vcpu, mem, seed, NULL, "private memfd, discard_private_files");
	TEST_ASSERT_EQ(file_nonzero(fd, 0, EXTRA_SIZE), 0);

	/* Mapped twice, it is not the VM's own. */
	mem = map_private_file(fd, seed);
	alias = mmap(NULL, EXTRA_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	TEST_ASSERT(alias != MAP_FAILED, "mmap: %s", strerror(errno));
	hint_extra(vm, vcpu, mem, seed, file_skip, "memfd mapped twice");
	munmap(alias, EXTRA_SIZE);
	munmap(mem, EXTRA_SIZE);

	/* Opened read-only, it would refault its old contents. */
	TEST_ASSERT(!ftruncate(fd, 0), "ftruncate");
	mem = map_private_file(fd, seed);
	munmap(mem, EXTRA_SIZE);
	ro = reopen_read_only(fd);
	mem = mmap(NULL, EXTRA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap: %s", strerror(errno));
	host_fill(mem + EXTRA_SIZE / 2, EXTRA_GPA + EXTRA_SIZE / 2, EXTRA_SIZE / 2, seed);
	hint_extra(vm, vcpu, mem, seed, file_skip, "read-only file");
	munmap(mem, EXTRA_SIZE);
	close(ro);
	close(fd);

	/* A named file mapped private: a template other VMs may map too. */
	memcpy(name, tmpl, sizeof(tmpl));
	fd = mkstemp(name);
	if (fd >= 0 && !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE_SIZE)) {
		mem = map_private_file(fd, seed);
		hint_extra(vm, vcpu, mem, seed, file_skip, "named file");
		TEST_ASSERT(file_nonzero(fd, 0, EXTRA_SIZE), "the named file lost its data");
		munmap(mem, EXTRA_SIZE);
		unlink(name);
		close(fd);

		/* Unlinked, it is the VM's own, as QEMU's -mem-path file. */
		memcpy(name, tmpl, sizeof(tmpl));
		fd = mkstemp(name);
		TEST_ASSERT(fd >= 0 && !unlink(name), "mkstemp, unlink");
		mem = map_private_file(fd, seed);
		hint_extra(vm, vcpu, mem, seed, NULL, "unlinked file");
		TEST_ASSERT_EQ(file_nonzero(fd, 0, EXTRA_SIZE), 0);
		munmap(mem, EXTRA_SIZE);
		close(fd);
	} else {
		ksft_print_msg("no /dev/shm that punches holes: named files not tried\n");
		if (fd >= 0) {
			unlink(name);
			close(fd);
		}
	}
	set_private_files(false);

	/* Armed for userfaultfd (post-copy, snapshots): the monitor sees all. */
	mem = mmap(NULL, EXTRA_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	host_fill(mem, EXTRA_GPA, EXTRA_SIZE, seed);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	TEST_ASSERT(uffd >= 0 && !ioctl(uffd, UFFDIO_API, &api), "userfaultfd: %s",
		    strerror(errno));
	reg.range = (struct uffdio_range){ (uint64_t)mem, EXTRA_SIZE };
	TEST_ASSERT(!ioctl(uffd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER: %s",
		    strerror(errno));
	hint_extra(vm, vcpu, mem, seed, "discard_skipped_uffd_bytes", "userfaultfd");
	close(uffd);

	/* mlock()ed (-overcommit mem-lock=on). */
	TEST_ASSERT(!mlock(mem, EXTRA_SIZE), "mlock: %s", strerror(errno));
	hint_extra(vm, vcpu, mem, seed, "discard_skipped_locked_bytes", "mlocked");
	munmap(mem, EXTRA_SIZE);

	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_errors"), 0);
	ksft_test_result_pass("every backing dropped or skipped as it must be\n");
	kvm_vm_free(vm);
}

/*
 * Pages pinned for DMA -- here by io_uring fixed buffers, which pin with
 * FOLL_LONGTERM as a device driver would -- keep their memory: the call
 * succeeds and drops nothing, and the guest's data stays.
 */
/* From <linux/io_uring.h>, which the selftest headers cannot parse. */
#define IORING_REGISTER_BUFFERS	0

static void test_pinned(void)
{
	uint64_t params[16] = {};	/* struct io_uring_params (120 bytes), all zero */
	struct kvm_vcpu *vcpu;
	struct iovec iov;
	struct kvm_vm *vm;
	int ring;

	ring = syscall(__NR_io_uring_setup, 4, params);
	if (ring < 0) {
		ksft_test_result_skip("pinned pages: no io_uring (%s)\n", strerror(errno));
		return;
	}
	vm = create_vm(&vcpu, 1, VM_MEM_SRC_ANONYMOUS, true);
	TEST_ASSERT_EQ(run_op(vm, vcpu, OP_FILL, 42, 0, 0, 0), 0);
	iov = (struct iovec){ addr_gpa2hva(vm, TEST_GPA), SZ_2M };
	TEST_ASSERT(!syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1),
		    "IORING_REGISTER_BUFFERS: %s", strerror(errno));

	set_range(0, TEST_GPA, SZ_2M);
	set_range(1, TEST_GPA + SZ_2M, SZ_2M);
	TEST_ASSERT_EQ(hint_all(vm, vcpu, 0, 2), 2);
	TEST_ASSERT_EQ(resident(vm, TEST_GPA, SZ_2M), SZ_2M / PAGE_SIZE);
	TEST_ASSERT_EQ(resident(vm, TEST_GPA + SZ_2M, SZ_2M), 0);
	TEST_ASSERT_EQ(check(vm, vcpu, TEST_GPA, SZ_2M, 42, false), 0);
	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_skipped_pinned_bytes"), SZ_2M);

	close(ring);
	ksft_test_result_pass("pages pinned for DMA keep their memory\n");
	kvm_vm_free(vm);
}

/*
 * Without the capability the call is unknown; the capability takes 0 or 1;
 * and a VMM that asked to see the call gets it as KVM_EXIT_HYPERCALL.
 */
static void test_opt_in_and_exit(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DISCARD_RANGES };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	vm = create_vm(&vcpu, 1, VM_MEM_SRC_ANONYMOUS, false);
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_DISCARD_RANGES), 1);
	set_range(0, TEST_GPA, PAGE_SIZE);
	if (!get_kvm_param_bool("discard_ranges"))
		TEST_ASSERT_EQ(hint(vm, vcpu, 0, 1), -KVM_ENOSYS);

	cap.args[0] = 2;
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) && errno == EINVAL,
		    "KVM_CAP_DISCARD_RANGES accepted 2");
	cap.args[0] = 1;
	cap.flags = 1;
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) && errno == EINVAL,
		    "KVM_CAP_DISCARD_RANGES accepted flags");
	vm_enable_cap(vm, KVM_CAP_DISCARD_RANGES, 1);
	TEST_ASSERT_EQ(hint(vm, vcpu, 0, 1), 1);
	vm_enable_cap(vm, KVM_CAP_DISCARD_RANGES, 0);
	TEST_ASSERT_EQ(hint(vm, vcpu, 0, 1), -KVM_ENOSYS);

	/* The upstream-friendly mode: the VMM handles the call. */
	TEST_ASSERT(kvm_check_cap(KVM_CAP_EXIT_HYPERCALL) & (1 << KVM_HC_DISCARD_RANGES),
		    "KVM_CAP_EXIT_HYPERCALL does not offer KVM_HC_DISCARD_RANGES");
	vm_enable_cap(vm, KVM_CAP_EXIT_HYPERCALL, 1 << KVM_HC_DISCARD_RANGES);
	cmd = (struct command){ OP_HINT, list_gpa, 1, 0, 0 };
	sync_global_to_guest(vm, cmd);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HYPERCALL);
	TEST_ASSERT_EQ(vcpu->run->hypercall.nr, KVM_HC_DISCARD_RANGES);
	TEST_ASSERT_EQ(vcpu->run->hypercall.args[0], list_gpa);
	TEST_ASSERT_EQ(vcpu->run->hypercall.args[1], 1);
	vcpu->run->hypercall.ret = 1;
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[0], 1);
	/* Malformed calls are answered by KVM, not passed on. */
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, list_gpa, 0, 0), -KVM_EINVAL);
	/*
	 * The VMM knows what it can drop, KVM does not: the query gets a
	 * version 1 host's answer, and the guest falls back to base pages.
	 */
	TEST_ASSERT_EQ(query_unit(vm, vcpu), -KVM_EINVAL);
	/* Nor does it know whether the VMM would write a cut entry back. */
	TEST_ASSERT_EQ(hint_flags(vm, vcpu, list_gpa, 1, KVM_DISCARD_RANGES_F_RESUME),
		       -KVM_EINVAL);

	ksft_test_result_pass("opt-in by capability; KVM_EXIT_HYPERCALL when the VMM asks\n");
	kvm_vm_free(vm);
}

struct flapper {
	struct kvm_vm *vm;
	void *mem;
	atomic_bool stop;
	uint64_t flips;
};

/*
 * Delete and re-create the flapping memslot until told to stop, with the
 * raw ioctl: the selftest library's memslot bookkeeping is not meant to
 * change under running vCPU threads.
 */
static void *flapper_thread(void *arg)
{
	struct flapper *f = arg;
	struct kvm_userspace_memory_region r = {
		.slot = FLAP_SLOT,
		.guest_phys_addr = FLAP_GPA,
		.userspace_addr = (uint64_t)f->mem,
	};

	while (!atomic_load(&f->stop)) {
		r.memory_size = f->flips & 1 ? 0 : FLAP_SIZE;
		TEST_ASSERT(!ioctl(f->vm->fd, KVM_SET_USER_MEMORY_REGION, &r),
			    "flapping memslot: %s", strerror(errno));
		f->flips++;
		usleep(200);
	}
	return NULL;
}

/*
 * Random calls, mostly malformed, each checked by the guest against the
 * model (guest_fuzz()): first on one vCPU; then on one vCPU while a memslot
 * that some entries hit is deleted and re-created; and with @concurrent,
 * on two vCPUs at once.
 *
 * The two-vCPU phase is not run by default: under nested TCG with nested
 * paging, one of the vCPUs sometimes stops with a triple fault
 * (KVM_EXIT_SHUTDOWN), or the test hangs.  That is not the handler: its
 * control (-C, test_concurrent_control()), two vCPUs writing memory that
 * a host thread drops with MADV_DONTNEED and no hypercall at all, stops
 * the same way within seconds in every run, on the unpatched kernel too,
 * and never with the shadow MMU or without the MADV_DONTNEED.
 */
static void test_fuzz(uint64_t calls, uint64_t seed, bool concurrent)
{
	uint64_t flap_calls = concurrent ? calls / 4 : calls - calls / 2;
	struct kvm_vcpu *vcpus[2];
	struct flapper flap = {};
	struct neighbour nb;
	vm_vaddr_t lists;
	pthread_t thread, flapper;
	struct kvm_vm *vm;
	uint64_t dropped;
	void *locked;

	vm = create_vm(vcpus, 2, VM_MEM_SRC_ANONYMOUS, true);
	/* A list page per vCPU. */
	lists = vm_vaddr_alloc(vm, 2 * PAGE_SIZE, KVM_UTIL_MIN_VADDR);
	/*
	 * The last 2 MiB of the test region are mlocked: the host skips what
	 * entries there ask for, which counts as done for the model, and
	 * their data stays.
	 */
	locked = addr_gpa2hva(vm, TEST_GPA + TEST_SIZE - SZ_2M);
	host_fill(locked, TEST_GPA + TEST_SIZE - SZ_2M, SZ_2M, seed);
	TEST_ASSERT(!mlock(locked, SZ_2M), "mlock: %s", strerror(errno));

	fz_flap = false;
	sync_global_to_guest(vm, fz_flap);
	dropped = run_op(vm, vcpus[0], OP_FUZZ, calls / 2, seed, lists,
			 addr_gva2gpa(vm, lists));
	TEST_ASSERT(dropped > 0, "no fuzzed call dropped anything");
	TEST_ASSERT(vm_get_stat(vm, "discard_errors") > 0, "errors not counted");
	ksft_print_msg("fuzz: %lu calls on one vCPU done\n", calls / 2);

	flap.vm = vm;
	flap.mem = mmap(NULL, FLAP_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(flap.mem != MAP_FAILED, "mmap");
	fz_flap = true;
	sync_global_to_guest(vm, fz_flap);
	pthread_create(&flapper, NULL, flapper_thread, &flap);
	dropped += run_op(vm, vcpus[0], OP_FUZZ, flap_calls, seed + 100, lists,
			  addr_gva2gpa(vm, lists));
	atomic_store(&flap.stop, true);
	pthread_join(flapper, NULL);
	ksft_print_msg("fuzz: %lu calls while the memslot flipped %lu times done\n",
		       flap_calls, flap.flips);

	if (concurrent) {
		/* vCPU 1 runs guest_fuzz() on the second list page. */
		fz_flap = false;
		sync_global_to_guest(vm, fz_flap);
		cmd = (struct command){ OP_FUZZ, calls / 8, seed + 200, lists,
					addr_gva2gpa(vm, lists) };
		sync_global_to_guest(vm, cmd);
		nb = (struct neighbour){ .vcpu = vcpus[1] };
		pthread_create(&thread, NULL, neighbour_thread, &nb);
		dropped += run_op(vm, vcpus[0], OP_FUZZ, calls / 8, seed + 300, lists,
				  addr_gva2gpa(vm, lists));
		pthread_join(thread, NULL);
		dropped += nb.bad;	/* vCPU 1's GUEST_SYNC1: its calls that dropped memory */
	}

	ksft_print_msg("%lu calls dropped memory; the memslot flipped %lu times%s\n",
		       dropped, flap.flips, concurrent ? "; then 2 vCPUs at once" : "");
	TEST_ASSERT(vm_get_stat(vm, "discard_skipped_locked_bytes") > 0,
		    "no mlocked memory was skipped");
	TEST_ASSERT_EQ(host_check(locked, TEST_GPA + TEST_SIZE - SZ_2M, SZ_2M, seed), 0);
	ksft_test_result_pass("%lu fuzzed calls (seed %lu) agree with the model\n",
			      calls / 2 + flap_calls + (concurrent ? 2 * (calls / 8) : 0),
			      seed);
	kvm_vm_free(vm);
	munmap(flap.mem, FLAP_SIZE);
}

struct compactor {
	atomic_bool stop;
	uint64_t runs;
};

/*
 * Compact all memory again and again: compaction migrates the VM's pages,
 * and each migration runs KVM's MMU notifier, which takes mmu_lock for
 * write and zaps the page's SPTE.
 */
static void *compactor_thread(void *arg)
{
	struct compactor *c = arg;
	int fd;

	while (!atomic_load(&c->stop)) {
		fd = open("/proc/sys/vm/compact_memory", O_WRONLY);
		if (fd < 0)
			break;
		TEST_ASSERT(write(fd, "1", 1) == 1, "compact_memory: %s", strerror(errno));
		close(fd);
		c->runs++;
		usleep(1000);
	}
	return NULL;
}

struct hog {
	atomic_bool stop;
	cpu_set_t cpu;
	uint64_t wakeups;
};

/*
 * Wake up on @cpu as a real-time task, after 20 us to 1 ms at random: each
 * wakeup asks the thread running there to yield at once (need_resched()),
 * sometimes inside a walk of the zap, sometimes between its ranges.
 */
static void *hog_thread(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct timespec nap = {};
	struct hog *h = arg;

	TEST_ASSERT(!pthread_setaffinity_np(pthread_self(), sizeof(h->cpu), &h->cpu),
		    "pthread_setaffinity_np");
	TEST_ASSERT(!pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp),
		    "SCHED_FIFO: %s", strerror(errno));
	while (!atomic_load(&h->stop)) {
		nap.tv_nsec = 20000 + random() % 980000;
		nanosleep(&nap, NULL);
		h->wakeups++;
	}
	return NULL;
}

/*
 * Zap many ranges while the hinting vCPU is asked to yield, so that the
 * zap of a batch breaks mmu_lock, in kvm_mmu_zap_gfn_ranges() and in the
 * rmap and TDP MMU walks it hands its deferred TLB flush to.  No zap may
 * be left unflushed then: with CONFIG_KVM_PROVE_MMU every break on that
 * path checks it (a WARN, which fails the L1 run), and the guest checks
 * that what it hinted reads as zeros and that its neighbour's data stays.
 *
 * Without kernel preemption only need_resched() breaks the lock (waiters
 * on mmu_lock do not), so a real-time thread on vCPU 0's CPU wakes up
 * often, which asks vCPU 0 to yield, within the walks too.  vCPU 0 writes
 * @size bytes of the first half of the test region and hints them,
 * @rounds times, as 256 small ranges, as 16 and as 2 large ones; vCPU 1
 * writes and reads as much of the second half meanwhile (the neighbour),
 * faulting.  First with only that, then
 * while a host thread deletes and re-creates a memslot, and another
 * compacts memory, which migrates the VM's pages through the MMU notifier
 * (taking mmu_lock for write).
 */
static void test_zap_contention(uint64_t rounds, uint64_t size)
{
	const uint64_t shapes[] = { 256, 16, 2 };
	uint64_t i, k, calls, bad = 0;
	struct compactor comp = {};
	struct flapper flap = {};
	struct hog hog = {};
	struct kvm_vcpu *vcpus[2];
	pthread_t nbt, flapper, compactor, hogt;
	struct neighbour nb;
	struct kvm_vm *vm;
	int cpu = sched_getcpu();
	cpu_set_t all;

	TEST_ASSERT(cpu >= 0 && !sched_getaffinity(0, sizeof(all), &all),
		    "sched_getcpu, sched_getaffinity");
	CPU_SET(cpu, &hog.cpu);
	TEST_ASSERT(!pthread_setaffinity_np(pthread_self(), sizeof(hog.cpu), &hog.cpu),
		    "pthread_setaffinity_np");
	pthread_create(&hogt, NULL, hog_thread, &hog);

	vm = create_vm(vcpus, 2, VM_MEM_SRC_ANONYMOUS, true);
	nb_start = TEST_GPA + TEST_SIZE / 2;
	nb_pages = size / PAGE_SIZE;
	zap_pages = size / PAGE_SIZE;
	sync_global_to_guest(vm, nb_start);
	sync_global_to_guest(vm, nb_pages);
	sync_global_to_guest(vm, zap_pages);
	nb = (struct neighbour){ .vcpu = vcpus[1] };
	pthread_create(&nbt, NULL, neighbour_thread, &nb);

	flap.vm = vm;
	flap.mem = mmap(NULL, FLAP_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(flap.mem != MAP_FAILED, "mmap");
	for (k = 0; k < 2; k++) {
		if (k == 1) {
			pthread_create(&flapper, NULL, flapper_thread, &flap);
			pthread_create(&compactor, NULL, compactor_thread, &comp);
		}
		for (i = 0; i < ARRAY_SIZE(shapes); i++) {
			uint64_t n = shapes[i], j;

			for (j = 0; j < n; j++)
				set_range(j, TEST_GPA + j * (size / n), size / n);
			struct timespec start;
			struct rusage ru;
			long switches;

			clock_gettime(CLOCK_MONOTONIC, &start);
			TEST_ASSERT(!getrusage(RUSAGE_THREAD, &ru), "getrusage");
			switches = ru.ru_nivcsw;
			calls = vm_get_stat(vm, "discard_calls");
			bad += run_op(vm, vcpus[0], OP_ROUNDS, rounds, list_gpa, n,
				      TEST_GPA);
			calls = vm_get_stat(vm, "discard_calls") - calls;
			TEST_ASSERT(!getrusage(RUSAGE_THREAD, &ru), "getrusage");
			ksft_print_msg("zap: %lu x %lu ranges%s: %lu calls, %ld yields, %.1f s\n",
				       rounds, n, k ? ", churn" : "", calls,
				       ru.ru_nivcsw - switches,
				       timespec_to_ns(timespec_elapsed(start)) / 1e9);
		}
	}
	atomic_store(&flap.stop, true);
	atomic_store(&comp.stop, true);
	pthread_join(flapper, NULL);
	pthread_join(compactor, NULL);
	WRITE_ONCE(*host_stop, 1);
	pthread_join(nbt, NULL);
	atomic_store(&hog.stop, true);
	pthread_join(hogt, NULL);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(all), &all), "sched_setaffinity");

	TEST_ASSERT(!bad, "%lu hinted pages did not read as zeros", bad);
	TEST_ASSERT(nb.rounds > 0 && nb.bad == 0,
		    "the neighbour found %lu bad pages in %lu rounds", nb.bad, nb.rounds);
	if (!comp.runs)
		ksft_print_msg("zap: no compaction (/proc/sys/vm/compact_memory)\n");
	ksft_test_result_pass("%lu rounds of zaps under contention (%lu flips, %lu compactions)\n",
			      2 * ARRAY_SIZE(shapes) * rounds, flap.flips, comp.runs);
	kvm_vm_free(vm);
	munmap(flap.mem, FLAP_SIZE);
}

/*
 * The control of the two-vCPU fuzz phase (-C): two vCPUs write guest
 * memory while a host thread drops it with MADV_DONTNEED -- what the
 * handler does to host memory, with no hypercall at all.  If its vCPUs
 * also stop with a triple fault or hang under nested TCG, as in the fuzz
 * phase (see test_fuzz()), the handler is not what makes them.  It needs
 * no KVM_CAP_DISCARD_RANGES, so that it runs on an unpatched kernel too.
 */
static void test_concurrent_control(uint64_t drops)
{
	struct neighbour nb[2];
	struct kvm_vcpu *vcpus[2];
	pthread_t threads[2];
	struct kvm_vm *vm;
	uint64_t i, off, len;
	char *hva;

	vm = create_vm(vcpus, 2, VM_MEM_SRC_ANONYMOUS, false);
	hva = addr_gpa2hva(vm, TEST_GPA);
	cmd = (struct command){ OP_TOUCH };
	sync_global_to_guest(vm, cmd);
	for (i = 0; i < 2; i++) {
		nb[i] = (struct neighbour){ .vcpu = vcpus[i] };
		pthread_create(&threads[i], NULL, neighbour_thread, &nb[i]);
	}
	for (i = 0; i < drops; i++) {
		off = (random() % TEST_PAGES) * PAGE_SIZE;
		len = min(PAGE_SIZE * (1 + random() % 512), TEST_SIZE - off);
		TEST_ASSERT(!madvise(hva + off, len, MADV_DONTNEED), "madvise");
		usleep(random() % 200);
	}
	WRITE_ONCE(*host_stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	ksft_test_result_pass("%lu MADV_DONTNEED calls while 2 vCPUs wrote (%lu and %lu rounds)\n",
			      drops, nb[0].rounds, nb[1].rounds);
	kvm_vm_free(vm);
}

/* The test region as LIFECYCLE_ENTRIES ranges, on the list page. */
#define LIFECYCLE_ENTRIES	256

static void set_region_list(void)
{
	uint64_t size = TEST_SIZE / LIFECYCLE_ENTRIES;
	int i;

	for (i = 0; i < LIFECYCLE_ENTRIES; i++)
		set_range(i, TEST_GPA + i * size, size);
}

struct remapper {
	void *hva;
	int memfd;
	atomic_bool stop;
	uint64_t remaps;
};

/*
 * Unmap the memory behind the test memslot and map it again, alternately
 * as anonymous memory and as a shared memfd mapping, touching part of it
 * so that there is something to drop: the hint handler finds no VMA, the
 * other kind of VMA, or a file whose mapping went away while it punched a
 * hole with mmap_lock dropped.
 */
/*
 * Map anonymous memory at @hva again, as the test slot had it: without
 * huge pages, which the library asks for VM_MEM_SRC_ANONYMOUS and a new
 * mapping would lose.  With them, khugepaged could collapse a 2 MiB range
 * whose first 64 KiB pieces were just dropped and fill those holes with
 * zeros (max_ptes_none) before the rest are dropped, and mincore() would
 * count them: 0x90 pages were left so on the debug kernel as L1.
 */
static void *remap_anonymous(void *hva)
{
	void *p = mmap(hva, TEST_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p != MAP_FAILED)
		TEST_ASSERT(!madvise(p, TEST_SIZE, MADV_NOHUGEPAGE), "madvise: %s",
			    strerror(errno));
	return p;
}

static void *remapper_thread(void *arg)
{
	struct remapper *r = arg;
	void *p;

	while (!atomic_load(&r->stop)) {
		TEST_ASSERT(!munmap(r->hva, TEST_SIZE), "munmap: %s", strerror(errno));
		usleep(100);
		if (r->remaps & 1)
			p = mmap(r->hva, TEST_SIZE, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED, r->memfd, 0);
		else
			p = remap_anonymous(r->hva);
		TEST_ASSERT(p == r->hva, "mmap: %s", strerror(errno));
		memset(p, 0xaa, TEST_SIZE / 4);
		r->remaps++;
		usleep(100);
	}
	return NULL;
}

/*
 * The VMM unmaps and remaps guest memory while a vCPU hints it: every call
 * drops memory or returns -KVM_EFAULT, the host neither WARNs nor leaks,
 * and once the memory is back the guest uses it as before.
 */
static void test_unmap_race(uint64_t calls)
{
	struct remapper r = {};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	pthread_t thread;
	uint64_t ok, faults;

	vm = create_vm(&vcpu, 1, VM_MEM_SRC_ANONYMOUS, true);
	set_region_list();
	r.hva = addr_gpa2hva(vm, TEST_GPA);
	r.memfd = memfd_create("page_hinting_test", 0);
	TEST_ASSERT(r.memfd >= 0 && !ftruncate(r.memfd, TEST_SIZE), "memfd");
	pthread_create(&thread, NULL, remapper_thread, &r);
	ok = run_op(vm, vcpu, OP_REPEAT, calls, list_gpa, LIFECYCLE_ENTRIES, 0);
	atomic_store(&r.stop, true);
	pthread_join(thread, NULL);
	sync_global_from_guest(vm, rp_faults);
	faults = rp_faults;
	TEST_ASSERT(ok + faults == calls, "%lu + %lu calls of %lu", ok, faults, calls);
	TEST_ASSERT(ok > 0, "no call dropped memory while the host remapped it");

	/* Anonymous memory again, and the guest works on it as before. */
	TEST_ASSERT(remap_anonymous(r.hva) == r.hva, "mmap: %s", strerror(errno));
	TEST_ASSERT_EQ(run_op(vm, vcpu, OP_FILL, 7, 0, 0, 0), 0);
	TEST_ASSERT_EQ(check(vm, vcpu, TEST_GPA, TEST_SIZE, 7, false), 0);
	TEST_ASSERT_EQ(hint_all(vm, vcpu, 0, LIFECYCLE_ENTRIES), LIFECYCLE_ENTRIES);
	TEST_ASSERT_EQ(resident(vm, TEST_GPA, TEST_SIZE), 0);
	TEST_ASSERT_EQ(check(vm, vcpu, TEST_GPA, TEST_SIZE, 0, true), 0);

	ksft_print_msg("%lu calls dropped memory, %lu found no mapping\n", ok, faults);
	ksft_test_result_pass("%lu calls while the memory was unmapped and remapped %lu times\n",
			      calls, r.remaps);
	kvm_vm_free(vm);
	close(r.memfd);
}

/*
 * Anonymous and shmem memory in use, in KiB: what a VMM's guest memory is.
 * Unlike MemAvailable, which swings by tens of MiB per VM with KVM's and
 * the slab's caches, the per-CPU page lists and KASAN's quarantine, it
 * changes only with user memory -- and stays up if a VMM's address space
 * or its memfd outlives the VMM.
 */
static uint64_t read_user_mem_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	uint64_t kib = 0, v;
	char line[128];

	TEST_ASSERT(f, "/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonPages: %lu kB", &v) == 1 ||
		    sscanf(line, "Shmem: %lu kB", &v) == 1)
			kib += v;
	fclose(f);
	return kib;
}

/*
 * The same once what freeing memory left to do (RCU callbacks, deferred
 * work) has settled: read every 100 ms until two reads agree within
 * 512 KiB, for at most 3 s.
 */
static uint64_t user_mem_kib(void)
{
	uint64_t prev, kib = 0;
	int i;

	prev = read_user_mem_kib();
	for (i = 0; i < 30; i++) {
		usleep(100000);
		kib = read_user_mem_kib();
		if (kib + 512 > prev && prev + 512 > kib)
			break;
		prev = kib;
	}
	return kib;
}

static int cmp_s64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * One VMM whose vCPU writes its memory and hints it (with @hinting; else
 * KVM refuses the calls) over and over, killed with SIGKILL at some point
 * of that loop.  Returns how much user memory it left behind, in KiB.
 */
static int64_t kill_one_vmm(enum vm_mem_backing_src_type src, bool hinting)
{
	uint64_t before = user_mem_kib();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int status, ready[2];
	pid_t pid;
	char c;

	TEST_ASSERT(!pipe(ready), "pipe");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		vm = create_vm(&vcpu, 1, src, hinting);
		set_region_list();
		cmd = (struct command){ OP_CHURN, list_gpa, LIFECYCLE_ENTRIES };
		sync_global_to_guest(vm, cmd);
		TEST_ASSERT(write(ready[1], "r", 1) == 1, "write");
		vcpu_run(vcpu);
		expect_io_exit(vcpu);
		TEST_FAIL("the churning vCPU stopped");
	}
	close(ready[1]);
	TEST_ASSERT(read(ready[0], &c, 1) == 1, "the VMM died before its VM ran");
	close(ready[0]);
	/* Let it fill the memory, then kill it at some point of its loop. */
	usleep(300000 + random() % 700000);
	TEST_ASSERT(!kill(pid, SIGKILL), "kill");
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    "the VMM ended with status %#x, not by SIGKILL", status);
	return user_mem_kib() - before;
}

/*
 * VMMs killed with SIGKILL while their vCPU hints, with each backing that
 * takes its own path in the handler: the process dies, and its guest
 * memory goes with it, as for the same VMMs killed with hinting refused,
 * interleaved with them.
 */
static void test_vmm_killed(int rounds)
{
	enum vm_mem_backing_src_type srcs[] = {
		VM_MEM_SRC_ANONYMOUS,
		VM_MEM_SRC_ANONYMOUS_THP,
		VM_MEM_SRC_SHMEM,
	};
	int64_t fell[2][16], med[2];
	int i, k;

	TEST_ASSERT(rounds <= 16, "at most 16 rounds");
	for (i = 0; i < 2 * rounds; i++)
		fell[i & 1][i / 2] = kill_one_vmm(srcs[(i / 2) % ARRAY_SIZE(srcs)], i & 1);
	for (k = 0; k < 2; k++) {
		qsort(fell[k], rounds, sizeof(fell[k][0]), cmp_s64);
		med[k] = fell[k][rounds / 2];
		ksft_print_msg("user memory left (kB, sorted) %s:", k ? "hinting" : "refused");
		for (i = 0; i < rounds; i++)
			printf(" %ld", fell[k][i]);
		printf("\n");
	}
	/*
	 * A VM whose 16 MiB outlived its VMM would leave the median 16 MiB
	 * higher with hinting; a quarter of that is allowed, for what other
	 * processes of the host do meanwhile.
	 */
	TEST_ASSERT(med[1] < med[0] + (int64_t)(TEST_SIZE >> 10) / 4,
		    "killed VMMs that hinted left a median of %ld kB of user memory behind, %ld kB those that did not (%d each)",
		    med[1], med[0], rounds);
	ksft_print_msg("user memory left behind per VMM (median): %ld kB, %ld kB without hinting\n",
		       med[1], med[0]);
	ksft_test_result_pass("%d VMMs killed while hinting (anonymous, THP, shmem)\n", rounds);
}

/*
 * One line of the bench (-B): a fresh VM's @size bytes of @src filled by
 * the guest, then hinted as @entries equal entries, calling again after
 * each early return; the VM's statistics say how many calls and steps
 * that took, and its peaks the longest call and the longest hold of
 * mmu_lock.
 */
static void bench_one(enum vm_mem_backing_src_type src, uint64_t size, int entries)
{
	uint64_t each = size / entries, ns;
	struct timespec start;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i;

	vm = create_vm(&vcpu, 1, VM_MEM_SRC_ANONYMOUS, true);
	add_big_region(vm, src, size);
	TEST_ASSERT_EQ(run_op(vm, vcpu, OP_FILL, 1, BIG_GPA, size / PAGE_SIZE, 0), 0);
	for (i = 0; i < entries; i++)
		set_range(i, BIG_GPA + i * each, each);
	clock_gettime(CLOCK_MONOTONIC, &start);
	TEST_ASSERT_EQ(hint_all(vm, vcpu, 0, entries), entries);
	ns = timespec_to_ns(timespec_elapsed(start));
	TEST_ASSERT_EQ(vm_get_stat(vm, "discard_bytes"), size);
	printf("# bench: backing=%s mib=%lu entries=%d calls=%lu steps=%lu ",
	       vm_mem_backing_src_alias(src)->name, size >> 20, entries,
	       vm_get_stat(vm, "discard_calls"), vm_get_stat(vm, "discard_steps"));
	printf("max_call_us=%lu max_hold_us=%lu total_ms=%lu\n",
	       vm_get_stat(vm, "discard_max_call_ns") / 1000,
	       vm_get_stat(vm, "discard_max_hold_ns") / 1000, ns / 1000000);
	kvm_vm_free(vm);
}

/*
 * The bench (-B MIB): how long a call and a hold of mmu_lock get when a
 * guest hints MIB MiB at once, as 256 entries (a full list) and as
 * entries of the largest size (1 GiB, or MIB), of anonymous memory by
 * base pages and of shared hugetlb memory (as much of MIB as free 2 MiB
 * huge pages back).  tools/l1/discard-bench.sh runs it with nested paging
 * and the shadow MMU and prints the table.
 */
static void test_bench(uint64_t mib)
{
	uint64_t huge = min(mib, free_huge_pages() * 2) / 512 * 512;

	printf("# bench: budget_us=%u\n", get_budget_us());
	bench_one(VM_MEM_SRC_ANONYMOUS, mib << 20, 256);
	bench_one(VM_MEM_SRC_ANONYMOUS, mib << 20, mib >> 10 ?: 1);
	if (huge && get_def_hugetlb_pagesz() == SZ_2M) {
		bench_one(VM_MEM_SRC_SHARED_HUGETLB, huge << 20, 256);
		bench_one(VM_MEM_SRC_SHARED_HUGETLB, huge << 20, huge >> 10 ?: 1);
	} else {
		printf("# bench: no free 2 MiB huge pages: no hugetlb rows\n");
	}
	ksft_test_result_pass("bench of %lu MiB\n", mib);
}

int main(int argc, char *argv[])
{
	enum vm_mem_backing_src_type srcs[] = {
		VM_MEM_SRC_ANONYMOUS,
		VM_MEM_SRC_ANONYMOUS_THP,
		VM_MEM_SRC_SHMEM,
		VM_MEM_SRC_SHARED_HUGETLB,
	};
	uint64_t calls = 100000, seed = 1;
	bool fuzz_only = false, concurrent = false, lifecycle_only = false;
	bool control = false, zap_only = false, partial_only = false;
	uint64_t zap_rounds = 2, zap_size = TEST_SIZE / 2, bench_mib = 0;
	unsigned int i;
	int opt;

	while ((opt = getopt(argc, argv, "B:cCFLm:n:Ps:z:Z")) != -1) {
		switch (opt) {
		case 'B':
			bench_mib = strtoull(optarg, NULL, 0);
			/* 256 entries of whole 2 MiB pages, none above 1 GiB. */
			if (!bench_mib || bench_mib % 512 ||
			    (bench_mib > 1024 && bench_mib % 1024)) {
				printf("-B: a multiple of 512 MiB (of 1024 above 1024)\n");
				exit(KSFT_FAIL);
			}
			break;
		case 'c':
			concurrent = true;
			break;
		case 'C':
			control = true;
			break;
		case 'F':
			fuzz_only = true;
			break;
		case 'L':
			lifecycle_only = true;
			break;
		case 'm':
			zap_size = strtoull(optarg, NULL, 0) << 20;
			/* Ranges of 2 pages at least: see guest_rounds(). */
			if (zap_size < SZ_2M || zap_size > TEST_SIZE / 2) {
				printf("-m: 2 to %llu MiB\n", TEST_SIZE >> 21);
				exit(KSFT_FAIL);
			}
			break;
		case 'n':
			calls = strtoull(optarg, NULL, 0);
			break;
		case 'P':
			partial_only = true;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'z':
			zap_rounds = strtoull(optarg, NULL, 0);
			break;
		case 'Z':
			zap_only = true;
			break;
		default:
			printf("usage: %s [-c] [-C] [-F] [-L] [-P] [-Z] [-n FUZZ_CALLS] [-s SEED]\n"
			       "          [-z ROUNDS] [-m MIB] [-B MIB]\n"
			       "  -B  only the bench of MIB MiB hinted at once (test_bench())\n"
			       "  -c  fuzz from two vCPUs at once too (see test_fuzz())\n"
			       "  -C  only the control of -c: FUZZ_CALLS host MADV_DONTNEEDs\n"
			       "      while two vCPUs write (see test_concurrent_control())\n"
			       "  -F  the fuzzer only\n"
			       "  -L  the lifecycle tests only (unmapped memory, killed VMM)\n"
			       "  -P  only the calls that end inside an entry (test_partial_call(),\n"
			       "      test_misaligned_hugetlb())\n"
			       "  -Z  only the zap under contention (test_zap_contention(), not\n"
			       "      run by default), ROUNDS (default 2) of each shape and phase\n"
			       "      over MIB MiB (default 8)\n",
			       argv[0]);
			exit(KSFT_FAIL);
		}
	}
	srandom(seed);
	/* Tests that lower kvm.discard_budget_us put it back, on failure too. */
	atexit(restore_budget);
	/* The control needs no hinting: it runs on an unpatched KVM too. */
	if (control) {
		ksft_print_header();
		ksft_set_plan(1);
		test_concurrent_control(calls);
		ksft_finished();
	}
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_DISCARD_RANGES));

	ksft_print_header();
	if (fuzz_only) {
		ksft_set_plan(1);
		test_fuzz(calls, seed, concurrent);
		ksft_finished();
	}
	if (zap_only) {
		ksft_set_plan(1);
		test_zap_contention(zap_rounds, zap_size);
		ksft_finished();
	}
	if (partial_only) {
		ksft_set_plan(2);
		test_partial_call();
		test_misaligned_hugetlb();
		ksft_finished();
	}
	if (bench_mib) {
		ksft_set_plan(1);
		test_bench(bench_mib);
		ksft_finished();
	}
	if (lifecycle_only) {
		ksft_set_plan(2);
		test_unmap_race(2000);
		test_vmm_killed(6);
		ksft_finished();
	}
	ksft_set_plan(ARRAY_SIZE(srcs) + 10);

	for (i = 0; i < ARRAY_SIZE(srcs); i++) {
		/*
		 * Shared hugetlb needs free 2 MiB huge pages (nr_hugepages).
		 * Count them first: get_def_hugetlb_pagesz() ends the whole
		 * test with a skip when none are reserved.
		 */
		if (srcs[i] == VM_MEM_SRC_SHARED_HUGETLB &&
		    (free_huge_pages() < TEST_SIZE / SZ_2M ||
		     get_def_hugetlb_pagesz() != SZ_2M)) {
			ksft_test_result_skip("%s: no free 2 MiB huge pages\n",
					      vm_mem_backing_src_alias(srcs[i])->name);
			continue;
		}
		test_backing(srcs[i]);
	}
	test_query();
	test_partial_call();
	test_misaligned_hugetlb();
	test_bad_input();
	test_backing_kinds();
	test_pinned();
	test_opt_in_and_exit();
	test_unmap_race(2000);
	test_vmm_killed(6);
	test_fuzz(calls, seed, concurrent);

	ksft_finished();
}
