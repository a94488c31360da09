// SPDX-License-Identifier: GPL-2.0
/*
 * Figures of a hostmem CSV run; see rsssummary.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rsssummary.h"

const double rss_at_s[RSS_AT_COUNT] = { 2, 5, 10, 30 };

/* Split @line at commas in place; returns the number of fields. */
static int split_csv(char *line, char **fields, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	fields[n++] = line;
	for (char *p = line; *p && n < max; p++) {
		if (*p == ',') {
			*p = '\0';
			fields[n++] = p + 1;
		}
	}
	return n;
}

static int push(struct rss_series *s, double t, double mib)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		double *nt = realloc(s->t, cap * sizeof(*nt));
		double *nm;

		if (!nt)
			return -1;
		s->t = nt;
		nm = realloc(s->mib, cap * sizeof(*nm));
		if (!nm)
			return -1;
		s->mib = nm;
		s->cap = cap;
	}
	s->t[s->n] = t;
	s->mib[s->n] = mib;
	s->n++;
	return 0;
}

int rss_series_load(FILE *f, const char *column, const char *start_mark,
		    const char *end_mark, struct rss_series *s,
		    char *err, size_t errlen)
{
	char line[1024], *fld[16];
	int col = -1, ev = -1, n, i;
	size_t lineno = 1;

	memset(s, 0, sizeof(*s));
	s->t_start = NAN;
	s->t_end = NAN;
	if (!fgets(line, sizeof(line), f)) {
		snprintf(err, errlen, "empty file");
		return -1;
	}
	n = split_csv(line, fld, 16);
	for (i = 0; i < n; i++) {
		if (strcmp(fld[i], column) == 0)
			col = i;
		if (strcmp(fld[i], "event") == 0)
			ev = i;
	}
	if (col <= 0 || ev < 0 || strcmp(fld[0], "time_s") != 0) {
		snprintf(err, errlen, "not a hostmem CSV with column '%s'", column);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *endp;
		double t, v;

		lineno++;
		n = split_csv(line, fld, 16);
		if (n <= ev || n <= col) {
			snprintf(err, errlen, "line %zu: %d fields", lineno, n);
			return -1;
		}
		t = strtod(fld[0], &endp);
		if (*endp || endp == fld[0]) {
			snprintf(err, errlen, "line %zu: bad time '%s'", lineno, fld[0]);
			return -1;
		}
		if (*fld[ev]) {
			/* The first occurrence of each marker counts. */
			if (strcmp(fld[ev], start_mark) == 0 && isnan(s->t_start))
				s->t_start = t;
			if (strcmp(fld[ev], end_mark) == 0 && isnan(s->t_end))
				s->t_end = t;
			continue;
		}
		v = strtod(fld[col], &endp);
		if (*endp || endp == fld[col] || v < 0)
			continue;	/* -1: the mapping was not found */
		if (push(s, t, v / 1024.0)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (!s->n) {
		snprintf(err, errlen, "no samples of '%s'", column);
		return -1;
	}
	return 0;
}

void rss_series_free(struct rss_series *s)
{
	free(s->t);
	free(s->mib);
	memset(s, 0, sizeof(*s));
}

int rss_summarize(const struct rss_series *s, struct rss_summary *o)
{
	size_t i;
	int k;
	double target;

	if (isnan(s->t_start) || isnan(s->t_end) || !s->n)
		return -1;
	o->before = s->mib[0];
	o->peak = s->mib[0];
	o->floor = NAN;
	o->t90 = NAN;
	for (k = 0; k < RSS_AT_COUNT; k++)
		o->at[k] = NAN;
	for (i = 0; i < s->n; i++) {
		if (s->t[i] <= s->t_start)
			o->before = s->mib[i];
		if (s->mib[i] > o->peak)
			o->peak = s->mib[i];
	}
	target = o->before + 0.1 * (o->peak - o->before);
	for (i = 0; i < s->n; i++) {
		double dt = s->t[i] - s->t_end;

		if (dt < 0)
			continue;
		if (isnan(o->floor) || s->mib[i] < o->floor)
			o->floor = s->mib[i];
		if (isnan(o->t90) && s->mib[i] <= target)
			o->t90 = dt;
		for (k = 0; k < RSS_AT_COUNT; k++)
			if (isnan(o->at[k]) && dt >= rss_at_s[k])
				o->at[k] = s->mib[i];
	}
	o->idle_s = s->t[s->n - 1] - s->t_end;
	if (o->peak - o->before > 0 && !isnan(o->floor))
		o->returned_pct = 100.0 * (o->peak - o->floor) / (o->peak - o->before);
	else
		o->returned_pct = NAN;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double rss_median(const double *v, size_t n, bool nan_is_inf)
{
	double *w = malloc((n ? n : 1) * sizeof(*w));
	double m;
	size_t i, k = 0;

	if (!w)
		return NAN;
	for (i = 0; i < n; i++) {
		if (!isnan(v[i]))
			w[k++] = v[i];
		else if (nan_is_inf)
			w[k++] = INFINITY;
	}
	if (!k) {
		free(w);
		return NAN;
	}
	qsort(w, k, sizeof(*w), cmp_double);
	m = k % 2 ? w[k / 2] : (w[k / 2 - 1] + w[k / 2]) / 2;
	free(w);
	return isinf(m) ? NAN : m;
}
