#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make series-check`: what a kernel developer does with the output of
# `make series`.  Apply build/series/mm and then build/series/kvm with
# git am to a whole pristine linux-source-6.12 tree (build/series-check/linux,
# a git repository of the unpacked tarball; not the overlay build), and after
# every patch build what it touches, so that a bisection never lands on a
# patch that does not build: the directories of the code and Kbuild files it
# changes (virt/kvm is built through arch/x86/kvm), and for a header every
# directory the series touches.  The whole guest kernel is built at the end.
# The config is remade from tinyconfig and configs/guest.config first and
# after each patch that changes a Kconfig file, so that each option is on
# from the patch that adds it.  At the end the .config must have the same
# options as the overlay tree's, and the KVM selftest must build from the
# series tree.
#
# The tree and its objects (build/series-check/obj-guest) lie as build/linux
# and build/obj-guest do: ccache sees the same relative paths (CCACHE_BASEDIR,
# see the Makefile), so the final build of a series that equals the overlay
# tree is served by the cache of make check's guest kernel.
#
# Prints a PASS or FAIL line per step and ends with "N passed, N failed".
#
# Usage: check-series.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/build
dir=$b/series-check
tree=$dir/linux
obj=$dir/obj-guest
log=$dir/logs
jobs=${JOBS:-$(nproc)}
frag=$top/configs/guest.config
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_COMMITTER_NAME="Page Hinting Developers"
export GIT_COMMITTER_EMAIL="page-hinting@localhost"
# The same build identity as the overlay build, for ccache.
export KBUILD_BUILD_TIMESTAMP=2026-01-01 KBUILD_BUILD_USER=hinting KBUILD_BUILD_HOST=build
passed=0 failed=0

die() { echo "check-series: $*" >&2; exit 1; }
pass() { echo "PASS  $*"; passed=$((passed + 1)); }
fail() { echo "FAIL  $*"; failed=$((failed + 1)); }

ls "$b"/series/mm/0001-*.patch > /dev/null 2>&1 || die "no build/series: run 'make series'"
mkdir -p "$log"

# The pristine tree as a git repository, made once: the tarball as it is
# (-f: Debian's .gitignore ignores everything at the top level; no
# automatic gc, which would pack the whole tree for minutes).
if ! git -C "$tree" rev-parse -q --verify pristine > /dev/null 2>&1; then
	rm -rf "$tree"
	"$top/tools/build/pristine-tree.sh" "$tree" || die "cannot unpack the tree"
	echo "  GIT     $tree"
	(cd "$tree" && git init -q -b series && git config gc.auto 0 && git add -A -f &&
		git -c user.name="$GIT_COMMITTER_NAME" -c user.email="$GIT_COMMITTER_EMAIL" \
			commit -q -m "linux-source-6.12" && git tag pristine) ||
		die "cannot make a git repository of $tree"
fi
cd "$tree" || die "no $tree"
git am --abort > /dev/null 2>&1
git checkout -q -f -B series pristine && git clean -q -f -d -x ||
	die "cannot reset $tree to the pristine tree"

# configure: tinyconfig plus the guest fragment; options the tree does not
# have yet are dropped by merge_config.sh, and come on with their patch.
configure() {
	make -s O="$obj" tinyconfig > /dev/null &&
		scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" "$frag" > "$obj/merge.log" 2>&1 &&
		make -s O="$obj" olddefconfig > /dev/null
}

# kmake LOG TARGET...: build TARGETs in the series tree, the log in $log.
kmake() {
	local out=$log/$1
	shift
	MAKEFLAGS='' make O="$obj" CC="ccache gcc" -j"$jobs" "$@" > "$out" 2>&1 ||
		{ tail -20 "$out"; return 1; }
}

# files PATCH: the files PATCH changes.
files() { sed -n 's|^+++ b/||p' "$1"; }

# code_dirs FILE...: the build directories of what FILEs change, and "all"
# for a header outside them (include/, arch/*/include/) or a file at the
# top of the tree; virt/kvm is built through arch/x86/kvm.  A Kconfig file
# is none (its patch reconfigures, and builds every directory); neither is
# documentation, MAINTAINERS or tools/ (the selftest, built at the end).
code_dirs() {
	local f
	for f in "$@"; do
		case $f in
		Documentation/* | MAINTAINERS | tools/* | */Kconfig*) ;;
		include/* | arch/*/include/*) echo all ;;
		virt/kvm/*) echo arch/x86/kvm/ ;;
		*/*) echo "$(dirname "$f")/" ;;
		*) echo all ;;
		esac
	done | sort -u
}

