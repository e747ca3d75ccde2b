"""The simulated user of the authors' online evaluation (arXiv 2603.26929), and our judge.

Clicks go where a careful annotator clicks: inside the larger error region (a miss → include
click, a false alarm → exclude click), at its pixel farthest from the region's boundary. The
image border counts as boundary, as in the usual click simulators (padding with background).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_CLICKS = 3


def _column_distance(region: np.ndarray) -> np.ndarray:
    """Per pixel, the vertical distance to the nearest pixel outside ``region`` (which must
    have a background row at its top and bottom, i.e. be padded)."""
    h, w = region.shape
    idx = np.arange(h)[:, None].repeat(w, axis=1)
    bg = ~region
    last_above = np.maximum.accumulate(np.where(bg, idx, -h), axis=0)
    next_below = np.flip(np.minimum.accumulate(np.flip(np.where(bg, idx, 2 * h), 0), axis=0), 0)
    return np.minimum(idx - last_above, next_below - idx).astype(np.float64)


def distance_transform(region: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance of every pixel of ``region`` to the nearest pixel outside it
    (0 outside), the image border counting as outside.

    Separable exact EDT without scipy: column distances g first, then per row
    D(x) = min_x' (x - x')² + g(x')², scanning offsets d = 0, 1, ... (vectorised over the whole
    image) and stopping once d² exceeds every current D — so the cost grows with the largest
    distance, not with the image width.
    """
    region = np.asarray(region, bool)
    out = np.zeros(region.shape, np.float64)
    if not region.any():
        return out
    ys, xs = np.nonzero(region)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    # Outside the bounding box nothing belongs to the region, so a one-pixel background frame
    # around the crop is exact; at the image edge it makes the border count as boundary.
    crop = np.pad(region[y0:y1, x0:x1], 1)
    g2 = _column_distance(crop) ** 2
    d2 = g2.copy()
    for d in range(1, crop.shape[1]):
        if d * d >= d2.max():
            break
        np.minimum(d2[:, d:], g2[:, :-d] + d * d, out=d2[:, d:])
        np.minimum(d2[:, :-d], g2[:, d:] + d * d, out=d2[:, :-d])
    out[y0:y1, x0:x1] = np.sqrt(d2)[1:-1, 1:-1]
    return out


@dataclass(frozen=True)
class Click:
    x: int
    y: int
    positive: bool  # True: include (a miss), False: exclude (a false alarm)
    distance: float  # distance of the click from the error region's boundary

    @property
    def label(self) -> int:
        return 1 if self.positive else 0


def next_click(pred: np.ndarray, gt: np.ndarray) -> Click | None:
    """Where the simulated user clicks next, or None when the masks agree everywhere.

    The larger error region by area decides the click's sign (ties: a miss); the click goes
    to the pixel of that region farthest from its boundary (ties: the first in raster order).
    """
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    if pred.shape != gt.shape:
        raise ValueError(f"prediction {pred.shape} and ground truth {gt.shape} differ in shape")
    miss = gt & ~pred
    false_alarm = pred & ~gt
    n_miss, n_fa = int(miss.sum()), int(false_alarm.sum())
    if n_miss == 0 and n_fa == 0:
        return None
    positive = n_miss >= n_fa
    region = miss if positive else false_alarm
    dist = distance_transform(region)
    flat = int(np.argmax(dist))
    y, x = divmod(flat, region.shape[1])
    return Click(x=int(x), y=int(y), positive=positive, distance=float(dist[y, x]))


def model_confidence(score: float, obj_score: float) -> float:
    """The realistic judge's confidence in a candidate: predicted IoU × P(object present)."""
    z = max(-60.0, min(60.0, float(obj_score)))
    return float(score) / (1.0 + math.exp(-z))
