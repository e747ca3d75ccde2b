#!/usr/bin/env bash
# litlora-tiny v2 (issue 13) on a lent GPU, in ONE run: resume from the shipped weights, train
# with the v2 recipe (8-frame clips, corrections on later frames entering memory, the
# "harder" clips) for a fixed time, export fp16 weights (<= 25 MB), run the quality bars.
#
# Here first (once):   scripts/pack_gpu_deps.sh          # -> .gpu_deps/ (sam2, hydra, ...)
# Then, via the device tool, from the repo root, with carry [".gpu_deps"]:
#   TRAIN_SECONDS=330 scripts/train_tiny_gpu.sh      (timeout_s 600: ~1.5 min of bars follow)
# Results land in $OUT (the device tool's folder; default runs/tiny-v2/out):
#   litlora_tiny.safetensors.part00/01 (split: a file back is at most 16 MiB; rejoin with
#   `cat litlora_tiny.safetensors.part* > litlora_tiny.safetensors` and check the sha256
#   printed below), log.jsonl, quality.json, train.log.
# Knobs (environment): TRAIN_SECONDS (330), BATCH (64), FRAMES (8), LR (5e-4), WORKERS (14),
# MIX ("0.1 0.3 0.3 0.3": easy medium hard harder), DEVICE (cuda; "cpu" only for a dry run
# of the plumbing), RUN_DIR (runs/tiny-v2: ckpt.pt there is resumed, else INIT_FROM, default
# the shipped weights), EVAL_CLIPS (64, the end-of-run quick_eval), BENCH_ARGS (the
# benchmark's arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
RUN_DIR=${RUN_DIR:-runs/tiny-v2}
OUTDIR=${OUT:-$RUN_DIR/out}
INIT_FROM=${INIT_FROM:-litlora_widgets/weights/litlora_tiny.safetensors}
mkdir -p "$RUN_DIR" "$OUTDIR"
if ! $PY -c "import pycocotools" 2>/dev/null && ls .gpu_deps/wheels/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/litlora_site .gpu_deps/wheels/*.whl
    export PYTHONPATH="/tmp/litlora_site${PYTHONPATH:+:$PYTHONPATH}"
fi
[ -d .gpu_deps/site ] && export PYTHONPATH="$PWD/.gpu_deps/site${PYTHONPATH:+:$PYTHONPATH}"
[ -d .gpu_deps/textures ] && export LITLORA_TEXTURES=${LITLORA_TEXTURES:-$PWD/.gpu_deps/textures}
export PYTHONPATH="$PWD:${PYTHONPATH:-}" TQDM_DISABLE=1 PYTHONUNBUFFERED=1
DEVICE=$DEVICE $PY - <<'PYEOF'
import os, torch, sam2, hydra, pycocotools  # noqa: F401  (fail here, not after training)
if os.environ["DEVICE"] == "cuda":
    assert torch.cuda.is_available(), "no CUDA device visible to torch"
    print("GPU:", torch.cuda.get_device_name(0), "| torch", torch.__version__)
PYEOF
if [ -f "$RUN_DIR/ckpt.pt" ]; then START=(--resume); else START=(--init-from "$INIT_FROM"); fi
# shellcheck disable=SC2086
$PY -m litlora_widgets.pretrain.train --out "$RUN_DIR" "${START[@]}" --device "$DEVICE" \
    --batch "${BATCH:-64}" --frames "${FRAMES:-8}" --lr "${LR:-5e-4}" --warmup 50 \
    --steps 1000000 --time-limit "${TRAIN_SECONDS:-330}" --time-schedule \
    --mix-end ${MIX:-0.1 0.3 0.3 0.3} --mix-ramp 0 --p-correct 0.7 \
    --workers "${WORKERS:-14}" --save-every 200 --eval-every 200 --eval-clips "${EVAL_CLIPS:-64}" \
    2>&1 | tee "$OUTDIR/train.log"
W="$RUN_DIR/litlora_tiny.safetensors"
BYTES=$(stat -c %s "$W")
echo "exported $W: $BYTES bytes, sha256 $(sha256sum "$W" | cut -d' ' -f1)"
[ "$BYTES" -le 26214400 ] || { echo "FAIL: weights over 25 MB"; exit 1; }
split -b 15M -d "$W" "$OUTDIR/litlora_tiny.safetensors.part"
cp "$RUN_DIR/log.jsonl" "$OUTDIR/"
# The bars on CPU with 2 threads (the fps bar is defined on 2 CPU cores).
# shellcheck disable=SC2086
$PY benchmarks/tiny_model_quality.py --weights "$W" --json "$OUTDIR/quality.json" \
    ${BENCH_ARGS:---clips 30 --frames 24 --lit-clips 0 --carry-clips 11 --carry-frames 10} \
    2>&1 | tee "$OUTDIR/bench.log"
