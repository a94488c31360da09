#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack Debian's linux-source-6.12 tarball as it is, without our patches
# and overlay, once: the unpatched kernel that ours is compared with.
#
# Usage: pristine-tree.sh DIR
set -euo pipefail
dir=$1
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

[ -f "$dir/.unpacked" ] && exit 0
[ -f "$tarball" ] || { echo "pristine-tree: $tarball missing: run 'make deps'" >&2; exit 1; }
echo "  UNPACK  $tarball -> $dir"
rm -rf "$dir" "$dir.tmp"
mkdir -p "$dir.tmp"
tar -xf "$tarball" -C "$dir.tmp" --strip-components=1
mv "$dir.tmp" "$dir"
touch "$dir/.unpacked"
