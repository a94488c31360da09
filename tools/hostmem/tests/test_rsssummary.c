// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the run figures, on synthetic hostmem CSVs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rsssummary.h"
#include "tap.h"

#define HDR "time_s,vmrss_kib,rss_anon_kib,rss_file_kib,rss_shmem_kib,hugetlb_kib,guest_ram_kib,event\n"
#define S(t, mib) #t ",0,0,0,0,0," #mib "000,\n"	/* ~MiB, as KiB */

static int load(const char *text, struct rss_series *s, char *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r = rss_series_load(f, "guest_ram_kib", "workload-start",
				"workload-end", s, err, 256);

	fclose(f);
	return r;
}

/* 100 before, 1100 during, back to 150 from end + 3 s. */
static const char run_returns[] = HDR
	S(0.0, 100) S(1.0, 100)
	"1.5,,,,,,,workload-start\n"
	S(2.0, 600) S(3.0, 1100) S(10.0, 1100)
	"10.5,,,,,,,workload-end\n"
	S(11.0, 1100) S(12.5, 1100) S(13.0, 700) S(13.5, 150) S(15.5, 160)
	S(20.5, 150) S(30.5, 150) S(41.0, 150);

/* Never returned: the guest frees but nothing reaches the host. */
static const char run_keeps[] = HDR
	S(0.0, 100)
	"0.5,,,,,,,workload-start\n"
	S(1.0, 1100)
	"2.0,,,,,,,workload-end\n"
	S(3.0, 1100) S(4.5, 1100) S(5.0, 1090);

static void test_returns(void)
{
	struct rss_series s;
	struct rss_summary o;
	char err[256];
	const double k = 1000.0 / 1024;	/* the fixture's "MiB" are 1000 KiB */

	ok_eq(load(run_returns, &s, err), 0, "loads");
	ok_eq(s.n, 13, "13 samples, markers are not samples");
	ok_near(s.t_start, 1.5, "start marker time");
	ok_near(s.t_end, 10.5, "end marker time");
	ok_eq(rss_summarize(&s, &o), 0, "summarizes");
	ok_near(o.before, 100 * k, "before: last sample before the start");
	ok_near(o.peak, 1100 * k, "peak");
	ok_near(o.at[0], 1100 * k, "end+2s: first sample at or after 12.5");
	ok_near(o.at[1], 160 * k, "end+5s");
	ok_near(o.at[2], 150 * k, "end+10s");
	ok_near(o.at[3], 150 * k, "end+30s");
	ok_near(o.floor, 150 * k, "floor");
	ok_near(o.returned_pct, 95.0, "returned 950 of 1000");
	ok_near(o.t90, 3.0, "t90: 13.5 reaches before + 10 %% of 1000");
	ok_near(o.idle_s, 30.5, "idle after end");
	rss_series_free(&s);
}

static void test_keeps(void)
{
	struct rss_series s;
	struct rss_summary o;
	char err[256];

	ok_eq(load(run_keeps, &s, err), 0, "loads");
	ok_eq(rss_summarize(&s, &o), 0, "summarizes");
	ok(isnan(o.t90), "t90 never reached");
	ok(isnan(o.at[1]) && isnan(o.at[3]), "end+5s and end+30s not measured");
	ok_near(o.returned_pct, 1.0, "returned 1 %%");
	rss_series_free(&s);
}

static void test_errors(void)
{
	struct rss_series s;
	struct rss_summary o;
	char err[256];

	ok_eq(load("", &s, err), -1, "empty file");
	ok_eq(load("a,b,c\n1,2,3\n", &s, err), -1, "not a hostmem CSV");
	ok_eq(load(HDR, &s, err), -1, "no samples");
	ok_eq(load(HDR "x,1,1,1,1,1,1,\n", &s, err), -1, "bad time");
	ok(strstr(err, "bad time") != NULL, "error says '%s'", err);
	ok_eq(load(HDR "1.0,1,1\n", &s, err), -1, "short line");
	ok_eq(load(HDR S(0, 1) S(1, 2), &s, err), 0, "no markers loads");
	ok_eq(rss_summarize(&s, &o), -1, "but does not summarize");
	rss_series_free(&s);
	ok_eq(load(HDR S(0, 1) "0.5,1,1,1,1,1,-1,\n" "1,,,,,,,workload-start\n"
		   "2,,,,,,,workload-end\n", &s, err), 0,
	      "-1 (no guest RAM mapping) is skipped");
	ok_eq(s.n, 1, "one sample kept");
	rss_series_free(&s);
}

static void test_median(void)
{
	double a[] = { 3, 1, 2 }, b[] = { 4, 1, 3, 2 };
	double c[] = { NAN, 1, 2 }, d[] = { NAN, NAN, 1 };

	ok_near(rss_median(a, 3, false), 2, "odd count");
	ok_near(rss_median(b, 4, false), 2.5, "even count");
	ok_near(rss_median(c, 3, false), 1.5, "NaN left out");
	ok_near(rss_median(c, 3, true), 2, "NaN as never: middle of 1 2 never");
	ok(isnan(rss_median(d, 3, true)), "mostly never is never");
	ok(isnan(rss_median(d, 0, false)), "no values");
}

int main(void)
{
	test_returns();
	test_keeps();
	test_errors();
	test_median();
	return tap_done();
}
