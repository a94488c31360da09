#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel style of the project's kernel code: checkpatch --strict on every
# overlay kernel file, every patch and every patch of `make series`, and a
# W=1 build with sparse (C=2) of the overlay's C files, with no warning
# allowed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
src=build/linux obj=$top/build/obj-lint
fail=0

# checkpatch runs inside the kernel tree (where the overlay has been copied):
# run from this repository, it would take git's view of the files instead.
tools/build/prepare-tree.sh "$top" "$top/build" || exit 1
files=$(find mm include drivers virt arch -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)
# Trace event headers keep the layout of every TRACE_EVENT() in the tree
# (TP_STRUCT__entry( on a line of its own, TP_PROTO arguments aligned with
# the macro), which --strict flags: only those two checks are off there.
for f in $files; do
	ignore=
	case $f in include/trace/events/*) ignore="--ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT" ;; esac
	# shellcheck disable=SC2086
	out=$(cd "$src" && perl scripts/checkpatch.pl --strict --terse $ignore -f "$f" | grep -v '^total:' || true)
	[ -n "$out" ] && { echo "$out"; fail=1; }
done
for p in patches/*.patch; do
	out=$(cd "$src" && perl scripts/checkpatch.pl --strict --terse "$top/$p" | grep -v '^total:' || true)
	[ -n "$out" ] && { echo "$out"; fail=1; }
done
echo "checkpatch --strict: $(echo $files | wc -w) files, $(ls patches/*.patch | wc -l) patches"

# The two series as upstream gets them (make series): every commit with its
# new files whole, so the tests and the MAINTAINERS entries are checked too.
# --showfile names the file of each finding, so that the trace headers keep
# the two exceptions above and nothing else does.
if tools/series/mkseries.sh; then
	n=0
	for p in build/series/*/0*.patch; do
		case $p in */0000-cover-letter.patch) continue ;; esac
		out=$(cd "$src" && perl scripts/checkpatch.pl --strict --terse --showfile "$top/$p" |
			grep -v -e '^total:' -e '^include/trace/events/[^:]*:[0-9]*: CHECK: \(Alignment should match open parenthesis\|Lines should not end with a\)' || true)
		[ -n "$out" ] && { echo "$p:"; echo "$out"; fail=1; }
		n=$((n + 1))
	done
	echo "checkpatch --strict: the series, $n patches"
else
	fail=1
fi

# Every overlay .c file, compiled in the kernel with W=1 and sparse, in an
# object directory of its own: W=1 changes the flags of the files kbuild
# always builds, and the guest build would redo them afterwards.
mkdir -p "$obj"
cmp -s "$top/build/obj-guest/.config" "$obj/.config" ||
	cp "$top/build/obj-guest/.config" "$obj/.config"
# (KUnit files are included by the file they test, not built alone.)
objs=$(find mm drivers virt arch -type f -name '*.c' ! -name '*_kunit.c' 2>/dev/null |
	sed 's/\.c$/.o/' | sort)
if [ -n "$objs" ]; then
	# shellcheck disable=SC2086
	out=$(make -s -C "$src" O="$obj" CC="ccache gcc" W=1 C=2 $objs 2>&1 |
		grep -v -e '^make' -e 'DESCEND' -e 'INSTALL' -e 'CALL' -e '^  CHECK' -e '^  CC' -e '^  GEN' || true)
	[ -n "$out" ] && { echo "$out"; fail=1; }
	echo "W=1 C=2 (sparse): $(echo $objs | wc -w) objects"
fi
[ $fail = 0 ] && echo "lint clean"
exit $fail
