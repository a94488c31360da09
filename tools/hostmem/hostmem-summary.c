// SPDX-License-Identifier: GPL-2.0
/*
 * hostmem-summary: the figures of one or more hostmem CSV runs of the same
 * configuration, as the median over the runs.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsssummary.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: hostmem-summary [options] RUN.csv...\n"
"Median figures over runs recorded by hostmem (all in MiB, times in s).\n"
"\n"
"  -c, --column NAME   column to summarize (default guest_ram_kib)\n"
"  -s, --start MARK    marker where the workload starts (default workload-start)\n"
"  -e, --end MARK      marker where it has ended (default workload-end)\n"
"  -L, --label TEXT    row label (default: the first file name)\n"
"  -H, --header        print the table header first\n"
"  -k, --kv            print key=value lines instead of a table row\n"
"  -h, --help          this help\n"
"\n"
"before: RSS at the start marker; peak: the largest; end+Ns: N s after the\n"
"end marker; floor: the smallest after the end; returned: (peak - floor) as\n"
"a share of (peak - before); t90: seconds from the end until RSS is back\n"
"within 10 %% of (peak - before) above 'before', 'never' if it was not.\n");
}

static void print_header(void)
{
	printf("%-24s %4s %7s %7s", "row", "runs", "before", "peak");
	for (int k = 0; k < RSS_AT_COUNT; k++) {
		char h[32];

		snprintf(h, sizeof(h), "end+%gs", rss_at_s[k]);
		printf(" %7s", h);
	}
	printf(" %7s %8s %7s\n", "floor", "returned", "t90");
}

static void print_mib(double v)
{
	if (isnan(v))
		printf(" %7s", "-");
	else
		printf(" %7.0f", v);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "column", required_argument, NULL, 'c' },
		{ "start", required_argument, NULL, 's' },
		{ "end", required_argument, NULL, 'e' },
		{ "label", required_argument, NULL, 'L' },
		{ "header", no_argument, NULL, 'H' },
		{ "kv", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *column = "guest_ram_kib", *start = "workload-start";
	const char *end = "workload-end", *label = NULL;
	bool header = false, kv = false;
	struct rss_summary *sum;
	double *v, m;
	int c, n, i, k;

	while ((c = getopt_long(argc, argv, "c:s:e:L:Hkh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			column = optarg;
			break;
		case 's':
			start = optarg;
			break;
		case 'e':
			end = optarg;
			break;
		case 'L':
			label = optarg;
			break;
		case 'H':
			header = true;
			break;
		case 'k':
			kv = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	n = argc - optind;
	if (n <= 0) {
		if (header && !kv) {
			print_header();
			return 0;
		}
		usage(stderr);
		return 2;
	}
	sum = calloc(n, sizeof(*sum));
	v = calloc(n, sizeof(*v));
	if (!sum || !v)
		return 1;
	for (i = 0; i < n; i++) {
		const char *path = argv[optind + i];
		struct rss_series s;
		char err[256];
		FILE *f = fopen(path, "r");

		if (!f) {
			perror(path);
			return 1;
		}
		if (rss_series_load(f, column, start, end, &s, err, sizeof(err))) {
			fprintf(stderr, "hostmem-summary: %s: %s\n", path, err);
			return 1;
		}
		fclose(f);
		if (rss_summarize(&s, &sum[i])) {
			fprintf(stderr, "hostmem-summary: %s: marker '%s' or '%s' missing\n",
				path, start, end);
			return 1;
		}
		rss_series_free(&s);
	}

#define MEDIAN(field, inf) ({						\
	for (i = 0; i < n; i++)						\
		v[i] = sum[i].field;					\
	rss_median(v, n, inf); })

	if (kv) {
		printf("runs=%d\n", n);
		printf("before_mib=%.1f\n", MEDIAN(before, false));
		printf("peak_mib=%.1f\n", MEDIAN(peak, false));
		for (k = 0; k < RSS_AT_COUNT; k++)
			printf("end%g_mib=%.1f\n", rss_at_s[k], MEDIAN(at[k], false));
		printf("floor_mib=%.1f\n", MEDIAN(floor, false));
		printf("returned_pct=%.1f\n", MEDIAN(returned_pct, false));
		m = MEDIAN(t90, true);
		if (isnan(m))
			printf("t90_s=never\n");
		else
			printf("t90_s=%.2f\n", m);
		printf("idle_s=%.1f\n", MEDIAN(idle_s, false));
		return 0;
	}
	if (header)
		print_header();
	printf("%-24s %4d", label ? label : argv[optind], n);
	print_mib(MEDIAN(before, false));
	print_mib(MEDIAN(peak, false));
	for (k = 0; k < RSS_AT_COUNT; k++)
		print_mib(MEDIAN(at[k], false));
	print_mib(MEDIAN(floor, false));
	m = MEDIAN(returned_pct, false);
	if (isnan(m))
		printf(" %8s", "-");
	else
		printf(" %7.0f%%", m);
	m = MEDIAN(t90, true);
	if (isnan(m))
		printf(" %7s\n", "never");
	else
		printf(" %6.1fs\n", m);
	free(sum);
	free(v);
	return 0;
}
