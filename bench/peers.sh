#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a Go or tokio twin of a core benchmark (bench/go/core, bench/tokio),
# building it first, at benchmark time, into BUILD_DIR/peers (cargo offline
# from Debian's librust-tokio-dev sources). Prints the twin's
# "<metric> <value>" lines; exits 77 with a message on stderr when the
# toolchain or tokio is missing (scripts/bench-deps.sh installs them).
#
# Usage: peers.sh BUILD_DIR go|tokio yield|cancel|spawn_gather|sleepers|million
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=$1/peers
peer=$2
bench=$3
mkdir -p "$out"
case $peer in
go)
	command -v go >/dev/null 2>&1 || { echo "Go: skipped (no go; apt-get install golang-go)" >&2; exit 77; }
	if [ ! -x "$out/go-core" ] || [ "$src/go/core/main.go" -nt "$out/go-core" ]; then
		(cd "$src/go/core" && GOCACHE="$out/go-cache" GOFLAGS=-mod=mod \
			go build -o "$out/go-core" .) >"$out/go-build.log" 2>&1 ||
			{ echo "Go: skipped (build failed: $out/go-build.log)" >&2; exit 77; }
	fi
	GOMAXPROCS=1 exec "$out/go-core" "$bench"
	;;
tokio)
	command -v cargo >/dev/null 2>&1 || { echo "tokio: skipped (no cargo; apt-get install cargo)" >&2; exit 77; }
	reg=/usr/share/cargo/registry
	ls -d "$reg"/tokio-1.* >/dev/null 2>&1 ||
		{ echo "tokio: skipped (no $reg/tokio-1.*; apt-get install librust-tokio-dev)" >&2; exit 77; }
	bin="$out/tokio/target/release/ringo-bench-tokio"
	if [ ! -x "$bin" ] || [ "$src/tokio/src/main.rs" -nt "$bin" ]; then
		mkdir -p "$out/tokio/src" "$out/tokio/.cargo"
		cp "$src/tokio/Cargo.toml" "$out/tokio/"
		cp "$src/tokio/src/main.rs" "$out/tokio/src/"
		printf '[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "%s"\n' \
			"$reg" >"$out/tokio/.cargo/config.toml"
		(cd "$out/tokio" && cargo build --release --offline) >"$out/tokio-build.log" 2>&1 ||
			{ echo "tokio: skipped (build failed: $out/tokio-build.log)" >&2; exit 77; }
	fi
	exec "$bin" "$bench"
	;;
*)
	echo "usage: peers.sh BUILD_DIR go|tokio BENCH" >&2
	exit 2
	;;
esac
