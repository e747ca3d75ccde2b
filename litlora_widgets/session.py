"""The controller behind the widget: one video, its objects, SAM2 tracking and LIT-LoRA.

Data path: video (``video.py``) → engine (SAM2 + ``engine/``) → this session → widget /
evaluation. The session is the source of truth; the widget only sends it events.

Rules it keeps (DESIGN.md §3): LIT-LoRA trains *at the moment of a correction*, on the decoder
inputs of that frame as SAM2 tracked it (re-tracking the frame first when its captured
features are stale or missing); a mask prompt never provides training features; every failed
call leaves the session exactly as it was.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import _session_private as P
from .build_sam import ModelInfo, default_lit_config, model_info
from .engine.capture import DecoderCapture, DecoderInputs
from .errors import Cancelled, InputError, TrainingError
from .masks import mask_iou, read_coco, read_davis, validate_mask, write_coco, write_davis
from .video import VideoSource

DIRECTIONS = ("forward", "backward", "both")


@dataclass
class ObjectInfo:
    obj_id: int
    name: str
    color: tuple[int, int, int]


@dataclass
class Candidate:
    """A mask offered for a frame: plain SAM2's (``expert is None``) or a LoRA expert's."""

    mask: np.ndarray
    score: float  # predicted IoU
    obj_score: float  # object-score logit (> 0: object present)
    expert: int | None


@dataclass
class CorrectionResult:
    mask: np.ndarray
    trained: bool
    train_seconds: float = 0.0
    train_iou: float = float("nan")
    iou_before: float = float("nan")
    expert: int | None = None
    new_expert: bool = False
    epochs: int = 0
    losses: list[float] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)
    random_weights: bool = False


@dataclass
class _Snapshot:
    objects: dict
    masks: dict
    sam2: dict
    banks: dict
    versions: dict
    events: list
    training_log: list
    user_masks: dict
    next_obj_id: int


class Session:
    """Interactive video segmentation with SAM2 that learns from each correction.

    >>> s = Session(load_predictor(), "frames/")
    >>> obj = s.add_object("car")
    >>> s.add_points(0, obj, [[120, 80]], [1])
    >>> for frame, masks in s.propagate(): ...
    >>> s.correct(17, obj, mask=fixed_mask)      # trains a LoRA expert at once
    >>> s.candidates(30, obj)                     # plain SAM2 + every expert
    """

    def __init__(
        self,
        predictor,
        video,
        *,
        lit: bool = True,
        lit_config=None,
        cache_frames: int = 32,
        capture_cache: int = 8,
        undo_depth: int = 50,
        workdir: str | Path | None = None,
        autosave: bool = True,
    ):
        """``workdir``: the session folder the journal autosaves to (default: one folder per
        video under ``$LITLORA_HOME`` or ``~/.cache/litlora-widgets``); ``autosave=False``
        turns the journal off (e.g. for batch evaluation)."""
        self.predictor = predictor
        self.info: ModelInfo = model_info(predictor)
        self.video = VideoSource.open(video, cache_frames=cache_frames)
        self.lit_config = lit_config if lit_config is not None else default_lit_config(predictor)
        self.lit_config.validate()
        self._lit = bool(lit)
        self._lock = threading.RLock()
        self._cancel = threading.Event()
        self._images = self.video.sam2_frames(self.info.image_size)
        self._state = P.new_inference_state(predictor, self._images, self.height, self.width)
        P.match_memory_dtype(predictor)
        self._capture = DecoderCapture(predictor.sam_mask_decoder, "cpu")
        self._captures: OrderedDict[tuple[int, int], tuple[DecoderInputs, torch.Tensor]] = (
            OrderedDict()
        )
        self._capture_cache = max(1, int(capture_cache))
        self._objects: dict[int, ObjectInfo] = {}
        self._next_obj_id = 1
        self._masks = P.MaskStore(self.height, self.width)
        self._user_masks = P.MaskStore(self.height, self.width)  # masks the user gave/accepted
        self._banks: dict[int, Any] = {}
        self._versions: dict[int, int] = {}
        self._candidates: dict[tuple[int, int], list[Candidate]] = {}
        self._reference: dict[int, dict[int, np.ndarray]] = {}
        self.events: list[dict] = []
        self.training_log: list[dict] = []
        self._undo: list[_Snapshot] = []
        self._redo: list[_Snapshot] = []
        self._undo_depth = undo_depth
        self._listeners: list[Callable[[str, dict], None]] = []
        self._closed = False
        self.journal = None  # litlora_widgets.journal.Journal while autosaving
        self.workdir: Path | None = None
        if autosave:
            from .journal import Journal

            try:
                self.journal = Journal.create(self, workdir, source=video)
            except BaseException:
                self._capture.remove()
                raise
            self.workdir = self.journal.workdir

    @classmethod
    def resume(cls, workdir: str | Path, predictor, video=None, **kw) -> Session:
        """Rebuild a session from its autosave folder (see :func:`journal.resume`)."""
        from .journal import resume

        return resume(workdir, predictor, video, **kw)

    # ---- video ---------------------------------------------------------------------------
    @property
    def num_frames(self) -> int:
        return self.video.num_frames

    @property
    def height(self) -> int:
        return self.video.height

    @property
    def width(self) -> int:
        return self.video.width

    @property
    def video_name(self) -> str:
        return self.video.name

    @property
    def model_name(self) -> str:
        return self.info.name

    @property
    def random_weights(self) -> bool:
        return self.info.random_weights

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as (H, W, 3) uint8 RGB."""
        return self.video.frame(P.check_frame(i, self.num_frames))

    # ---- objects -------------------------------------------------------------------------
    @property
    def objects(self) -> dict[int, ObjectInfo]:
        return dict(self._objects)

    def add_object(self, name: str | None = None, obj_id: int | None = None) -> int:
        """Add an object (any time, also after propagation). Returns its id."""
        with self._lock:
            if obj_id is None:
                obj_id = self._next_obj_id
            elif isinstance(obj_id, bool) or not isinstance(obj_id, (int, np.integer)):
                raise InputError(f"obj_id must be a positive integer, got {obj_id!r}")
            obj_id = int(obj_id)
            if obj_id < 1 or obj_id > 255:
                raise InputError(f"obj_id must be in 1..255 (label-map values), got {obj_id}")
            if obj_id in self._objects:
                raise InputError(f"object {obj_id} already exists; pick another id or omit it")
            name = self._check_name(name if name is not None else f"object {obj_id}")
            self._push_undo()
            self._new_object(obj_id, name)
            return obj_id

    def _new_object(self, obj_id: int, name: str) -> None:
        self._objects[obj_id] = ObjectInfo(obj_id, name, P.object_color(obj_id))
        self._versions[obj_id] = 0
        self._next_obj_id = max(self._next_obj_id, obj_id + 1)
        self._record("add_object", obj_id=obj_id, name=name)

    def rename_object(self, obj_id: int, name: str) -> None:
        with self._lock:
            obj_id = self._check_obj(obj_id)
            name = self._check_name(name)
            self._push_undo()
            old = self._objects[obj_id]
            self._objects[obj_id] = ObjectInfo(obj_id, name, old.color)
            self._record("rename_object", obj_id=obj_id, name=name)

    def remove_object(self, obj_id: int) -> None:
        """Remove an object with its masks, prompts and experts (undoable)."""
        with self._lock:
            obj_id = self._check_obj(obj_id)
            self._push_undo()
            if obj_id in self._state["obj_id_to_idx"]:
                with torch.inference_mode(), self.info.autocast():
                    self.predictor.remove_object(self._state, obj_id, need_output=False)
            self._objects = {k: v for k, v in self._objects.items() if k != obj_id}
            self._masks.drop_object(obj_id)
            self._user_masks.drop_object(obj_id)
            self._banks = {k: v for k, v in self._banks.items() if k != obj_id}
            self._drop_captures(obj_id)
            self._record("remove_object", obj_id=obj_id)

    # ---- prompts -------------------------------------------------------------------------
    def add_points(self, frame: int, obj_id: int, points, labels) -> np.ndarray:
        """Clicks on a frame (x, y in video pixels; label 1 include, 0 exclude). Clicks on
        the same frame accumulate. Returns the object's new mask on that frame."""
        frame = P.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_obj(obj_id)
            pts, labs = P.check_points(points, labels, self.height, self.width)
            return self._prompt(
                "add_points", frame, obj_id, points=pts, labels=labs,
                record={"points": pts.tolist(), "labels": labs.tolist()},
            )  # fmt: skip

    def add_box(self, frame: int, obj_id: int, box) -> np.ndarray:
        """A box [x0, y0, x1, y1] in video pixels (replaces earlier clicks on that frame)."""
        frame = P.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_obj(obj_id)
            b = P.check_box(box, self.height, self.width)
            return self._prompt("add_box", frame, obj_id, box=b, record={"box": b.tolist()})

    def add_mask(self, frame: int, obj_id: int, mask) -> np.ndarray:
        """A mask prompt: bool (H, W) at video resolution, not empty."""
        frame = P.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_obj(obj_id)
            m = validate_mask(mask, self.height, self.width, allow_empty=False)
            return self._prompt("add_mask", frame, obj_id, mask=m, record={})

    def _prompt(self, kind, frame, obj_id, *, points=None, labels=None, box=None, mask=None,
                record: dict) -> np.ndarray:  # fmt: skip
        self._push_undo()
        try:
            out = self._apply_prompt(frame, obj_id, points=points, labels=labels, box=box,
                                     mask=mask)  # fmt: skip
        except Exception:
            self._pop_undo_restore()
            raise
        self._user_masks.set(frame, obj_id, out)
        self._record(kind, frame=frame, obj_id=obj_id, mask=out, **record)
        return out

    def _apply_prompt(self, frame, obj_id, *, points=None, labels=None, box=None, mask=None):
        """Send a prompt to SAM2 and store the resulting mask. Caller holds the lock."""
        st, pred = self._state, self.predictor
        with torch.inference_mode(), self.info.autocast():
            if mask is not None:
                _, ids, video_res = pred.add_new_mask(st, frame, obj_id, torch.from_numpy(mask))
            else:
                _, ids, video_res = pred.add_new_points_or_box(
                    st, frame, obj_id,
                    points=None if points is None else torch.from_numpy(points),
                    labels=None if labels is None else torch.from_numpy(labels),
                    box=None if box is None else torch.from_numpy(box),
                    clear_old_points=box is not None,
                )  # fmt: skip
        out = (video_res[list(ids).index(obj_id), 0] > 0).cpu().numpy()
        if mask is not None:  # SAM2 resamples mask prompts; the user's mask is kept exactly
            out = mask.copy()
        self._masks.set(frame, obj_id, out)
        self._bump(obj_id)
        return out

    # ---- tracking ------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop a running propagation or training at the next frame / epoch (thread-safe)."""
        self._cancel.set()

    def propagate(
        self,
        start_frame: int | None = None,
        direction: str = "forward",
        max_frames: int | None = None,
        progress: bool = True,
    ) -> Iterator[tuple[int, dict[int, np.ndarray]]]:
        """Track every prompted object; yields ``(frame, {obj_id: mask})`` as it goes.

        ``direction``: "forward", "backward" or "both" (forward, then backward from the
        start). ``start_frame`` defaults to the earliest prompted frame. ``cancel()`` stops
        it after the current frame; everything tracked so far is kept. One undo step.
        """
        if direction not in DIRECTIONS:
            raise InputError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        with self._lock:
            prompted = self._prompted_frames()
            if not prompted:
                raise InputError(
                    "nothing to propagate: add an object and prompt it first "
                    "(add_points / add_box / add_mask)"
                )
            start = min(prompted) if start_frame is None else P.check_frame(start_frame,
                                                                             self.num_frames)
        if max_frames is not None and (not isinstance(max_frames, int) or max_frames < 0):
            raise InputError(f"max_frames must be a non-negative integer, got {max_frames!r}")
        return self._propagate(start, direction, max_frames, progress)

    def _propagate(self, start, direction, max_frames, progress):
        from tqdm.auto import tqdm

        self._cancel.clear()
        n = self.num_frames if max_frames is None else max_frames
        orders = []
        if direction in ("forward", "both"):
            orders.append((False, range(start, min(start + n, self.num_frames - 1) + 1)))
        if direction in ("backward", "both"):
            first = start if direction == "backward" else start - 1
            orders.append((True, range(first, max(start - n, 0) - 1, -1)))
        total = sum(len(o) for _, o in orders)
        with self._lock:
            snap = self._snapshot()
        done = 0
        bar = tqdm(total=total, desc="propagate", unit="frame", disable=not progress, leave=False)
        try:
            for reverse, order in orders:
                for t in order:
                    if self._cancel.is_set():
                        return
                    with self._lock:
                        if done == 0:
                            self._preflight()
                        masks = {
                            obj_id: self._track(t, obj_id, reverse, store=True)[1]
                            for obj_id in self._sam2_objects()
                        }
                    done += 1
                    bar.update(1)
                    yield t, masks
        finally:
            bar.close()
            if done:
                with self._lock:
                    self._push_undo(snap)
                    self._record("propagate", start=start, direction=direction, frames=done)

    def _track(self, frame: int, obj_id: int, reverse: bool, store: bool):
        """Track ``frame`` for one object from SAM2's memory; capture the decoder inputs.

        ``store=True`` is propagation: the output enters SAM2's memory and the mask store.
        ``store=False`` only (re)captures features: memory *excluding this frame* is used, so
        a frame's own answer never leaks into the features LIT-LoRA trains on.
        """
        st, pred = self._state, self.predictor
        obj_idx = st["obj_id_to_idx"][obj_id]
        out_dict = st["output_dict_per_obj"][obj_idx]
        prompted = frame in st["point_inputs_per_obj"][obj_idx] or (
            frame in st["mask_inputs_per_obj"][obj_idx]
        )
        kept = out_dict["cond_frame_outputs"].get(frame)
        if kept is None and prompted:  # a correction SAM2 stored as a non-conditioning frame
            kept = out_dict["non_cond_frame_outputs"].get(frame)
        if store and kept is not None:
            # a prompted frame keeps the prompt's result (exact for mask prompts): tracking
            # over it again must never undo a correction
            low_res = kept["pred_masks"]
            mask = self._masks.get(frame, obj_id)
            if mask is None:
                mask = P.low_res_to_video(pred, st, low_res)
        else:
            run_dict = out_dict
            if not store:
                run_dict = {
                    k: {f: o for f, o in v.items() if f != frame} for k, v in out_dict.items()
                }
                if not run_dict["cond_frame_outputs"]:  # its only prompt: nothing else to use
                    run_dict = out_dict
            with (
                torch.inference_mode(),
                self.info.autocast(),
                self._capture.window(frame, obj_id, self._versions[obj_id]),
            ):
                out, low_res = pred._run_single_frame_inference(
                    inference_state=st, output_dict=run_dict, frame_idx=frame, batch_size=1,
                    is_init_cond_frame=False, point_inputs=None, mask_inputs=None,
                    reverse=reverse, run_mem_encoder=store,
                )  # fmt: skip
            inputs = self._capture.take()
            low_res = low_res.float()
            if store:
                out_dict["non_cond_frame_outputs"][frame] = out
                st["frames_tracked_per_obj"][obj_idx][frame] = {"reverse": reverse}
            mask = P.low_res_to_video(pred, st, low_res)
            if inputs is not None:
                self._captures[(frame, obj_id)] = (inputs, low_res.cpu())
                self._captures.move_to_end((frame, obj_id))
                while len(self._captures) > self._capture_cache:
                    self._captures.popitem(last=False)
        if store:
            self._masks.set(frame, obj_id, mask)
        return low_res, mask

    def _fresh_capture(self, frame: int, obj_id: int) -> tuple[DecoderInputs, np.ndarray]:
        """Decoder inputs of ``frame`` tracked with the object's current memory."""
        hit = self._captures.get((frame, obj_id))
        if hit is not None and hit[0].version == self._versions[obj_id]:
            return hit[0], P.low_res_to_video(self.predictor, self._state, hit[1])
        self._preflight()
        reverse = self._reverse_of(frame, obj_id)
        _, mask = self._track(frame, obj_id, reverse, store=False)
        inputs, _ = self._captures[(frame, obj_id)]
        return inputs, mask

    def mask(self, frame: int, obj_id: int) -> np.ndarray:
        """The object's mask on ``frame``: bool (H, W) at video resolution (all False if none)."""
        frame = P.check_frame(frame, self.num_frames)
        obj_id = self._check_obj(obj_id)
        m = self._masks.get(frame, obj_id)
        return np.zeros((self.height, self.width), bool) if m is None else m

    def masks(self, frame: int) -> dict[int, np.ndarray]:
        frame = P.check_frame(frame, self.num_frames)
        return {o: m for o, m in self._masks.frame(frame).items() if o in self._objects}

    def tracked_frames(self, obj_id: int) -> set[int]:
        return set(self._masks.frames(self._check_obj(obj_id)))

    # ---- LIT-LoRA ------------------------------------------------------------------------
    @property
    def lit_enabled(self) -> bool:
        return self._lit

    @lit_enabled.setter
    def lit_enabled(self, value: bool) -> None:
        self._lit = bool(value)
        self._record("lit", enabled=self._lit)

    def experts(self, obj_id: int):
        """The object's :class:`~litlora_widgets.engine.experts.ExpertBank` (created lazily)."""
        obj_id = self._check_obj(obj_id)
        with self._lock:
            if obj_id not in self._banks:
                from .engine.experts import ExpertBank

                self._banks[obj_id] = ExpertBank(
                    self.predictor.sam_mask_decoder, self.predictor.sam_prompt_encoder,
                    self.lit_config,
                )  # fmt: skip
            return self._banks[obj_id]

    def correct(
        self,
        frame: int,
        obj_id: int,
        mask=None,
        points=None,
        labels=None,
        *,
        train: bool = True,
        progress: Callable[[int, float, float], None] | None = None,
    ) -> CorrectionResult:
        """Correct the object on ``frame`` with a mask or clicks; with LIT on, train at once.

        The frame is tracked first when it never was, so clicks refine the tracked mask and
        the training features are that frame's own. An empty ``mask`` means "not visible
        here". ``train=False`` applies the correction only (e.g. between clicks of one
        correction). Cancelling training keeps the correction, untrained.
        """
        frame = P.check_frame(frame, self.num_frames)
        if (mask is None) == (points is None):
            raise InputError("correct() needs either mask= or points= (with labels=), not both")
        with self._lock:
            obj_id = self._check_obj(obj_id)
            if mask is not None:
                m = validate_mask(mask, self.height, self.width, allow_empty=True)
            else:
                pts, labs = P.check_points(points, labels, self.height, self.width)
            if obj_id not in self._state["obj_id_to_idx"]:
                raise InputError(
                    f"object {obj_id} has no prompt yet; start it with add_points / add_box / "
                    "add_mask, then correct later frames"
                )
            self._push_undo()
            self._cancel.clear()
            try:
                tracked = frame in self._tracked_in_sam2(obj_id)
                if not tracked:
                    self._preflight()
                    self._track(frame, obj_id, self._reverse_of(frame, obj_id), store=True)
                inputs = None
                if self._lit and train:
                    inputs, _ = self._fresh_capture(frame, obj_id)
                if mask is not None:
                    out = self._apply_prompt(frame, obj_id, mask=m)
                else:
                    out = self._apply_prompt(frame, obj_id, points=pts, labels=labs)
                result = CorrectionResult(mask=out, trained=False,
                                          random_weights=self.info.random_weights)  # fmt: skip
                if inputs is not None:
                    self._train(obj_id, inputs, out, result, progress)
            except BaseException:  # bad input, NaN loss, interrupt: leave no trace
                self._pop_undo_restore()
                raise
            self._user_masks.set(frame, obj_id, out)
            rec = {"points": pts.tolist(), "labels": labs.tolist()} if mask is None else {}
            self._record("correction", frame=frame, obj_id=obj_id, mask=out, trained=result.trained,
                         expert=result.expert, train_iou=result.train_iou, **rec)  # fmt: skip
            return result

    def _train(self, obj_id, inputs, target, result: CorrectionResult, progress) -> None:
        bank = self.experts(obj_id)
        try:
            tr = bank.train_on(inputs, target, cancel=self._cancel, progress=progress)
        except Cancelled:
            return
        except TrainingError as exc:
            raise TrainingError(
                f"{exc} The correction was not applied; correct again with a lower learning "
                "rate (lit_config) or with LIT off (session.lit_enabled = False)."
            ) from None
        result.trained = True
        result.train_seconds = tr.train_seconds
        result.train_iou = tr.train_iou
        result.iou_before = tr.iou_before
        result.expert = tr.expert
        result.new_expert = tr.new_expert
        result.epochs = tr.epochs
        result.losses = list(tr.losses)
        result.ious = list(tr.ious)
        self.training_log.append({
            "frame": inputs.frame, "obj_id": obj_id, "expert": tr.expert,
            "new_expert": tr.new_expert, "mode": tr.mode, "epochs": tr.epochs,
            "train_seconds": tr.train_seconds, "train_iou": tr.train_iou,
            "iou_before": tr.iou_before, "losses": list(tr.losses), "ious": list(tr.ious),
        })  # fmt: skip

    def candidates(self, frame: int, obj_id: int) -> list[Candidate]:
        """Plain SAM2's mask (index 0) and every LoRA expert's, on ``frame``.

        Uses the decoder inputs of this frame under the current memory (tracking it when
        needed, without changing the memory). Changes nothing in the session.
        """
        frame = P.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_obj(obj_id)
            if obj_id not in self._state["obj_id_to_idx"]:
                raise InputError(f"object {obj_id} has no prompt yet; prompt it first")
            inputs, plain = self._fresh_capture(frame, obj_id)
            stored = self._masks.get(frame, obj_id)
            cands = [Candidate(stored if stored is not None else plain, inputs.sam_iou,
                               inputs.sam_obj_score, None)]  # fmt: skip
            bank = self._banks.get(obj_id)
            if bank is not None and bank.num_experts:
                with self.info.autocast():
                    preds = bank.predict_all(inputs)
                cands += [
                    Candidate(p.mask(self.height, self.width), p.iou, p.obj_score, p.expert)
                    for p in preds
                ]
            self._candidates[(frame, obj_id)] = cands
            return cands

    def accept(self, frame: int, obj_id: int, index: int) -> np.ndarray:
        """Accept candidate ``index`` of :meth:`candidates`: it enters SAM2's memory like a
        correction (propagation continues from it) and the expert's replay buffer."""
        frame = P.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_obj(obj_id)
            cands = self._candidates.get((frame, obj_id)) or self.candidates(frame, obj_id)
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not (
                0 <= index < len(cands)
            ):
                raise InputError(
                    f"candidate index {index!r} is out of range; frame {frame} has candidates "
                    f"0..{len(cands) - 1} (0 = plain SAM2)"
                )
            chosen = cands[int(index)]
            inputs = self._captures.get((frame, obj_id))
            self._push_undo()
            try:
                if chosen.mask.any():
                    out = self._apply_prompt(frame, obj_id, mask=chosen.mask)
                else:
                    out = chosen.mask.copy()
                    self._masks.set(frame, obj_id, out)
                if chosen.expert is not None and inputs is not None:
                    self._banks[obj_id].add_replay(chosen.expert, inputs[0], out)
            except BaseException:
                self._pop_undo_restore()
                raise
            self._candidates.pop((frame, obj_id), None)
            self._user_masks.set(frame, obj_id, out)
            self._record("accept", frame=frame, obj_id=obj_id, index=int(index),
                         expert=chosen.expert, mask=out)  # fmt: skip
            return out

    # ---- adapters ------------------------------------------------------------------------
    def save_adapters(self, path: str | Path, obj_id: int | None = None) -> Path:
        """Save an object's LoRA experts (safetensors + JSON metadata)."""
        with self._lock:
            obj_id = self._adapter_obj(obj_id, need_experts=True)
            path = Path(path)
            self._banks[obj_id].save(path, extra_metadata={
                "video": self.video_name, "object": self._objects[obj_id].name,
                "model": self.info.name, "random_weights": self.info.random_weights,
            })  # fmt: skip
            return path

    def load_adapters(self, path: str | Path, strength: float = 1.0,
                      obj_id: int | None = None) -> int:  # fmt: skip
        """Load experts saved by :meth:`save_adapters` into an object (e.g. on a new video).

        On any problem the session goes on without them: AdapterError says why."""
        with self._lock:
            obj_id = self._adapter_obj(obj_id, need_experts=False)
            bank = self.experts(obj_id)
            self._push_undo()
            try:
                n = bank.load(path, strength=strength)
            except BaseException:
                self._pop_undo_restore()
                raise
            self._record("load_adapters", obj_id=obj_id, path=str(path), strength=strength)
            return n

    def _adapter_obj(self, obj_id: int | None, need_experts: bool) -> int:
        if obj_id is not None:
            obj_id = self._check_obj(obj_id)
            if need_experts and not (obj_id in self._banks and self._banks[obj_id].num_experts):
                raise InputError(f"object {obj_id} has no trained experts yet; correct it first")
            return obj_id
        pool = [o for o, b in self._banks.items() if b.num_experts] if need_experts else list(
            self._objects
        )
        if len(pool) == 1:
            return pool[0]
        if not pool:
            raise InputError(
                "no object has trained experts yet; correct a frame with LIT on first"
                if need_experts
                else "add an object first (add_object) to load adapters into"
            )
        raise InputError(f"several objects qualify ({pool}); pass obj_id=")

    # ---- reference, curves, export -------------------------------------------------------
    def set_reference(self, masks: dict[int, dict[int, np.ndarray]]) -> None:
        """Ground truth {frame: {obj_id: mask}} for the live IoU curves."""
        ref: dict[int, dict[int, np.ndarray]] = {}
        h, w = self.height, self.width
        for f, objs in masks.items():
            f = P.check_frame(f, self.num_frames)
            ref[f] = {
                int(o): validate_mask(m, h, w, name="reference", allow_empty=True)
                for o, m in objs.items()
            }
        self._reference = ref

    def reference_iou(self, obj_id: int) -> dict[int, float]:
        """Per-frame IoU of the object's masks vs ground truth (if set) or vs the masks the
        user gave or accepted."""
        obj_id = self._check_obj(obj_id)
        out = {}
        if self._reference:
            for f, objs in sorted(self._reference.items()):
                got = self._masks.get(f, obj_id)
                if got is not None and obj_id in objs:
                    out[f] = mask_iou(got, objs[obj_id])
            return out
        for f in self._user_masks.frames(obj_id):
            got = self._masks.get(f, obj_id)
            if got is not None:
                out[f] = mask_iou(got, self._user_masks.get(f, obj_id))
        return out

    def export_coco(self, path: str | Path) -> Path:
        with self._lock:
            write_coco(
                path, self._all_masks(), height=self.height, width=self.width,
                num_frames=self.num_frames, video_name=self.video_name,
                object_names={o: i.name for o, i in self._objects.items()},
            )  # fmt: skip
        return Path(path)

    def export_davis(self, folder: str | Path) -> Path:
        with self._lock:
            write_davis(folder, self._all_masks(), height=self.height, width=self.width,
                        num_frames=self.num_frames)  # fmt: skip
        return Path(folder)

    def masks_array(self) -> np.ndarray:
        """All masks as a (T, H, W) uint8 label map (0 = background, k = object k)."""
        from .masks import masks_to_array

        return masks_to_array(self._all_masks(), sorted(self._objects), self.num_frames,
                              self.height, self.width)  # fmt: skip

    def import_masks(self, source, as_reference: bool = False) -> int:
        """Read masks from a COCO JSON file, a DAVIS PNG folder or a (T, H, W) label array.

        ``as_reference=True`` makes them the ground truth of the IoU curves; otherwise each
        becomes a mask prompt (objects are created as needed), in one undo step.
        """
        from .masks import array_to_masks

        if isinstance(source, np.ndarray):
            if source.ndim != 3 or source.shape[1:] != (self.height, self.width):
                raise InputError(
                    f"label array must have shape (T, {self.height}, {self.width}) for this "
                    f"video, got {source.shape}; resize the masks to the video first"
                )
            data = array_to_masks(source)
        else:
            p = Path(source)
            if p.is_dir():
                data = read_davis(p, self.height, self.width)
            else:
                data, _ = read_coco(p, self.height, self.width)
        if as_reference:
            self.set_reference(data)
            return sum(len(v) for v in data.values())
        count = 0
        with self._lock:
            snap = self._snapshot()
            try:
                for f, objs in sorted(data.items()):
                    f = P.check_frame(f, self.num_frames)
                    for o, m in objs.items():
                        if o not in self._objects:
                            self._new_object(o, f"object {o}")
                        if m.any():
                            self._apply_prompt(f, o, mask=m)
                            self._user_masks.set(f, o, m)
                            count += 1
            except BaseException:
                self._restore(snap)
                raise
            self._push_undo(snap)
            self._record("import_masks", count=count)
        return count

    def _all_masks(self) -> dict[int, dict[int, np.ndarray]]:
        out: dict[int, dict[int, np.ndarray]] = {}
        for f in self._masks.frames():
            objs = {o: m for o, m in self._masks.frame(f).items() if o in self._objects}
            if objs:
                out[f] = objs
        return out

    # ---- undo / redo ---------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> bool:
        """Undo the last prompt, correction, accept, propagation or object change."""
        with self._lock:
            if not self._undo:
                return False
            self._redo.append(self._snapshot())
            self._restore(self._undo.pop())
            self._record("undo")
            return True

    def redo(self) -> bool:
        with self._lock:
            if not self._redo:
                return False
            self._undo.append(self._snapshot())
            self._restore(self._redo.pop())
            self._record("redo")
            return True

    def _snapshot(self) -> _Snapshot:
        return _Snapshot(
            objects=dict(self._objects),
            masks=self._masks.snapshot(),
            sam2=P.snapshot_state(self._state),
            banks={o: (b, b.snapshot()) for o, b in self._banks.items()},
            versions=dict(self._versions),
            events=list(self.events),
            training_log=list(self.training_log),
            user_masks=self._user_masks.snapshot(),
            next_obj_id=self._next_obj_id,
        )

    def _restore(self, snap: _Snapshot) -> None:
        self._objects = dict(snap.objects)
        self._masks.restore(snap.masks)
        self._user_masks.restore(snap.user_masks)
        P.restore_state(self._state, snap.sam2)
        banks = {}
        for o, (bank, bsnap) in snap.banks.items():
            bank.restore(bsnap)
            banks[o] = bank
        self._banks = banks
        # memory changed: every captured feature is stale now
        self._versions = {o: v + 1_000_000 for o, v in snap.versions.items()}
        self._captures.clear()
        self._candidates.clear()
        self.events = list(snap.events)
        self.training_log = list(snap.training_log)
        self._next_obj_id = snap.next_obj_id

    def _push_undo(self, snap: _Snapshot | None = None) -> None:
        self._undo.append(snap if snap is not None else self._snapshot())
        del self._undo[: -self._undo_depth]
        self._redo.clear()

    def _pop_undo_restore(self) -> None:
        self._restore(self._undo.pop())

    # ---- listeners (journal, widget) -----------------------------------------------------
    def add_listener(self, fn: Callable[[str, dict], None]) -> None:
        """``fn(kind, payload)`` is called after every completed action."""
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[str, dict], None]) -> None:
        self._listeners = [f for f in self._listeners if f is not fn]

    def _record(self, kind: str, **payload) -> None:
        event = {"kind": kind, "time": time.time(), **{
            k: v for k, v in payload.items() if not isinstance(v, np.ndarray)}}  # fmt: skip
        if kind in ("add_points", "add_box", "add_mask", "correction", "accept"):
            self.events.append(event)
        for fn in list(self._listeners):
            fn(kind, payload)

    # ---- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        """Release SAM2 state, captures and experts (the predictor stays usable)."""
        with self._lock:
            if self._closed:
                return
            if self.journal is not None:
                self.journal.close()
            self._capture.remove()
            self._state = P.new_inference_state(self.predictor, self._images, self.height,
                                                self.width)  # fmt: skip
            self._captures.clear()
            self._banks.clear()
            self._undo.clear()
            self._redo.clear()
            self._closed = True

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Session({self.video_name!r}, {self.num_frames} frames {self.width}×{self.height}, "
            f"{len(self._objects)} objects, model={self.info.name!r}, lit={self._lit})"
        )

    # ---- helpers -------------------------------------------------------------------------
    def _check_obj(self, obj_id: Any) -> int:
        if isinstance(obj_id, bool) or not isinstance(obj_id, (int, np.integer)):
            raise InputError(f"obj_id must be an integer, got {obj_id!r}")
        if int(obj_id) not in self._objects:
            known = sorted(self._objects) or "none yet; call add_object()"
            raise InputError(f"object {obj_id} does not exist (objects: {known})")
        return int(obj_id)

    @staticmethod
    def _check_name(name: Any) -> str:
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"object name must be a non-empty string, got {name!r}")
        return name.strip()

    def _bump(self, obj_id: int) -> None:
        self._versions[obj_id] = self._versions.get(obj_id, 0) + 1
        self._candidates = {k: v for k, v in self._candidates.items() if k[1] != obj_id}

    def _drop_captures(self, obj_id: int) -> None:
        for key in [k for k in self._captures if k[1] == obj_id]:
            del self._captures[key]

    def _sam2_objects(self) -> list[int]:
        return [o for o in self._state["obj_ids"] if o in self._objects]

    def _prompted_frames(self) -> set[int]:
        st = self._state
        frames: set[int] = set()
        for idx in st["obj_idx_to_id"]:
            frames |= set(st["point_inputs_per_obj"][idx]) | set(st["mask_inputs_per_obj"][idx])
        return frames

    def _tracked_in_sam2(self, obj_id: int) -> set[int]:
        return set(self._state["frames_tracked_per_obj"][self._state["obj_id_to_idx"][obj_id]])

    def _reverse_of(self, frame: int, obj_id: int) -> bool:
        tracked = self._state["frames_tracked_per_obj"][self._state["obj_id_to_idx"][obj_id]]
        if frame in tracked:
            return bool(tracked[frame]["reverse"])
        prompted = self._prompted_frames()
        return bool(prompted) and frame < min(prompted)

    def _preflight(self) -> None:
        with torch.inference_mode(), self.info.autocast():
            self.predictor.propagate_in_video_preflight(self._state)
