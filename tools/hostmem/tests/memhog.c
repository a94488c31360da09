// SPDX-License-Identifier: GPL-2.0
/*
 * memhog: a stand-in for a guest, for the sampler's integration test.  It
 * prints markers on standard output the way the guest prints them on its
 * console, takes MiB of anonymous memory, then gives it back with
 * MADV_DONTNEED (the mapping stays, as guest RAM does when hinted), and exits.
 *
 * usage: memhog MIB HOLD_MS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void mark(const char *name)
{
	/* Console noise around the marker, as a serial console has. */
	printf("[    1.234] some kernel line\r\n@@mark %s\r\n", name);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	size_t len;
	long hold;
	char *p;

	if (argc != 3)
		return 2;
	len = strtoul(argv[1], NULL, 0) << 20;
	hold = strtol(argv[2], NULL, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	sleep_ms(hold);
	mark("workload-start");
	/*
	 * Let the sampler take a sample after the marker before touching:
	 * "before" is the sample at the marker, and on a slow machine the
	 * first megabytes were already in it (peak - before was 89.9 MiB).
	 */
	sleep_ms(hold / 4);
	memset(p, 0x5a, len);
	sleep_ms(hold);
	madvise(p, len, MADV_DONTNEED);
	mark("workload-end");
	sleep_ms(hold);
	printf("no newline at exit @@mark last");
	return 0;
}
