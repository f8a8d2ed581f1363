#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets of tests/fuzz with clang (ASan+UBSan, in
# build-fuzz) and runs each for SECONDS (default 45), seeded with its
# corpus tests/fuzz/corpus/TARGET; what a run adds stays in a temporary
# directory. Any crash, leak, sanitizer report, failed check or hang
# (-timeout=10) fails, and leaves its input in build-fuzz/crash-TARGET-*
# (replay: build-fuzz/tests/fuzz/fuzz_TARGET FILE). CI runs it.
#
#	scripts/fuzz.sh [SECONDS [TARGET...]]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45}
shift || true
targets=${*:-http_parse resp stream addr_parse}
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbenchmarks=false >/dev/null
fi
meson compile -C build-fuzz $(for t in $targets; do echo "tests/fuzz/fuzz_$t"; done) >/dev/null
for t in $targets; do
	work=$(mktemp -d)
	dict=()
	[ -f "tests/fuzz/$t.dict" ] && dict=("-dict=tests/fuzz/$t.dict")
	echo "-- fuzz_$t -max_total_time=$seconds ${dict[*]}, seeded with tests/fuzz/corpus/$t"
	if ! build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$seconds" -timeout=10 "${dict[@]}" \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build-fuzz/crash-$t-" \
		"$work" "tests/fuzz/corpus/$t" >"build-fuzz/fuzz_$t.log" 2>&1; then
		tail -60 "build-fuzz/fuzz_$t.log"
		echo "fuzz_$t found a problem; its input: $(ls build-fuzz/crash-$t-* 2>/dev/null)"
		rm -rf "$work"
		exit 1
	fi
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
		"build-fuzz/fuzz_$t.log" | sed 's/^/   /'
	rm -rf "$work"
done
