// SPDX-License-Identifier: GPL-2.0
/*
 * hostmem: sample the host memory of a process (a VMM such as QEMU) and
 * timestamp the markers its guest prints on the serial console.
 *
 * Each sample is one CSV row with VmRSS, RssAnon, RssFile, RssShmem and
 * HugetlbPages from /proc/<pid>/status and, from /proc/<pid>/smaps, the Rss
 * of the guest-RAM mapping alone: QEMU's own memory and its growing TCG code
 * cache are not guest memory, and only the latter can change with hinting.
 *
 * The guest's clock is not to be trusted under TCG, so markers are stamped
 * with the host's monotonic clock as the console lines arrive.  A console
 * line containing the marker prefix ("@@mark " by default) becomes a row
 * whose event column holds the rest of the line up to the first blank.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "procmem.h"

#define CSV_HEADER \
	"time_s,vmrss_kib,rss_anon_kib,rss_file_kib,rss_shmem_kib,hugetlb_kib,guest_ram_kib,event\n"

struct opts {
	int pid;
	long interval_ms;
	long ram_kib;
	double duration_s;
	const char *out;
	const char *console;
	const char *console_log;
	const char *prefix;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: hostmem -p PID [options]\n"
"Sample the host memory of process PID (e.g. QEMU) as CSV, with guest markers.\n"
"\n"
"  -p, --pid PID           process to sample (required)\n"
"  -o, --output FILE       CSV output (default: standard output)\n"
"  -i, --interval MS       sampling interval in ms (default 100, i.e. 10 Hz)\n"
"  -r, --ram-size SIZE     guest RAM size (QEMU -m, e.g. 2G): picks the\n"
"                          guest-RAM mapping; default: the largest mapping\n"
"  -c, --console FILE      read the guest console from FILE (a pipe, FIFO or\n"
"                          file; '-' is standard input) and record markers\n"
"  -l, --console-log FILE  copy the console lines to FILE\n"
"  -m, --marker PREFIX     marker prefix on the console (default '@@mark ')\n"
"  -d, --duration SECS     stop after SECS seconds (default: until PID exits)\n"
"  -h, --help              this help\n"
"\n"
"Columns: time_s (host monotonic, from start), vmrss_kib, rss_anon_kib,\n"
"rss_file_kib, rss_shmem_kib, hugetlb_kib, guest_ram_kib, event.  Sample\n"
"rows have an empty event; marker rows have only time_s and event.\n"
"Exit status: 0 when PID exits or the duration ends, 1 on errors, 2 on usage.\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read a whole /proc file into *buf (grown as needed); -1 with errno set. */
static ssize_t read_file(const char *path, char **buf, size_t *cap)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		if (len + 4096 + 1 > *cap) {
			size_t ncap = *cap ? *cap * 2 : 65536;
			char *nb = realloc(*buf, ncap);

			if (!nb) {
				close(fd);
				errno = ENOMEM;
				return -1;
			}
			*buf = nb;
			*cap = ncap;
		}
		n = read(fd, *buf + len, *cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	(*buf)[len] = '\0';
	return len;
}

struct sampler {
	char status_path[64];
	char smaps_path[64];
	char *buf;
	size_t cap;
	double no_ram_since;	/* when guest RAM went missing, or < 0 */
	bool warned_no_ram;
};

/*
 * Take one sample.  Returns 1 on success, 0 if the process is gone, -1 on
 * another error (reported).
 */
