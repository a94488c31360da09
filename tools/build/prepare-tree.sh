#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Turn Debian's linux-source-6.12 tarball plus this repository into a kernel
# source tree: unpack once, apply patches/ in order, copy the overlay files in.
#
# Incremental by design, so that a warm rebuild only recompiles what changed:
#  - the tarball is unpacked once;
#  - the applied series is remembered (build/applied/); when patches/ changes,
#    the patches from the first changed one on are reversed and the new ones
#    applied, touching only the files those patches edit;
#  - overlay files are copied only when their content differs, and an overlay
#    file deleted from the repository is deleted from the tree.
#
# Usage: prepare-tree.sh REPO_DIR BUILD_DIR
set -euo pipefail

repo=$(cd "$1" && pwd)
build=$(mkdir -p "$2" && cd "$2" && pwd)
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
src=$build/linux
applied=$build/applied
manifest=$build/overlay.list

# Directories of the repository that mirror kernel paths.  The top-level
# Kconfig is installed as Kconfig.page_hinting and sourced by a patch.
overlay_dirs="arch drivers include mm virt Documentation tools/testing"

die() { echo "prepare-tree: $*" >&2; exit 1; }

if [ ! -f "$src/.unpacked" ]; then
	[ -f "$tarball" ] || die "$tarball missing: run 'make deps'"
	echo "  UNPACK  $tarball"
	rm -rf "$src" "$src.tmp" "$applied" "$manifest"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
	touch "$src/.unpacked"
fi

# Patches: keep the applied prefix that matches the wanted series; reverse
# the rest, newest first, and apply the wanted remainder.  Only the files of
# changed patches (and of the ones after them) are touched.
mkdir -p "$applied"
want=$(cd "$repo/patches" && ls -1 -- *.patch 2>/dev/null || true)
have=$(cd "$applied" && ls -1 -- *.patch 2>/dev/null || true)
keep=0
set -- $want
for p in $have; do
	[ "${1:-}" = "$p" ] && cmp -s "$repo/patches/$p" "$applied/$p" || break
	keep=$((keep + 1))
	shift
done
for p in $(echo "$have" | tail -n +$((keep + 1)) | sort -r); do
	echo "  UNPATCH $p"
	patch -d "$src" -p1 -R -s --no-backup-if-mismatch < "$applied/$p" ||
		die "cannot reverse $p: remove $build and retry"
	rm -f "$applied/$p"
done
for p in $(echo "$want" | tail -n +$((keep + 1))); do
	echo "  PATCH   $p"
	patch -d "$src" -p1 -s -N --no-backup-if-mismatch < "$repo/patches/$p" ||
		die "$p does not apply"
	cp "$repo/patches/$p" "$applied/$p"
done

# Overlay: new kernel files at their kernel paths.
new_manifest=$(mktemp)
trap 'rm -f "$new_manifest"' EXIT
(
	cd "$repo"
	for d in $overlay_dirs; do
		[ -d "$d" ] && find "$d" -type f
	done
	echo Kconfig
) | sort > "$new_manifest"
touch "$manifest"
while read -r f; do
	dst=$f
	[ "$f" = Kconfig ] && dst=Kconfig.page_hinting
	if [ -e "$src/$dst" ] && ! grep -qxF "$f" "$manifest"; then
		die "overlay file $f would overwrite a kernel file: edit it with a patch instead"
	fi
	if ! cmp -s "$repo/$f" "$src/$dst"; then
		echo "  COPY    $f"
		mkdir -p "$(dirname "$src/$dst")"
		cp "$repo/$f" "$src/$dst"
	fi
done < "$new_manifest"
comm -23 "$manifest" "$new_manifest" | while read -r f; do
	echo "  REMOVE  $f"
	rm -f "$src/$f"
done
# Replaced only when it changed, and whole: make check builds the debug
# kernel while other entries prepare the tree, and a second run reads the
# manifest above.
if ! cmp -s "$new_manifest" "$manifest"; then
	tmp=$(mktemp "$manifest.XXXXXX")
	cp "$new_manifest" "$tmp"
	mv "$tmp" "$manifest"
fi
