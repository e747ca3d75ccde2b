#!/usr/bin/env bash
# Pack what a lent GPU machine lacks into .gpu_deps/ (git-ignored; the device tool carries it
# with carry: [".gpu_deps"]). That machine has Python 3.12 with a CUDA torch, numpy, pillow,
# tqdm and safetensors, and no network. It lacks:
#   - sam2 + hydra-core + omegaconf + antlr4 + iopath + portalocker: pure Python, copied from
#     this venv (sam2 was built with SAM2_BUILD_CUDA=0, so there is nothing to compile);
#   - pycocotools (imported by the Session, which the carry-forward bar uses): a cp312 wheel,
#     downloaded here with pip (the one registry look-up this needs).
# Optional: TEXTURES=1 also writes up to 64 natural images, shrunk to 256 px, from
# ${LITLORA_TEXTURES:-../shared/data} into .gpu_deps/textures/ for the training's natural
# textures (../shared does not travel to the device). .gpu_deps/ is never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -rf .gpu_deps
mkdir -p .gpu_deps/site .gpu_deps/wheels
for pkg in sam2 hydra omegaconf antlr4 iopath portalocker; do
    cp -r "$SITE/$pkg" .gpu_deps/site/
done
find .gpu_deps -name __pycache__ -prune -exec rm -rf {} +
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .gpu_deps/wheels pycocotools==2.0.11
if [ "${TEXTURES:-0}" = 1 ]; then
    PYTHONPATH="$PWD" "$PY" - <<'PYEOF'
from pathlib import Path
from PIL import Image
from litlora_widgets.datasets.synthetic import load_textures
out = Path(".gpu_deps/textures")
out.mkdir(parents=True, exist_ok=True)
for i, im in enumerate(load_textures()):
    Image.fromarray(im).save(out / f"{i:03d}.jpg", quality=90)
print(f"{len(list(out.glob('*.jpg')))} textures in {out}")
PYEOF
fi
du -sh .gpu_deps
