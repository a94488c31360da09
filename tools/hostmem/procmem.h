/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing of /proc/<pid>/status and /proc/<pid>/smaps for the host memory
 * sampler.  Pure functions over text buffers, so that the unit tests feed
 * them fixtures and the sampler feeds them the live files.
 */
#ifndef HOSTMEM_PROCMEM_H
#define HOSTMEM_PROCMEM_H

#include <stdbool.h>
#include <stddef.h>

/* Memory figures of a process, in KiB; -1 where the kernel did not say. */
struct procmem_status {
	long vmrss;
	long rss_anon;
	long rss_file;
	long rss_shmem;
	long hugetlb;
};

/* One mapping of /proc/<pid>/smaps. */
struct procmem_map {
	unsigned long start;
	unsigned long end;
	long size_kib;
	long rss_kib;		/* Rss plus hugetlb pages */
	bool exec;
	char name[128];
};

/* Parse the text of /proc/<pid>/status.  Returns 0, or -1 without VmRSS. */
int procmem_parse_status(const char *text, struct procmem_status *st);

/*
 * Find the guest-RAM mapping in the text of /proc/<pid>/smaps.
 *
 * QEMU keeps guest RAM in one large mapping, but with TCG its code cache is a
 * mapping of up to 1 GiB too, larger than a small guest's RAM.  Executable
 * mappings are therefore never guest RAM.  With @ram_kib > 0 (the guest's
 * RAM size, as given to QEMU's -m) the smallest mapping at least that large
 * is chosen; with @ram_kib == 0 the largest one.
 *
 * Returns 0 and fills @out, or -1 if no mapping qualifies.
 */
int procmem_find_guest_ram(const char *text, long ram_kib,
			   struct procmem_map *out);

/*
 * Parse a size such as "2G", "512M", "1536m", "4096k" or "1048576" (bytes)
 * into KiB.  Returns -1 for malformed or out-of-range input.
 */
long procmem_parse_size_kib(const char *s);

#endif
