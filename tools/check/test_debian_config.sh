#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The directories the series touches, built with Debian's own 6.12 kernel
# config plus our options (configs/debian.config) at W=1: they must build,
# and show no warning that the pristine tree does not show with the same
# config.  Debian's config compiles what the guest config never does
# (NUMA, MEMCG, PREEMPT_DYNAMIC, MAXSMP, KVM as a module, Intel and AMD).
#
# Only those directories' objects are built (virt/kvm is built through
# arch/x86/kvm).  The pristine tree then compiles only the files our build
# warned about, if any: with no warning in ours there is nothing to compare.
# A warning is compared as file and message, without its line number, which
# the patches move.
#
# Usage: test_debian_config.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
b=$top/build
dirs=(mm/ arch/x86/kvm/ arch/x86/kernel/ drivers/virtio/)
obj=$b/obj-debian pobj=$b/obj-debian-pristine

tools/build/prepare-tree.sh "$top" "$b" || exit 1
tools/build/pristine-tree.sh "$b/linux-pristine" || exit 1
cfg=$(tools/build/debian-config.sh "$b/linux" "$b/debian") || exit 1
echo "base config: $(basename "$cfg")"

# configure TREE OBJ FRAGMENT: Debian's config plus a fragment, once per
# change of either.
configure() {
	local src=$1 o=$2 frag=$3 stamp
	stamp=$(cat "$cfg" "$frag" | md5sum)
	[ -f "$o/.config" ] && [ "$(cat "$o/.stamp" 2> /dev/null)" = "$stamp" ] && return 0
	tools/build/merge-config.sh --base "$cfg" "$src" "$o" "$frag" || return 1
	echo "$stamp" > "$o/.stamp"
}

# warnings LOG: each warning as "file: message", without the tree's path
# and the line and column.
warnings() {
	sed -n -E 's/^([^ :]+):[0-9]+:[0-9]+: warning: (.*)$/\1: \2/p' "$1" |
		sed -E 's#^(.*/)?linux(-pristine)?/##; s#^\./##' | sort -u
}

kmake() {
	local src=$1 o=$2 log=$3
	shift 3
	MAKEFLAGS="" make -C "$src" O="$o" CC="ccache gcc" -j"$(nproc)" W=1 "$@" > "$log" 2>&1
}

configure "$b/linux" "$obj" configs/debian.config || exit 1
# An object built by an earlier run would not print its warnings again:
# every object of the directories is compiled each time, from ccache when
# nothing changed (which replays the compiler's warnings too).
find "$obj/mm" "$obj/arch/x86/kvm" "$obj/arch/x86/kernel" "$obj/drivers/virtio" "$obj/virt" \
	-name '*.o' -delete 2> /dev/null
start=$SECONDS
if ! kmake "$b/linux" "$obj" "$obj/dirs.log" "${dirs[@]}"; then
	grep -E 'error|Error' "$obj/dirs.log" | head -40
	echo "FAIL: ${dirs[*]} do not build with Debian's config plus ours"
	exit 1
fi
echo "built ${dirs[*]} at W=1 in $((SECONDS - start)) s: $(grep -c '^  CC' "$obj/dirs.log") objects compiled"
warnings "$obj/dirs.log" > "$obj/warnings"

fail=0
if [ -s "$obj/warnings" ]; then
	# The files to compare: every .c the warnings name (the file warned
	# about, or the one that included the header warned about) that the
	# pristine tree has.
	objs=$(sed -E 's#(^|[ ])(\.\./)?(\S*/)?linux/#\1#g' "$obj/dirs.log" |
		grep -oE '(^|[ ])[a-z0-9_][a-zA-Z0-9_/.-]*\.c' | tr -d ' ' | sort -u |
		while read -r f; do [ -f "$b/linux-pristine/$f" ] && echo "${f%.c}.o"; done)
	grep -v -E '^(CONFIG_PAGE_HINTING|CONFIG_PAGE_HINTING_KVM|CONFIG_KVM_DISCARD_RANGES)=' \
		configs/debian.config > "$b/debian/pristine.config"
	configure "$b/linux-pristine" "$pobj" "$b/debian/pristine.config" || exit 1
	: > "$pobj/warnings"
	if [ -n "$objs" ]; then
		# shellcheck disable=SC2086
		(cd "$pobj" && rm -f $objs)
		# shellcheck disable=SC2086
		kmake "$b/linux-pristine" "$pobj" "$pobj/objs.log" $objs ||
			{ tail -20 "$pobj/objs.log"; echo "FAIL: the pristine tree did not build"; exit 1; }
		warnings "$pobj/objs.log" > "$pobj/warnings"
	fi
	new=$(comm -23 "$obj/warnings" "$pobj/warnings")
	echo "W=1 warnings: $(wc -l < "$obj/warnings") in ours;" \
		"$(wc -l < "$pobj/warnings") in the pristine tree's $(echo "$objs" | wc -w) objects of the same files"
	if [ -n "$new" ]; then
		echo "FAIL: new W=1 warnings with Debian's config:"
		echo "$new"
		fail=1
	fi
else
	echo "W=1 warnings: none"
fi
[ $fail = 0 ] && echo "PASS: ${dirs[*]} build with Debian's config plus ours, no new W=1 warning"
exit $fail
