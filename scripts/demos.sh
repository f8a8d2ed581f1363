#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sets up a fresh machine, builds ringo and runs every demo in turn; the servers
# are started on a free port, driven by their client (echo_client, curl,
# redis-cli), and stopped with SIGINT/SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
start_all=$(date +%s)
scripts/deps.sh
if [ ! -d build ]; then
	echo "== configuring: meson setup build --werror"
	meson setup build --werror
fi
echo "== building: meson compile -C build (about a minute the first time)"
meson compile -C build
echo
for demo in cancel gather async_for async_with pipeline; do
	echo "== demos/$demo.c"
	start=$(date +%s%N)
	./build/demos/"$demo"
	tenths=$(( ($(date +%s%N) - start) / 100000000 ))
	echo "($demo: exit 0 after $((tenths / 10)).$((tenths % 10)) s)"
	echo
done

echo "== demos/cat.c (copying meson.build, then comparing)"
./build/demos/cat -o build/cat.out meson.build && cmp meson.build build/cat.out && echo "identical"
echo

# Starts server demo $1 on a free port; sets $pid and $port.
start_server() {
	local out=build/$1.out
	./build/demos/"$1" --port 0 "${@:2}" >"$out" &
	pid=$!
	for _ in $(seq 100); do
		grep -q "listening on" "$out" 2>/dev/null && break
		sleep 0.05
	done
	cat "$out"
	port=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$out")
}
stop_server() {
	kill -"$1" "$pid"
	wait "$pid" && echo "(server: exit 0 after SIG$1)"
	echo
}

echo "== demos/echo_server.c + demos/echo_client.c (8 connections, 1 s)"
start_server echo_server
./build/demos/echo_client --port "$port" -c 8 -d 1
stop_server INT

echo "== demos/http_server.c (curl)"
start_server http_server
if command -v curl >/dev/null; then curl -s -i "http://127.0.0.1:$port/"; echo; fi
stop_server TERM

echo "== demos/proxy.c in front of demos/http_server.c (curl through the proxy)"
start_server http_server
http_pid=$pid
http_port=$port
start_server proxy --upstream "127.0.0.1:$http_port" --idle-timeout 10
if command -v curl >/dev/null; then curl -s -i "http://127.0.0.1:$port/"; echo; fi
stop_server TERM
pid=$http_pid
stop_server TERM

echo "== demos/kv_server.c (redis-cli)"
start_server kv_server
if command -v redis-cli >/dev/null; then
	redis-cli -p "$port" SET greeting hello
	redis-cli -p "$port" GET greeting
	redis-cli -p "$port" INCR counter
fi
stop_server TERM
echo "== all demos ran in $(( $(date +%s) - start_all )) s (build included)"
