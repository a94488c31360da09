#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make series-check`: what a kernel developer does with the output of
# `make series`.  Apply build/series/mm and then build/series/kvm with
# git am to a whole pristine linux-source-6.12 tree (build/series-tree, a
# git repository of the unpacked tarball; not the overlay build), and build
# bzImage with the guest config after every patch, so that a bisection
# never lands on a patch that does not build.  The config is remade after
# each patch from tinyconfig and configs/guest.config, so that each option
# is on from the patch that adds it.  At the end the .config must have the
# same options as the overlay tree's, and the KVM selftest must build from
# the series tree.
#
# Prints a PASS or FAIL line per step and ends with "N passed, N failed".
#
# Usage: check-series.sh
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/build
tree=$b/series-tree
obj=$b/obj-series
log=$b/series-check
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
cd "$tree"
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

# build NAME: configure and build bzImage, the log in build/series-check/.
build() {
	local t0=$SECONDS
	mkdir -p "$obj"
	if configure && MAKEFLAGS= make O="$obj" CC="ccache gcc" -j"$jobs" bzImage > "$log/$1.log" 2>&1; then
		pass "$1 builds ($((SECONDS - t0))s)"
	else
		tail -20 "$log/$1.log"
		fail "$1 does not build, see $log/$1.log"
	fi
}

build pristine
for s in mm kvm; do
	for p in "$b/series/$s"/0*.patch; do
		case $p in */0000-cover-letter.patch) continue ;; esac
		name=$s/$(basename "$p" .patch)
		if ! git am -q "$p" > "$log/${name//\//-}.am" 2>&1; then
			cat "$log/${name//\//-}.am"
			fail "$name does not apply with git am"
			git am --abort > /dev/null 2>&1
			break 2
		fi
		build "${name//\//-}"
	done
done

# The series' options are the overlay build's: the same fragment on the
# overlay tree (build/linux, prepared by make series), where every option the
# fragment asks for must survive, as for the guest kernel.
options() { grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$1" | sort; }
ref=$b/obj-series-ref
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
if make -s O="$b/obj-series-headers" headers > "$log/headers.log" 2>&1 &&
	MAKEFLAGS= make -C "$kst" -j"$jobs" OUTPUT="$b/series-kvm-selftests" \
		KHDR_INCLUDES="-isystem $b/obj-series-headers/usr/include" \
		LINUX_HDR_PATH="$b/obj-series-headers/usr/include/" \
		"$b/series-kvm-selftests/x86_64/page_hinting_test" > "$log/selftest.log" 2>&1; then
	pass "x86_64/page_hinting_test builds from the series tree"
else
	tail -20 "$log/selftest.log"
	fail "x86_64/page_hinting_test does not build from the series tree, see $log/selftest.log"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
