// SPDX-License-Identifier: GPL-2.0
/*
 * memedge: how much anonymous memory a process can hold before the guest
 * runs out -- to show that hinting, which keeps the blocks it hands over
 * off the free lists for a moment, does not make the guest run out sooner.
 *
 * A child touches 1 MiB chunks one after the other and reports each to
 * the parent through a pipe, until the OOM killer ends it (it asks to be
 * the first victim) or the chunk limit is reached.  Before each chunk, a
 * burst of frees can be made so that hinting is busy exactly when memory
 * runs out: the child first maps and frees BURST_MIB, then goes on.
 *
 * usage: memedge [-m LIMIT_MIB] [-b BURST_MIB] [-e EVERY_MIB]
 * Prints "peak_mib=N": the most MiB the child held at once.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1UL << 20)

static void touch(char *p, size_t len)
{
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
}

/* Map, touch and unmap @mib: the pages are freed at once and hinted. */
static void burst(unsigned long mib)
{
	char *p;

	if (!mib)
		return;
	p = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	touch(p, mib * MIB);
	munmap(p, mib * MIB);
}

static void child(int fd, unsigned long limit, unsigned long burst_mib,
		  unsigned long every)
{
	int adj = open("/proc/self/oom_score_adj", O_WRONLY);
	unsigned long n;

	if (adj >= 0) {
		if (write(adj, "1000", 4) != 4)
			perror("oom_score_adj");
		close(adj);
	}
	for (n = 1; n <= limit; n++) {
		char *p;

		if (every && n % every == 0)
			burst(burst_mib);
		p = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			break;
		touch(p, MIB);
		if (write(fd, &n, sizeof(n)) != sizeof(n))
			break;
	}
	_exit(0);
}

int main(int argc, char *argv[])
{
	unsigned long limit = 1UL << 20, burst_mib = 0, every = 16, n, peak = 0;
	int fds[2], opt, status;
	pid_t pid;

	while ((opt = getopt(argc, argv, "m:b:e:")) != -1) {
		switch (opt) {
		case 'm':
			limit = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			burst_mib = strtoul(optarg, NULL, 0);
			break;
		case 'e':
			every = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-m LIMIT_MIB] [-b BURST_MIB] [-e EVERY_MIB]\n",
				argv[0]);
			return 2;
		}
	}
	if (pipe(fds)) {
		perror("pipe");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (!pid) {
		close(fds[0]);
		child(fds[1], limit, burst_mib, every);
	}
	close(fds[1]);
	while (read(fds[0], &n, sizeof(n)) == sizeof(n))
		peak = n;
	waitpid(pid, &status, 0);
	printf("peak_mib=%lu %s\n", peak,
	       WIFSIGNALED(status) ? (WTERMSIG(status) == SIGKILL ? "killed" : "signalled") : "limit");
	return 0;
}
