#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets up a fresh machine, builds ringo and runs the whole test suite.
# Extra arguments go to meson setup (e.g. -Db_sanitize=address,undefined).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
builddir=${RINGO_BUILDDIR:-build}
[ -d "$builddir" ] || meson setup "$builddir" "$@" >/dev/null
meson compile -C "$builddir" >/dev/null
meson test -C "$builddir" --print-errorlogs
