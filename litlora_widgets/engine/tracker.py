"""SAM2 plumbing for one video: inference state, tracking, prompts and decoder capture.

Everything that touches SAM2's inference-state dict lives here, written against sam2 1.1.0's
layout; we wrap SAM2 objects and never edit sam2's source. The session above it speaks in
user verbs; this class speaks in SAM2 terms (memory, conditioning frames, captures).

Freshness is about memory: every change of an object's memory — a prompt, a
frame stored by tracking, a restore — bumps that object's *memory version*, and decoder
inputs captured under an older version are re-captured before anyone trains or predicts on
them.
"""

from __future__ import annotations

import types
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .capture import DecoderCapture, DecoderInputs


@dataclass
class TrackerSnapshot:
    sam2: dict
    versions: dict[int, int]
    scores: dict[int, dict[int, tuple[float, float]]]


class Tracker:
    """SAM2's video memory for every object of one session, plus decoder-input capture."""

    def __init__(self, predictor, info, images, height: int, width: int, capture_cache: int = 8):
        self.predictor = predictor
        self.info = info
        self._images = images
        self.height, self.width = height, width
        self._state = new_inference_state(predictor, images, height, width)
        match_memory_dtype(predictor)
        add_missing_clear_method(predictor)
        self._capture = DecoderCapture(predictor.sam_mask_decoder, "cpu")
        self._captures: OrderedDict[tuple[int, int], tuple[DecoderInputs, torch.Tensor]] = (
            OrderedDict()
        )
        self._capture_cache = max(1, int(capture_cache))
        self._versions: dict[int, int] = {}
        # SAM2's own confidence where it tracked a frame: (predicted IoU, object-score logit)
        self._scores: dict[int, dict[int, tuple[float, float]]] = {}

    # ---- what SAM2 knows -----------------------------------------------------------------
    def has_object(self, obj_id: int) -> bool:
        return obj_id in self._state["obj_id_to_idx"]

    @property
    def objects(self) -> list[int]:
        """Objects SAM2 holds memory for (those prompted at least once)."""
        return list(self._state["obj_ids"])

    def _idx(self, obj_id: int) -> int:
        return self._state["obj_id_to_idx"][obj_id]

    def prompted_frames(self, obj_id: int | None = None) -> set[int]:
        st = self._state
        idxs = st["obj_idx_to_id"] if obj_id is None else [self._idx(obj_id)]
        frames: set[int] = set()
        for idx in idxs:
            frames |= set(st["point_inputs_per_obj"][idx]) | set(st["mask_inputs_per_obj"][idx])
        return frames

    def tracked_frames(self, obj_id: int) -> set[int]:
        """Frames SAM2 tracked for the object (its decoder ran there from memory)."""
        if not self.has_object(obj_id):
            return set()
        return set(self._state["frames_tracked_per_obj"][self._idx(obj_id)])

    def is_tracked(self, frame: int, obj_id: int) -> bool:
        """Tracked or prompted: SAM2 has an answer for this frame in its memory."""
        if not self.has_object(obj_id):
            return False
        return frame in self.tracked_frames(obj_id) or frame in self.prompted_frames(obj_id)

    def conditioning_frames(self, obj_id: int) -> set[int]:
        if not self.has_object(obj_id):
            return set()
        out = self._state["output_dict_per_obj"][self._idx(obj_id)]
        return set(out["cond_frame_outputs"])

    def memory_frames(self, obj_id: int) -> set[int]:
        """Frames whose output is in the object's memory (conditioning or not)."""
        if not self.has_object(obj_id):
            return set()
        out = self._state["output_dict_per_obj"][self._idx(obj_id)]
        return set(out["cond_frame_outputs"]) | set(out["non_cond_frame_outputs"])

    def logits(self, frame: int, obj_id: int) -> torch.Tensor | None:
        """The low-res mask logits SAM2 holds in memory for the frame (None: not in memory)."""
        if not self.has_object(obj_id):
            return None
        out = self._state["output_dict_per_obj"][self._idx(obj_id)]
        hit = out["cond_frame_outputs"].get(frame) or out["non_cond_frame_outputs"].get(frame)
        return None if hit is None else hit["pred_masks"]

    def version(self, obj_id: int) -> int:
        return self._versions.get(obj_id, 0)

    def scores(self, obj_id: int) -> dict[int, tuple[float, float]]:
        """``{frame: (predicted IoU, object-score logit)}`` where SAM2 tracked the object."""
        return dict(self._scores.get(obj_id, {}))

    def _bump(self, obj_id: int) -> None:
        self._versions[obj_id] = self._versions.get(obj_id, 0) + 1

    # ---- prompts -------------------------------------------------------------------------
    def prompt(
        self, frame: int, obj_id: int, *, points=None, labels=None, box=None, mask=None
    ) -> np.ndarray:
        """Send a prompt to SAM2; returns the object's mask there (a mask prompt exactly).

        An empty ``mask`` is a valid prompt: SAM2 scores the object absent on that frame and
        its memory carries "absent" forward.
        """
        st, pred = self._state, self.predictor
        with torch.inference_mode(), self.info.autocast():
            if mask is not None:
                _, ids, video_res = pred.add_new_mask(st, frame, obj_id, torch.from_numpy(mask))
            else:
                _, ids, video_res = pred.add_new_points_or_box(
                    st,
                    frame,
                    obj_id,
                    points=None if points is None else torch.from_numpy(points),
                    labels=None if labels is None else torch.from_numpy(labels),
                    box=None if box is None else torch.from_numpy(box),
                    clear_old_points=box is not None,
                )
        self._bump(obj_id)
        if mask is not None:  # SAM2 resamples mask prompts; the user's mask is kept exactly
            return mask.copy()
        return (video_res[list(ids).index(obj_id), 0] > 0).cpu().numpy()

    def remove_object(self, obj_id: int) -> None:
        if self.has_object(obj_id):
            with torch.inference_mode(), self.info.autocast():
                self.predictor.remove_object(self._state, obj_id, need_output=False)
        for key in [k for k in self._captures if k[1] == obj_id]:
            del self._captures[key]
        self._scores.pop(obj_id, None)
        self._bump(obj_id)

    # ---- tracking ------------------------------------------------------------------------
    def preflight(self) -> None:
        """Consolidate new prompts into memory (SAM2's own step before tracking)."""
        with torch.inference_mode(), self.info.autocast():
            self.predictor.propagate_in_video_preflight(self._state)
        if getattr(self.predictor, "clear_non_cond_mem_around_input", False):
            for o in self.objects:  # memory around new inputs may have been cleared
                self._bump(o)

    def reverse_of(self, frame: int, obj_id: int) -> bool:
        tracked = self._state["frames_tracked_per_obj"][self._idx(obj_id)]
        if frame in tracked:
            return bool(tracked[frame]["reverse"])
        prompted = self.prompted_frames()
        return bool(prompted) and frame < min(prompted)

    def track(self, frame: int, obj_id: int, reverse: bool, store: bool):
        """Track ``frame`` for one object from SAM2's memory; capture the decoder inputs.

        Returns ``(low_res_logits, mask)``; ``mask`` is None where a prompted frame keeps
        its prompt's result (tracking over a correction must never undo it).
        ``store=True`` is propagation: the output enters SAM2's memory. ``store=False`` only
        (re)captures features: memory *excluding this frame* is used, so a frame's own answer
        never leaks into the features LIT-LoRA trains on.
        """
        st, pred = self._state, self.predictor
        obj_idx = self._idx(obj_id)
        out_dict = st["output_dict_per_obj"][obj_idx]
        prompted = frame in st["point_inputs_per_obj"][obj_idx] or (
            frame in st["mask_inputs_per_obj"][obj_idx]
        )
        kept = out_dict["cond_frame_outputs"].get(frame)
        if kept is not None and store and pred.clear_non_cond_mem_around_input:
            # what sam2's own propagation does when it passes a conditioning frame
            clear_non_cond_around(pred, st, frame, obj_idx)
            self._bump(obj_id)
        if kept is None and prompted:  # a correction SAM2 stored as a non-conditioning frame
            kept = out_dict["non_cond_frame_outputs"].get(frame)
        if store and kept is not None:
            return kept["pred_masks"], None
        run_dict = out_dict
        if not store:
            run_dict = {k: {f: o for f, o in v.items() if f != frame} for k, v in out_dict.items()}
            if not run_dict["cond_frame_outputs"]:  # its only prompt: nothing else to use
                run_dict = out_dict
        with (
            torch.inference_mode(),
            self.info.autocast(),
            self._capture.window(frame, obj_id, self.version(obj_id)),
        ):
            out, low_res = pred._run_single_frame_inference(
                inference_state=st,
                output_dict=run_dict,
                frame_idx=frame,
                batch_size=1,
                is_init_cond_frame=False,
                point_inputs=None,
                mask_inputs=None,
                reverse=reverse,
                run_mem_encoder=store,
            )
        inputs = self._capture.take()
        low_res = low_res.float()
        if store:
            out_dict["non_cond_frame_outputs"][frame] = out
            st["frames_tracked_per_obj"][obj_idx][frame] = {"reverse": reverse}
            self._bump(obj_id)
            if inputs is not None:
                # memory excluding this frame is what its features saw: still current
                inputs.version = self.version(obj_id)
                scores = dict(self._scores.get(obj_id, {}))
                scores[frame] = (inputs.sam_iou, inputs.sam_obj_score)
                self._scores[obj_id] = scores
        if inputs is not None:
            self._captures[(frame, obj_id)] = (inputs, low_res.cpu())
            self._captures.move_to_end((frame, obj_id))
            while len(self._captures) > self._capture_cache:
                self._captures.popitem(last=False)
        return low_res, self.to_video(low_res)

    def ensure_tracked(self, frame: int, obj_id: int) -> np.ndarray | None:
        """Track ``frame`` into memory when SAM2 never did, so that a prompt there is a
        correction (a non-conditioning frame), never a new keyframe. Returns the tracked mask
        (None when the frame already had an answer)."""
        if self.is_tracked(frame, obj_id):
            return None
        self.preflight()
        _, mask = self.track(frame, obj_id, self.reverse_of(frame, obj_id), store=True)
        return mask

    def mark_tracked(self, first: int, last: int, reverse: bool) -> None:
        """Record frames ``first..last`` as tracked for every object without running SAM2
        (a resumed session: prompts there are corrections, as they were live); their outputs
        enter memory at the next propagation."""
        step = -1 if last < first else 1
        for idx in self._state["obj_idx_to_id"]:
            tracked = self._state["frames_tracked_per_obj"][idx]
            for f in range(first, last + step, step):
                tracked.setdefault(f, {"reverse": reverse})

    def restore_scores(self, obj_id: int, scores: dict[int, tuple[float, float]]) -> None:
        """Set SAM2's (predicted IoU, object score) of frames ``mark_tracked`` restored (a
        resumed session: the review queue and the "unsure" marks read them)."""
        self._scores[obj_id] = {**self._scores.get(obj_id, {}), **scores}  # copy: snapshots

    def fresh_capture(self, frame: int, obj_id: int) -> tuple[DecoderInputs, np.ndarray]:
        """Decoder inputs of ``frame`` tracked with the object's current memory."""
        hit = self._captures.get((frame, obj_id))
        if hit is not None and hit[0].version == self.version(obj_id):
            return hit[0], self.to_video(hit[1])
        self.preflight()
        _, mask = self.track(frame, obj_id, self.reverse_of(frame, obj_id), store=False)
        return self._captures[(frame, obj_id)][0], mask

    def to_video(self, low_res: torch.Tensor) -> np.ndarray:
        """(1, 1, h, w) mask logits -> bool (H, W) at video resolution, as SAM2 resizes them."""
        _, video_res = self.predictor._get_orig_video_res_output(self._state, low_res)
        return (video_res[0, 0] > 0).cpu().numpy()

    # ---- state ---------------------------------------------------------------------------
    def snapshot(self) -> TrackerSnapshot:
        return TrackerSnapshot(
            snapshot_state(self._state), dict(self._versions), dict(self._scores)
        )

    def restore(self, snap: TrackerSnapshot) -> None:
        restore_state(self._state, snap.sam2)
        # memory changed: every captured feature is stale now (versions only ever grow)
        top = max([*self._versions.values(), *snap.versions.values(), 0]) + 1
        self._versions = {o: top for o in set(snap.versions) | set(self._versions)}
        self._scores = dict(snap.scores)
        self._captures.clear()

    def reset(self) -> None:
        """Forget every object (the predictor stays usable)."""
        self._state = new_inference_state(self.predictor, self._images, self.height, self.width)
        self._captures.clear()
        self._scores.clear()

    def close(self) -> None:
        self._capture.remove()
        self.reset()


