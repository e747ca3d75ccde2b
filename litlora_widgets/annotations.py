"""The masks of one video: what tracking produced, what the user asserted, the ground truth.

Everything that reads masks without touching SAM2 lives here — exports, the IoU curves, the
per-frame states of a timeline — so the session only decides *when* masks change.
Masks are COCO RLE with copy-on-write snapshots (``MaskStore``): an undo step costs a dict.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .checks import check_frame
from .mask_store import MaskStore
from .masks import mask_iou, masks_to_array, rle_area, validate_mask, write_coco, write_davis
from .state import FrameState, ObjectInfo

USER_KINDS = {
    "add_points": "prompt",
    "add_box": "prompt",
    "add_mask": "prompt",
    "correction": "correction",
    "accept": "accept",
}


class Annotations:
    """Every object's mask per frame (``masks``), the ones the user gave or accepted
    (``user``), and an optional ground truth (``reference``)."""

    def __init__(self, num_frames: int, height: int, width: int):
        self.num_frames, self.height, self.width = num_frames, height, width
        self.masks = MaskStore(height, width)
        self.user = MaskStore(height, width)
        self.reference: dict[int, dict[int, np.ndarray]] = {}

    def set(self, frame: int, obj_id: int, mask: np.ndarray, *, user: bool = False) -> None:
        self.masks.set(frame, obj_id, mask)
        if user:
            self.user.set(frame, obj_id, mask)

    def drop_object(self, obj_id: int) -> None:
        self.masks.drop_object(obj_id)
        self.user.drop_object(obj_id)

    def by_frame(self, objects) -> dict[int, dict[int, np.ndarray]]:
        """``{frame: {obj_id: mask}}`` of the given (live) objects."""
        out: dict[int, dict[int, np.ndarray]] = {}
        for f in self.masks.frames():
            objs = {o: m for o, m in self.masks.frame(f).items() if o in objects}
            if objs:
                out[f] = objs
        return out

    # ---- exports -------------------------------------------------------------------------
    def export_coco(self, path: str | Path, objects: dict[int, ObjectInfo], video: str) -> Path:
        names = {o: i.name for o, i in objects.items()}
        size = {"height": self.height, "width": self.width, "num_frames": self.num_frames}
        write_coco(path, self.by_frame(objects), video_name=video, object_names=names, **size)
        return Path(path)

    def export_davis(self, folder: str | Path, objects) -> Path:
        size = {"height": self.height, "width": self.width, "num_frames": self.num_frames}
        write_davis(folder, self.by_frame(objects), **size)
        return Path(folder)

    def label_array(self, objects) -> np.ndarray:
        """(T, H, W) uint8: 0 background, k object k."""
        return masks_to_array(
            self.by_frame(objects), sorted(objects), self.num_frames, self.height, self.width
        )

    # ---- curves and timelines ------------------------------------------------------------
    def set_reference(self, masks: dict[int, dict[int, np.ndarray]]) -> None:
        self.reference = {
            check_frame(f, self.num_frames): {
                int(o): validate_mask(
                    m, self.height, self.width, name="reference", allow_empty=True
                )
                for o, m in objs.items()
            }
            for f, objs in masks.items()
        }

    def reference_iou(self, obj_id: int) -> dict[int, float]:
        """Per-frame IoU vs the ground truth if set, else vs the user's own masks."""
        if self.reference:
            ref = {f: objs[obj_id] for f, objs in self.reference.items() if obj_id in objs}
        else:
            ref = {f: self.user.get(f, obj_id) for f in self.user.frames(obj_id)}
        out = {}
        for f, want in sorted(ref.items()):
            got = self.masks.get(f, obj_id)
            if got is not None:
                out[f] = mask_iou(got, want)
        return out

    def frame_states(
        self, obj_id: int, events: list[dict], scores: dict[int, tuple[float, float]]
    ) -> dict[int, FrameState]:
        """Every frame with a mask: the user's last action there (from ``events``) or
        "tracked", its area, and SAM2's ``scores`` where it tracked the frame."""
        kinds = {
            e["frame"]: USER_KINDS[e["kind"]]
            for e in events
            if e.get("obj_id") == obj_id and e["kind"] in USER_KINDS
        }
        user = set(self.user.frames(obj_id))
        nan = (float("nan"), float("nan"))
        return {
            f: FrameState(
                f,
                kinds.get(f, "prompt") if f in user else "tracked",
                rle_area(self.masks.rle(f, obj_id)),
                *scores.get(f, nan),
            )
            for f in self.masks.frames(obj_id)
        }
