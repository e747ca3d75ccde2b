"""Derived state the widget shows, read from the :class:`Session` after every change: the
prompts in force on a frame, the curves, and the timeline rows.

Per-frame facts come from the session's public API (``Session.frame_states``: how each
frame got its mask and SAM2's confidence there).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

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


def timeline_of(session: Session) -> dict:
    """The ``timeline`` trait: one row per object."""
    n = session.num_frames
    rows = [
        {"obj_id": o, "codes": timeline_row(session.frame_states(o), n)} for o in session.objects
    ]
    return {"rows": rows, "unsure_iou": UNSURE_IOU, "unsure_obj_score": UNSURE_OBJ_SCORE}


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
    ]
    marks = [
        {"kind": MARK_KINDS[e["kind"]], "frame": e["frame"], "obj_id": e.get("obj_id")}
        for e in session.events
        if e["kind"] in MARK_KINDS and "frame" in e
    ]
    return {
        "iou": iou,
        "iou_label": f"IoU per frame vs {against}",
        "training": training,
        "live": live,
        "marks": marks,
    }
