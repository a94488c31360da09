/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Figures of one hostmem CSV run: how much memory the workload took, and how
 * fast the host got it back after the workload ended.  Pure functions, unit
 * tested in test_rsssummary.c.
 */
#ifndef HOSTMEM_RSSSUMMARY_H
#define HOSTMEM_RSSSUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Seconds after the end marker at which the RSS is reported. */
#define RSS_AT_COUNT 4
extern const double rss_at_s[RSS_AT_COUNT];

struct rss_series {
	double *t;		/* host seconds */
	double *mib;		/* the chosen column, in MiB */
	size_t n, cap;
	double t_start;		/* the start marker, or NaN */
	double t_end;		/* the end marker, or NaN */
};

/*
 * All values in MiB, times in seconds.  NaN means "not measured" (the run
 * ended too early) except for t90, where NaN means "never reached".
 */
struct rss_summary {
	double before;		/* last sample at or before the start marker */
	double peak;		/* largest sample */
	double at[RSS_AT_COUNT];/* first sample at or after end + rss_at_s[i] */
	double floor;		/* smallest sample after the end marker */
	double returned_pct;	/* (peak - floor) / (peak - before) */
	double t90;		/* end until RSS <= before + 10 % of (peak - before) */
	double idle_s;		/* how long the run went on after the end */
};

/*
 * Load @column of a hostmem CSV and the times of the two markers.  Returns 0,
 * or -1 with a message in @err.
 */
int rss_series_load(FILE *f, const char *column, const char *start_mark,
		    const char *end_mark, struct rss_series *s,
		    char *err, size_t errlen);
void rss_series_free(struct rss_series *s);

/* Needs both markers; returns -1 if one is missing. */
int rss_summarize(const struct rss_series *s, struct rss_summary *out);

/*
 * Median of @n values.  NaN values are left out, unless @nan_is_inf, when
 * they sort above every number (t90: "never" beats any time).  Returns NaN
 * when nothing is left, or when the median is such an infinite value.
 */
double rss_median(const double *v, size_t n, bool nan_is_inf);

#endif
