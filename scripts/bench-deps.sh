#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Opt-in: installs the Go and tokio peers of the core benchmarks
# (bench/peers.sh). Not needed to build or test ringo; CI does not run it.
set -euo pipefail
pkgs=(golang-go cargo librust-tokio-dev)
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
