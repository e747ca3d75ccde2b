"""Wire encoding: what the kernel puts in traits and message buffers for the front end.

Masks travel as one run-length-encoded label map ("LMR1", layout in js/src/masks.js), frames
as JPEG bytes in binary buffers (never base64 in JSON), numbers as JSON-safe floats.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np


def encode_label_map(labels: np.ndarray) -> bytes:
    """uint8 (H, W) label map -> LMR1 bytes (row-major runs; layout in js/src/masks.js)."""
    h, w = labels.shape
    flat = np.ascontiguousarray(labels, dtype=np.uint8).ravel()
    if flat.size == 0:
        return b""
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [flat.size]))).astype("<u4")
    header = np.array([w, h, len(starts)], dtype="<u4").tobytes()
    return b"LMR1" + header + lengths.tobytes() + flat[starts].tobytes()


def encode_masks(masks: dict[int, np.ndarray], height: int, width: int) -> bytes:
    """A frame's {obj_id: bool mask} as LMR1 (empty bytes when there is nothing to draw)."""
    if not masks:
        return b""
    lab = np.zeros((height, width), dtype=np.uint8)
    for obj_id in sorted(masks):
        lab[masks[obj_id]] = obj_id
    return encode_label_map(lab)


def encode_jpeg(frame: np.ndarray, quality: int = 85) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def finite(x: Any) -> float | None:
    """JSON has no NaN/inf (JS's JSON.parse rejects them): map them to null."""
    x = float(x)
    return x if math.isfinite(x) else None