# existing DIR...: the DIRs the tree has now (a patch may add one).
existing() {
	local d
	for d in "$@"; do [ -d "$d" ] && echo "$d"; done
}

mkdir -p "$obj"
# Every directory the series touches: what a header or a Kconfig change is
# built in.
# shellcheck disable=SC2046 # one file name a word
all_dirs=$(code_dirs $(for p in "$b"/series/*/0*.patch; do files "$p"; done) | grep -vx all)
t0=$SECONDS
# shellcheck disable=SC2086 # one directory a word
dirs=$(existing $all_dirs)
# shellcheck disable=SC2086 # one directory a word
if configure && kmake pristine.log $dirs; then
	pass "pristine: ${dirs//$'\n'/ } build ($((SECONDS - t0))s)"
else
	fail "pristine: ${dirs//$'\n'/ } do not build, see $log/pristine.log"
fi
# The builds after each patch compile what it touches but link nothing:
# what only the link sees (a symbol used but never defined) is found by the
# whole build at the end, not tied to a patch.
applied=1
for s in mm kvm; do
	for p in "$b/series/$s"/0*.patch; do
		case $p in */0000-cover-letter.patch) continue ;; esac
		name=$s/$(basename "$p" .patch)
		log_name=${name//\//-}
		if ! git am -q "$p" > "$log/$log_name.am" 2>&1; then
			cat "$log/$log_name.am"
			fail "$name does not apply with git am"
			git am --abort > /dev/null 2>&1
			applied=0
			break 2
		fi
		# shellcheck disable=SC2046 # one file name a word
		set -- $(files "$p")
		dirs=$(code_dirs "$@")
		t0=$SECONDS
		case " $* " in
		*/Kconfig*)
			configure || { fail "$name: no config, see $obj/merge.log"; continue; }
			dirs=all ;;
		esac
		# shellcheck disable=SC2086 # one directory a word
		if grep -qx all <<< "$dirs"; then dirs=$(existing $all_dirs); fi
		if [ -z "$dirs" ]; then
			pass "$name applies (nothing to build: $*)"
			continue
		fi
		# shellcheck disable=SC2086 # one directory a word
		if kmake "$log_name.log" $dirs; then
			pass "$name: ${dirs//$'\n'/ } build ($((SECONDS - t0))s)"
		else
			fail "$name: ${dirs//$'\n'/ } do not build, see $log/$log_name.log"
		fi
	done
done
t0=$SECONDS
if [ $applied = 0 ]; then
	fail "the whole series: not built, a patch did not apply"
elif configure && kmake series.log bzImage; then
	pass "the whole series: bzImage builds ($((SECONDS - t0))s)"
else
	fail "the whole series: bzImage does not build, see $log/series.log"
fi

# The series' options are the overlay build's: the same fragment on the
# overlay tree (build/linux, prepared by make series), where every option the
# fragment asks for must survive, as for the guest kernel.
options() { grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$1" | sort; }
ref=$dir/obj-ref
if ! "$top/tools/build/merge-config.sh" "$b/linux" "$ref" "$frag" > "$log/ref-config.log" 2>&1; then
	cat "$log/ref-config.log"
	fail "the guest config of the overlay tree, for comparison"
elif d=$(diff <(options "$ref/.config") <(options "$obj/.config")); then
	pass "the series' .config has the overlay build's options"
else
	echo "$d" | head -20
	fail "the series' .config differs from the overlay tree's (< overlay, > series)"
fi

# The selftest builds with the Makefile line of its patch.
kst=tools/testing/selftests/kvm
if make -s O="$dir/obj-headers" headers > "$log/headers.log" 2>&1 &&
	MAKEFLAGS= make -C "$kst" -j"$jobs" OUTPUT="$dir/kvm-selftests" \
		KHDR_INCLUDES="-isystem $dir/obj-headers/usr/include" \
		LINUX_HDR_PATH="$dir/obj-headers/usr/include/" \
		"$dir/kvm-selftests/x86_64/page_hinting_test" > "$log/selftest.log" 2>&1; then
	pass "x86_64/page_hinting_test builds from the series tree"
else
	tail -20 "$log/selftest.log"
	fail "x86_64/page_hinting_test does not build from the series tree, see $log/selftest.log"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
