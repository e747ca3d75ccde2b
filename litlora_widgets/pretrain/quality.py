"""Quality probes of a SAM2 video predictor through its public API (what users run).

Used by ``benchmarks/tiny_model_quality.py`` and the tests: track from a first-frame mask,
segment from one positive click, and time propagation. Frames go through JPEG files because
that is the input SAM2's ``init_state`` reads (it resizes them to the model's size). Set
``TQDM_DISABLE=1`` to silence SAM2's per-call progress bars.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def jaccard(pred: np.ndarray, gt: np.ndarray) -> float:
    """IoU of two boolean masks; 1.0 when both are empty (the DAVIS convention)."""
    union = np.logical_or(pred, gt).sum()
    return 1.0 if union == 0 else float(np.logical_and(pred, gt).sum() / union)


def center_click(mask: np.ndarray) -> tuple[float, float]:
    """(x, y) of the pixel deepest inside ``mask`` (farthest from its boundary), as the
    simulated users of SAM/DAVIS click; found by repeated 4-neighbour erosion (no scipy)."""
    cur = np.asarray(mask, bool)
    if not cur.any():
        raise ValueError("cannot click inside an empty mask")
    while True:
        inner = cur.copy()
        inner[1:] &= cur[:-1]
        inner[:-1] &= cur[1:]
        inner[:, 1:] &= cur[:, :-1]
        inner[:, :-1] &= cur[:, 1:]
        inner[0, :] = inner[-1, :] = inner[:, 0] = inner[:, -1] = False
        if not inner.any():
            break
        cur = inner
    ys, xs = np.nonzero(cur)
    i = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
    return float(xs[i]), float(ys[i])


def write_jpegs(frames: np.ndarray, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"{i:05d}.jpg", quality=95)
    return folder


@torch.inference_mode()
def track_from_masks(
    predictor, video: str | Path | np.ndarray, first_masks: dict[int, np.ndarray]
) -> tuple[dict[int, np.ndarray], float]:
    """Propagate first-frame masks ``{obj_id: (H,W) bool}`` forward through ``video`` (a JPEG
    folder or a (T,H,W,3) array). Returns ``({obj_id: (T,H,W) bool}, frames per second)``."""
    with tempfile.TemporaryDirectory() as tmp:
        if isinstance(video, np.ndarray):
            video = write_jpegs(video, Path(tmp))
        state = predictor.init_state(str(video))
        for obj_id, m in first_masks.items():
            predictor.add_new_mask(state, 0, obj_id, torch.from_numpy(np.asarray(m, bool)))
        n = state["num_frames"]
        h, w = state["video_height"], state["video_width"]
        out = {k: np.zeros((n, h, w), bool) for k in first_masks}
        t0, count = time.perf_counter(), 0
        for fi, ids, logits in predictor.propagate_in_video(state):
            for j, obj_id in enumerate(ids):
                out[obj_id][fi] = (logits[j, 0] > 0).cpu().numpy()
            count += 1
        fps = count / max(time.perf_counter() - t0, 1e-9)
    return out, fps


@torch.inference_mode()
def click_ious(predictor, frame: np.ndarray, masks: dict[int, np.ndarray]) -> dict[int, float]:
    """IoU of each object's mask from one positive click at its centre (fresh state each)."""
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        state = predictor.init_state(str(write_jpegs(frame[None], Path(tmp))))
        for obj_id, m in masks.items():
            predictor.reset_state(state)
            x, y = center_click(m)
            _, _, logits = predictor.add_new_points_or_box(
                state, 0, obj_id, points=np.array([[x, y]], np.float32), labels=np.array([1])
            )
            res[obj_id] = jaccard((logits[0, 0] > 0).cpu().numpy(), m)
    return res
