#!/usr/bin/env bash
# All set-up (idempotent), then every test tier: JS unit tests, Python unit + engine tests,
# real-browser tests (JupyterLab + Debian Chromium) and the tutorial notebooks (nbval).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup_browser.sh
# the widget loader the static-HTML test serves locally instead of from a CDN
npm ci --prefix tests/html_export --no-audit --no-fund --loglevel=error
# the front end's dev dependencies (esbuild, jsdom for the view test), then its unit tests
npm ci --prefix js --no-audit --no-fund --loglevel=error
(cd js && npm test --silent)
# the committed bundle (litlora_widgets/static/) is exactly what js/ builds
bash scripts/check_bundle.sh
# lint and format: the code base stays ruff-clean (ruff is installed by the dev extra)
.venv/bin/ruff check .
.venv/bin/ruff format --check .
export PYTHONUNBUFFERED=1
.venv/bin/python -m pytest -ra --timeout=1200 tests notebooks/*.ipynb --nbval-lax "$@"
