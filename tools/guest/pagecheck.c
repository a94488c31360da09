// SPDX-License-Identifier: GPL-2.0
/*
 * pagecheck: a guest program that looks for memory the host dropped while
 * the guest was using it -- the one thing free page hinting must never do.
 *
 * A hold region is filled once with per-page patterns and checked every
 * second.  Churn threads keep a ring of chunks: each new chunk is written
 * with per-page patterns, checked at once and again later, and the oldest
 * chunk is checked once more before it is unmapped.  Unmapping frees the
 * pages, hinting hands them to the host, and the next chunks reuse them:
 * if a page were reused before the host had finished dropping it, the host
 * would replace it with zeroes under a live pattern, and a check finds it.
 *
 * usage: pagecheck [-t SECONDS] [-j THREADS] [-c CHUNK_KIB] [-r RING]
 *                  [-H HOLD_MIB]
 * Exit status 0 when every check passed, 1 on corruption, 2 on errors.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS_CHECKED 4	/* per page: first, two middle, last word */

static long seconds = 10, threads = 2, chunk_kib = 2048, ring = 8, hold_mib = 64;
static volatile int stop;
static volatile unsigned long errors;

struct counts {
	unsigned long pages, chunks;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t pattern(const void *page, uint64_t gen, unsigned int w)
{
	uint64_t x = (uintptr_t)page ^ (gen * 0x9e3779b97f4a7c15ULL) ^ w;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	/* Never zero: zero is what a dropped page reads back as. */
	return x | 1;
}

static const unsigned int offsets[WORDS_CHECKED] = { 0, 128, 300, 511 };

static void fill(char *p, size_t len, uint64_t gen)
{
	for (size_t off = 0; off < len; off += PAGE)
		for (unsigned int w = 0; w < WORDS_CHECKED; w++)
			((uint64_t *)(p + off))[offsets[w]] = pattern(p + off, gen, w);
}

static unsigned long check(const char *p, size_t len, uint64_t gen,
			   const char *what)
{
	unsigned long bad = 0;

	for (size_t off = 0; off < len; off += PAGE) {
		for (unsigned int w = 0; w < WORDS_CHECKED; w++) {
			uint64_t want = pattern(p + off, gen, w);
			uint64_t got = ((const uint64_t *)(p + off))[offsets[w]];

			if (got != want) {
				if (errors + bad < 10)
					fprintf(stderr, "pagecheck: %s page %p word %u: want %#llx got %#llx\n",
						what, (void *)(p + off), offsets[w],
						(unsigned long long)want,
						(unsigned long long)got);
				bad++;
				break;
			}
		}
	}
	if (bad)
		__atomic_add_fetch(&errors, bad, __ATOMIC_RELAXED);
	return len / PAGE;
}

static void *churn(void *arg)
{
	struct counts *c = arg;
	size_t len = chunk_kib * 1024;
	char **chunks = calloc(ring, sizeof(*chunks));
	uint64_t *gens = calloc(ring, sizeof(*gens));
	uint64_t gen = (uintptr_t)arg;
	long i = 0;

	while (!stop) {
		long slot = i++ % ring;

		if (chunks[slot]) {
			c->pages += check(chunks[slot], len, gens[slot], "churn (old)");
			munmap(chunks[slot], len);
		}
		chunks[slot] = mmap(NULL, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunks[slot] == MAP_FAILED) {
			perror("pagecheck: mmap");
			exit(2);
		}
		gens[slot] = ++gen;
		fill(chunks[slot], len, gens[slot]);
		c->pages += check(chunks[slot], len, gens[slot], "churn (new)");
		/* Check a younger chunk too: pages held for a little while. */
		if (chunks[(slot + ring / 2) % ring])
			c->pages += check(chunks[(slot + ring / 2) % ring], len,
					  gens[(slot + ring / 2) % ring], "churn (held)");
		c->chunks++;
	}
	for (long s = 0; s < ring; s++) {
		if (chunks[s]) {
			c->pages += check(chunks[s], len, gens[s], "churn (last)");
			munmap(chunks[s], len);
		}
	}
	free(chunks);
	free(gens);
	return NULL;
}

int main(int argc, char **argv)
{
	struct counts *counts, hold_counts = { 0 };
	pthread_t *tids;
	size_t hold_len;
	double end;
	char *hold;
	int opt;

	while ((opt = getopt(argc, argv, "t:j:c:r:H:")) != -1) {
		long v = strtol(optarg, NULL, 0);

		if (v <= 0) {
			fprintf(stderr, "pagecheck: -%c needs a positive number\n", opt);
			return 2;
		}
		switch (opt) {
		case 't': seconds = v; break;
		case 'j': threads = v; break;
		case 'c': chunk_kib = (v + 3) / 4 * 4; break;
		case 'r': ring = v; break;
		case 'H': hold_mib = v; break;
		default: return 2;
		}
	}
	hold_len = hold_mib << 20;
	hold = mmap(NULL, hold_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hold == MAP_FAILED) {
		perror("pagecheck: mmap hold");
		return 2;
	}
	fill(hold, hold_len, 1);

	counts = calloc(threads, sizeof(*counts));
	tids = calloc(threads, sizeof(*tids));
	for (long t = 0; t < threads; t++)
		pthread_create(&tids[t], NULL, churn, &counts[t]);

	end = now() + seconds;
	while (now() < end) {
		sleep(1);
		hold_counts.pages += check(hold, hold_len, 1, "hold");
	}
	stop = 1;
	for (long t = 0; t < threads; t++) {
		pthread_join(tids[t], NULL);
		hold_counts.pages += counts[t].pages;
		hold_counts.chunks += counts[t].chunks;
	}
	hold_counts.pages += check(hold, hold_len, 1, "hold");
	printf("pagecheck: %lu page checks, %lu chunks of %ld KiB churned, %lu errors\n",
	       hold_counts.pages, hold_counts.chunks, chunk_kib, errors);
	return errors ? 1 : 0;
}
