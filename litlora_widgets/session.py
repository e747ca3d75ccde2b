"""The user's verbs on one video: objects, prompts, propagation, corrections, candidates.

Data path: video (``video.py``) → engine (``engine/tracker.py``: SAM2 + decoder capture;
``engine/experts.py``: LoRA experts) → this session → widget / evaluation. The session is
the source of truth; the widget only sends it events.

Rules it keeps: one path for everything the user asserts about a frame
(a correction or an accepted candidate, empty or not, enters SAM2's memory the same way,
after SAM2 tracked the frame: ``tracking.py``); LIT-LoRA trains *at the moment of a
correction*, on the decoder inputs of that frame under the current memory; every user action
is one undo step (``History.undoable``) and a failed one leaves no trace.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import checks as C
from .action_log import ActionLog
from .annotations import Annotations
from .build_sam import ModelInfo, default_lit_config, model_info
from .engine.tracker import Tracker, frame_order
from .errors import InputError
from .history import History
from .lit import LitLoRA
from .masks import read_masks, validate_mask
from .objects import ObjectRegistry
from .propagation import Propagations
from .record import Record
from .state import (
    Candidate,
    CorrectionResult,
    FrameState,
    ObjectInfo,
    SessionState,
)
from .tracking import Tracking
from .video import VideoSource

__all__ = ["Candidate", "CorrectionResult", "FrameState", "ObjectInfo", "Session", "SessionState"]

DIRECTIONS = ("forward", "backward", "both")


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
        self.lit = LitLoRA(predictor, self.lit_config, self.info, enabled=lit)
        self._lock = threading.RLock()
        self._cancel = threading.Event()
        images = self.video.sam2_frames(self.info.image_size)
        self.tracker = Tracker(predictor, self.info, images, self.height, self.width, capture_cache)
        self._objects = ObjectRegistry()
        self.annotations = Annotations(self.num_frames, self.height, self.width)
        self._tracking = Tracking(self.tracker, self.annotations, self.lit)
        self._log = ActionLog()
        parts = (self._objects, self.lit, self.annotations, self._log, self.tracker)
        self._record = Record(self._lock, *parts)
        self.history = History(self._record.snapshot, self._record.restore, undo_depth)
        self._runs = Propagations(
            self._lock, self._cancel, self._record.snapshot, self.history.push, self._log.record
        )
        self._closed = False
        self.journal = None  # litlora_widgets.journal.Journal while autosaving
        self.workdir: Path | None = None
        self.resume_info: dict | None = None  # how a resumed session was rebuilt
        if autosave:
            from .journal import Journal

            try:
                self.journal = Journal.create(self, workdir, source=video)
            except BaseException:
                self.tracker.close()
                raise
            self.workdir = self.journal.workdir

    @classmethod
    def resume(cls, workdir: str | Path, predictor, video=None, **kw) -> Session:
        """Rebuild a session from its autosave folder (see :func:`journal.resume`)."""
        from .journal import resume

        return resume(cls, workdir, predictor, video, **kw)

    # ---- video ---------------------------------------------------------------------------
    num_frames = property(lambda self: self.video.num_frames)
    height = property(lambda self: self.video.height)
    width = property(lambda self: self.video.width)
    video_name = property(lambda self: self.video.name)
    model_name = property(lambda self: self.info.name)
    random_weights = property(lambda self: self.info.random_weights)

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as (H, W, 3) uint8 RGB."""
        return self.video.frame(C.check_frame(i, self.num_frames))

    # ---- objects -------------------------------------------------------------------------
    @property
    def objects(self) -> dict[int, ObjectInfo]:
        return self._objects.infos()

    def add_object(self, name: str | None = None, obj_id: int | None = None) -> int:
        """Add an object (any time, also after propagation). Returns its id."""
        with self._lock:
            obj_id = self._objects.new_id(obj_id)
            name = C.check_name(name if name is not None else f"object {obj_id}")
            with self._action(f"add object {obj_id}"):
                self._objects.add(obj_id, name)
            self._log.record("add_object", obj_id=obj_id, name=name)
            return obj_id

    def rename_object(self, obj_id: int, name: str) -> None:
        with self._lock:
            obj_id, name = self._check_obj(obj_id), C.check_name(name)
            if name == self._objects[obj_id].name:
                return  # no undo step that changes nothing
            with self._action(f"rename object {obj_id}"):
                self._objects.rename(obj_id, name)
            self._log.record("rename_object", obj_id=obj_id, name=name)

    def remove_object(self, obj_id: int) -> None:
        """Remove an object with its masks, prompts, experts and candidates (undoable)."""
        with self._lock:
            obj_id = self._check_obj(obj_id)
            with self._action(f"remove object {obj_id}"):
                self.tracker.remove_object(obj_id)
                self._objects.remove(obj_id)
                self.annotations.drop_object(obj_id)
                self.lit.remove(obj_id)
            self._log.record("remove_object", obj_id=obj_id)

    # ---- prompts -------------------------------------------------------------------------
    def add_points(self, frame: int, obj_id: int, points, labels) -> np.ndarray:
        """Clicks on a frame (x, y in video pixels; label 1 include, 0 exclude). Clicks on
        the same frame accumulate. Returns the object's new mask on that frame."""
        frame = C.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_obj(obj_id)
            pts, labs = C.check_points(points, labels, self.height, self.width)
            return self._prompt(
                "add_points",
                frame,
                obj_id,
                dict(points=pts, labels=labs),
                {"points": pts.tolist(), "labels": labs.tolist()},
            )

    def add_box(self, frame: int, obj_id: int, box) -> np.ndarray:
        """A box [x0, y0, x1, y1] in video pixels (replaces earlier clicks on that frame)."""
        frame = C.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_obj(obj_id)
            b = C.check_box(box, self.height, self.width)
            return self._prompt("add_box", frame, obj_id, dict(box=b), {"box": b.tolist()})

    def add_mask(self, frame: int, obj_id: int, mask) -> np.ndarray:
        """A mask prompt: bool (H, W) at video resolution, not empty."""
        frame = C.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_obj(obj_id)
            m = validate_mask(mask, self.height, self.width, allow_empty=False)
            return self._prompt("add_mask", frame, obj_id, dict(mask=m), {})

    def _prompt(self, kind: str, frame: int, obj_id: int, prompt: dict, record: dict):
        with self._action(f"{kind.replace('_', ' ')} on frame {frame}"):
            out = self._tracking.prompt(frame, obj_id, prompt)
        self._log.record(kind, frame=frame, obj_id=obj_id, mask=out, **record)
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
        it after the current frame; everything tracked so far is kept. One undo step: any
        other action while the generator is suspended ends the propagation there.
        """
        if direction not in DIRECTIONS:
            raise InputError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        C.check_max_frames(max_frames)
        with self._lock:
            prompted = self.tracker.prompted_frames()
            if not prompted:
                raise InputError(
                    "nothing to propagate: add an object and prompt it first "
                    "(add_points / add_box / add_mask)"
                )
            start = (
                min(prompted)
                if start_frame is None
                else C.check_frame(start_frame, self.num_frames)
            )
            orders = frame_order(start, direction, max_frames, self.num_frames)
            track = functools.partial(self._tracking.track_all, live=self._objects)
            return self._runs.run(start, direction, orders, track, self.tracker.preflight, progress)

    def mask(self, frame: int, obj_id: int) -> np.ndarray:
        """The object's mask on ``frame``: bool (H, W) at video resolution (all False if none)."""
        frame = C.check_frame(frame, self.num_frames)
        m = self.annotations.masks.get(frame, self._check_obj(obj_id))
        return np.zeros((self.height, self.width), bool) if m is None else m

    def masks(self, frame: int) -> dict[int, np.ndarray]:
        frame = C.check_frame(frame, self.num_frames)
        masks = self.annotations.masks.frame(frame)
        return {o: m for o, m in masks.items() if o in self._objects}

    def tracked_frames(self, obj_id: int) -> set[int]:
        """Frames where the object has a mask (tracked, prompted or corrected)."""
        return set(self.annotations.masks.frames(self._check_obj(obj_id)))

    def is_tracked(self, frame: int, obj_id: int) -> bool:
        """Whether SAM2 tracked (or was prompted on) this frame: only there does a click
        correct the object and train an expert; elsewhere it is a new keyframe prompt."""
        frame = C.check_frame(frame, self.num_frames)
        return self.tracker.is_tracked(frame, self._check_obj(obj_id))

    def frame_states(self, obj_id: int) -> dict[int, FrameState]:
        """Every frame with a mask for the object: how it got there and SAM2's confidence."""
        with self._lock:
            obj_id = self._check_obj(obj_id)
            scores = self.tracker.scores(obj_id)
            return self.annotations.frame_states(obj_id, self.events, scores)

    def review_queue(self, obj_id: int, k: int | None = None, **kw):
        """Tracked frames most likely wrong first (:func:`litlora_widgets.review.review_queue`):
        SAM2's predicted IoU and object score, sudden area or position changes, distance from
        the last frame you confirmed, and optionally disagreement with the experts."""
        from .review import review_queue

        return review_queue(self, self._check_obj(obj_id), k, **kw)

    # ---- LIT-LoRA ------------------------------------------------------------------------
    @property
    def lit_enabled(self) -> bool:
        return self.lit.enabled

    @lit_enabled.setter
    def lit_enabled(self, value: bool) -> None:
        self.lit.enabled = bool(value)
        self._log.record("lit", enabled=self.lit.enabled)

    @property
    def training_log(self) -> list[dict]:
        """One entry per training: frame, object, expert, epochs, seconds, IoU, curves."""
        return self.lit.training_log

    def experts(self, obj_id: int):
        """The object's :class:`~litlora_widgets.engine.experts.ExpertBank` (created lazily)."""
        obj_id = self._check_obj(obj_id)
        with self._lock:
            return self.lit.bank(obj_id)

    def new_bank(self):
        """An empty expert bank for this session's model and LIT settings (not attached)."""
        return self.lit.new_bank()

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
        frame = C.check_frame(frame, self.num_frames)
        prompt, rec = C.check_correction(mask, points, labels, self.height, self.width)
        with self._lock:
            obj_id = self._check_prompted(obj_id)
            with self._action(f"correction on frame {frame}"):
                self._cancel.clear()
                inputs, out = self._tracking.assert_frame(
                    frame, obj_id, prompt, capture=self.lit.enabled and train
                )
                result = CorrectionResult(
                    mask=out, trained=False, random_weights=self.info.random_weights
                )
                if inputs is not None:
                    self._tracking.train(obj_id, inputs, result, self._cancel, progress)
            self._log.record(
                "correction",
                frame=frame,
                obj_id=obj_id,
                mask=out,
                trained=result.trained,
                improved=result.improved,
                expert=result.expert,
                train_iou=result.train_iou,
                **rec,
            )
            return result

    def candidates(self, frame: int, obj_id: int) -> list[Candidate]:
        """Plain SAM2's mask (index 0) and every LoRA expert's, on ``frame``.

        Uses the decoder inputs of this frame under the current memory (tracking it when
        needed, without changing the memory). Changes nothing in the session.
        """
        frame = C.check_frame(frame, self.num_frames)
        with self._lock:
            return self._tracking.candidates(frame, self._check_prompted(obj_id))

    def accept(self, frame: int, obj_id: int, index: int) -> np.ndarray:
        """Accept candidate ``index`` of :meth:`candidates`: it enters SAM2's memory exactly
        like a correction (an empty one as "absent"; propagation continues from it) and the
        expert's replay buffer."""
        frame = C.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_prompted(obj_id)
            cands = self.lit.cached(frame, obj_id) or self.candidates(frame, obj_id)
            index = C.check_candidate(index, len(cands), frame)
            chosen = cands[index]
            with self._action(f"accept on frame {frame}"):
                inputs, out = self._tracking.assert_frame(
                    frame, obj_id, {"mask": chosen.mask}, capture=chosen.expert is not None
                )
                if inputs is not None:
                    self.lit.add_replay(obj_id, chosen.expert, inputs, out)
            self._log.record(
                "accept",
                frame=frame,
                obj_id=obj_id,
                index=index,
                expert=chosen.expert,
                mask=out,
            )
            return out

    # ---- adapters ------------------------------------------------------------------------
    def save_adapters(self, path: str | Path, obj_id: int | None = None) -> Path:
        """Save an object's LoRA experts (safetensors + JSON metadata)."""
        with self._lock:
            obj_id = self._adapter_obj(obj_id, need_experts=True)
            meta = {
                "video": self.video_name,
                "object": self._objects[obj_id].name,
                "model": self.info.name,
                "random_weights": self.info.random_weights,
            }
            return self.lit.save(obj_id, path, meta)

    def load_adapters(
        self, path: str | Path, strength: float = 1.0, obj_id: int | None = None
    ) -> int:
        """Load experts saved by :meth:`save_adapters` into an object (e.g. on a new video).

        On any problem the session goes on without them: AdapterError says why."""
        with self._lock:
            obj_id = self._adapter_obj(obj_id, need_experts=False)
            with self._action(f"load adapters into object {obj_id}"):
                n = self.lit.load(obj_id, path, strength)
            self._log.record("load_adapters", obj_id=obj_id, path=str(path), strength=strength)
            return n

    def _adapter_obj(self, obj_id: int | None, need_experts: bool) -> int:
        trained = self.lit.trained_objects() if need_experts else None
        return self._objects.pick(obj_id, trained)

    # ---- reference, curves, export -------------------------------------------------------
    def set_reference(self, masks: dict[int, dict[int, np.ndarray]]) -> None:
        """Ground truth {frame: {obj_id: mask}} for the live IoU curves."""
        self.annotations.set_reference(masks)

    @property
    def reference(self) -> dict[int, dict[int, np.ndarray]]:
        return self.annotations.reference

    def reference_iou(self, obj_id: int) -> dict[int, float]:
        """Per-frame IoU of the object's masks vs ground truth (if set) or vs the masks the
        user gave or accepted."""
        return self.annotations.reference_iou(self._check_obj(obj_id))

    def export_coco(self, path: str | Path) -> Path:
        with self._lock:
            return self.annotations.export_coco(path, self.objects, self.video_name)

    def export_davis(self, folder: str | Path) -> Path:
        with self._lock:
            return self.annotations.export_davis(folder, self.objects)

    def masks_array(self) -> np.ndarray:
        """All masks as a (T, H, W) uint8 label map (0 = background, k = object k)."""
        with self._lock:
            return self.annotations.label_array(self.objects)

    def import_masks(self, source, as_reference: bool = False) -> int:
        """Read masks from a COCO JSON file, a DAVIS PNG folder or a (T, H, W) label array.

        ``as_reference=True`` makes them the ground truth of the IoU curves; otherwise each
        becomes a mask prompt (objects are created as needed), in one undo step.
        """
        data = read_masks(source, self.height, self.width)
        if as_reference:
            self.set_reference(data)
            return sum(len(v) for v in data.values())
        count, created = 0, []
        with self._lock, self._action("import masks"):
            for f, objs in sorted(data.items()):
                f = C.check_frame(f, self.num_frames)
                for o, m in objs.items():
                    if o not in self._objects:
                        self._objects.add(o, f"object {o}")
                        created.append(o)
                    if m.any():
                        self._tracking.prompt(f, o, {"mask": m})
                        count += 1
        self._log.record("import_masks", count=count, created=created)
        return count

    # ---- undo / redo ---------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        with self._lock:
            return self._runs.pending_frames > 0 or bool(self.history.undo_labels)

    @property
    def can_redo(self) -> bool:
        return bool(self.history.redo_labels)

    def undo(self) -> bool:
        """Undo the last prompt, correction, accept, propagation or object change."""
        with self._lock:
            self._runs.finish()
            label = self.history.undo()
            if label is not None:
                self._log.record("undo", label=label)
            return label is not None

    def redo(self) -> bool:
        with self._lock:
            self._runs.finish()
            label = self.history.redo()
            if label is not None:
                self._log.record("redo", label=label)
            return label is not None

    @contextlib.contextmanager
    def _action(self, label: str):
        """One user action: it ends a suspended propagation first, then is one undo step."""
        self._runs.finish()
        with self.history.undoable(label):
            yield

    def state(self) -> SessionState:
        """A consistent view of the recordable state (mask views are copy-on-write)."""
        return self._record.state()

    def load_state(self, st: SessionState) -> None:
        """Install a recorded state (resume). SAM2's memory is the caller's to rebuild; every
        captured feature and cached candidate becomes stale."""
        self._record.load(st)

    # ---- listeners (journal, widget) -----------------------------------------------------
    @property
    def events(self) -> list[dict]:
        """The user's actions, oldest first (what the timeline and the journal read)."""
        return self._log.entries

    def add_listener(self, fn: Callable[[str, dict], None]) -> None:
        """``fn(kind, payload)`` is called after every completed action."""
        self._log.add_listener(fn)

    def remove_listener(self, fn: Callable[[str, dict], None]) -> None:
        self._log.remove_listener(fn)

    # ---- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        """Release SAM2 state, captures and experts (the predictor stays usable)."""
        with self._lock:
            if self._closed:
                return
            self._runs.abandon()  # a suspended propagate() generator ends
            if self.journal is not None:
                self.journal.close()
            self.tracker.close()
            self.lit.close()
            self.history.clear()
            self._closed = True

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Session({self.video_name!r}, {self.num_frames} frames {self.width}×{self.height}, "
            f"{len(self._objects)} objects, model={self.info.name!r}, lit={self.lit.enabled})"
        )

    # ---- helpers -------------------------------------------------------------------------
    def _check_obj(self, obj_id: Any) -> int:
        return self._objects.check(obj_id)

    def _check_prompted(self, obj_id: Any) -> int:
        obj_id = self._check_obj(obj_id)
        if not self.tracker.has_object(obj_id):
            raise InputError(
                f"object {obj_id} has no prompt yet; start it with add_points / "
                "add_box / add_mask, then correct later frames"
            )
        return obj_id
