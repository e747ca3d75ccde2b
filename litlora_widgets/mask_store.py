"""Masks per (frame, object), stored as COCO RLE with copy-on-write snapshots."""

from __future__ import annotations

import threading

import numpy as np

from .masks import decode_rle, encode_rle


class MaskStore:
    """Masks per (frame, object) as COCO RLE, so memory does not grow with video resolution.

    Copy-on-write snapshots: RLE dicts are never mutated, so a snapshot is a shallow copy.
    """

    def __init__(self, height: int, width: int):
        self.height, self.width = height, width
        self._data: dict[int, dict[int, dict]] = {}
        self._lock = threading.Lock()
        self._centroids: dict[tuple[int, int], tuple[dict, tuple[float, float] | None]] = {}

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

    def centroid(self, frame: int, obj_id: int) -> tuple[float, float] | None:
        """(y, x) of the mask (None if empty or missing), decoded once per stored mask: RLE
        dicts are never mutated, so the cached value holds while the same dict is stored
        (the review queue reads every frame's after each correction)."""
        rle = self.rle(frame, obj_id)
        if rle is None:
            return None
        hit = self._centroids.get((frame, obj_id))
        if hit is not None and hit[0] is rle:
            return hit[1]
        ys, xs = np.nonzero(decode_rle(rle))
        c = (float(ys.mean()), float(xs.mean())) if ys.size else None
        self._centroids[(frame, obj_id)] = (rle, c)
        return c

    def frame(self, frame: int) -> dict[int, np.ndarray]:
        return {o: decode_rle(r) for o, r in self._data.get(frame, {}).items()}

    def frames(self, obj_id: int | None = None) -> list[int]:
        return sorted(f for f, d in self._data.items() if obj_id is None or obj_id in d)

    def drop_object(self, obj_id: int) -> None:
        with self._lock:
            self._data = {
                f: {o: r for o, r in d.items() if o != obj_id} for f, d in self._data.items()
            }

    def snapshot(self) -> dict:
        return self._data

    def restore(self, snap: dict) -> None:
        with self._lock:
            self._data = snap
