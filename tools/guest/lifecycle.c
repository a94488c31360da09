// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle: what tools/check/test_lifecycle.sh needs and busybox lacks.
 *
 *   lifecycle kexec KERNEL INITRD CMDLINE
 *	Load KERNEL and INITRD with kexec_file_load() and reboot into them
 *	at once, as `kexec -s -l ... && kexec -e` would, without the
 *	orderly shutdown: whatever hinting has in flight stays in flight.
 *   lifecycle cmos [VALUE]
 *	Print, or set, a byte of the RTC's CMOS memory.  QEMU keeps that
 *	memory across a guest reboot, so a job that reboots the guest can
 *	tell its second boot from its first.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A CMOS byte past what QEMU's firmware and the RTC use. */
#define CMOS_BYTE	0x7e
#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71

static int die(const char *what)
{
	fprintf(stderr, "lifecycle: %s: %s\n", what, strerror(errno));
	return 1;
}

static int do_kexec(const char *kernel, const char *initrd, const char *cmdline)
{
	int kfd = open(kernel, O_RDONLY), ifd = open(initrd, O_RDONLY);

	if (kfd < 0 || ifd < 0)
		return die("open");
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1, cmdline, 0UL))
		return die("kexec_file_load");
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	return die("reboot(LINUX_REBOOT_CMD_KEXEC)");
}

static int do_cmos(const char *value)
{
	if (ioperm(CMOS_INDEX, 2, 1))
		return die("ioperm");
	outb(CMOS_BYTE, CMOS_INDEX);
	if (value)
		outb(strtoul(value, NULL, 0), CMOS_DATA);
	else
		printf("%u\n", inb(CMOS_DATA));
	return 0;
}

int main(int argc, char *argv[])
{
	if (argc == 5 && !strcmp(argv[1], "kexec"))
		return do_kexec(argv[2], argv[3], argv[4]);
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "cmos"))
		return do_cmos(argv[2]);
	fprintf(stderr, "usage: lifecycle kexec KERNEL INITRD CMDLINE\n"
			"       lifecycle cmos [VALUE]\n");
	return 2;
}
