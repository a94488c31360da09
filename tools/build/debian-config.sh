#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the kernel config Debian ships with its 6.12 kernel: the config of
# linux-image-VERSION+deb12-amd64-unsigned for the version of the source
# tree, or the newest 6.12 image in the registry when that one is gone (the
# registry keeps only the newest linux-source-6.12 but some older images).
# The package is downloaded (apt-get download) and unpacked (dpkg -x), not
# installed.  Prints the path of the config; a second call reuses it.
#
# Usage: debian-config.sh SRC_DIR OUT_DIR
set -euo pipefail
src=$1 out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(make -s -C "$src" kernelversion)
want=linux-image-$version+deb12-amd64-unsigned
if [ -f "$out/$want.config" ]; then
	echo "$out/$want.config"
	exit 0
fi

# The newest image the registry has, for when the source's own is gone.
newest() {
	apt-cache pkgnames linux-image-6.12. | grep -E '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
		sort -V | tail -1
}
pkg=$want
if ! apt-cache show "$pkg" > /dev/null 2>&1; then
	[ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get update -q > /dev/null
	if ! apt-cache show "$pkg" > /dev/null 2>&1; then
		pkg=$(newest)
		[ -n "$pkg" ] || { echo "debian-config: no linux-image-6.12.*-amd64-unsigned in the registry" >&2; exit 1; }
		echo "debian-config: $want is not in the registry; using the config of $pkg" >&2
	fi
fi
if [ ! -f "$out/$pkg.config" ]; then
	tmp=$(mktemp -d "$out/fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" > /dev/null) ||
		{ echo "debian-config: apt-get download $pkg failed" >&2; exit 1; }
	dpkg -x "$tmp"/*.deb "$tmp/x"
	cfg=$(ls "$tmp"/x/boot/config-* 2> /dev/null | head -1)
	[ -n "$cfg" ] || { echo "debian-config: $pkg has no boot/config-*" >&2; exit 1; }
	cp "$cfg" "$out/$pkg.config"
fi
echo "$out/$pkg.config"
