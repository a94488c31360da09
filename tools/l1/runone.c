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
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
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
		if (timed_out)
			kill(-pid, SIGKILL);
	}
	kill(-pid, SIGKILL);
	if (timed_out)
		return 124;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
