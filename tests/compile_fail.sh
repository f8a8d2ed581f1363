#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: compile_fail.sh SOURCE NCASES INCLUDEDIR CC [CCARGS...]
# Compiles SOURCE with -DCASE=0 (must succeed: the harness itself is sound)
# and -DCASE=1..NCASES (each must fail with a compiler error, not a
# warning: the mistake must be impossible to compile).
src=$1 n=$2 inc=$3
shift 3
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
if ! "$@" -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$inc" -DCASE=0 "$src" >"$out" 2>&1; then
	echo "FAIL: CASE 0 (correct use) does not compile:"; cat "$out"; exit 1
fi
echo "ok: CASE 0 compiles"
status=0 i=1
while [ "$i" -le "$n" ]; do
	# Without -Werror: a mistake that is only a warning is a failure here.
	if "$@" -std=c11 -fsyntax-only -I"$inc" -DCASE="$i" "$src" >"$out" 2>&1; then
		echo "FAIL: CASE $i compiles:"; cat "$out"; status=1
	elif ! grep -q "error" "$out"; then
		echo "FAIL: CASE $i failed without a compiler error:"; cat "$out"; status=1
	else
		echo "ok: CASE $i rejected: $(grep -m1 error "$out")"
	fi
	i=$((i + 1))
done
exit $status
