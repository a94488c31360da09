#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make a .config from tinyconfig (or from the config given with --base)
# plus the given fragments, then check that every option the fragments ask
# for survived.  merge_config.sh silently drops
# an option whose dependencies are missing, and a kernel that quietly lacks
# what a test relies on is worse than a build that fails.
#
# Usage: merge-config.sh [--base CONFIG] SRC_DIR OBJ_DIR FRAGMENT...
set -euo pipefail

base=
if [ "${1:-}" = --base ]; then
	base=$2
	shift 2
fi
src=$1 obj=$2
shift 2
mkdir -p "$obj"
obj=$(cd "$obj" && pwd)
frags=()
for f in "$@"; do frags+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done
set -- "${frags[@]}"

if [ -n "$base" ]; then
	cp "$base" "$obj/.config"
else
	make -s -C "$src" O="$obj" tinyconfig >/dev/null
fi
(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" "$@") >"$obj/merge.log" 2>&1 ||
	{ cat "$obj/merge.log" >&2; exit 1; }
make -s -C "$src" O="$obj" olddefconfig >/dev/null

# Later fragments override earlier ones: keep the last request per option.
lost=0
awk '
	/^CONFIG_[A-Za-z0-9_]+=/ { n = $0; sub(/=.*/, "", n); want[n] = $0; next }
	/^# CONFIG_[A-Za-z0-9_]+ is not set/ { want[$2] = $0 }
	END { for (n in want) print want[n] }
' "$@" | sort > "$obj/requested.config"
while read -r line; do
	case $line in
	"# "*)	name=${line#\# }; name=${name%% *}
		if grep -q "^$name=" "$obj/.config"; then
			echo "merge-config: $name should be unset, but is $(grep "^$name=" "$obj/.config")" >&2
			lost=1
		fi ;;
	*)	if ! grep -qxF "$line" "$obj/.config"; then
			name=${line%%=*}
			got=$(grep -E "^(# )?$name[= ]" "$obj/.config" || echo "absent")
			echo "merge-config: requested $line, got: $got" >&2
			lost=1
		fi ;;
	esac
done < "$obj/requested.config"
if [ $lost = 1 ]; then
	echo "merge-config: options were dropped (missing dependencies?): fix configs/" >&2
	exit 1
fi
echo "  CONFIG  $obj/.config: $(wc -l < "$obj/requested.config") requested options all present"
