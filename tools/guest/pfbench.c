// SPDX-License-Identifier: GPL-2.0
/*
 * pfbench: an allocation/free micro-benchmark in the spirit of will-it-scale's
 * page_fault1.  Each of N processes maps a private anonymous region, writes
 * one byte to every page (one page fault and one page allocation each) and
 * unmaps it (every page freed), in a loop, for a given time.  It prints the
 * pages faulted and freed per second of guest time, and the guest time per
 * page: the free path, and with it the hinting capture hook, runs once per
 * page.
 *
 * Usage: pfbench [-p PROCS] [-m MIB] [-s SECONDS | -n LOOPS] [-t]
 *   -n  a fixed amount of work instead of a fixed time: each process maps,
 *       touches and unmaps its region LOOPS times.  Under QEMU's -icount
 *       the guest time this takes is a deterministic instruction count.
 *   -t  let the region use transparent huge pages (default: 4 KiB pages,
 *       MADV_NOHUGEPAGE, so that every page takes the per-page paths)
 *
 * Output, one line: "pfbench procs=N pages=P seconds=S pages_per_s=R ns_per_page=T"
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One worker: loop @loops times, or until @deadline if @loops is 0, and
 * write the page count to @fd.
 */
static int worker(size_t bytes, int thp, double deadline, long loops, int fd)
{
	long page = sysconf(_SC_PAGESIZE), done = 0;
	unsigned long long pages = 0;

	while (loops ? done++ < loops : now() < deadline) {
		char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t off;

		if (p == MAP_FAILED) {
			perror("pfbench: mmap");
			return 1;
		}
		if (!thp && madvise(p, bytes, MADV_NOHUGEPAGE)) {
			perror("pfbench: madvise");
			return 1;
		}
		for (off = 0; off < bytes; off += page)
			p[off] = 1;
		if (munmap(p, bytes)) {
			perror("pfbench: munmap");
			return 1;
		}
		pages += bytes / page;
	}
	if (write(fd, &pages, sizeof(pages)) != sizeof(pages))
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int procs = 2, mib = 128, secs = 10, thp = 0, opt, i, fds[2], failed = 0;
	long loops = 0;
	unsigned long long total = 0, n;
	double start, elapsed;

	while ((opt = getopt(argc, argv, "p:m:s:n:t")) != -1) {
		switch (opt) {
		case 'p': procs = atoi(optarg); break;
		case 'm': mib = atoi(optarg); break;
		case 's': secs = atoi(optarg); break;
		case 'n': loops = atol(optarg); break;
		case 't': thp = 1; break;
		default:
			fprintf(stderr, "usage: pfbench [-p PROCS] [-m MIB] [-s SECONDS | -n LOOPS] [-t]\n");
			return 2;
		}
	}
	if (procs < 1 || mib < 1 || secs < 1 || loops < 0) {
		fprintf(stderr, "pfbench: -p, -m, -s and -n must be positive\n");
		return 2;
	}
	if (pipe(fds)) {
		perror("pfbench: pipe");
		return 1;
	}
	start = now();
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("pfbench: fork");
			return 1;
		}
		if (!pid)
			_exit(worker((size_t)mib << 20, thp, start + secs, loops, fds[1]));
	}
	close(fds[1]);
	for (i = 0; i < procs; i++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	elapsed = now() - start;
	while (read(fds[0], &n, sizeof(n)) == sizeof(n))
		total += n;
	if (failed || !total) {
		fprintf(stderr, "pfbench: a worker failed\n");
		return 1;
	}
	printf("pfbench procs=%d pages=%llu seconds=%.2f pages_per_s=%.0f ns_per_page=%.1f\n",
	       procs, total, elapsed, total / elapsed, elapsed * 1e9 * procs / total);
	return 0;
}
