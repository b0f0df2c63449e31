#!/usr/bin/env bash
# Install Debian's headless-capable Chromium for the report browser test (tests/test_report.py).
#
# Idempotent and quiet: does nothing when /usr/bin/chromium already exists; otherwise runs
# `apt-get update` and `apt-get install -y chromium` (as root, or via sudo when available).
# Exit status: 0 when /usr/bin/chromium is present afterwards, 1 otherwise.
set -u
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: apt-get not found; install Chromium by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "ensure_chromium: not root and no sudo; cannot install chromium" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium; } >"$log" 2>&1; then
    echo "ensure_chromium: apt-get failed:" >&2
    tail -n 20 "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
[ -x "$CHROMIUM" ] || { echo "ensure_chromium: $CHROMIUM still missing after install" >&2; exit 1; }
