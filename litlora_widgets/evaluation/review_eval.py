"""Measuring the review queue: of the frames that truly fail, how many does it flag first?

One object is prompted with its ground-truth mask on its first frame and tracked by plain SAM2
through the video (no corrections, as an annotator would find it). The annotated tracked frames
whose IoU against the ground truth is below ``threshold`` are the failing ones. Each ranking
(the review queue, SAM2's predicted IoU alone, frames in order) is cut at ``k`` = ``k_frac`` of
those frames, and recall = failing frames found / failing frames. ``best`` is what a perfect
ranking would find (min(k, failing)). Counts are returned, so recall over many videos is
pooled (Σ found / Σ failing), not an average of ratios.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..masks import mask_iou
from ..review import Weights, rank_by_sam_iou, rank_in_order, review_k, review_queue

RANKINGS = ("queue", "sam_iou", "in_order", "best")


def measure_review(
    predictor,
    video,
    gt_masks: Mapping[int, np.ndarray],
    *,
    start: int = 0,
    k_frac: float = 0.1,
    threshold: float = 0.5,
    weights: Weights | None = None,
) -> dict:
    """Counts for one object: ``frames``, ``failing``, ``k`` and ``found`` per ranking."""
    from ..session import Session

    s = Session(predictor, video, lit=False, autosave=False)
    try:
        obj = s.add_object()
        s.add_mask(start, obj, gt_masks[start])
        for _ in s.propagate(start_frame=start, progress=False):
            pass
        states = s.frame_states(obj)
        judged = [t for t in sorted(gt_masks) if t in states and states[t].kind == "tracked"]
        keep = set(judged)
        failing = {t for t in judged if mask_iou(s.mask(t, obj), gt_masks[t]) < threshold}
        k = max(1, review_k(len(judged), k_frac))
        orders = {
            "queue": [it.frame for it in review_queue(s, obj, weights=weights) if it.frame in keep],
            "sam_iou": [t for t in rank_by_sam_iou(states) if t in keep],
            "in_order": [t for t in rank_in_order(states) if t in keep],
        }
    finally:
        s.close()
    found = {name: len(set(o[:k]) & failing) for name, o in orders.items()}
    found["best"] = min(k, len(failing))
    return {"frames": len(judged), "failing": len(failing), "k": k, "found": found}


def pooled_recall(rows: list[dict]) -> dict:
    """Σ found / Σ failing per ranking over many objects (None when nothing fails)."""
    fail = sum(r["failing"] for r in rows)
    return {n: (sum(r["found"][n] for r in rows) / fail if fail else None) for n in RANKINGS}
