#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make series-check`: what a kernel developer does with the output of
# `make series`.  Apply build/series/mm and then build/series/kvm with
# git am to a whole pristine linux-source-6.12 tree (build/series-check/linux,
# a git repository of the unpacked tarball; not the overlay build), and after
# every patch compile what it touches, so that a bisection never lands on a
# patch that does not build; the whole guest kernel is built at the end.
#
# "What it touches" is close to what kbuild itself would compile again
# after the patch: every object of the guest kernel that reads a file the
# patch changes (its source or any header it includes), an option whose
# value the patch changes, or a generated header whose content changes
# (kbuild's fixdep records all three in the objects' .cmd files), and the
# whole directory of a Makefile the patch changes.  The objects and their
# inputs are read from the overlay build, build/obj-guest (make kernel),
# whose tree is what the whole series makes, so what differs before the
# last patch is approximate: an object whose source a later patch adds is
# left to that patch, one whose Makefile line comes later may be compiled
# early, and a header included only at an earlier commit is not followed.
# Git's new file times make kbuild compile each goal again.

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

# files PATCH: the files PATCH changes, adds, deletes or renames (both
# names).
files() {
	sed -n 's|^diff --git a/\([^ ]*\) b/\([^ ]*\)$|\1\n\2|p' "$1" | sort -u
}

