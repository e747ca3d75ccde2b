"""Evaluation throughput vs plain SAM2 propagation over the same frames, and the distribution
of LIT-LoRA training seconds per correction.

    .venv/bin/python benchmarks/eval_throughput.py --data ../shared/data/davis \
        --sequence car-shadow --frames 8 --image-size 256

Prints one JSON object: propagation s/frame, evaluation s/frame per method, the ratios, and
training seconds per correction (count, mean, median, p90, max). Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def propagation_seconds(predictor, video, first_mask: np.ndarray) -> tuple[float, int]:
    """Wall time of plain SAM2 tracking over the clip from the first-frame mask."""
    from litlora_widgets.session import Session

    s = Session(predictor, video, lit=False, autosave=False)
    try:
        obj = s.add_object()
        s.add_mask(0, obj, first_mask)
        t0 = time.perf_counter()
        n = sum(1 for _ in s.propagate(start_frame=1, progress=False))
        return time.perf_counter() - t0, n
    finally:
        s.close()


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="../shared/data/davis")
    p.add_argument("--sequence", default="car-shadow")
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--image-size", type=int, default=256)
    p.add_argument("--init-epochs", type=int, default=100)
    p.add_argument("--finetune-epochs", type=int, default=20)
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args(argv)
    import torch

    if a.threads:
        torch.set_num_threads(a.threads)
    from litlora_widgets.evaluation.datasets import discover, load_ground_truth
    from litlora_widgets.evaluation.runner import get_predictor, run_video
    from litlora_widgets.video import VideoSource

    model = {"checkpoint": "random", "image_size": a.image_size, "device": "cpu"}
    (spec,) = discover(a.data, [a.sequence])
    gt = load_ground_truth(spec, a.frames)
    predictor = get_predictor(model, 0)
    from PIL import Image

    video = VideoSource.open([np.asarray(Image.open(f).convert("RGB")) for f in gt.frames])
    obj = gt.objects[0]
    prop_s, n = propagation_seconds(predictor, video, gt.mask(gt.starts[obj], obj))
    base = dict(
        video=spec.to_dict(),
        model=model,
        threshold=0.5,
        judge="oracle",
        accept_score=0.5,
        seed=0,
        max_frames=a.frames,
        lit_config={"init_epochs": a.init_epochs, "finetune_epochs": a.finetune_epochs},
    )
    out: dict = {
        "sequence": a.sequence,
        "frames_tracked": n,
        "image_size": a.image_size,
        "threads": torch.get_num_threads(),
        "propagation_s_per_frame": prop_s / n,
        "methods": {},
    }
    for method in ("sam2", "lit"):
        r = run_video({**base, "methods": [method]})
        if r["status"] != "ok":
            raise SystemExit(r["error"])
        objs = r["runs"][method]["objects"]
        o = next(o for o in objs if o["obj_id"] == obj) if len(objs) > 1 else objs[0]
        ts = np.asarray(o["train_seconds"], float)
        out["methods"][method] = {
            "eval_s_per_frame": o["seconds"] / o["frames"],
            "ratio_vs_propagation": (o["seconds"] / o["frames"]) / (prop_s / n),
            "corrections": o["corrections"],
            "accepts": o["accepts"],
            "train_seconds": {}
            if not ts.size
            else {
                "count": int(ts.size),
                "mean": float(ts.mean()),
                "median": float(np.median(ts)),
                "p90": float(np.percentile(ts, 90)),
                "max": float(ts.max()),
                "values": [round(float(x), 3) for x in ts],
            },
        }
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
