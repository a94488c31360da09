#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A second `make kernel initramfs` after a build must not touch the tree nor
# recompile anything: warm rebuilds stay in seconds only if that holds.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bz=build/obj-guest/arch/x86/boot/bzImage
before=$(stat -c %Y.%s "$bz" build/initramfs.cpio)
out=$(make kernel initramfs 2>&1)
echo "$out"
after=$(stat -c %Y.%s "$bz" build/initramfs.cpio)
if echo "$out" | grep -E '^  (UNPACK|PATCH|UNPATCH|COPY|REMOVE|CONFIG|CPIO) '; then
	echo "FAIL: the tree, config or initramfs was redone"; exit 1
fi
if grep -E '^  (CC|LD|AS|AR)  ' build/obj-guest/build.log; then
	echo "FAIL: kbuild recompiled something"; exit 1
fi
[ "$before" = "$after" ] || { echo "FAIL: bzImage or initramfs rewritten"; exit 1; }
echo "nothing rebuilt"
