#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make series`: write the project as the two patch series upstream would
# take, git format-patch style, against Debian's pristine linux-source-6.12:
#   build/series/mm/    free page hinting, the virtio_balloon fix, the docs
#   build/series/kvm/   KVM_HC_DISCARD_RANGES: uapi, host, guest sink,
#                       selftest, docs (on top of mm)
# each with a cover letter (0000-cover-letter.patch).
#
# The build of this repository keeps hook lines in patches/ and new files in
# the overlay; tools/series/series.conf says which patch introduces which new
# file and which option of the top-level Kconfig, so that each commit of the
# series is one patch with the files it needs, and the options sit in the
# kernel's own Kconfig files instead of a sourced Kconfig.page_hinting.
#
# The commits are made in a small git repository (build/series-work) that
# holds only the files the series touches, with fixed dates, so the output
# is the same for the same input.  Checks, each fatal:
#  - every patch of patches/, every overlay file and every option of the
#    top-level Kconfig is used exactly once;
#  - every patch applies without fuzz (git apply) in series order;
#  - at the end, every file equals the one of the overlay build
#    (build/linux), except the three Kconfig files that receive the options.
# tools/series/check-series.sh then applies the output with git am to a
# whole pristine tree and builds after every patch.
#
# Usage: mkseries.sh
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/build
conf=$top/tools/series/series.conf
pristine=$b/linux-pristine
work=$b/series-work
out=$b/series

die() { echo "mkseries: $*" >&2; exit 1; }

# No user or system git configuration may change the output.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_COMMITTER_NAME="Page Hinting Developers"
export GIT_COMMITTER_EMAIL="page-hinting@localhost"
# Where the series came from: the Debian package version of the tree.
base=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)

"$top/tools/build/pristine-tree.sh" "$pristine" >&2
"$top/tools/build/prepare-tree.sh" "$top" "$b" > /dev/null

# 1. The list, with each patch, overlay file and option used exactly once.
mapfile -t lines < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$conf")
listed=$(for l in "${lines[@]}"; do
	set -- $l
	case $1 in
	patch|skip) echo "patch $2" ;;
	file) echo "file $2" ;;
	kconfig) echo "kconfig $2" ;;
	series) ;;
	*) die "series.conf: unknown line '$l'" ;;
	esac
done | sort)
wanted=$(
	cd "$top"
	ls patches/*.patch | sed 's|^patches/|patch |'
	find arch drivers include mm virt Documentation tools/testing -type f 2>/dev/null |
		sed 's/^/file /'
	sed -n 's/^config /kconfig /p' Kconfig
)
wanted=$(echo "$wanted" | sort)
problems=$(diff <(echo "$wanted") <(echo "$listed") | sed -n \
	-e 's/^< \(.*\)/  missing from series.conf: \1/p' \
	-e 's/^> \(.*\)/  in series.conf but not in the repository (or twice): \1/p')
[ -z "$problems" ] || die "series.conf does not match the repository:
$problems"

# 2. A repository of the pristine versions of every file the series edits.
touched=$(for l in "${lines[@]}"; do
	set -- $l
	case $1 in
	patch) sed -n 's|^+++ b/||p' "$top/patches/$2" ;;
	kconfig) echo "$3" ;;
	esac
done | sort -u)
rm -rf "$work"
mkdir -p "$work"
for f in $touched; do
	[ -f "$pristine/$f" ] || continue
	mkdir -p "$work/$(dirname "$f")"
	cp "$pristine/$f" "$work/$f"
done
cd "$work"
git init -q -b work
n=0
when() { echo "$((1767225600 + n * 60)) +0000"; }
export GIT_AUTHOR_DATE GIT_COMMITTER_DATE
GIT_AUTHOR_DATE=$(when) GIT_COMMITTER_DATE=$(when)
git add -A
git -c user.name="$GIT_COMMITTER_NAME" -c user.email="$GIT_COMMITTER_EMAIL" \
	commit -q -m "linux-source-6.12 $base"
git tag pristine

# kconfig_block SYM: the "config SYM" block of the top-level Kconfig,
# without the blank lines that follow it.
kconfig_block() {
	awk -v sym="$1" '
		$0 == "config " sym { on = 1; print; next }
		on && /^[^ \t]/ { exit }
		on { buf = buf $0 "\n"; if ($0 !~ /^[ \t]*$/) { printf "%s", buf; buf = "" } }
	' "$top/Kconfig"
}

# kconfig_insert SYM FILE AFTER: put SYM's block after "config AFTER" in FILE.
kconfig_insert() {
	local block
	block=$(kconfig_block "$1")
	[ -n "$block" ] || die "no config $1 in Kconfig"
	grep -qx "config $3" "$2" || die "no config $3 in $2 for $1"
	# The block goes through the environment: awk -v would interpret its
	# backslashes.
	BLOCK=$block awk -v after="config $3" '
		function put() { if (!blank) print ""; print ENVIRON["BLOCK"]; print ""; done = 1 }
		!done && on && /^[^ \t]/ { put() }
		$0 == after { on = 1 }
		{ print; blank = ($0 ~ /^[ \t]*$/) }
		END { if (!done) put() }
	' "$2" > "$2.new"
	mv "$2.new" "$2"
}

# commit_patch FILE: commit the work tree with the author, subject and body
# of patches/FILE.
commit_patch() {
	local p=$top/patches/$1 author msg
	author=$(sed -n '1s/^From: //p' "$p")
	[ -n "$author" ] || die "$1: no From: line first"
	msg=$(awk 'NR == 2 { sub(/^Subject: (\[PATCH\] )?/, ""); print; next }
		NR > 2 && /^---$/ { exit } NR > 2 { print }' "$p")
	n=$((n + 1))
	GIT_AUTHOR_DATE=$(when) GIT_COMMITTER_DATE=$(when)
	git add -A
	git commit -q --author="$author" -m "$msg"
}

# 3. One commit per patch, with its files and options; a branch per series.
series=() pending=
for l in "${lines[@]}"; do
	set -- $l
	case $1 in
	series)
		[ -z "$pending" ] || commit_patch "$pending"
		pending=
		[ ${#series[@]} = 0 ] || git branch "${series[-1]%% *}"
		series+=("$2 $3")
		;;
	patch)
		[ ${#series[@]} -gt 0 ] || die "patch $2 before any series line"
		[ -z "$pending" ] || commit_patch "$pending"
		git apply "$top/patches/$2" || die "$2 does not apply in series order"
		pending=$2
		;;
	file)
		mkdir -p "$(dirname "$2")"
		cp "$top/$2" "$2"
		;;
	kconfig) kconfig_insert "$2" "$3" "$4" ;;
	esac
done
[ -z "$pending" ] || commit_patch "$pending"
git branch "${series[-1]%% *}"

# 4. The result is the overlay build's tree, but for the options' places.
for f in $(git ls-files); do
	case $f in mm/Kconfig|arch/x86/Kconfig|arch/x86/kvm/Kconfig) continue ;; esac
	cmp -s "$f" "$b/linux/$f" || die "$f differs from build/linux/$f"
done

# 5. format-patch, one directory per series, each on top of the previous.
rm -rf "$out"
prev=pristine
for s in "${series[@]}"; do
	name=${s%% *} cover=${s#* }
	git checkout -q "$name"
	git -c branch."$name".description="$(sed "s/@BASE@/$base/" "$top/tools/series/$cover")" \
		format-patch -q --cover-letter --cover-from-description=subject \
		--no-signature -o "$out/$name" "$prev..$name"
	echo "  SERIES  build/series/$name: $(git rev-list --count "$prev..$name") patches"
	prev=$name
done
