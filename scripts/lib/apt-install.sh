#!/usr/bin/env bash
# Install a Debian package when its binary is missing: apt-install.sh NAME BIN PKG (NAME prefixes messages).
# Idempotent: does nothing when the binary is already on PATH. Runs `apt-get update` only when
# the first install attempt fails (a fresh machine has no package lists yet).
set -euo pipefail

NAME=$1
BIN=$2
PKG=$3

if command -v "$BIN" >/dev/null 2>&1; then
    echo "$NAME: $BIN already installed at $(command -v "$BIN"); nothing to do"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "$NAME: need root (or sudo) to apt-get install $PKG" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "$NAME: $BIN not found; running: apt-get install -y --no-install-recommends $PKG"
if ! $SUDO apt-get install -y --no-install-recommends "$PKG"; then
    echo "$NAME: install failed; running apt-get update and trying again"
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends "$PKG"
fi

if ! command -v "$BIN" >/dev/null 2>&1; then
    echo "$NAME: $PKG installed but $BIN is not on PATH" >&2
    exit 1
fi
echo "$NAME: installed $("$BIN" --version 2>&1 | head -n 1)"