static int sample(struct sampler *s, const struct opts *o, FILE *out, double t)
{
	struct procmem_status st;
	struct procmem_map ram;
	long ram_rss = -1;

	if (read_file(s->status_path, &s->buf, &s->cap) < 0) {
		if (errno == ENOENT || errno == ESRCH)
			return 0;
		fprintf(stderr, "hostmem: %s: %s\n", s->status_path, strerror(errno));
		return -1;
	}
	/* A zombie has a status file but no memory left to sample. */
	if (procmem_parse_status(s->buf, &st) < 0)
		return 0;
	if (read_file(s->smaps_path, &s->buf, &s->cap) < 0) {
		if (errno == ENOENT || errno == ESRCH)
			return 0;
		fprintf(stderr, "hostmem: %s: %s\n", s->smaps_path, strerror(errno));
		return -1;
	}
	/*
	 * QEMU maps guest RAM a moment after it starts: only a mapping missing
	 * for seconds is worth a warning.
	 */
	if (procmem_find_guest_ram(s->buf, o->ram_kib, &ram) == 0) {
		ram_rss = ram.rss_kib;
		s->no_ram_since = -1;
	} else if (s->no_ram_since < 0) {
		s->no_ram_since = t;
	} else if (t - s->no_ram_since >= 5 && !s->warned_no_ram) {
		fprintf(stderr, "hostmem: pid %d: no mapping looks like guest RAM%s\n",
			o->pid, o->ram_kib ? " of the given --ram-size" : "");
		s->warned_no_ram = true;
	}
	fprintf(out, "%.3f,%ld,%ld,%ld,%ld,%ld,%ld,\n", t, st.vmrss,
		st.rss_anon, st.rss_file, st.rss_shmem, st.hugetlb, ram_rss);
	fflush(out);
	return 1;
}

struct console {
	int fd;
	bool regular;		/* a file to follow, not a pipe to poll */
	FILE *log;
	const char *prefix;
	char line[4096];
	size_t len;
};

static void console_line(struct console *c, FILE *out, double t)
{
	char *m, *end;

	c->line[c->len] = '\0';
	if (c->len && c->line[c->len - 1] == '\r')
		c->line[--c->len] = '\0';
	if (c->log) {
		fprintf(c->log, "%s\n", c->line);
		fflush(c->log);
	}
	m = strstr(c->line, c->prefix);
	if (m) {
		m += strlen(c->prefix);
		end = m + strcspn(m, " \t,\"");
		*end = '\0';
		if (*m) {
			fprintf(out, "%.3f,,,,,,,%s\n", t, m);
			fflush(out);
		}
	}
	c->len = 0;
}

