"""Peak memory of a session on a 1,000-frame vs a 100-frame synthetic video (goal ≤ 1.3×).

Each size runs in a fresh subprocess (so peaks don't mix): open a JPEG folder of N frames,
prompt the first frame, propagate over every frame, read every mask back, export COCO. The
peak resident set size (ru_maxrss) of each is printed with the ratio.

    .venv/bin/python benchmarks/memory.py [--small 100] [--large 1000] [--image-size 256]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np
from litlora_widgets.build_sam import load_predictor
from litlora_widgets.session import Session
folder, size, mask_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
p = load_predictor(checkpoint=None, image_size=size, device="cpu", quiet=True)
s = Session(p, folder)
obj = s.add_object()
s.add_mask(0, obj, np.load(mask_path))
n = sum(1 for _ in s.propagate(progress=False))
total = sum(int(s.mask(f, obj).sum() >= 0) for f in range(s.num_frames))
s.export_coco(folder + "/../masks.json")
print(json.dumps({"frames": n, "read": total,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_video(folder: Path, n: int, size=(240, 320)) -> Path:
    import numpy as np
    from PIL import Image

    from litlora_widgets.datasets import synthetic_clip

    folder.mkdir(parents=True)
    frames, labels = synthetic_clip(1, num_frames=50, size=size)
    for i in range(n):  # loop the 50-frame clip (ping-pong) to length n
        k = i % 98
        j = k if k < 50 else 97 - k
        Image.fromarray(frames[j]).save(folder / f"{i:05d}.jpg", quality=90)
    np.save(folder.parent / "mask.npy", labels[0] == 1)
    return folder.parent / "mask.npy"


def measure(n: int, image_size: int, tmp: Path) -> dict:
    mask = make_video(tmp / f"v{n}" / "frames", n)
    cmd = [sys.executable, "-c", CHILD, str(tmp / f"v{n}" / "frames"), str(image_size), str(mask)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=100)
    ap.add_argument("--large", type=int, default=1000)
    ap.add_argument("--image-size", type=int, default=256)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        small = measure(args.small, args.image_size, Path(d))
        large = measure(args.large, args.image_size, Path(d))
    print(
        f"{args.small} frames: peak {small['peak_mb']:.0f} MB; "
        f"{args.large} frames: peak {large['peak_mb']:.0f} MB"
    )
    print(
        f"ratio {args.large}/{args.small}: {large['peak_mb'] / small['peak_mb']:.3f}x "
        "(goal <= 1.3x)"
    )


if __name__ == "__main__":
    main()
