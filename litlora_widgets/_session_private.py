"""Session internals: input checks, SAM2 inference-state plumbing, and the mask store.

Kept apart from ``session.py`` so the controller reads as the user-facing loop. Everything
that touches SAM2's inference-state dict is here, written against sam2 1.1.0's layout; we
wrap SAM2 objects and never edit sam2's source.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from .errors import InputError
from .masks import decode_rle, encode_rle

# Colours for objects 1..n (distinct on dark and light frames); cycles after the end.
PALETTE = [
    (230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
    (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190), (0, 128, 128),
]  # fmt: skip


def object_color(obj_id: int) -> tuple[int, int, int]:
    return PALETTE[(obj_id - 1) % len(PALETTE)]


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


class MaskStore:
    """Masks per (frame, object) as COCO RLE, so memory does not grow with video resolution.

    Copy-on-write snapshots: RLE dicts are never mutated, so a snapshot is a shallow copy.
    """

    def __init__(self, height: int, width: int):
        self.height, self.width = height, width
        self._data: dict[int, dict[int, dict]] = {}
        self._lock = threading.Lock()

    def set(self, frame: int, obj_id: int, mask: np.ndarray) -> None:
        rle = encode_rle(mask)
        with self._lock:
            self._data = dict(self._data)
            self._data[frame] = {**self._data.get(frame, {}), obj_id: rle}

    def get(self, frame: int, obj_id: int) -> np.ndarray | None:
        rle = self._data.get(frame, {}).get(obj_id)
        return None if rle is None else decode_rle(rle)

    def rle(self, frame: int, obj_id: int) -> dict | None:
        return self._data.get(frame, {}).get(obj_id)

    def frame(self, frame: int) -> dict[int, np.ndarray]:
        return {o: decode_rle(r) for o, r in self._data.get(frame, {}).items()}

    def frames(self, obj_id: int | None = None) -> list[int]:
        return sorted(f for f, d in self._data.items() if obj_id is None or obj_id in d)

    def drop_object(self, obj_id: int) -> None:
        with self._lock:
            self._data = {
                f: {o: r for o, r in d.items() if o != obj_id} for f, d in self._data.items()
            }

    def items(self) -> Iterable[tuple[int, int, dict]]:
        for f, d in sorted(self._data.items()):
            for o, r in d.items():
                yield f, o, r

    def snapshot(self) -> dict:
        return self._data

    def restore(self, snap: dict) -> None:
        with self._lock:
            self._data = snap


# --- SAM2 inference state ----------------------------------------------------------------

def new_inference_state(predictor, images, height: int, width: int) -> dict:
    """An inference state like ``SAM2VideoPredictor.init_state`` makes, over lazy frames.

    ``init_state`` loads every frame into memory (~12 MB each at 1024 px); ``images`` here is
    a lazy sequence with a bounded cache, so memory stays flat on long videos.
    """
    device = predictor.device
    return {
        "images": images,
        "num_frames": len(images),
        "offload_video_to_cpu": True,
        "offload_state_to_cpu": False,
        "video_height": height,
        "video_width": width,
        "device": device,
        "storage_device": device,
        "point_inputs_per_obj": {},
        "mask_inputs_per_obj": {},
        "cached_features": {},
        "constants": {},
        "obj_id_to_idx": OrderedDict(),
        "obj_idx_to_id": OrderedDict(),
        "obj_ids": [],
        "output_dict_per_obj": {},
        "temp_output_dict_per_obj": {},
        "frames_tracked_per_obj": {},
    }


_STATE_KEYS = {
    # key: how many dict levels to copy (tensors and per-frame outputs are shared)
    "point_inputs_per_obj": 2,
    "mask_inputs_per_obj": 2,
    "output_dict_per_obj": 4,
    "temp_output_dict_per_obj": 4,
    "frames_tracked_per_obj": 2,
    "obj_id_to_idx": 1,
    "obj_idx_to_id": 1,
}


def _copy_levels(value: Any, depth: int) -> Any:
    if depth == 0 or not isinstance(value, dict):
        return value
    copied = type(value)((k, _copy_levels(v, depth - 1)) for k, v in value.items())
    return copied


def snapshot_state(state: dict) -> dict:
    """A copy of the mutable structure of a SAM2 state; tensors are shared (never mutated)."""
    snap = {k: _copy_levels(state[k], d) for k, d in _STATE_KEYS.items()}
    snap["obj_ids"] = list(state["obj_ids"])
    return snap


def restore_state(state: dict, snap: dict) -> None:
    for key, depth in _STATE_KEYS.items():
        state[key] = _copy_levels(snap[key], depth)
    state["obj_ids"] = list(snap["obj_ids"])
    state["cached_features"] = {}


def match_memory_dtype(predictor) -> None:
    """Feed SAM2's memory attention memories in the dtype of the current frame's features.

    SAM2 stores memory features as bfloat16. Where a frame's memory holds no float32 object
    pointers (e.g. tracking a frame before an object's only prompt), the all-bf16 memory meets
    float32 weights and sam2 fails on CPU, where no autocast covers it. A forward pre-hook
    casts them; under CUDA autocast the cast is a no-op for the result. Idempotent.
    """
    if getattr(predictor, "_litlora_memory_dtype_hook", False):
        return

    def hook(module, args, kwargs):
        curr, memory = kwargs.get("curr"), kwargs.get("memory")
        ref = curr[0] if isinstance(curr, (list, tuple)) else curr
        if memory is None or ref is None or memory.dtype == ref.dtype:
            return None
        kwargs["memory"] = memory.to(ref.dtype)
        if kwargs.get("memory_pos") is not None:
            kwargs["memory_pos"] = kwargs["memory_pos"].to(ref.dtype)
        return args, kwargs

    predictor.memory_attention.register_forward_pre_hook(hook, with_kwargs=True)
    predictor._litlora_memory_dtype_hook = True


def low_res_to_video(predictor, state: dict, low_res: torch.Tensor) -> np.ndarray:
    """(1, 1, h, w) mask logits -> bool (H, W) at video resolution, as SAM2 resizes them."""
    _, video_res = predictor._get_orig_video_res_output(state, low_res)
    return (video_res[0, 0] > 0).cpu().numpy()
