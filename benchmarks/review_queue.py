"""Review queue recall: failing frames (IoU < 0.5) among the top k = 10 % of tracked frames, for
the review queue vs SAM2's predicted IoU alone vs scanning frames in order.

    PYTHONPATH=. .venv/bin/python benchmarks/review_queue.py --clips 12 --frames 24 \
        --davis ../shared/data/davis

Plain SAM2 (the embedded litlora-tiny by default) tracks object 1 of each clip of the synthetic
hard set (seeds 600,000+, disjoint from the model's training seeds) and every object of the
DAVIS sequences found, from its first-frame mask, without corrections (``--davis ""`` skips
DAVIS; ``--difficulty medium`` draws a set where fewer frames fail). ``--corrections 0 3``
measures each set twice: right after that first pass, and after the simulated annotator has
fixed the first 3 failing frames of each object (ground-truth mask, re-tracked from there), the
state in which an annotator would look for what is still wrong. Prints one JSON object with,
per set, pooled recall (``best`` = a perfect ranking) and the mean IoU of the flagged frames
(lower: worse frames flagged). Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", type=int, default=12)
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--seed0", type=int, default=600_000)
    p.add_argument("--difficulty", default="hard", help="synthetic set: easy, medium, hard")
    p.add_argument("--davis", default="../shared/data/davis")
    p.add_argument("--davis-frames", type=int, default=None)
    p.add_argument("--model", default="litlora-tiny")
    p.add_argument("--image-size", type=int, default=None)
    p.add_argument("--k-frac", type=float, default=0.1)
    p.add_argument("--corrections", type=int, nargs="+", default=[0])
    a = p.parse_args(argv)
    from litlora_widgets.datasets.synthetic import synthetic_clip
    from litlora_widgets.evaluation.datasets import discover, load_ground_truth
    from litlora_widgets.evaluation.review_eval import (
        first_present,
        measure_review,
        pooled_flagged_iou,
        pooled_recall,
    )
    from litlora_widgets.evaluation.runner import _video_input, get_predictor

    model = {"checkpoint": a.model, "image_size": a.image_size, "device": "cpu"}
    predictor = get_predictor(model, 0)
    out: dict = {"model": a.model, "k_frac": a.k_frac, "sets": {}}
    t0 = time.perf_counter()

    def summary(rows: list[dict]) -> dict:
        return {
            "objects": len(rows),
            "failing": sum(r["failing"] for r in rows),
            "frames": sum(r["frames"] for r in rows),
            "recall": pooled_recall(rows),
            "flagged_iou": pooled_flagged_iou(rows),
            "rows": rows,
        }

    for c in a.corrections:
        tag = f" after {c} corrections" if c else ""
        rows = []
        for seed in range(a.seed0, a.seed0 + a.clips):
            frames, labels = synthetic_clip(seed, a.frames, (a.size, a.size), a.difficulty)
            gt = {t: labels[t] == 1 for t in range(len(frames))}
            start = first_present(gt)
            if start is None:  # object 1 never in view
                continue
            r = measure_review(predictor, frames, gt, start=start, k_frac=a.k_frac, corrections=c)
            rows.append({"clip": seed, **r})
        out["sets"][f"synthetic_{a.difficulty}{tag}"] = summary(rows)
        if a.davis and Path(a.davis).is_dir():
            rows = []
            for spec in discover(a.davis):
                g = load_ground_truth(spec, a.davis_frames)
                video = _video_input(g)
                for o in g.objects:
                    gt = {t: g.mask(t, o) for t in g.annotated}
                    r = measure_review(
                        predictor, video, gt, start=g.starts[o], k_frac=a.k_frac, corrections=c
                    )
                    rows.append({"video": spec.name, "obj": o, **r})
            out["sets"][f"davis{tag}"] = summary(rows)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