def frame_order(
    start: int, direction: str, max_frames: int | None, num_frames: int
) -> list[tuple[bool, range]]:
    """``(reverse, frames)`` runs of a propagation: forward, backward, or forward then
    backward from the frame before ``start``; at most ``max_frames`` past ``start`` each."""
    n = num_frames if max_frames is None else max_frames
    orders = []
    if direction in ("forward", "both"):
        orders.append((False, range(start, min(start + n, num_frames - 1) + 1)))
    if direction in ("backward", "both"):
        first = start if direction == "backward" else start - 1
        orders.append((True, range(first, max(start - n, 0) - 1, -1)))
    return orders


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
    return type(value)((k, _copy_levels(v, depth - 1)) for k, v in value.items())


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


def clear_non_cond_around(predictor, state: dict, frame: int, obj_idx: int) -> None:
    """Drop one object's non-conditioning memory within ``num_maskmem`` strides of ``frame``.

    Frames the user prompted stay (this one included): clearing is for outdated tracking
    memory, and a correction stored as a non-conditioning frame is never outdated.
    """
    r = predictor.memory_temporal_stride_for_eval
    reach = r * predictor.num_maskmem
    keep = set(state["point_inputs_per_obj"][obj_idx]) | set(state["mask_inputs_per_obj"][obj_idx])
    non_cond = state["output_dict_per_obj"][obj_idx]["non_cond_frame_outputs"]
    for t in range(frame - reach, frame + reach + 1):
        if t != frame and t not in keep:
            non_cond.pop(t, None)


def add_missing_clear_method(predictor) -> None:
    """sam2 1.1.0 calls ``_clear_obj_non_cond_mem_around_input`` when the documented override
    ``++model.clear_non_cond_mem_around_input=true`` is set, but defines only the
    all-objects ``_clear_non_cond_mem_around_input``: the first propagation fails with an
    AttributeError. Give this predictor instance the per-object method it calls."""
    if hasattr(predictor, "_clear_obj_non_cond_mem_around_input"):
        return

    def _clear_obj_non_cond_mem_around_input(self, inference_state, frame_idx, obj_idx):
        clear_non_cond_around(self, inference_state, frame_idx, obj_idx)

    predictor._clear_obj_non_cond_mem_around_input = types.MethodType(
        _clear_obj_non_cond_mem_around_input, predictor
    )
