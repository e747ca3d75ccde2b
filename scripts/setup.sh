#!/usr/bin/env bash
# One-time set-up into .venv/ at the repository root (idempotent; safe to re-run).
# Torch is pinned to the CPU build so that no CUDA wheels are pulled on a CPU machine;
# sam2 is built after torch without build isolation and without its CUDA extension.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
VPY=.venv/bin/python
$VPY -m pip install -q --upgrade pip
$VPY -m pip install -q "torch==2.13.0"
$VPY -m pip install -q -c scripts/constraints.txt numpy hydra-core iopath tqdm pillow setuptools wheel
if ! $VPY -c "import sam2" 2>/dev/null; then
  SAM2_BUILD_CUDA=0 $VPY -m pip install -q --no-build-isolation --no-deps "sam2==1.1.0"
fi
$VPY -m pip install -q -c scripts/constraints.txt -e ".[dev]"
