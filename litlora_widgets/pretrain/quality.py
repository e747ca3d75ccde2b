"""Quality probes of a SAM2 video predictor through its public API (what users run).

Used by ``benchmarks/tiny_model_quality.py`` and the tests: track from a first-frame mask,
segment from one positive click, and time propagation. Frames go through JPEG files because
that is the input SAM2's ``init_state`` reads (it resizes them to the model's size). Set
``TQDM_DISABLE=1`` to silence SAM2's per-call progress bars.
"""

from __future__ import annotations

import contextlib
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


def carry_forward(
    predictor, frames: np.ndarray, gt: np.ndarray, horizon: int = 5, fail_iou: float = 0.5
) -> dict | None:
    """What one ground-truth correction carries forward through SAM2's memory alone.

    Through the real :class:`~litlora_widgets.session.Session` with LIT-LoRA off: track object
    ``gt`` (T,H,W bool) from its first-frame mask, find the first frame ``t`` whose IoU is below
    ``fail_iou`` (with at least one frame after it), correct ``t`` with its GT mask
    (``train=False``) and re-propagate ``horizon`` frames. Returns ``None`` when plain SAM2 never
    fails (the clip says nothing about corrections), else ``{"t", "before", "after", "gain",
    "restart", "still"}``: mean IoU on frames ``t+1..t+horizon`` without and with the
    correction, and two references that say what the gain could be: ``restart``, those frames
    tracked from the GT mask of ``t`` in a fresh state (no earlier memory: what a memory that
    fully carries the correction gives with this model's own propagation), and ``still``, the
    GT mask of ``t`` kept unchanged. ``after`` near ``restart`` means the memory carries the
    correction and propagation caps the gain; far below it, the memory ignores it.
    """
    n = len(frames)
    with _tracked(predictor, frames, gt[0]) as (s, obj):
        ious = [jaccard(s.mask(i, obj), gt[i]) for i in range(n)]
        fails = [i for i in range(1, n - 1) if ious[i] < fail_iou]
        if not fails:
            return None
        t = fails[0]
        later = range(t + 1, min(t + horizon, n - 1) + 1)

        def mean_iou(mask_of) -> float:
            return float(np.mean([jaccard(mask_of(i), gt[i]) for i in later]))

        before = float(np.mean([ious[i] for i in later]))
        s.correct(t, obj, mask=gt[t], train=False)
        for _ in s.propagate(start_frame=t, max_frames=horizon, progress=False):
            pass
        after = mean_iou(lambda i: s.mask(i, obj))
    if not gt[t].any():  # corrected to "absent": a fresh state has nothing to track
        restart = mean_iou(lambda i: np.zeros_like(gt[i]))
    else:
        with _tracked(predictor, frames[t : later[-1] + 1], gt[t]) as (s, obj):
            restart = mean_iou(lambda i: s.mask(i - t, obj))
    still = mean_iou(lambda i: gt[t])
    return {
        "t": t,
        "before": before,
        "after": after,
        "gain": after - before,
        "restart": restart,
        "still": still,
    }


@contextlib.contextmanager
def _tracked(predictor, frames: np.ndarray, first_mask: np.ndarray):
    """A LIT-off :class:`~litlora_widgets.session.Session` on ``frames`` with one object
    tracked forward from ``first_mask`` on frame 0; yields ``(session, obj_id)``."""
    from ..session import Session

    with Session(predictor, frames, autosave=False, lit=False) as s:
        obj = s.add_object()
        s.add_mask(0, obj, first_mask)
        for _ in s.propagate(progress=False):
            pass
        yield s, obj