/* Drain what the console has now.  Returns false once it has ended. */
static bool console_read(struct console *c, FILE *out, double t0)
{
	char buf[4096];
	ssize_t n, i;

	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (n == 0)
			return c->regular;	/* a followed file may still grow */
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || c->len == sizeof(c->line) - 1)
				console_line(c, out, now_s() - t0);
			if (buf[i] != '\n')
				c->line[c->len++] = buf[i];
		}
	}
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "ram-size", required_argument, NULL, 'r' },
		{ "console", required_argument, NULL, 'c' },
		{ "console-log", required_argument, NULL, 'l' },
		{ "marker", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	char *endp;
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->pid = -1;
	o->interval_ms = 100;
	o->prefix = "@@mark ";
	while ((c = getopt_long(argc, argv, "p:o:i:r:c:l:m:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			v = strtol(optarg, &endp, 10);
			if (errno || *endp || v <= 0 || v > INT_MAX) {
				fprintf(stderr, "hostmem: bad pid '%s'\n", optarg);
				return 2;
			}
			o->pid = v;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'i':
			errno = 0;
			v = strtol(optarg, &endp, 10);
			if (errno || *endp || v < 1 || v > 3600000) {
				fprintf(stderr, "hostmem: bad interval '%s' (1..3600000 ms)\n", optarg);
				return 2;
			}
			o->interval_ms = v;
			break;
		case 'r':
			o->ram_kib = procmem_parse_size_kib(optarg);
			if (o->ram_kib <= 0) {
				fprintf(stderr, "hostmem: bad size '%s' (e.g. 2G, 512M)\n", optarg);
				return 2;
			}
			break;
		case 'c':
			o->console = optarg;
			break;
		case 'l':
			o->console_log = optarg;
			break;
		case 'm':
			if (!*optarg) {
				fprintf(stderr, "hostmem: empty marker prefix\n");
				return 2;
			}
			o->prefix = optarg;
			break;
		case 'd':
			o->duration_s = strtod(optarg, &endp);
			if (*endp || !(o->duration_s > 0)) {
				fprintf(stderr, "hostmem: bad duration '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || o->pid < 0) {
		fprintf(stderr, "hostmem: %s\n", optind < argc ?
			"unexpected argument" : "-p PID is required");
		usage(stderr);
		return 2;
	}
	return 0;
}

static int open_console(const struct opts *o, struct console *c)
{
	struct stat sb;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->prefix = o->prefix;
	if (!o->console)
		return 0;
	if (strcmp(o->console, "-") == 0)
		c->fd = dup(STDIN_FILENO);
	else
		/* O_NONBLOCK: opening a FIFO must not wait for its writer. */
		c->fd = open(o->console, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0 || fstat(c->fd, &sb) < 0) {
		fprintf(stderr, "hostmem: %s: %s\n", o->console, strerror(errno));
		return 1;
	}
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	c->regular = S_ISREG(sb.st_mode);
	if (o->console_log) {
		c->log = fopen(o->console_log, "w");
		if (!c->log) {
			fprintf(stderr, "hostmem: %s: %s\n", o->console_log, strerror(errno));
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sampler s = { .no_ram_since = -1 };
	struct console con;
	struct sigaction sa = { .sa_handler = on_signal };
	double t0, next, t;
	struct opts o;
	FILE *out = stdout;
	int ret, r;

	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret;
	snprintf(s.status_path, sizeof(s.status_path), "/proc/%d/status", o.pid);
	snprintf(s.smaps_path, sizeof(s.smaps_path), "/proc/%d/smaps", o.pid);
	if (access(s.status_path, R_OK) < 0) {
		fprintf(stderr, "hostmem: pid %d: %s\n", o.pid,
			errno == ENOENT ? "no such process" : strerror(errno));
		return 1;
	}
	if (open_console(&o, &con))
		return 1;
	if (o.out) {
		out = fopen(o.out, "w");
		if (!out) {
			fprintf(stderr, "hostmem: %s: %s\n", o.out, strerror(errno));
			return 1;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fputs(CSV_HEADER, out);
	t0 = next = now_s();
	r = sample(&s, &o, out, 0.0);
	if (r == 0) {
		fprintf(stderr, "hostmem: pid %d: exited, or has no memory to sample\n", o.pid);
		ret = 1;
		goto done;
	}
	while (r > 0 && !stop) {
		double wait_ms;

		next += o.interval_ms / 1000.0;
		t = now_s();
		if (next < t)	/* Fell behind (suspended?): do not burst. */
			next = t;
		while (!stop && (wait_ms = (next - now_s()) * 1000.0) > 0) {
			struct pollfd pfd = { .fd = con.fd, .events = POLLIN };
			int timeout = (int)wait_ms + 1;

			if (con.fd < 0 || con.regular) {
				if (con.fd >= 0)
					console_read(&con, out, t0);
				if (con.regular && timeout > 20)
					timeout = 20;	/* follow the file closely */
				poll(NULL, 0, timeout);
				continue;
			}
			if (poll(&pfd, 1, timeout) > 0 &&
			    !console_read(&con, out, t0)) {
				/* The writer is gone: no more markers will come. */
				close(con.fd);
				con.fd = -1;
			}
		}
		if (o.duration_s > 0 && now_s() - t0 >= o.duration_s)
			break;
		if (!stop)
			r = sample(&s, &o, out, now_s() - t0);
	}
	if (r < 0)
		ret = 1;
	/* Markers printed right before the process exited still count. */
	if (con.fd >= 0)
		console_read(&con, out, t0);
	if (con.len)
		console_line(&con, out, now_s() - t0);
done:
	if (con.log)
		fclose(con.log);
	if (fclose(out) != 0) {
		fprintf(stderr, "hostmem: writing CSV: %s\n", strerror(errno));
		ret = 1;
	}
	free(s.buf);
	return ret;
}
