#!/usr/bin/env bash
# All set-up (idempotent) and the whole test suite: unit + engine, browser, notebooks, JS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f scripts/setup_browser.sh ] && bash scripts/setup_browser.sh
if [ -f js/package.json ] && command -v node >/dev/null; then
  (cd js && node --test test/) 
fi
export PYTHONUNBUFFERED=1
.venv/bin/python -m pytest -ra --timeout=900 "$@"
