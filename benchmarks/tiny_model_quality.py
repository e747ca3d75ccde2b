"""Quality bars of the embedded litlora-tiny model (issue 6), on seeds never used in training.

    python benchmarks/tiny_model_quality.py                 # shipped weights
    python benchmarks/tiny_model_quality.py --random        # same architecture, random weights
    python benchmarks/tiny_model_quality.py --weights runs/tiny/litlora_tiny.safetensors

Bars: tracking from a first-frame mask, mean J ≥ 0.75 (synthetic validation clips); one
positive click, mean IoU ≥ 0.70; propagation ≥ 5 frames/s on 2 CPU cores; J on
``../shared/data/davis`` reported whatever it is (skipped if absent). Validation seeds are
``0..clips-1``; training uses seeds ≥ ``TRAIN_SEED_BASE`` (1,000,000).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TQDM_DISABLE", "1")  # SAM2 opens a progress bar per call
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DAVIS = Path(os.environ.get("LITLORA_SHARED_DATA", ROOT.parent / "shared" / "data")) / "davis"

BARS = {"track_J": 0.75, "click_iou": 0.70, "cpu_fps": 5.0}


def main(argv: list[str] | None = None) -> dict:
    import torch

    from litlora_widgets.datasets import synthetic_clip
    from litlora_widgets.pretrain.model import TINY_WEIGHTS, build_tiny_predictor
    from litlora_widgets.pretrain.quality import click_ious, jaccard, track_from_masks
    from litlora_widgets.pretrain.train import TRAIN_SEED_BASE

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", type=Path, default=TINY_WEIGHTS)
    ap.add_argument("--random", action="store_true", help="random weights (the baseline)")
    ap.add_argument("--clips", type=int, default=30)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (the bar is 2 cores)")
    ap.add_argument("--no-davis", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    assert args.clips <= TRAIN_SEED_BASE
    torch.set_num_threads(args.threads)
    if not args.random and not args.weights.is_file():
        sys.exit(
            f"no weights at {args.weights}: train them (litlora_widgets.pretrain.train) "
            "or pass --random for the random-weight baseline"
        )
    pred = build_tiny_predictor(None if args.random else args.weights, device="cpu")

    res: dict = {"weights": "random" if args.random else str(args.weights), "clips": args.clips}
    per_diff: dict[str, list[float]] = {d: [] for d in ("easy", "medium", "hard")}
    clicks, fps = [], []
    for seed in range(args.clips):
        diff = ("easy", "medium", "hard")[seed % 3]
        frames, masks = synthetic_clip(seed, args.frames, (256, 256), diff)
        objs = {k: masks[0] == k for k in range(1, int(masks.max()) + 1)}
        objs = {k: m for k, m in objs.items() if m.mean() > 0.004}
        tracks, f = track_from_masks(pred, frames, objs)
        fps.append(f)
        for k, tr in tracks.items():
            per_diff[diff].append(
                float(np.mean([jaccard(tr[t], masks[t] == k) for t in range(1, args.frames)]))
            )
        clicks.extend(click_ious(pred, frames[0], objs).values())
    all_j = [j for v in per_diff.values() for j in v]
    res["track_J"] = float(np.mean(all_j))
    res.update({f"track_J_{d}": float(np.mean(v)) for d, v in per_diff.items() if v})
    res["click_iou"] = float(np.mean(clicks))
    res["cpu_fps"] = float(np.median(fps))
    res["cpu_threads"] = args.threads

    if not args.no_davis and (DAVIS / "JPEGImages" / "480p").is_dir():
        from PIL import Image

        for seq_dir in sorted((DAVIS / "JPEGImages" / "480p").iterdir()):
            ann = sorted((DAVIS / "Annotations" / "480p" / seq_dir.name).glob("*.png"))
            gts = np.stack([np.asarray(Image.open(p)) for p in ann])
            objs = {k: gts[0] == k for k in np.unique(gts[0]) if k != 0}
            t0 = time.perf_counter()
            tracks, f = track_from_masks(pred, seq_dir, objs)
            js = [
                np.mean([jaccard(tr[t], gts[t] == k) for t in range(1, len(gts))])
                for k, tr in tracks.items()
            ]
            res[f"davis_J_{seq_dir.name}"] = float(np.mean(js))
            res[f"davis_fps_{seq_dir.name}"] = f
            res[f"davis_s_{seq_dir.name}"] = round(time.perf_counter() - t0, 1)
    else:
        res["davis"] = "skipped (not found at ../shared/data/davis)"

    # TODO(issue 6, LIT-LoRA bar): corrections needed with vs without LIT-LoRA on a synthetic
    # *hard* set, authors' protocol and the realistic judge. Needs the online-evaluation module
    # (another issue); call it here once it exists, e.g. `litlora_widgets.evaluation`.
    res["lit_lora_correction_savings"] = _lit_lora_hook(pred)

    print(f"{'metric':<28}{'value':>10}{'bar':>8}  pass")
    for key, val in res.items():
        if isinstance(val, float):
            bar = BARS.get(key)
            ok = "" if bar is None else ("yes" if val >= bar else "NO")
            print(f"{key:<28}{val:>10.3f}{'' if bar is None else f'{bar:>8.2f}'}  {ok}")
        else:
            print(f"{key:<28}{val}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return res


def _lit_lora_hook(predictor) -> str:
    """Placeholder until the online evaluation lands (see the TODO above)."""
    try:
        import litlora_widgets.evaluation  # noqa: F401
    except ImportError:
        return "not measured: litlora_widgets.evaluation not available yet"
    return "not measured: hook not wired to litlora_widgets.evaluation yet (TODO)"


if __name__ == "__main__":
    main()
