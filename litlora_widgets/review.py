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
- ``unsure_before``: SAM2's lowest predicted IoU on the frames between the confirmed frame
  and this one (once tracking slips, the frames after it stay wrong even where SAM2's
  confidence recovers);
- ``unsure_after``: SAM2's lowest predicted IoU on the next three frames away from the
  confirmed frame (drift often shows there first);
- ``experts`` (optional, one decoder pass per frame): 1 − IoU between SAM2's mask and the
  closest LoRA expert's.

Two ways combine them. ``Weights``, hand-set, is a weighted noisy-OR ``1 − Π(1 − wᵢ·sᵢ)``, so
one strong signal is enough and several weak ones add up; models without a fit of their own use
it. ``Logistic`` is a logistic regression ``σ(b + Σ cᵢ·(sᵢ − μᵢ))`` fitted on tracked clips where
the truth is known (``evaluation.review_eval.fit_logistic``, run by
``benchmarks/review_weights.py``); ``MODEL_WEIGHTS`` holds the fit per model. ``rank_frames`` is
the pure ranking (testable without a model); ``review_queue`` feeds it from a session's
``frame_states``. ``recall_at_k`` and the two baselines (SAM2's predicted IoU alone, frames in
order) are what the evaluation compares.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import Cancelled, InputError

CONFIRMED = ("prompt", "correction", "accept")
#: every signal ``frame_signals`` can compute
SIGNALS = (
    "sam_iou",
    "absent",
    "area",
    "area_drift",
    "moved",
    "distance",
    "unsure_before",
    "unsure_after",
    "experts",
)
AHEAD = 3  # frames ``unsure_after`` looks ahead
NOTHING = "no signal stands out"  # the reason of a frame where every signal is typical

#: the share of tracked frames to review (at least one): the k at which the evaluation
#: measures the queue and the most frames the widget's timeline marks
REVIEW_FRACTION = 0.1
#: the widget marks a queued frame only from this score on: for a fitted queue (``Logistic``),
#: more likely wrong than right; for the hand-set noisy-OR (``Weights``, other models), one
#: strong signal reaches it alone (e.g. SAM2's predicted IoU ≤ 0.44). On a clip tracked well
#: throughout, nothing is marked rather than the least doubtful of good frames (the evaluation
#: ranks every frame regardless).
LIKELY_WRONG = 0.5


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
    unsure_before: float = 0.0
    unsure_after: float = 0.0
    experts: float = 0.6
    distance_scale: float = 20.0  # frames from the last confirmed frame at which s = 0.5

    def to_dict(self) -> dict:
        return asdict(self)

    def combine(self, sig: Mapping[str, tuple[float, str]]) -> tuple[float, tuple[str, ...]]:
        """Noisy-OR of the weighted signals; reasons: contributions of at least 0.15."""
        keep, contrib = 1.0, []
        for name, (s, why) in sig.items():
            c = getattr(self, name) * s
            keep *= 1.0 - min(1.0, c)
            contrib.append((c, why))
        return 1.0 - keep, _reasons(contrib, 0.15)


@dataclass(frozen=True)
class Logistic:
    """A logistic regression on the signals: P(frame fails) = σ(bias + Σ coefᵢ·(sᵢ − meanᵢ)).

    ``mean`` is each signal's mean on the frames it was fitted on, so a missing signal counts
    as typical (adds 0) and the reasons name what is *unusually* high. Signals without a
    coefficient are ignored; one with a negative coefficient moves the score but is never
    given as a reason. The experts' disagreement cannot be fitted on kept trackings (they have
    no experts), so unless ``coef`` has it, ``experts`` (hand-set) is its coefficient, with
    mean 0: experts that agree with SAM2 add nothing."""

    bias: float
    coef: Mapping[str, float] = field(default_factory=dict)
    mean: Mapping[str, float] = field(default_factory=dict)
    distance_scale: float = 5.0
    experts: float = 3.0  # logit per unit of 1 − IoU(SAM2, closest expert): 0.5 adds 1.5

    def __post_init__(self):
        unknown = (set(self.coef) | set(self.mean)) - set(SIGNALS)
        if unknown:
            raise InputError(f"unknown review signals {sorted(unknown)}; known: {SIGNALS}")

    def to_dict(self) -> dict:
        return {
            "bias": self.bias,
            "coef": dict(self.coef),
            "mean": dict(self.mean),
            "distance_scale": self.distance_scale,
            "experts": self.experts,
        }

    def combine(self, sig: Mapping[str, tuple[float, str]]) -> tuple[float, tuple[str, ...]]:
        """σ of the linear score; reasons: terms that add at least 0.5 to the logit."""
        z, contrib = self.bias, []
        for name, c in {"experts": self.experts, **self.coef}.items():
            if name in sig:
                s, why = sig[name]
                term = c * (s - self.mean.get(name, 0.0))
                z += term
                if c > 0:  # a signal below its mean under a negative weight explains nothing
                    contrib.append((term, why))
        return _sigmoid(z), _reasons(contrib, 0.5)


#: the queue per model, fitted by ``benchmarks/review_weights.py`` (a logistic regression on
#: 90 medium and 90 hard synthetic clips, seeds 700,000+, each tracked before and after 3
#: corrections); models not listed use the hand-set ``Weights()``.
MODEL_WEIGHTS: dict[str, Weights | Logistic] = {
    "litlora-tiny": Logistic(
        bias=-0.885,
        coef={
            "sam_iou": 2.8218,
            "absent": -6.7616,
            "area": 0.5676,
            "area_drift": 0.7897,
            "moved": 0.1963,
            "distance": 2.0659,
            "unsure_before": 3.1325,
            "unsure_after": 2.2331,
        },
        mean={
            "sam_iou": 0.4352,
            "absent": 0.089,
            "area": 0.2333,
            "area_drift": 0.4939,
            "moved": 0.2337,
            "distance": 0.5888,
            "unsure_before": 0.535,
            "unsure_after": 0.4768,
        },
        distance_scale=5.0,
    ),
}


