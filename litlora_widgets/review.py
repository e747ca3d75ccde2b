"""A review queue: which tracked frames to look at first, because they are most likely wrong.

Checking every tracked frame is what costs an annotator most of the time; SAM2 gives a
predicted IoU per frame, but it is over-confident exactly where tracking drifts. The queue
combines several cheap signals, each scaled to [0, 1]:

- ``sam_iou``: 1 − SAM2's predicted IoU for the frame;
- ``absent``: SAM2's object score says the object is gone while the mask is not empty (or the
  mask is empty while SAM2 says the object is there);
- ``area``: a sudden area change against the neighbouring frame (a doubling or halving = 1)
  and a drift in area against the last frame the user confirmed (×3 = 1);
- ``moved``: a centroid jump against the neighbouring frame, in object sizes (√area);
- ``distance``: frames since the last confirmed frame (drift accumulates);
- ``experts`` (optional, one decoder pass per frame): 1 − IoU between SAM2's mask and the
  closest LoRA expert's.

They are combined as a weighted noisy-OR, ``1 − Π(1 − wᵢ·sᵢ)``, so one strong signal is enough
and several weak ones add up. ``rank_frames`` is the pure ranking (testable without a model);
``review_queue`` feeds it from a session's ``frame_states``. ``recall_at_k`` and the two
baselines (SAM2's predicted IoU alone, frames in order) are what the evaluation compares.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .errors import Cancelled, InputError

CONFIRMED = ("prompt", "correction", "accept")

#: the share of tracked frames to review (at least one): the k at which the evaluation
#: measures the queue and the frames the widget's timeline marks
REVIEW_FRACTION = 0.1


def review_k(num_tracked: int, fraction: float = REVIEW_FRACTION) -> int:
    """How many of ``num_tracked`` tracked frames to review: ``fraction`` of them, at least
    one (none when nothing is tracked)."""
    return max(1, round(fraction * num_tracked)) if num_tracked > 0 else 0


@dataclass(frozen=True)
class ReviewItem:
    """One frame of the queue: ``score`` in [0, 1] (higher: more likely wrong), ``reasons``
    in words, strongest first."""

    frame: int
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Weights:
    """How much each signal counts (0 turns it off). These defaults were chosen on synthetic
    clips (seeds 700,000+, medium and hard) tracked by the embedded model's v1; models with
    weights of their own are in ``MODEL_WEIGHTS``. The benchmark reports on seeds 600,000+
    and on DAVIS."""

    sam_iou: float = 0.9
    absent: float = 0.8
    area: float = 1.0
    area_drift: float = 1.0
    moved: float = 0.4
    distance: float = 0.2
    experts: float = 0.6
    distance_scale: float = 20.0  # frames from the last confirmed frame at which s = 0.5

    def to_dict(self) -> dict:
        return asdict(self)


#: weights chosen for one model by ``benchmarks/review_weights.py`` (coordinate search on 90
#: medium and 90 hard clips, seeds 700,000+, before and after 3 corrections); models not
#: listed use ``Weights()``. For the embedded model (v2, step 21,046) the search dropped SAM2's
#: predicted IoU: with the other signals it added nothing on those clips.
MODEL_WEIGHTS: dict[str, Weights] = {
    "litlora-tiny": Weights(
        sam_iou=0.0,
        absent=0.8,
        area=0.1,
        area_drift=0.3,
        moved=0.4,
        distance=0.6,
        distance_scale=5.0,
    ),
}


def default_weights(model_name: str) -> Weights:
    """The queue's weights for the model called ``model_name`` (``Session.info.name``)."""
    return MODEL_WEIGHTS.get(model_name, Weights())


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def _log_ratio(a: float, b: float) -> float:
    return abs(math.log((a + 1.0) / (b + 1.0)))


def _times(a: float, b: float) -> str:
    return f"×{a / b:.2f}" if b else "from empty"


