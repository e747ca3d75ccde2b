"""Fit the review queue (``review.Logistic``) for a model, on tuning seeds.

    PYTHONPATH=. .venv/bin/python benchmarks/review_weights.py --clips 90 --frames 24

Plain SAM2 (the embedded litlora-tiny by default) tracks object 1 of each synthetic clip of
every ``--difficulties`` set (seeds 700,000+, apart from the report's 600,000+ and from the
model's training seeds), at each ``--corrections`` level, as ``benchmarks/review_queue.py``
does. The trackings are kept (``--tracks FILE`` saves them as JSON, and a second run with the
same file only fits), then ``review_eval.fit_logistic`` fits a logistic regression on every
judged frame of every set. Prints one JSON object: the fit, and per set the pooled recall at
k = 10 % of the model's current queue (``review.default_weights``), of the fit, of SAM2's
predicted IoU alone and of a perfect ranking. Put the fit in ``review.MODEL_WEIGHTS``, then
report on held-out seeds with ``benchmarks/review_queue.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path


def _track_sets(a) -> dict[str, list]:
    from tqdm.auto import tqdm

    from litlora_widgets.datasets.synthetic import synthetic_clip
    from litlora_widgets.evaluation.review_eval import first_present, track_for_review
    from litlora_widgets.evaluation.runner import get_predictor

    if a.weights:  # e.g. a training run's weights before they ship
        from litlora_widgets.pretrain.model import build_tiny_predictor

        predictor = build_tiny_predictor(a.weights, device="cpu")
    else:
        predictor = get_predictor({"checkpoint": a.model, "image_size": None, "device": "cpu"}, 0)
    sets: dict[str, list] = {}
    for difficulty in a.difficulties:
        clips = []
        for seed in range(a.seed0, a.seed0 + a.clips):
            frames, labels = synthetic_clip(seed, a.frames, (a.size, a.size), difficulty)
            clips.append((frames, {t: labels[t] == 1 for t in range(len(frames))}))
        for c in a.corrections:
            name = f"{difficulty}, {c} corrections"
            sets[name] = []
            for f, gt in tqdm(clips, desc=name, unit="clip"):
                start = first_present(gt)  # the object may enter later
                if start is not None:
                    tr = track_for_review(predictor, f, gt, start=start, corrections=c)
                    sets[name].append(tr)
    return sets


def _to_json(sets: dict[str, list]) -> dict:
    return {
        name: [
            {
                "states": {t: dataclasses.asdict(s) for t, s in tr.states.items()},
                "centroids": tr.centroids,
                "ious": tr.ious,
                "corrected": tr.corrected,
                "model": tr.model,
            }
            for tr in tracks
        ]
        for name, tracks in sets.items()
    }


def _from_json(data: dict) -> dict[str, list]:
    from litlora_widgets.evaluation.review_eval import ReviewTrack
    from litlora_widgets.state import FrameState

    def track(d: dict) -> ReviewTrack:
        return ReviewTrack(
            {int(t): FrameState(**s) for t, s in d["states"].items()},
            {int(t): (tuple(c) if c is not None else None) for t, c in d["centroids"].items()},
            {int(t): float(v) for t, v in d["ious"].items()},
            list(d["corrected"]),
            d.get("model", ""),
        )

    return {name: [track(d) for d in tracks] for name, tracks in data.items()}


def _recalls(sets: dict[str, list], weights, k_frac: float) -> dict[str, dict]:
    from litlora_widgets.evaluation.review_eval import pooled_recall, score_review

    return {
        name: pooled_recall([score_review(tr, k_frac=k_frac, weights=weights) for tr in tracks])
        for name, tracks in sets.items()
    }


def _share(recalls: dict[str, dict]) -> float:
    """Mean share of a perfect ranking's recall that the queue reaches, over the sets."""
    shares = [r["queue"] / r["best"] for r in recalls.values() if r["best"]]
    return sum(shares) / len(shares) if shares else 0.0


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", type=int, default=30)
    p.add_argument("--frames", type=int, default=24)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--seed0", type=int, default=700_000)
    p.add_argument("--difficulties", nargs="+", default=["medium", "hard"])
    p.add_argument("--corrections", type=int, nargs="+", default=[0, 3])
    p.add_argument("--model", default="litlora-tiny")
    p.add_argument("--weights", default=None, help="litlora-tiny weights to use instead")
    p.add_argument("--k-frac", type=float, default=0.1)
    p.add_argument("--distance-scale", type=float, default=5.0)
    p.add_argument("--l2", type=float, default=0.01)
    p.add_argument("--tracks", default=None, help="JSON file of the trackings (read if present)")
    a = p.parse_args(argv)
    from litlora_widgets.evaluation.review_eval import fit_logistic
    from litlora_widgets.review import default_weights

    t0 = time.perf_counter()
    if a.tracks and Path(a.tracks).is_file():
        sets = _from_json(json.loads(Path(a.tracks).read_text()))
    else:
        sets = _track_sets(a)
        if a.tracks:
            Path(a.tracks).write_text(json.dumps(_to_json(sets)))
    tracked_s = time.perf_counter() - t0
    model = next((tr.model for tracks in sets.values() for tr in tracks), "")
    default = default_weights(model)  # the weights the model uses now
    pooled = [tr for tracks in sets.values() for tr in tracks]
    found = fit_logistic(pooled, distance_scale=a.distance_scale, l2=a.l2)
    before, after = _recalls(sets, default, a.k_frac), _recalls(sets, found, a.k_frac)
    out = {
        "model": a.weights or a.model,
        "clips": a.clips,
        "defaults": default.to_dict(),
        "found": found.to_dict(),
        "share_of_best": {"defaults": _share(before), "found": _share(after)},
        "sets": {
            name: {
                "defaults": round(before[name]["queue"], 4),
                "found": round(after[name]["queue"], 4),
                "sam_iou": round(after[name]["sam_iou"], 4),
                "best": round(after[name]["best"], 4),
            }
            for name in sets
        },
        "seconds": {"tracking": round(tracked_s, 1), "total": round(time.perf_counter() - t0, 1)},
    }
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
