# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# What every initramfs of the project holds, the guest's and the L1 VM's:
# the console, busybox as the shell, tools/guest/'s init and marker helpers,
# and a passwd.  Sourced by tools/build/mkinitramfs.sh and
# tools/l1/mkinitramfs.sh; the directories are theirs to list.
#
# initramfs_base REPO_DIR: print those entries as gen_init_cpio lines.
initramfs_base() {
	echo "nod /dev/console 600 0 0 c 5 1"
	echo "nod /dev/null 666 0 0 c 1 3"
	echo "file /bin/busybox /bin/busybox 755 0 0"
	echo "slink /bin/sh busybox 777 0 0"
	echo "file /init $1/tools/guest/init 755 0 0"
	echo "file /usr/lib/hinting/lib.sh $1/tools/guest/lib.sh 644 0 0"
	echo "file /etc/passwd $1/tools/guest/passwd 644 0 0"
}