# The inputs of every object of the overlay build, one "OBJECT INPUT" line
# each, from the .cmd files kbuild writes: INPUT is a file of the tree
# (source:PATH for the object's source, PATH for a header it read),
# CONFIG_FOO for an option it reads, or generated:PATH for a file of the
# object directory.  The paths of the tree are relative (../linux/: ccache
# rewrites them under CCACHE_BASEDIR) or absolute (what kbuild writes
# where ccache does not run).  The .s files are indexed too: a generated
# header such as arch/x86/kvm/kvm-asm-offsets.h is made from one.
#
# Left to the build at the end: host programs (scripts/, tools/,
# arch/x86/tools/), the boot and real-mode images and the vDSO, which kbuild
# builds only as parts of bzImage, and the directories that the top-level
# Kbuild enters a second time (arch/x86/lib, pci, power, video, math-emu),
# where a single-target build would compile them twice, with the wrong
# flags.
ref_obj=$b/obj-guest
deps=$dir/deps
[ -f "$ref_obj/vmlinux" ] || die "no $ref_obj/vmlinux: run 'make kernel'"
(cd "$ref_obj" && find . \( -name '.*.o.cmd' -o -name '.*.s.cmd' \) \
	! -path './scripts/*' ! -path './tools/*' ! -path './arch/x86/tools/*' \
	! -path './arch/x86/boot/*' ! -path './arch/x86/realmode/rm/*' \
	! -path './arch/x86/entry/vdso/*' ! -path './arch/x86/lib/*' ! -path './arch/x86/pci/*' \
	! -path './arch/x86/power/*' ! -path './arch/x86/video/*' ! -path './arch/x86/math-emu/*' \
	-print0 | xargs -0 awk -v abs="$b/linux/" '
	function tree_path(d) {
		if (sub(/^\.\.\/linux\//, "", d)) return d
		if (index(d, abs) == 1) return substr(d, length(abs) + 1)
		return "generated:" d
	}
	FNR == 1 { obj = "" }
	/^source_/ {
		o = $1; sub(/^source_/, "", o); d = tree_path($3)
		print o, (d ~ /^generated:/ ? d : "source:" d); next
	}
	/^deps_.* :=/ { obj = $1; sub(/^deps_/, "", obj); next }
	obj != "" && /^ / {
		d = $0; sub(/ *\\$/, "", d); sub(/^ +/, "", d)
		if (sub(/^\$\(wildcard include\/config\//, "", d)) { sub(/\)$/, "", d); d = "CONFIG_" d }
		else d = tree_path(d)
		print obj, d; next
	}
	{ obj = "" }') > "$deps" || die "cannot read the objects of $ref_obj"
grep -q ' source:mm/page_alloc.c$' "$deps" || die "no source files in the .cmd files of $ref_obj"

# affected INPUT...: the objects that read any of INPUTs and whose source is
# in the tree now, one per line; for an X.s, also the objects that read
# the header generated from it (those of include/ are made by prepare,
# and compared there).
affected() {
	local want=$dir/want
	printf '%s\n' "$@" > "$want" &&
		awk 'FILENAME == ARGV[1] { want[$0] = 1; want["source:" $0] = 1; next }
		$2 in want { hit[$1] = 1 }
		$2 ~ /^source:/ { src[$1] = substr($2, 8) }
		$2 ~ /^generated:/ { gen[$1] = gen[$1] " " substr($2, 11) }
		END {
			for (o in hit) if (o ~ /\.s$/ && o !~ /^(\.\/)?(arch\/x86\/)?include\//) {
				h = o; sub(/\.s$/, ".h", h); sub(/^\.\//, "", h)
				for (r in gen) if (index(gen[r] " ", " " h " ")) hit[r] = 1
			}
			for (o in hit) print o, (o in src ? src[o] : "-")
		}' "$want" "$deps" > "$want.objs" || return 1
	while read -r o s; do
		[ "$s" != - ] && [ ! -f "$s" ] || echo "$o"
	done < "$want.objs" | sort
}

# generated_headers: the checksums of the headers prepare makes.
generated_headers() {
	(cd "$obj" && find include/generated arch/x86/include/generated -name '*.h' -print0 2> /dev/null |
		xargs -0 md5sum | sort -k 2)
}

# options CONFIG: the options set in CONFIG (a .config), as CONFIG_FOO=value.
options() { grep -E '^CONFIG_' "$1" | sort; }

# changed_options OLD NEW: the names of the options whose value differs.
changed_options() {
	diff <(options "$1") <(options "$2") | sed -n 's/^[<>] \(CONFIG_[A-Za-z0-9_]*\)=.*/\1/p' | sort -u
}

mkdir -p "$obj"
t0=$SECONDS
if configure && kmake pristine.log prepare; then
	pass "pristine: configured and prepared ($((SECONDS - t0))s)"
else
	fail "pristine: cannot configure or prepare, see $log/pristine.log"
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
		mapfile -t changed < <(files "$p")
		inputs=("${changed[@]}") goals=()
		t0=$SECONDS
		case " ${changed[*]} " in
		*/Kconfig*)
			cp "$obj/.config" "$obj/.config.before" &&
				configure || { fail "$name: no config, see $obj/merge.log"; continue; }
			mapfile -t -O ${#inputs[@]} inputs < <(changed_options "$obj/.config.before" "$obj/.config") ;;
		esac
		# What prepare makes again from what the patch changed: the
		# readers of a generated header whose content changed.
		generated_headers > "$dir/generated.before"
		kmake "$log_name.prepare.log" prepare ||
			{ fail "$name: prepare fails, see $log/$log_name.prepare.log"; continue; }
		mapfile -t -O ${#inputs[@]} inputs < <(generated_headers |
			diff - "$dir/generated.before" | sed -n 's/^[<>] [0-9a-f]*  /generated:/p' | sort -u)
		# A Makefile or Kbuild file can change flags or add objects: its
		# directory is built whole (virt/kvm's through arch/x86/kvm).
		for f in "${changed[@]}"; do
			case $f in
			tools/* | Documentation/*) ;;	# not kbuild's
			virt/kvm/Makefile*) goals+=(arch/x86/kvm/) ;;
			*/Makefile* | */Kbuild) [ -d "$(dirname "$f")" ] && goals+=("$(dirname "$f")/") ;;
			esac
		done
		objs=$(affected "${inputs[@]}") || { fail "$name: cannot find what it touches"; continue; }
		mapfile -t -O ${#goals[@]} goals < <(printf '%s' "$objs" | grep .)
		if [ ${#goals[@]} = 0 ]; then
			pass "$name applies (nothing compiled reads what it changes: ${changed[*]})"
			continue
		fi
		if kmake "$log_name.log" "${goals[@]}"; then
			pass "$name: ${#goals[@]} targets compile ($((SECONDS - t0))s)"
		else
			fail "$name: what reads what it changes does not compile, see $log/$log_name.log"
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
config_lines() { grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$1" | sort; }
ref=$dir/obj-ref
if ! "$top/tools/build/merge-config.sh" "$b/linux" "$ref" "$frag" > "$log/ref-config.log" 2>&1; then
	cat "$log/ref-config.log"
	fail "the guest config of the overlay tree, for comparison"
elif d=$(diff <(config_lines "$ref/.config") <(config_lines "$obj/.config")); then
	pass "the series' .config has the overlay build's options"
else
	echo "$d" | head -20
	fail "the series' .config differs from the overlay tree's (< overlay, > series)"
fi

# The selftest builds with the Makefile line of its patch.
kst=tools/testing/selftests/kvm
if make -s O="$dir/obj-headers" headers > "$log/headers.log" 2>&1 &&
	MAKEFLAGS='' make -C "$kst" -j"$jobs" OUTPUT="$dir/kvm-selftests" \
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
