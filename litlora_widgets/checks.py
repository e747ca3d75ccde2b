"""Checks of what users pass in: each failure is an ``InputError`` that names the fix.

One module for every check, so the session's verbs read as the loop they are and every
message is worded the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError
from .masks import validate_mask


def check_frame(frame: Any, num_frames: int) -> int:
    if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)):
        raise InputError(f"frame must be an integer index, got {frame!r}")
    if not 0 <= int(frame) < num_frames:
        raise InputError(
            f"frame {frame} is out of range; this video has frames 0..{num_frames - 1}"
        )
    return int(frame)


def check_points(
    points: Any, labels: Any, height: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Points (N, 2) as (x, y) video pixels and labels (N,) in {0, 1}."""
    try:
        pts = np.asarray(points, dtype=np.float64)
        labs = np.asarray(labels)
    except (TypeError, ValueError):
        raise InputError(
            "points must be a list of [x, y] pairs and labels a list of 1 (include) / 0 (exclude)"
        ) from None
    if pts.ndim == 1 and pts.size == 2:
        pts = pts[None]
    if labs.ndim == 0:
        labs = labs[None]
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
        raise InputError(
            f"points must have shape (N, 2) as [[x, y], ...] with N ≥ 1, got shape {pts.shape}"
        )
    if labs.shape != (len(pts),):
        raise InputError(
            f"labels must have one entry per point: {len(pts)} points but labels of shape "
            f"{labs.shape}"
        )
    if not np.all(np.isfinite(pts)):
        raise InputError("points contain NaN or infinity; pass finite pixel coordinates")
    if not np.all(np.isin(labs, (0, 1))):
        raise InputError(f"labels must be 1 (include) or 0 (exclude), got {labs.tolist()}")
    bad = (pts[:, 0] < 0) | (pts[:, 0] > width - 1) | (pts[:, 1] < 0) | (pts[:, 1] > height - 1)
    if bad.any():
        x, y = pts[np.argmax(bad)]
        raise InputError(
            f"point ({x:g}, {y:g}) is outside the frame; x must be in 0..{width - 1} and y in "
            f"0..{height - 1} (video pixels, x first)"
        )
    return pts.astype(np.float32), labs.astype(np.int32)


def check_box(box: Any, height: int, width: int) -> np.ndarray:
    try:
        b = np.asarray(box, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError("box must be [x0, y0, x1, y1] in video pixels") from None
    if b.shape != (4,) or not np.all(np.isfinite(b)):
        raise InputError(f"box must be 4 finite numbers [x0, y0, x1, y1], got {box!r}")
    x0, y0, x1, y1 = b
    if not (x1 > x0 and y1 > y0):
        raise InputError(f"box {b.tolist()} is empty or inverted; need x0 < x1 and y0 < y1")
    if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
        raise InputError(
            f"box {b.tolist()} is outside the frame ({width}×{height}, W×H); clip it to the frame"
        )
    return b.astype(np.float32)


def check_obj(obj_id: Any, known) -> int:
    """``obj_id`` as an int that names one of ``known`` objects."""
    if isinstance(obj_id, bool) or not isinstance(obj_id, (int, np.integer)):
        raise InputError(f"obj_id must be an integer, got {obj_id!r}")
    if int(obj_id) not in known:
        have = sorted(known) or "none yet; call add_object()"
        raise InputError(f"object {obj_id} does not exist (objects: {have})")
    return int(obj_id)


def check_new_obj_id(obj_id: Any, known) -> int:
    if isinstance(obj_id, bool) or not isinstance(obj_id, (int, np.integer)):
        raise InputError(f"obj_id must be a positive integer, got {obj_id!r}")
    obj_id = int(obj_id)
    if obj_id < 1 or obj_id > 255:
        raise InputError(f"obj_id must be in 1..255 (label-map values), got {obj_id}")
    if obj_id in known:
        raise InputError(f"object {obj_id} already exists; pick another id or omit it")
    return obj_id


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"object name must be a non-empty string, got {name!r}")
    return name.strip()


def check_max_frames(max_frames: Any) -> int | None:
    if max_frames is not None and (
        isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 0
    ):
        raise InputError(f"max_frames must be a non-negative integer, got {max_frames!r}")
    return max_frames


def pick_object(obj_id: Any, known, trained: set[int] | None) -> int:
    """The object an adapter call means: ``obj_id`` if given, else the only candidate —
    the only object with trained experts (``trained``), or the only object at all (None)."""
    if obj_id is not None:
        obj_id = check_obj(obj_id, known)
        if trained is not None and obj_id not in trained:
            raise InputError(f"object {obj_id} has no trained experts yet; correct it first")
        return obj_id
    pool = [o for o in known if trained is None or o in trained]
    if len(pool) == 1:
        return pool[0]
    if not pool:
        raise InputError(
            "add an object first (add_object) to load adapters into"
            if trained is None
            else "no object has trained experts yet; correct a frame with LIT on first"
        )
    raise InputError(f"several objects qualify ({pool}); pass obj_id=")


def check_correction(mask: Any, points: Any, labels: Any, height: int, width: int):
    """``correct()``'s prompt: a mask (empty = "absent") or clicks, exactly one of them.
    Returns the tracker's prompt and what the journal records of it."""
    if (mask is None) == (points is None):
        raise InputError("correct() needs either mask= or points= (with labels=), not both")
    if mask is not None:
        return {"mask": validate_mask(mask, height, width, allow_empty=True)}, {}
    pts, labs = check_points(points, labels, height, width)
    return {"points": pts, "labels": labs}, {"points": pts.tolist(), "labels": labs.tolist()}


def check_candidate(index: Any, count: int, frame: int) -> int:
    if (
        isinstance(index, bool)
        or not isinstance(index, (int, np.integer))
        or not (0 <= index < count)
    ):
        raise InputError(
            f"candidate index {index!r} is out of range; frame {frame} has candidates "
            f"0..{count - 1} (0 = plain SAM2)"
        )
    return int(index)
