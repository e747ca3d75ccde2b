#!/usr/bin/env bash
# All set-up (idempotent), then the quickstart demo in the terminal. Extra args go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m litlora_widgets.demo "$@"
