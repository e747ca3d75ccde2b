"""Measuring the review queue: of the frames that truly fail, how many does it flag first?

One object is prompted with its ground-truth mask on its first frame and tracked by plain SAM2
through the video (no corrections, as an annotator would find it). The annotated tracked frames
whose IoU against the ground truth is below ``threshold`` are the failing ones. Each ranking
(the review queue, SAM2's predicted IoU alone, frames in order) is cut at ``k`` = ``k_frac`` of
those frames, and recall = failing frames found / failing frames. ``best`` is what a perfect
ranking would find (min(k, failing)). Counts are returned, so recall over many videos is
pooled (Σ found / Σ failing), not an average of ratios.

``corrections=N`` measures the queue where an annotator uses it: after fixing the first N
failing frames (each gets its ground-truth mask and SAM2 re-tracks forward from it, as the
authors' simulated user does), so fewer frames fail. Right after the first pass of a weak
model most frames fail, and recall at 10 % is then capped near 0.10 for every ranking.
``flagged_iou`` (Σ IoU of each ranking's k frames; pooled: ÷ Σ k) says how wrong the flagged
frames are, which does not saturate that way: lower is better.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..masks import mask_iou
from ..review import (
    SIGNALS,
    Logistic,
    Weights,
    default_weights,
    frame_signals,
    rank_by_sam_iou,
    rank_frames,
    rank_in_order,
    review_k,
)

RANKINGS = ("queue", "sam_iou", "in_order", "best")
#: the signals a fit uses: all but the experts' (a kept tracking has no experts)
FITTED = tuple(s for s in SIGNALS if s != "experts")


@dataclass(frozen=True)
class ReviewTrack:
    """One object as plain SAM2 tracked it, with what every ranking needs: its frame states,
    mask centroids, IoU against the ground truth on the judged frames, and the frames the
    simulated annotator corrected. Kept apart from the scoring so that several weightings of
    the queue can be scored on one tracking (``benchmarks/review_weights.py``)."""

    states: dict
    centroids: dict
    ious: dict[int, float]
    corrected: list[int]
    model: str = ""  # Session.info.name: whose weights the queue uses by default


def first_present(gt_masks: Mapping[int, np.ndarray]) -> int | None:
    """The first frame where the object's ground-truth mask is not empty (where tracking
    starts, as the authors start an object at its first annotated mask); None if never."""
    return next((t for t in sorted(gt_masks) if gt_masks[t].any()), None)


def track_for_review(
    predictor,
    video,
    gt_masks: Mapping[int, np.ndarray],
    *,
    start: int = 0,
    threshold: float = 0.5,
    corrections: int = 0,
) -> ReviewTrack:
    """Track one object from its ground-truth mask on ``start``, then fix its first
    ``corrections`` failing frames (see the module docstring)."""
    from ..session import Session

    if isinstance(corrections, bool) or not isinstance(corrections, int) or corrections < 0:
        raise InputError(f"corrections must be a non-negative int, got {corrections!r}")
    s = Session(predictor, video, lit=False, autosave=False)
    try:
        obj = s.add_object()
        s.add_mask(start, obj, gt_masks[start])
        for _ in s.propagate(start_frame=start, progress=False):
            pass
        corrected: list[int] = []
        for _ in range(corrections):
            ious = _ious(s, obj, s.frame_states(obj), gt_masks)
            bad = [t for t, iou in ious.items() if iou < threshold]
            if not bad:
                break
            t = bad[0]
            s.correct(t, obj, gt_masks[t], train=False)  # an empty mask: "absent here"
            corrected.append(t)
            for _ in s.propagate(start_frame=t, progress=False):
                pass
        states = s.frame_states(obj)
        centroids = {t: s.annotations.masks.centroid(t, obj) for t in states}
        ious = _ious(s, obj, states, gt_masks)
        return ReviewTrack(states, centroids, ious, corrected, s.info.name)
    finally:
        s.close()


def score_review(
    track: ReviewTrack,
    *,
    k_frac: float = 0.1,
    threshold: float = 0.5,
    weights: Weights | Logistic | None = None,
) -> dict:
    """Counts for one tracked object: ``frames``, ``failing``, ``k``, ``found`` and
    ``flagged_iou`` per ranking, and the ``corrected`` frames. The queue is ranked as
    ``Session.review_queue`` ranks it (without the experts' signal), with the tracking model's
    weights unless ``weights`` is given."""
    states, ious = track.states, track.ious
    judged = sorted(ious)
    keep = set(judged)
    failing = {t for t in judged if ious[t] < threshold}
    k = max(1, review_k(len(judged), k_frac))
    if weights is None:
        weights = default_weights(track.model)
    queue = rank_frames(states, centroids=track.centroids, weights=weights)
    orders = {
        "queue": [it.frame for it in queue if it.frame in keep],
        "sam_iou": [t for t in rank_by_sam_iou(states) if t in keep],
        "in_order": [t for t in rank_in_order(states) if t in keep],
        "best": sorted(judged, key=lambda t: (ious[t], t)),
    }
    found = {name: len(set(o[:k]) & failing) for name, o in orders.items()}
    flagged = {name: float(sum(ious[t] for t in o[:k])) for name, o in orders.items()}
    return {
        "frames": len(judged),
        "failing": len(failing),
        "k": k,
        "found": found,
        "flagged_iou": flagged,
        "corrected": list(track.corrected),
    }


def measure_review(
    predictor,
    video,
    gt_masks: Mapping[int, np.ndarray],
    *,
    start: int = 0,
    k_frac: float = 0.1,
    threshold: float = 0.5,
    weights: Weights | Logistic | None = None,
    corrections: int = 0,
) -> dict:
    """``score_review`` of ``track_for_review``: the counts for one object."""
    track = track_for_review(
        predictor, video, gt_masks, start=start, threshold=threshold, corrections=corrections
    )
    return score_review(track, k_frac=k_frac, threshold=threshold, weights=weights)


def fit_logistic(
    tracks: list[ReviewTrack],
    *,
    threshold: float = 0.5,
    distance_scale: float = 5.0,
    l2: float = 0.01,
    steps: int = 3000,
    signals: tuple[str, ...] = FITTED,
) -> Logistic:
    """Fit the queue's ``Logistic`` on kept trackings: each judged frame is one sample, failing
    (IoU < ``threshold``) or not. Plain gradient descent on standardised signals with an L2
    penalty ``l2`` (deterministic, numpy only); a signal missing on a frame counts as its mean.
    """
    rows, labels = [], []
    for tr in tracks:
        sigs = frame_signals(tr.states, tr.centroids, None, distance_scale)
        for t, iou in tr.ious.items():
            if t in sigs:
                rows.append([sigs[t][n][0] if n in sigs[t] else np.nan for n in signals])
                labels.append(iou < threshold)
    if not rows or all(labels) or not any(labels):
        raise InputError("fitting the review queue needs judged frames that fail and that pass")
    x, y = np.array(rows, float), np.array(labels, float)
    mean = np.array([np.nanmean(c) if np.isfinite(c).any() else 0.0 for c in x.T])
    x = np.where(np.isfinite(x), x, mean)
    sd = x.std(0)
    sd[sd < 1e-9] = 1.0
    z = (x - mean) / sd
    w, b = np.zeros(len(signals)), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        w -= 0.5 * (z.T @ (p - y) / len(y) + l2 * w)
        b -= 0.5 * float((p - y).mean())
    coef = w / sd  # back to raw signal units: c·(s − mean)
    return Logistic(
        bias=round(float(b), 4),
        coef={n: round(float(c), 4) for n, c in zip(signals, coef, strict=True)},
        mean={n: round(float(m), 4) for n, m in zip(signals, mean, strict=True)},
        distance_scale=distance_scale,
    )


def _ious(s, obj: int, states, gt_masks: Mapping[int, np.ndarray]) -> dict[int, float]:
    """IoU against the ground truth on the annotated frames SAM2 tracked (the judged ones),
    in frame order; ``states`` is the session's ``frame_states(obj)``."""
    return {
        t: mask_iou(s.mask(t, obj), gt_masks[t])
        for t in sorted(gt_masks)
        if t in states and states[t].kind == "tracked"
    }


def pooled_recall(rows: list[dict]) -> dict:
    """Σ found / Σ failing per ranking over many objects (None when nothing fails)."""
    fail = sum(r["failing"] for r in rows)
    return {n: (sum(r["found"][n] for r in rows) / fail if fail else None) for n in RANKINGS}


def pooled_flagged_iou(rows: list[dict]) -> dict:
    """Mean IoU of the flagged frames per ranking, Σ flagged IoU / Σ k (lower: the ranking
    flags worse frames; None without rows that carry it)."""
    rows = [r for r in rows if "flagged_iou" in r]
    n = sum(r["k"] for r in rows)
    return {m: (sum(r["flagged_iou"][m] for r in rows) / n if n else None) for m in RANKINGS}
