#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what building and testing ringo needs on Debian/Ubuntu, if missing.
set -euo pipefail
pkgs=(gcc meson ninja-build pkg-config liburing-dev libcmocka-dev python3)
# issue 5: redis-cli, which tests/test_kv_server.c checks the KV server with
pkgs+=(redis-tools)
# issue 4: curl, which tests/test_http_server.c and scripts/demos.sh ask the HTTP server with
pkgs+=(curl)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