def default_weights(model_name: str) -> Weights | Logistic:
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


def _reasons(contrib: list[tuple[float, str]], floor: float) -> tuple[str, ...]:
    """The reasons of the contributions of at least ``floor``, strongest first (else the
    strongest positive one alone; never none, so a queued frame always says why)."""
    contrib = sorted(contrib, key=lambda x: -x[0])
    reasons = tuple(why for c, why in contrib if c >= floor)
    if not reasons:
        reasons = (contrib[0][1],) if contrib and contrib[0][0] > 0 else (NOTHING,)
    return reasons


def rank_frames(
    states: Mapping[int, Any],
    *,
    centroids: Mapping[int, tuple[float, float] | None] | None = None,
    disagreement: Mapping[int, float] | None = None,
    weights: Weights | Logistic | None = None,
) -> list[ReviewItem]:
    """Rank the tracked frames of one object, most likely wrong first (ties: earlier frame).

    ``states``: frame -> a FrameState-like object (``frame``, ``kind``, ``area``, ``sam_iou``,
    ``obj_score``); only ``kind == "tracked"`` frames are ranked, the others anchor them.
    ``centroids``: frame -> (y, x) of the mask (None if empty); ``disagreement``: frame ->
    1 − IoU(SAM2, closest expert).
    """
    w = weights or Weights()
    sigs = frame_signals(states, centroids, disagreement, w.distance_scale)
    items = []
    for t, sig in sigs.items():
        score, reasons = w.combine(sig)
        items.append(ReviewItem(int(t), float(score), reasons))
    items.sort(key=lambda it: (-it.score, it.frame))
    return items


def frame_signals(
    states: Mapping[int, Any],
    centroids: Mapping[int, tuple[float, float] | None] | None = None,
    disagreement: Mapping[int, float] | None = None,
    distance_scale: float = 20.0,
) -> dict[int, dict[str, tuple[float, str]]]:
    """Every tracked frame's signals (see the module docstring): name -> (value in [0, 1],
    the reason in words). A signal that cannot be computed there is left out."""
    frames = sorted(states)
    confirmed = [t for t in frames if states[t].kind in CONFIRMED]
    iou = {t: states[t].sam_iou for t in frames if _finite(states[t].sam_iou)}
    low_fwd = _lowest_since_confirmed(frames, states, iou)
    low_bwd = _lowest_since_confirmed(frames[::-1], states, iou)
    out: dict[int, dict[str, tuple[float, str]]] = {}
    for i, t in enumerate(frames):
        st = states[t]
        if st.kind != "tracked":
            continue
        # the anchor side: towards the nearest confirmed frame (forward or backward tracking)
        before = [c for c in confirmed if c < t]
        after = [c for c in confirmed if c > t]
        c_prev, c_next = (before[-1] if before else None), (after[0] if after else None)
        if c_prev is None and c_next is None:
            anchor, nb, away = None, (frames[i - 1] if i > 0 else None), 1
        elif c_next is None or (c_prev is not None and t - c_prev <= c_next - t):
            anchor, nb, away = c_prev, frames[i - 1], 1
        else:
            anchor, nb, away = c_next, frames[i + 1], -1
        sig: dict[str, tuple[float, str]] = {}
        if t in iou:
            sig["sam_iou"] = (min(1.0, max(0.0, 1.0 - iou[t])), f"SAM2 predicted IoU {iou[t]:.2f}")
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
            why = f"{d} frames from confirmed frame {anchor}"
            sig["distance"] = (d / (d + distance_scale), why)
            u = (low_fwd if away == 1 else low_bwd).get(t)
            if u is not None:  # on this frame itself, its IoU is a reason of its own
                fell = f"SAM2's IoU fell to {iou[u]:.2f} on frame {u}"
                sig["unsure_before"] = (
                    min(1.0, max(0.0, 1.0 - iou[u])),
                    f"the lowest SAM2 IoU from confirmed frame {anchor} to here"
                    if u == t
                    else f"{fell}, between confirmed frame {anchor} and here",
                )
        ahead = [t + away * j for j in range(1, AHEAD + 1)]
        ahead = [u for u in ahead if u in iou and states[u].kind == "tracked"]
        if ahead:
            u = min(ahead, key=lambda u: (iou[u], u))
            sig["unsure_after"] = (
                min(1.0, max(0.0, 1.0 - iou[u])),
                f"SAM2 unsure just after, on frame {u} (IoU {iou[u]:.2f})",
            )
        if disagreement is not None and _finite(disagreement.get(t)):
            x = float(disagreement[t])
            sig["experts"] = (
                min(1.0, max(0.0, x)),
                f"experts disagree (IoU {1 - x:.2f} with the closest)",
            )
        out[t] = sig
    return out


def _lowest_since_confirmed(
    frames: list[int], states: Mapping[int, Any], iou: Mapping[int, float]
) -> dict[int, int | None]:
    """Walking ``frames`` in the given order: for each frame, the frame of SAM2's lowest
    predicted IoU since the last confirmed frame passed (that one excluded; ties: the lower
    frame number). One pass, so the queue stays linear in the video's length."""
    out: dict[int, int | None] = {}
    low = None
    for t in frames:
        if states[t].kind in CONFIRMED:
            low = None
        elif t in iou and (low is None or (iou[t], t) < (iou[low], low)):
            low = t
        out[t] = low
    return out


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
    weights: Weights | Logistic | None = None,
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
