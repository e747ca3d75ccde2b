"""Derived state the widget shows, read from the :class:`Session` after every change: the
prompts in force on a frame, the curves, and the timeline rows with each object's review queue.

Per-frame facts come from the session's public API (``Session.frame_states``: how each
frame got its mask and SAM2's confidence there; ``Session.review_queue``: the tracked frames
most likely wrong).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..review import LIKELY_WRONG, REVIEW_FRACTION, review_k
from ..state import FrameState
from .wire import finite

if TYPE_CHECKING:  # pragma: no cover
    from ..session import Session

PROMPT_KINDS = ("add_points", "add_box", "add_mask")
MARK_KINDS = {"correction": "correction", "accept": "accept", **{k: "prompt" for k in PROMPT_KINDS}}


#: timeline codes, one character per frame (js/src/timeline.js draws them)
TIMELINE_CODES = {
    "none": ".",
    "tracked": "t",
    "unsure": "u",
    "absent": "0",
    "prompt": "p",
    "correction": "c",
    "accept": "a",
}
#: SAM2 is "unsure" on a tracked frame below this predicted IoU or object-score logit
UNSURE_IOU = 0.5
UNSURE_OBJ_SCORE = 0.0


def unsure(st: FrameState) -> bool:
    iou, score = st.sam_iou, st.obj_score
    return (math.isfinite(iou) and iou < UNSURE_IOU) or (
        math.isfinite(score) and score < UNSURE_OBJ_SCORE and st.area > 0
    )


def timeline_row(states: dict[int, FrameState], num_frames: int) -> str:
    """One character per frame (``TIMELINE_CODES``): the row of one object."""
    row = [TIMELINE_CODES["none"]] * num_frames
    for f, st in states.items():
        if not 0 <= f < num_frames:
            continue
        if st.kind in ("prompt", "correction", "accept"):
            row[f] = TIMELINE_CODES[st.kind]
        elif st.area == 0:
            row[f] = TIMELINE_CODES["absent"]
        else:
            row[f] = TIMELINE_CODES["unsure" if unsure(st) else "tracked"]
    return "".join(row)


class ReviewQueues:
    """Each object's frames to review: of the first :func:`review_k` of
    ``Session.review_queue(obj_id, k)``, those scored at least ``LIKELY_WRONG``, as
    ``[{frame, score, why}]`` (most likely wrong first). The queue reads every mask of the
    object (its centroids), so it is kept per object until the object's frame states (kind,
    area, SAM2's scores per frame) change."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[tuple, list[dict]]] = {}

    def __call__(
        self, session: Session, obj_id: int, states: dict[int, FrameState] | None = None
    ) -> list[dict]:
        states = session.frame_states(obj_id) if states is None else states
        key = tuple(
            (f, st.kind, st.area, finite(st.sam_iou), finite(st.obj_score))
            for f, st in sorted(states.items())
        )
        memo = self._memo.get(obj_id)
        if memo is not None and memo[0] == key:
            return memo[1]
        k = review_k(sum(st.kind == "tracked" for st in states.values()))
        items = session.review_queue(obj_id, k) if k else []
        queue = [
            {"frame": it.frame, "score": finite(it.score), "why": "; ".join(it.reasons)}
            for it in items
            if it.score >= LIKELY_WRONG
        ]
        self._memo[obj_id] = (key, queue)
        return queue


def timeline_of(session: Session, review: ReviewQueues | None = None) -> dict:
    """The ``timeline`` trait: one row per object, with its frames to review when ``review``
    is given (else ``[]``: while a propagation streams, the queue waits for its end)."""
    n = session.num_frames
    rows = []
    for o in session.objects:
        states = session.frame_states(o)
        queue = review(session, o, states) if review is not None else []
        rows.append({"obj_id": o, "codes": timeline_row(states, n), "review": queue})
    return {
        "rows": rows,
        "unsure_iou": UNSURE_IOU,
        "unsure_obj_score": UNSURE_OBJ_SCORE,
        "review_fraction": REVIEW_FRACTION,
    }


def prompts_on_frame(events: list[dict], frame: int, objects) -> list[dict]:
    """Clicks and boxes still in force on ``frame``, from the session's event log (which undo
    restores): a box or mask prompt replaces the earlier clicks of that object on the frame."""
    per_obj: dict[int, list[dict]] = {}
    for ev in events:
        if ev.get("frame") != frame or ev.get("obj_id") not in objects:
            continue
        obj, kind = ev["obj_id"], ev["kind"]
        if kind in ("add_box", "add_mask", "accept"):
            per_obj[obj] = []
        if kind == "add_box":
            per_obj[obj].append({"obj_id": obj, "kind": "box", "box": list(map(float, ev["box"]))})
        elif kind in ("add_points", "correction") and ev.get("points"):
            per_obj.setdefault(obj, []).extend(
                {"obj_id": obj, "kind": "point", "x": float(x), "y": float(y), "label": int(lab)}
                for (x, y), lab in zip(ev["points"], ev["labels"], strict=False)
            )
    return [p for ps in per_obj.values() for p in ps]


def user_frames(events: list[dict], obj_id: int) -> set[int]:
    """Frames where the user prompted the object directly (not corrections)."""
    return {e["frame"] for e in events if e["kind"] in PROMPT_KINDS and e.get("obj_id") == obj_id}


def curves_of(session: Session, live: dict | None = None, against: str = "your masks") -> dict:
    """The ``curves`` trait: per-frame IoU per object, training runs, timeline marks."""
    iou = []
    for obj_id in session.objects:
        pts = [[int(f), finite(v)] for f, v in sorted(session.reference_iou(obj_id).items())]
        iou.append({"obj_id": obj_id, "points": [p for p in pts if p[1] is not None]})
    training = [
        {
            "expert": r.get("expert"),
            "new_expert": bool(r.get("new_expert")),
            "frame": r.get("frame"),
            "obj_id": r.get("obj_id"),
            "losses": [finite(v) for v in r.get("losses", [])],
            "ious": [finite(v) for v in r.get("ious", [])],
            "train_iou": finite(r.get("train_iou", float("nan"))),
            "seconds": finite(r.get("train_seconds", float("nan"))),
        }
        for r in session.training_log
        if r.get("obj_id") in session.objects  # a deleted object's runs go with it
    ]
    marks = [
        {"kind": MARK_KINDS[e["kind"]], "frame": e["frame"], "obj_id": e.get("obj_id")}
        for e in session.events
        if e["kind"] in MARK_KINDS and "frame" in e and e.get("obj_id") in session.objects
    ]
    return {
        "iou": iou,
        "against": against,
        "iou_label": f"IoU per frame vs {against}",
        "training": training,
        "live": live,
        "marks": marks,
    }
