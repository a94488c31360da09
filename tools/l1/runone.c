// SPDX-License-Identifier: GPL-2.0
/*
 * runone SECS PROG [ARG...]: run one test in the L1 VM in a process group
 * of its own, kill the whole group when the test ends or after SECS, and
 * exit with the test's status.
 *
 * busybox's timeout kills only the program it started: a test that forks
 * (hardware_disable_test, the memstress tests' vCPU workers are threads, but
 * some tests fork VMs) leaves children behind that hold the console pipe of
 * run-tests open, and L1 hangs until the host's budget runs out.  Killing
 * the group when the test's main process is gone ends them all.
 *
 * Exit status: the test's; 128 + N if signal N killed it; 124 on timeout
 * (as coreutils' timeout), so that a timeout is told from the OOM killer.
 * Before a timed-out test is killed, the state and kernel stack of each of
 * its threads are printed: a test that hangs in the kernel (a vCPU stuck
 * in KVM, a memslot update waiting) then says where.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void cat(const char *path, const char *prefix)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("%s%s", prefix, line);
	fclose(f);
}

/* Where each thread of @pid is: its /proc stat line and kernel stack. */
static void dump_threads(pid_t pid)
{
	char path[64], sub[384], stat[512];
	struct dirent *d;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return;
	printf("runone: timed out; the threads of %d:\n", (int)pid);
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s/stat", path, d->d_name);
		f = fopen(sub, "r");
		if (f) {
			/* "TID (COMM) STATE ...": the first three fields. */
			if (fgets(stat, sizeof(stat), f)) {
				char *end = strrchr(stat, ')');

				if (end && end[1] && end[2])
					end[3] = '\0';
				printf("runone:   %s\n", stat);
			}
			fclose(f);
		}
		snprintf(sub, sizeof(sub), "%s/%s/stack", path, d->d_name);
		cat(sub, "runone:     ");
	}
	closedir(dir);
	fflush(stdout);
}

int main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int status;
	pid_t pid;

	if (argc < 3 || atoi(argv[1]) <= 0) {
		fprintf(stderr, "usage: runone SECS PROG [ARG...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("runone: fork");
		return 2;
	}
	if (pid == 0) {
		setpgid(0, 0);
		execv(argv[2], &argv[2]);
		perror(argv[2]);
		_exit(127);
	}
	/* Both sides set the group, so that no kill can precede it. */
	setpgid(pid, pid);
	sigaction(SIGALRM, &sa, NULL);
	alarm(atoi(argv[1]));
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("runone: waitpid");
			return 2;
		}
		if (timed_out) {
			dump_threads(pid);
			kill(-pid, SIGKILL);
		}
	}
	kill(-pid, SIGKILL);
	if (timed_out)
		return 124;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
