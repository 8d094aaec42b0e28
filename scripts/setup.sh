#!/usr/bin/env bash
# Installs every Debian 12 package that the build, the tests and the real clients need.
# Idempotent: quiet (one line) when everything is already present.
set -euo pipefail

PKGS=(
    build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
    libmicrohttpd-dev libsqlite3-dev libssl-dev libjansson-dev libarchive-dev
    libcurl4-openssl-dev libyaml-dev libcmocka-dev librpm-dev zlib1g-dev zstd
    python3 curl skopeo podman buildah fuse-overlayfs uidmap python3-jsonschema rpm awscli
)

missing=()
for p in "${PKGS[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#PKGS[@]} packages present"
    exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
