"""Quality bars of the embedded litlora-tiny model (issue 6), on seeds never used in training.

    python benchmarks/tiny_model_quality.py                 # shipped weights
    python benchmarks/tiny_model_quality.py --random        # same architecture, random weights
    python benchmarks/tiny_model_quality.py --weights runs/tiny/litlora_tiny.safetensors

Bars (issue 13, v2): tracking from a first-frame mask, mean J ≥ 0.75 on the medium clips
(reported per difficulty); one positive click, mean IoU ≥ 0.70; propagation ≥ 20 frames/s on
2 CPU cores; carry-forward ≥ 0.30 (below); J on ``../shared/data/davis`` reported whatever it
is (skipped if absent). Validation seeds are
``0..clips-1``; training uses seeds ≥ ``TRAIN_SEED_BASE`` (1,000,000). LIT-LoRA: corrections
with and without it on a synthetic hard set (seeds 500,000+), authors' protocol, reported
whatever it is (issue 13: v1's bar of ≥ 30 % fewer, issue 6, was measured against a baseline
whose memory barely carried corrections); the realistic judge's figure is reported beside it.

Carry-forward (``--carry-clips``): on held-out hard clips (seeds 700,000+) where plain SAM2
fails (first frame ``t`` with IoU < 0.5), one GT-mask correction on ``t`` through the real
``Session.correct(..., train=False)`` with LIT off, so only SAM2's memory carries it: the gain
in mean IoU on frames ``t+1..t+5`` over no correction. Clips where SAM2 never fails are
skipped (and counted). Beside it, ``carry_restart`` (the same frames tracked afresh from the
corrected frame, no earlier memory) and ``carry_still`` (the corrected mask kept unchanged) say
whether the memory or the propagation limits the gain. A quick run of only this bar::

    python benchmarks/tiny_model_quality.py --clips 0 --no-davis --lit-clips 0 \
        --carry-clips 6 --carry-frames 10
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

BARS = {
    "track_J_medium": 0.75,
    "click_iou": 0.70,
    "cpu_fps": 20.0,
    "carry_forward_gain": 0.30,
}
CARRY_SEED_BASE = 700_000  # apart from validation (0..), LIT (500,000..) and training seeds


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
    ap.add_argument("--lit-clips", type=int, default=10, help="clips for the LIT bar (0: off)")
    ap.add_argument("--lit-difficulty", default="hard", help="the bar's set is hard (default)")
    ap.add_argument(
        "--lit-set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="change LIT-LoRA settings of the LIT bar (e.g. init_lr=1e-4 min_epochs=0); the "
        "rest stay the model's (build_sam.default_lit_config)",
    )
    ap.add_argument("--carry-clips", type=int, default=11, help="failing clips (0: off)")
    ap.add_argument("--carry-frames", type=int, default=10, help="frames per carry clip")
    ap.add_argument("--carry-difficulty", default="hard")
    ap.add_argument(
        "--carry-as-cond",
        action="store_true",
        help="corrections become conditioning frames "
        "(add_all_frames_to_correct_as_cond, the SAM2 web demo's setting)",
    )
    ap.add_argument(
        "--difficulties",
        nargs="+",
        default=["easy", "medium", "hard"],
        help="tracking clips cycle through these (seed i: the (i mod n)-th); "
        "'harder' adds the v2 video effects",
    )
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
    per_diff: dict[str, list[float]] = {d: [] for d in args.difficulties}
    clicks, fps = [], []
    for seed in range(args.clips):
        diff = args.difficulties[seed % len(args.difficulties)]
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
    if args.clips:  # --clips 0: only the LIT-LoRA / carry-forward parts
        all_j = [j for v in per_diff.values() for j in v]
        res["track_J"] = float(np.mean(all_j))
        res.update({f"track_J_{d}": float(np.mean(v)) for d, v in per_diff.items() if v})
        res["click_iou"] = float(np.mean(clicks))
        res["cpu_fps"] = float(np.median(fps))
        res["cpu_threads"] = args.threads

    if args.no_davis:
        res["davis"] = "off (--no-davis)"
    elif (DAVIS / "JPEGImages" / "480p").is_dir():
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

    if args.random or args.lit_clips == 0:
        res["lit"] = "skipped (random weights have nothing to correct)" if args.random else "off"
    else:
        lit_set = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.lit_set)}
        res.update(
            _lit_lora_bar(args.weights, args.lit_clips, args.frames, args.lit_difficulty, lit_set)
        )
    if args.carry_clips:
        carry_pred = pred
        if args.carry_as_cond:
            carry_pred = build_tiny_predictor(
                None if args.random else args.weights,
                overrides={"model.add_all_frames_to_correct_as_cond": True},
            )
            res["carry_memory"] = "corrections as conditioning frames"
        res.update(
            _carry_forward_bar(
                carry_pred, args.carry_clips, args.carry_frames, args.carry_difficulty
            )
        )

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


def _lit_lora_bar(
    weights: Path, clips: int, frames: int, difficulty: str, lit_set: dict | None = None
) -> dict:
    """Corrections with vs without LIT-LoRA on a synthetic set (the bar's is *hard*:
    distractors, occlusions, objects leaving), through the online evaluation: the authors'
    protocol (``lit``) and the realistic judge (``lit_realistic``). Seeds ``500_000 + i``:
    apart from validation and training seeds."""
    import tempfile

    from litlora_widgets.datasets import write_synthetic_dataset
    from litlora_widgets.evaluation import evaluate

    with tempfile.TemporaryDirectory() as tmp:
        data = write_synthetic_dataset(
            Path(tmp) / difficulty,
            range(500_000, 500_000 + clips),
            frames,
            (256, 256),
            difficulty,
        )
        t0 = time.perf_counter()
        summary = evaluate(
            data,
            model=str(weights),
            config="litlora-tiny",
            judge="both",
            progress=False,
            lit_config=lit_set or None,
        )
    out = {"lit_clips": f"{clips} {difficulty}", "lit_eval_s": round(time.perf_counter() - t0, 1)}
    if lit_set:
        out["lit_set"] = lit_set
    for key in ("sam2", "lit", "lit_realistic"):
        m = summary["methods"][key]
        out[f"corrections_{key}"] = m["corrections"]
        out[f"accepts_{key}"] = m["accepts"]
        out[f"final_J_{key}"] = float(m["mean_j"])  # the masks the user ends up with
        if key != "sam2":
            out[f"fewer_corrections_pct_{key}"] = float(m["reduction_pct"] or 0.0)
            train_s = summary["timing"][key]["train_seconds_per_correction"]
            if train_s.get("count"):  # what the user waits after each correction
                out[f"train_s_median_{key}"] = round(train_s["median"], 2)
    out["errors"] = summary["errors"] or "none"
    if difficulty != "hard":  # the bar is defined on the hard set only
        out = {f"{difficulty}_{k}": v for k, v in out.items()}
    return out


def _carry_forward_bar(pred, clips: int, frames: int, difficulty: str) -> dict:
    """Mean IoU gain on ``t+1..t+5`` from one GT correction on the first failing frame ``t``,
    over the first ``clips`` held-out clips on which plain SAM2 fails (object 1)."""
    from litlora_widgets.datasets import synthetic_clip
    from litlora_widgets.pretrain.quality import carry_forward

    rows, skipped, seed, t0 = [], 0, CARRY_SEED_BASE, time.perf_counter()
    while len(rows) < clips and seed < CARRY_SEED_BASE + 10 * clips:
        f, m = synthetic_clip(seed, frames, (256, 256), difficulty)
        r = carry_forward(pred, f, m == 1)
        seed += 1
        if r is None:
            skipped += 1
            continue
        rows.append(r)
        print(
            f"  carry seed {seed - 1}: t={r['t']} before {r['before']:.3f} after {r['after']:.3f}"
            f" restart {r['restart']:.3f} still {r['still']:.3f}",
            flush=True,
        )
    if not rows:
        return {"carry_forward": f"no failing clip in {skipped} {difficulty} clips"}
    return {
        "carry_clips": f"{len(rows)} {difficulty} clips x {frames} frames "
        f"(seeds {CARRY_SEED_BASE}..{seed - 1}, {skipped} never failed)",
        "carry_before": float(np.mean([r["before"] for r in rows])),
        "carry_after": float(np.mean([r["after"] for r in rows])),
        "carry_forward_gain": float(np.mean([r["gain"] for r in rows])),
        # the references of "after": tracking from the corrected frame with no earlier
        # memory, and the corrected mask left where it is (see quality.carry_forward)
        "carry_restart": float(np.mean([r["restart"] for r in rows])),
        "carry_still": float(np.mean([r["still"] for r in rows])),
        "carry_s": round(time.perf_counter() - t0, 1),
    }


if __name__ == "__main__":
    main()