def rank_frames(
    states: Mapping[int, Any],
    *,
    centroids: Mapping[int, tuple[float, float] | None] | None = None,
    disagreement: Mapping[int, float] | None = None,
    weights: Weights | None = None,
) -> list[ReviewItem]:
    """Rank the tracked frames of one object, most likely wrong first (ties: earlier frame).

    ``states``: frame -> a FrameState-like object (``frame``, ``kind``, ``area``, ``sam_iou``,
    ``obj_score``); only ``kind == "tracked"`` frames are ranked, the others anchor them.
    ``centroids``: frame -> (y, x) of the mask (None if empty); ``disagreement``: frame ->
    1 − IoU(SAM2, closest expert).
    """
    w = weights or Weights()
    frames = sorted(states)
    confirmed = [t for t in frames if states[t].kind in CONFIRMED]
    items = []
    for i, t in enumerate(frames):
        st = states[t]
        if st.kind != "tracked":
            continue
        # the anchor side: towards the nearest confirmed frame (forward or backward tracking)
        before = [c for c in confirmed if c < t]
        after = [c for c in confirmed if c > t]
        c_prev, c_next = (before[-1] if before else None), (after[0] if after else None)
        if c_prev is None and c_next is None:
            anchor, nb = None, (frames[i - 1] if i > 0 else None)
        elif c_next is None or (c_prev is not None and t - c_prev <= c_next - t):
            anchor, nb = c_prev, frames[i - 1]
        else:
            anchor, nb = c_next, frames[i + 1]
        sig: dict[str, tuple[float, str]] = {}
        if _finite(st.sam_iou):
            sig["sam_iou"] = (
                min(1.0, max(0.0, 1.0 - st.sam_iou)),
                f"SAM2 predicted IoU {st.sam_iou:.2f}",
            )
        if _finite(st.obj_score):
            p = _sigmoid(st.obj_score)
            if st.area > 0:
                sig["absent"] = (1.0 - p, f"object score says it may be gone (P {p:.2f})")
            else:
                sig["absent"] = (max(0.5, p), "empty mask")
        elif st.area == 0:
            sig["absent"] = (0.5, "empty mask")
        if nb is not None:
            a0 = states[nb].area
            r = _log_ratio(st.area, a0)
            sig["area"] = (min(1.0, r / math.log(2)), f"area {_times(st.area, a0)} vs frame {nb}")
            if centroids is not None and a0 > 0:
                c1, c0 = centroids.get(t), centroids.get(nb)
                if c1 is not None and c0 is not None:
                    d = math.hypot(c1[0] - c0[0], c1[1] - c0[1]) / math.sqrt(a0)
                    sig["moved"] = (min(1.0, d), f"moved {d:.2f} object sizes since frame {nb}")
        if anchor is not None:
            r = _log_ratio(st.area, states[anchor].area)
            sig["area_drift"] = (
                min(1.0, r / math.log(3)),
                f"area {_times(st.area, states[anchor].area)} vs confirmed frame {anchor}",
            )
            d = abs(t - anchor)
            sig["distance"] = (
                d / (d + w.distance_scale),
                f"{d} frames from confirmed frame {anchor}",
            )
        if disagreement is not None and _finite(disagreement.get(t)):
            x = float(disagreement[t])
            sig["experts"] = (
                min(1.0, max(0.0, x)),
                f"experts disagree (IoU {1 - x:.2f} with the closest)",
            )
        keep, contrib = 1.0, []
        for name, (s, why) in sig.items():
            c = getattr(w, name) * s
            keep *= 1.0 - min(1.0, c)
            contrib.append((c, why))
        contrib.sort(key=lambda x: -x[0])
        reasons = tuple(why for c, why in contrib if c >= 0.15)
        if not reasons and contrib:
            reasons = (contrib[0][1],)
        items.append(ReviewItem(int(t), float(1.0 - keep), reasons))
    items.sort(key=lambda it: (-it.score, it.frame))
    return items


def rank_by_sam_iou(states: Mapping[int, Any]) -> list[int]:
    """Baseline: tracked frames by SAM2's predicted IoU, lowest first (unknown last)."""
    tracked = [t for t in sorted(states) if states[t].kind == "tracked"]
    return sorted(
        tracked, key=lambda t: (states[t].sam_iou if _finite(states[t].sam_iou) else math.inf, t)
    )


def rank_in_order(states: Mapping[int, Any]) -> list[int]:
    """Baseline: tracked frames in the order an annotator scrubs them (frame order)."""
    return [t for t in sorted(states) if states[t].kind == "tracked"]


def recall_at_k(order: list[int], failing: set[int], k: int) -> float:
    """Share of the ``failing`` frames found among the first ``k`` of ``order`` (nan if none
    fail)."""
    if not failing:
        return float("nan")
    return len(set(order[:k]) & failing) / len(failing)


def review_queue(
    session,
    obj_id: int,
    k: int | None = None,
    *,
    experts: bool = False,
    weights: Weights | None = None,
    progress: bool = False,
    cancel: threading.Event | None = None,
) -> list[ReviewItem]:
    """The tracked frames of ``obj_id``, most likely wrong first (the first ``k`` if given).

    ``experts=True`` adds the SAM2-vs-experts disagreement, which costs one decoder pass per
    tracked frame (shown with a progress bar when ``progress``; ``cancel`` stops it). Uses
    only the session's public API; changes nothing in it.
    """
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
        raise InputError(f"k must be a non-negative int or None, got {k!r}")
    states = session.frame_states(obj_id)
    cents = {t: session.annotations.masks.centroid(t, obj_id) for t in states}
    dis = None
    if experts and session.experts(obj_id).num_experts:
        from tqdm.auto import tqdm

        from .masks import mask_iou

        tracked = [t for t in sorted(states) if states[t].kind == "tracked"]
        dis = {}
        for t in tqdm(tracked, desc="experts", unit="frame", disable=not progress, leave=False):
            if cancel is not None and cancel.is_set():
                raise Cancelled("review queue cancelled")
            cands = session.candidates(t, obj_id)
            base = cands[0].mask
            dis[t] = 1.0 - max((mask_iou(base, c.mask) for c in cands[1:]), default=1.0)
    if weights is None:
        weights = default_weights(session.info.name)
    items = rank_frames(states, centroids=cents, disagreement=dis, weights=weights)
    return items if k is None else items[:k]
