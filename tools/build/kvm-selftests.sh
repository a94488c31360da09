#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build KVM selftests from the prepared tree (build/linux, so our overlay's
# tests and uapi changes are in) into build/kvm-selftests/, statically: they
# run in the L1 initramfs, which has busybox and no C library.
#
# The tests are compiled against the uapi headers of our tree, exported by
# `make headers` in their own object directory (build/obj-headers, no
# .config needed): that is what headers_install copies from, and unlike
# headers_install's rsync it rewrites a header only when it changed, so the
# tests' dependency files keep a rebuild to what really changed.
#
# Only the requested tests are built: the list is given to the selftest
# Makefile as TEST_GEN_PROGS_x86_64 on the command line (which overrides its
# own list), so any x86_64/NAME.c or NAME.c of the selftest directory can be
# built without editing that Makefile.
#
# Usage: kvm-selftests.sh [TEST...]
#   TEST is a path under tools/testing/selftests/kvm without .c, e.g.
#   x86_64/kvm_pv_test; the default is every test of tools/l1/tests.conf.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/build
src=$b/linux
kst=$src/tools/testing/selftests/kvm
out=$b/kvm-selftests
hdr=$b/obj-headers
jobs=${JOBS:-$(nproc)}

die() { echo "kvm-selftests: $*" >&2; exit 1; }

[ -d "$kst" ] || die "$kst missing: run 'make tree' first"
if [ $# = 0 ]; then
	# shellcheck disable=SC2046
	set -- $(sed -e 's/#.*//' "$top/tools/l1/tests.conf" |
		awk 'NF { print ($1 ~ /^@/) ? $2 : $1 }' | sort -u)
fi
for t in "$@"; do
	[ -f "$kst/$t.c" ] || die "no test $t: $kst/$t.c does not exist"
done

MAKEFLAGS='' make -s -C "$src" O="$hdr" headers >/dev/null ||
	die "make headers failed"

# LDFLAGS from the environment: the selftest Makefile appends its own
# (-pthread, -no-pie) to it, where a command-line LDFLAGS would replace them.
# Nothing else is built: no other test, no nx_huge_pages_test helper.
mkdir -p "$out"
if ! LDFLAGS=-static MAKEFLAGS='' make -C "$kst" -j"$jobs" OUTPUT="$out" \
	KHDR_INCLUDES="-isystem $hdr/usr/include" LINUX_HDR_PATH="$hdr/usr/include/" \
	TEST_GEN_PROGS_x86_64="$*" TEST_GEN_PROGS_EXTENDED_x86_64= TEST_PROGS_x86_64= \
	all > "$out/build.log" 2>&1; then
	grep -E 'error|Error' "$out/build.log" | head -40 >&2
	die "build failed, see $out/build.log"
fi
grep -E 'warning:' "$out/build.log" || true
for t in "$@"; do
	# No program interpreter: the initramfs has no loader to run it.
	readelf -l "$out/$t" | grep -q 'Requesting program interpreter' &&
		die "$out/$t is not a static binary"
done
# Quiet when nothing was rebuilt, as the other build steps.
grep -q "Nothing to be done for 'all'" "$out/build.log" ||
	echo "  KVMTEST $out: $# tests"
