#!/usr/bin/env bash
# The GPU numbers of the README, in one run on a machine with an NVIDIA GPU:
#   bf16 propagation at 1024 px (frames/s, ours vs plain SAM2) and training time per correction
#   at 1024 px (median, goal <= 0.2 s), ours vs the authors' loop.
# Needs a Python with a CUDA build of torch and sam2 installed (SAM2_BUILD_CUDA=0 is fine);
# PYTHON=... selects it. Random weights unless LITLORA_SAM2_CHECKPOINT names an official .pt.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
$PY - <<'PYEOF'
import torch
assert torch.cuda.is_available(), "no CUDA device visible to torch: this script is for a GPU"
print("GPU:", torch.cuda.get_device_name(0), "| torch", torch.__version__)
PYEOF
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
CKPT=(); [ -n "${LITLORA_SAM2_CHECKPOINT:-}" ] && CKPT=(--checkpoint "$LITLORA_SAM2_CHECKPOINT")
$PY benchmarks/propagation.py --device cuda --image-size 1024 --frames 48 --repeats 3
$PY benchmarks/train_speed.py --device cuda --sizes 1024 --repeats 5 "${CKPT[@]}"
