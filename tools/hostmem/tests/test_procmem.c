// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the /proc parsers, on fixtures shaped like QEMU's files. */
#include <string.h>

#include "procmem.h"
#include "tap.h"

static const char status_text[] =
	"Name:\tqemu-system-x86\n"
	"VmPeak:\t 3000000 kB\n"
	"VmRSS:\t  1787904 kB\n"
	"RssAnon:\t 1700000 kB\n"
	"RssFile:\t   80000 kB\n"
	"RssShmem:\t    7904 kB\n"
	"VmData:\t 2600000 kB\n"
	"HugetlbPages:\t       0 kB\n"
	"Threads:\t8\n";

/* Guest RAM 2 GiB, TCG code cache 1 GiB rwx, heap, a library, hugetlb. */
#define MAP(range, perms, name, size, rss, flags)			\
	range " " perms " 00000000 00:00 0 " name "\n"			\
	"Size:           " size " kB\n"					\
	"KernelPageSize:        4 kB\n"					\
	"Rss:            " rss " kB\n"					\
	"Pss:            " rss " kB\n"					\
	"Shared_Hugetlb:        0 kB\n"					\
	"Private_Hugetlb:       0 kB\n"					\
	"VmFlags: " flags "\n"

static const char smaps_qemu[] =
	MAP("55d000000000-55d000100000", "r-xp", "/usr/bin/qemu-system-x86_64",
	    "1024", "900", "rd ex mr mw me")
	MAP("55d001000000-55d009000000", "rw-p", "[heap]", "131072", "120000",
	    "rd wr mr mw me ac")
	MAP("7f0000000000-7f0040000000", "rwxp", "", "1048576", "300000",
	    "rd wr ex mr mw me ac")
	MAP("7f1000000000-7f1080000000", "rw-p", "", "2097152", "1650000",
	    "rd wr mr mw me ac hg mg")
	MAP("7f2000000000-7f2001000000", "rw-p", "", "16384", "16384",
	    "rd wr mr mw me ac");

static const char smaps_hugetlb[] =
	"7f3000000000-7f3040000000 rw-s 00000000 00:10 123 /dev/hugepages/ram\n"
	"Size:            1048576 kB\n"
	"Rss:                   0 kB\n"
	"Shared_Hugetlb:   524288 kB\n"
	"Private_Hugetlb:       0 kB\n"
	"VmFlags: rd wr sh mr mw me ms de ht\n";

static void test_status(void)
{
	struct procmem_status st;

	ok_eq(procmem_parse_status(status_text, &st), 0, "status parses");
	ok_eq(st.vmrss, 1787904, "VmRSS");
	ok_eq(st.rss_anon, 1700000, "RssAnon");
	ok_eq(st.rss_file, 80000, "RssFile");
	ok_eq(st.rss_shmem, 7904, "RssShmem");
	ok_eq(st.hugetlb, 0, "HugetlbPages");
	ok_eq(procmem_parse_status("Name:\tx\nVmRSSX:\t1 kB\n", &st), -1,
	      "status without VmRSS (kernel thread, zombie) is refused");
	ok_eq(procmem_parse_status("", &st), -1, "empty status is refused");
	ok_eq(procmem_parse_status("VmRSS:\t12 kB", &st), 0,
	      "last line without newline");
	ok_eq(st.vmrss, 12, "last line value");
	ok_eq(st.rss_anon, -1, "absent fields are -1");
}

static void test_guest_ram(void)
{
	struct procmem_map m;

	ok_eq(procmem_find_guest_ram(smaps_qemu, 2097152, &m), 0,
	      "2 GiB guest found by size");
	ok_eq(m.start, 0x7f1000000000UL, "2 GiB guest mapping start");
	ok_eq(m.rss_kib, 1650000, "2 GiB guest Rss");
	ok_eq(procmem_find_guest_ram(smaps_qemu, 0, &m), 0, "largest mapping");
	ok_eq(m.start, 0x7f1000000000UL, "largest non-executable mapping");
	ok_eq(procmem_find_guest_ram(smaps_qemu, 131072, &m), 0,
	      "128 MiB guest: smallest mapping that is large enough");
	ok_eq(m.start, 0x55d001000000UL, "128 MiB picks the 128 MiB mapping");
	ok_eq(procmem_find_guest_ram(smaps_qemu, 524288, &m), 0,
	      "512 MiB guest skips the executable 1 GiB code cache");
	ok_eq(m.start, 0x7f1000000000UL, "512 MiB picks the 2 GiB mapping");
	ok_eq(procmem_find_guest_ram(smaps_qemu, 4194304, &m), -1,
	      "no mapping as large as 4 GiB");
	ok_eq(procmem_find_guest_ram("", 0, &m), -1, "empty smaps");
	ok_eq(procmem_find_guest_ram(smaps_hugetlb, 1048576, &m), 0,
	      "hugetlbfs-backed guest RAM");
	ok_eq(m.rss_kib, 524288, "hugetlb pages count as resident");
	ok(strcmp(m.name, "/dev/hugepages/ram") == 0, "mapping name '%s'", m.name);
}

static void test_sizes(void)
{
	ok_eq(procmem_parse_size_kib("2G"), 2097152, "2G");
	ok_eq(procmem_parse_size_kib("2GiB"), 2097152, "2GiB");
	ok_eq(procmem_parse_size_kib("512m"), 524288, "512m");
	ok_eq(procmem_parse_size_kib("4096K"), 4096, "4096K");
	ok_eq(procmem_parse_size_kib("1048576"), 1024, "bytes");
	ok_eq(procmem_parse_size_kib("1000"), -1, "bytes not a KiB multiple");
	ok_eq(procmem_parse_size_kib("-1G"), -1, "negative");
	ok_eq(procmem_parse_size_kib("2X"), -1, "bad suffix");
	ok_eq(procmem_parse_size_kib("G"), -1, "no digits");
	ok_eq(procmem_parse_size_kib("2Gx"), -1, "trailing junk");
	ok_eq(procmem_parse_size_kib("99999999999999999999G"), -1, "overflow");
	ok_eq(procmem_parse_size_kib(""), -1, "empty");
}

int main(void)
{
	test_status();
	test_guest_ram();
	test_sizes();
	return tap_done();
}
