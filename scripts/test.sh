#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets up a fresh machine, builds ringo and runs the whole test suite.
# Extra arguments go to meson setup (e.g. -Db_sanitize=address,undefined).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/deps.sh
builddir=${RINGO_BUILDDIR:-build}
if [ ! -d "$builddir" ]; then
	echo "== configuring: meson setup $builddir --werror $*"
	meson setup "$builddir" --werror "$@"
fi
echo "== building: meson compile -C $builddir (about a minute the first time)"
meson compile -C "$builddir"
echo "== testing: meson test -C $builddir"
meson test -C "$builddir" --print-errorlogs
echo "== done in $(( $(date +%s) - start )) s"
