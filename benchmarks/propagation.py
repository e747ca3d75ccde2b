"""Propagation with feature capture (our Session) vs SAM2's plain ``propagate_in_video``.

Same model, same frames, same first-frame mask; both timed in this run, interleaved, and the
ratio printed (goal ≤ 1.03×). Also checks that both produce the same masks.

    .venv/bin/python benchmarks/propagation.py [--frames 24] [--image-size 256] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from litlora_widgets.build_sam import load_predictor
from litlora_widgets.session import Session

DAVIS = Path(__file__).resolve().parents[2] / "shared" / "data" / "davis"


def load_clip(frames: int):
    seq = "car-shadow"
    jpg = DAVIS / "JPEGImages" / "480p" / seq
    if jpg.is_dir():
        from PIL import Image

        names = sorted(jpg.glob("*.jpg"))[:frames]
        video = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in names])
        ann = np.asarray(Image.open(DAVIS / "Annotations" / "480p" / seq / "00000.png")) > 0
        return video, ann, f"DAVIS {seq}"
    from litlora_widgets.datasets import synthetic_clip

    video, labels = synthetic_clip(0, num_frames=frames, size=(480, 854))
    return video, labels[0] == 1, "synthetic"


def plain_sam2(predictor, video, mask) -> tuple[float, list[np.ndarray]]:
    from litlora_widgets.engine.tracker import new_inference_state
    from litlora_widgets.video import VideoSource

    src = VideoSource.open(video)
    state = new_inference_state(
        predictor, src.sam2_frames(predictor.image_size), src.height, src.width
    )
    predictor.add_new_mask(state, 0, 1, torch.from_numpy(mask))
    t0 = time.perf_counter()
    out = [(m[0, 0] > 0).cpu().numpy() for _, _, m in predictor.propagate_in_video(state)]
    return time.perf_counter() - t0, out


def ours(predictor, video, mask) -> tuple[float, list[np.ndarray]]:
    s = Session(predictor, video, autosave=False)
    obj = s.add_object()
    s.add_mask(0, obj, mask)
    t0 = time.perf_counter()
    out = [m[obj] for _, m in s.propagate(progress=False)]
    dt = time.perf_counter() - t0
    s.close()
    return dt, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--image-size", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    predictor = load_predictor(
        checkpoint=None, image_size=args.image_size, device=args.device, quiet=True
    )
    video, mask, name = load_clip(args.frames)
    plain_sam2(predictor, video[:3], mask)  # warm-up
    times_plain, times_ours = [], []
    for _ in range(args.repeats):
        tp, mp = plain_sam2(predictor, video, mask)
        to, mo = ours(predictor, video, mask)
        times_plain.append(tp)
        times_ours.append(to)
    same = all(np.array_equal(a, b) for a, b in zip(mp[1:], mo[1:], strict=True))
    p, o = statistics.median(times_plain), statistics.median(times_ours)
    n = len(video)
    print(
        f"{name}, {n} frames, image size {args.image_size}, {args.device}, median of {args.repeats}"
    )
    print(f"  plain propagate_in_video: {p:.2f} s ({n / p:.1f} frames/s)")
    print(f"  Session.propagate + capture: {o:.2f} s ({n / o:.1f} frames/s)")
    print(f"  ratio ours / plain: {o / p:.3f}x (goal <= 1.03x); identical masks: {same}")


if __name__ == "__main__":
    main()
