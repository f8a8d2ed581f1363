#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what building and testing ringo needs on Debian/Ubuntu, if missing.
set -euo pipefail
pkgs=(gcc meson ninja-build pkg-config liburing-dev libcmocka-dev python3)
# issue 5: redis-cli, which tests/test_kv_server.c checks the KV server with
pkgs+=(redis-tools)
# issue 4: curl, which tests/test_http_server.c and scripts/demos.sh ask the HTTP server with
pkgs+=(curl)
# issue 14: mandoc, which the man page test lints every generated page with
pkgs+=(mandoc)
# issue 13: socat, which tests/test_udp_echo.c sends datagrams with
pkgs+=(socat)
# issue 13: OpenSSL 3 for TLS streams (optional in the build, but the suite
# should test them), and its command line, which the TLS tests make certificates with
pkgs+=(libssl-dev openssl)
# issue 12: libunwind's header (task backtraces in dumps), sys/sdt.h (USDT probes)
pkgs+=(libunwind-dev systemtap-sdt-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} Debian packages present (${pkgs[*]})"
	exit 0
fi
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing ${missing[*]} with ${SUDO:+sudo }apt-get (apt-get update first; this can take a minute)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${missing[*]}"
