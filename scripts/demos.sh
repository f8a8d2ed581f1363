#!/usr/bin/env bash
# Sets up a fresh machine, builds ringo and runs every demo in turn.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
for demo in cancel gather async_for async_with pipeline; do
	echo "== demos/$demo.c"
	start=$(date +%s%N)
	./build/demos/"$demo"
	tenths=$(( ($(date +%s%N) - start) / 100000000 ))
	echo "($demo: exit 0 after $((tenths / 10)).$((tenths % 10)) s)"
	echo
done
