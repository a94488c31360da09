// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing of /proc/<pid>/status and /proc/<pid>/smaps; see procmem.h.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procmem.h"

/* Value in KiB of a "Key:   1234 kB" line, or -1 if @line is not @key. */
static long kib_field(const char *line, const char *key)
{
	size_t n = strlen(key);
	char *endp;
	long v;

	if (strncmp(line, key, n) != 0 || line[n] != ':')
		return -1;
	errno = 0;
	v = strtol(line + n + 1, &endp, 10);
	if (errno || endp == line + n + 1 || v < 0)
		return -1;
	return v;
}

static const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : NULL;
}

int procmem_parse_status(const char *text, struct procmem_status *st)
{
	const struct {
		const char *key;
		long *val;
	} keys[] = {
		{ "VmRSS", &st->vmrss },
		{ "RssAnon", &st->rss_anon },
		{ "RssFile", &st->rss_file },
		{ "RssShmem", &st->rss_shmem },
		{ "HugetlbPages", &st->hugetlb },
	};
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		*keys[i].val = -1;
	for (p = text; p && *p; p = next_line(p)) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			long v = kib_field(p, keys[i].key);

			if (v >= 0) {
				*keys[i].val = v;
				break;
			}
		}
	}
	return st->vmrss >= 0 ? 0 : -1;
}

/*
 * A mapping header line is "start-end perms offset dev inode [name]"; the
 * key lines that follow are "Key: value".  Tell them apart by the '-' that
 * a hexadecimal start address is followed by.
 */
static int parse_header(const char *line, struct procmem_map *m)
{
	char perms[8];
	int pos = 0;
	const char *name;
	size_t len;

	if (sscanf(line, "%lx-%lx %7s %*s %*s %*s%n", &m->start, &m->end,
		   perms, &pos) < 3 || pos == 0)
		return -1;
	name = line + pos;
	while (*name == ' ')
		name++;
	len = strcspn(name, "\n");
	if (len >= sizeof(m->name))
		len = sizeof(m->name) - 1;
	memcpy(m->name, name, len);
	m->name[len] = '\0';
	m->size_kib = (long)((m->end - m->start) >> 10);
	m->rss_kib = 0;
	m->exec = perms[2] == 'x';
	return 0;
}

static bool better(const struct procmem_map *cand,
		   const struct procmem_map *best, bool have_best, long ram_kib)
{
	if (cand->exec)
		return false;
	if (ram_kib > 0) {
		if (cand->size_kib < ram_kib)
			return false;
		return !have_best || cand->size_kib < best->size_kib;
	}
	return !have_best || cand->size_kib > best->size_kib;
}

int procmem_find_guest_ram(const char *text, long ram_kib,
			   struct procmem_map *out)
{
	struct procmem_map cur, best;
	bool have_cur = false, have_best = false;
	const char *p;
	long v;

	for (p = text; p && *p; p = next_line(p)) {
		if (isxdigit((unsigned char)*p) && parse_header(p, &cur) == 0) {
			have_cur = true;
			continue;
		}
		if (!have_cur)
			continue;
		/* hugetlbfs pages are not in Rss; they are guest RAM too. */
		v = kib_field(p, "Rss");
		if (v < 0)
			v = kib_field(p, "Shared_Hugetlb");
		if (v < 0)
			v = kib_field(p, "Private_Hugetlb");
		if (v >= 0) {
			cur.rss_kib += v;
		} else if (strncmp(p, "VmFlags:", 8) == 0) {
			/* The last line of an entry: the mapping is complete. */
			if (better(&cur, &best, have_best, ram_kib)) {
				best = cur;
				have_best = true;
			}
			have_cur = false;
		}
	}
	if (!have_best)
		return -1;
	*out = best;
	return 0;
}

long procmem_parse_size_kib(const char *s)
{
	unsigned long long v, mult;
	char *endp;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &endp, 10);
	if (errno)
		return -1;
	switch (tolower((unsigned char)*endp)) {
	case '\0':
		/* Plain bytes. */
		return v % 1024 || v / 1024 > LONG_MAX ? -1 : (long)(v / 1024);
	case 'k':
		mult = 1;
		break;
	case 'm':
		mult = 1024;
		break;
	case 'g':
		mult = 1024 * 1024;
		break;
	case 't':
		mult = 1024ULL * 1024 * 1024;
		break;
	default:
		return -1;
	}
	endp++;
	if (tolower((unsigned char)*endp) == 'i')
		endp++;
	if (tolower((unsigned char)*endp) == 'b')
		endp++;
	if (*endp != '\0' || v > LONG_MAX / mult)
		return -1;
	return (long)(v * mult);
}
