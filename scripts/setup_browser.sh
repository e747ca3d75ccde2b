#!/usr/bin/env bash
# Idempotent: install Debian's chromium for the browser tests (tests/test_browser.py).
# `playwright install` cannot download its own browsers here, so Playwright drives this one via
# executable_path. apt runs only when no `chromium` is on PATH.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(command -v chromium)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
command -v chromium
