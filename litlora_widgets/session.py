"""The user's verbs on one video: objects, prompts, propagation, corrections, candidates.

Data path: video (``video.py``) → engine (``engine/tracker.py``: SAM2 + decoder capture;
``engine/experts.py``: LoRA experts) → this session → widget / evaluation. The session is
the source of truth; the widget only sends it events.

Rules it keeps: one path for everything the user asserts about a frame
(a correction or an accepted candidate, empty or not, enters SAM2's memory the same way,
after SAM2 tracked the frame); LIT-LoRA trains *at the moment of a correction*, on the
decoder inputs of that frame under the current memory; every user action is one undo step
(``History.undoable``) and a failed one leaves no trace.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import checks as C
from .annotations import USER_KINDS, Annotations
from .build_sam import ModelInfo, default_lit_config, model_info
from .engine.tracker import Tracker, frame_order
from .errors import Cancelled, InputError, TrainingError
from .history import History
from .masks import read_masks, validate_mask
from .state import (
    Candidate,
    CorrectionResult,
    FrameState,
    ObjectInfo,
    SessionState,
    object_color,
)
from .video import VideoSource

__all__ = ["Candidate", "CorrectionResult", "FrameState", "ObjectInfo", "Session", "SessionState"]

DIRECTIONS = ("forward", "backward", "both")
CORRECTION_FIELDS = {f.name for f in dataclasses.fields(CorrectionResult)}


@dataclass
class _Snapshot:
    state: SessionState
    tracker: Any
    bank_snaps: dict


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
        images = self.video.sam2_frames(self.info.image_size)
        self.tracker = Tracker(predictor, self.info, images, self.height, self.width, capture_cache)
        self.history = History(self._snapshot, self._restore, undo_depth)
        self._objects: dict[int, ObjectInfo] = {}
        self._next_obj_id = 1
        self.annotations = Annotations(self.num_frames, self.height, self.width)
        self._banks: dict[int, Any] = {}
        self._candidates: dict[tuple[int, int], list[Candidate]] = {}
        self._pending: tuple[Any, str, dict] | None = None  # a propagation not yet finalised
        self._propagation = 0  # bumped to end a suspended propagate() generator
        self.events: list[dict] = []
        self.training_log: list[dict] = []
        self._listeners: list[Callable[[str, dict], None]] = []
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
        return dict(self._objects)

    def add_object(self, name: str | None = None, obj_id: int | None = None) -> int:
        """Add an object (any time, also after propagation). Returns its id."""
        with self._lock:
            obj_id = (
                self._next_obj_id if obj_id is None else C.check_new_obj_id(obj_id, self._objects)
            )
            name = C.check_name(name if name is not None else f"object {obj_id}")
            with self._action(f"add object {obj_id}"):
                self._new_object(obj_id, name)
            self._record("add_object", obj_id=obj_id, name=name)
            return obj_id

    def _new_object(self, obj_id: int, name: str) -> None:
        self._objects[obj_id] = ObjectInfo(obj_id, name, object_color(obj_id))
        self._next_obj_id = max(self._next_obj_id, obj_id + 1)

    def rename_object(self, obj_id: int, name: str) -> None:
        with self._lock:
            obj_id, name = self._check_obj(obj_id), C.check_name(name)
            with self._action(f"rename object {obj_id}"):
                self._objects[obj_id] = ObjectInfo(obj_id, name, self._objects[obj_id].color)
            self._record("rename_object", obj_id=obj_id, name=name)

    def remove_object(self, obj_id: int) -> None:
        """Remove an object with its masks, prompts, experts and candidates (undoable)."""
        with self._lock:
            obj_id = self._check_obj(obj_id)
            with self._action(f"remove object {obj_id}"):
                self.tracker.remove_object(obj_id)
                del self._objects[obj_id]
                self.annotations.drop_object(obj_id)
                self._banks = {k: v for k, v in self._banks.items() if k != obj_id}
                self._drop_candidates(obj_id)
            self._record("remove_object", obj_id=obj_id)

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
            out = self._apply(frame, obj_id, prompt)
        self._record(kind, frame=frame, obj_id=obj_id, mask=out, **record)
        return out

    def _apply(self, frame: int, obj_id: int, prompt: dict) -> np.ndarray:
        """Prompt SAM2 and store the result as the user's mask. Caller holds the lock."""
        out = self.tracker.prompt(frame, obj_id, **prompt)
        self.annotations.set(frame, obj_id, out, user=True)
        self._drop_candidates(obj_id)
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
        return self._propagate(start, direction, max_frames, progress)

    def _propagate(self, start, direction, max_frames, progress):
        from tqdm.auto import tqdm

        orders = frame_order(start, direction, max_frames, self.num_frames)
        bar = tqdm(
            total=sum(len(o) for _, o in orders),
            desc="propagate",
            unit="frame",
            disable=not progress,
            leave=False,
        )
        with self._lock:
            self._finish_propagation()
            self._cancel.clear()
            self._propagation += 1
            token = self._propagation
            args = {"start": start, "direction": direction, "frames": 0, "ranges": []}
            self._pending = (self._snapshot(), f"propagation from frame {start}", args)
        try:
            for reverse, order in orders:
                for t in order:
                    with self._lock:
                        if self._cancel.is_set() or token != self._propagation:
                            return
                        if args["frames"] == 0:
                            self.tracker.preflight()
                        if not args["ranges"] or args["ranges"][-1][2] != reverse:
                            args["ranges"].append([t, t, reverse])
                        args["ranges"][-1][1] = t
                        masks = {
                            o: self._track_stored(t, o, reverse)
                            for o in self.tracker.objects
                            if o in self._objects
                        }
                        args["frames"] += 1
                    bar.update(1)
                    yield t, masks
        finally:
            bar.close()
            with self._lock:
                if token == self._propagation:
                    self._finish_propagation()

    def _track_stored(self, frame: int, obj_id: int, reverse: bool) -> np.ndarray:
        _, mask = self.tracker.track(frame, obj_id, reverse, store=True)
        if mask is None:  # a prompted frame keeps the prompt's result
            mask = self.annotations.masks.get(frame, obj_id)
            if mask is None:
                return np.zeros((self.height, self.width), bool)
            return mask
        self.annotations.set(frame, obj_id, mask)
        self._drop_candidates(obj_id)
        return mask

    def _finish_propagation(self) -> None:
        """Make a running or suspended propagation its own undo step (and end it)."""
        if self._pending is None:
            return
        snap, label, args = self._pending
        self._pending = None
        self._propagation += 1
        if args["frames"]:
            self.history.push(label, snap)
            self._record("propagate", **args)

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
                self._banks[obj_id] = self.new_bank()
            return self._banks[obj_id]

    def new_bank(self):
        """An empty expert bank for this session's model and LIT settings (not attached)."""
        from .engine.experts import ExpertBank

        return ExpertBank(
            self.predictor.sam_mask_decoder, self.predictor.sam_prompt_encoder, self.lit_config
        )

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
        if (mask is None) == (points is None):
            raise InputError("correct() needs either mask= or points= (with labels=), not both")
        with self._lock:
            obj_id = self._check_prompted(obj_id)
            if mask is not None:
                prompt, rec = (
                    {"mask": validate_mask(mask, self.height, self.width, allow_empty=True)},
                    {},
                )
            else:
                pts, labs = C.check_points(points, labels, self.height, self.width)
                prompt = {"points": pts, "labels": labs}
                rec = {"points": pts.tolist(), "labels": labs.tolist()}
            with self._action(f"correction on frame {frame}"):
                self._cancel.clear()
                inputs, out = self._assert(frame, obj_id, prompt, capture=self._lit and train)
                result = CorrectionResult(
                    mask=out, trained=False, random_weights=self.info.random_weights
                )
                if inputs is not None:
                    self._train(obj_id, inputs, out, result, progress)
            self._record(
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

    def _assert(self, frame: int, obj_id: int, prompt: dict, capture: bool):
        """The one path for what the user asserts about a frame (correction or accept):
        SAM2 tracks it first if it never did (so it is a correction, not a new keyframe),
        the decoder inputs under the current memory are taken, then the prompt enters
        memory — an empty mask too, as "absent"."""
        tracked = self.tracker.ensure_tracked(frame, obj_id)
        if tracked is not None:
            self.annotations.set(frame, obj_id, tracked)
        inputs = self.tracker.fresh_capture(frame, obj_id)[0] if capture else None
        return inputs, self._apply(frame, obj_id, prompt)

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
        log = {"frame": inputs.frame, "obj_id": obj_id, **dataclasses.asdict(tr)}
        self.training_log.append(log)
        for name in CORRECTION_FIELDS & set(log):
            setattr(result, name, log[name])
        result.trained = True

    def candidates(self, frame: int, obj_id: int) -> list[Candidate]:
        """Plain SAM2's mask (index 0) and every LoRA expert's, on ``frame``.

        Uses the decoder inputs of this frame under the current memory (tracking it when
        needed, without changing the memory). Changes nothing in the session.
        """
        frame = C.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_prompted(obj_id)
            inputs, plain = self.tracker.fresh_capture(frame, obj_id)
            stored = self.annotations.masks.get(frame, obj_id)
            cands = [
                Candidate(
                    stored if stored is not None else plain,
                    inputs.sam_iou,
                    inputs.sam_obj_score,
                    None,
                )
            ]
            bank = self._banks.get(obj_id)
            if bank is not None and bank.num_experts:
                with self.info.autocast():
                    cands += [
                        Candidate(p.mask(self.height, self.width), p.iou, p.obj_score, p.expert)
                        for p in bank.predict_all(inputs)
                    ]
            self._candidates[(frame, obj_id)] = cands
            return cands

    def accept(self, frame: int, obj_id: int, index: int) -> np.ndarray:
        """Accept candidate ``index`` of :meth:`candidates`: it enters SAM2's memory exactly
        like a correction (an empty one as "absent"; propagation continues from it) and the
        expert's replay buffer."""
        frame = C.check_frame(frame, self.num_frames)
        with self._lock:
            obj_id = self._check_prompted(obj_id)
            cands = self._candidates.get((frame, obj_id)) or self.candidates(frame, obj_id)
            if (
                isinstance(index, bool)
                or not isinstance(index, (int, np.integer))
                or not (0 <= index < len(cands))
            ):
                raise InputError(
                    f"candidate index {index!r} is out of range; frame {frame} has candidates "
                    f"0..{len(cands) - 1} (0 = plain SAM2)"
                )
            chosen = cands[int(index)]
            with self._action(f"accept on frame {frame}"):
                inputs, out = self._assert(
                    frame, obj_id, {"mask": chosen.mask}, capture=chosen.expert is not None
                )
                if inputs is not None:
                    self._banks[obj_id].add_replay(chosen.expert, inputs, out)
            self._record(
                "accept",
                frame=frame,
                obj_id=obj_id,
                index=int(index),
                expert=chosen.expert,
                mask=out,
            )
            return out

    # ---- adapters ------------------------------------------------------------------------
    def save_adapters(self, path: str | Path, obj_id: int | None = None) -> Path:
        """Save an object's LoRA experts (safetensors + JSON metadata)."""
        with self._lock:
            obj_id = self._adapter_obj(obj_id, need_experts=True)
            self._banks[obj_id].save(
                Path(path),
                extra_metadata={
                    "video": self.video_name,
                    "object": self._objects[obj_id].name,
                    "model": self.info.name,
                    "random_weights": self.info.random_weights,
                },
            )
            return Path(path)

    def load_adapters(
        self, path: str | Path, strength: float = 1.0, obj_id: int | None = None
    ) -> int:
        """Load experts saved by :meth:`save_adapters` into an object (e.g. on a new video).

        On any problem the session goes on without them: AdapterError says why."""
        with self._lock:
            obj_id = self._adapter_obj(obj_id, need_experts=False)
            with self._action(f"load adapters into object {obj_id}"):
                n = self.experts(obj_id).load(path, strength=strength)
            self._record("load_adapters", obj_id=obj_id, path=str(path), strength=strength)
            return n

    def _adapter_obj(self, obj_id: int | None, need_experts: bool) -> int:
        trained = {o for o, b in self._banks.items() if b.num_experts}
        return C.pick_object(obj_id, self._objects, trained if need_experts else None)

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
                        self._new_object(o, f"object {o}")
                        created.append(o)
                    if m.any():
                        self._apply(f, o, {"mask": m})
                        count += 1
        self._record("import_masks", count=count, created=created)
        return count

    # ---- undo / redo ---------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        with self._lock:
            return (
                self._pending is not None
                and self._pending[2]["frames"] > 0
                or bool(self.history.undo_labels)
            )

    @property
    def can_redo(self) -> bool:
        return bool(self.history.redo_labels)

    def undo(self) -> bool:
        """Undo the last prompt, correction, accept, propagation or object change."""
        with self._lock:
            self._finish_propagation()
            label = self.history.undo()
            if label is not None:
                self._record("undo", label=label)
            return label is not None

    def redo(self) -> bool:
        with self._lock:
            self._finish_propagation()
            label = self.history.redo()
            if label is not None:
                self._record("redo", label=label)
            return label is not None

    @contextlib.contextmanager
    def _action(self, label: str):
        """One user action: it ends a suspended propagation first, then is one undo step."""
        self._finish_propagation()
        with self.history.undoable(label):
            yield

    def state(self) -> SessionState:
        """A consistent view of the recordable state (mask views are copy-on-write)."""
        with self._lock:
            return SessionState(
                dict(self._objects),
                self._next_obj_id,
                self._lit,
                self.annotations.masks.snapshot(),
                self.annotations.user.snapshot(),
                list(self.events),
                list(self.training_log),
                dict(self._banks),
            )

    def load_state(self, st: SessionState) -> None:
        """Install a recorded state (resume). SAM2's memory is the caller's to rebuild; every
        captured feature and cached candidate becomes stale."""
        with self._lock:
            self._objects = dict(st.objects)
            self._next_obj_id, self._lit = st.next_obj_id, st.lit
            self.annotations.masks.restore(st.masks)
            self.annotations.user.restore(st.user_masks)
            self.events, self.training_log = list(st.events), list(st.training_log)
            self._banks = dict(st.banks)
            self._candidates.clear()

    def _snapshot(self) -> _Snapshot:
        st = self.state()
        return _Snapshot(
            st, self.tracker.snapshot(), {o: b.snapshot() for o, b in st.banks.items()}
        )

    def _restore(self, snap: _Snapshot) -> None:
        for o, bank in snap.state.banks.items():
            bank.restore(snap.bank_snaps[o])
        self.load_state(dataclasses.replace(snap.state, lit=self._lit))  # a mode, not a step
        self.tracker.restore(snap.tracker)

    # ---- listeners (journal, widget) -----------------------------------------------------
    def add_listener(self, fn: Callable[[str, dict], None]) -> None:
        """``fn(kind, payload)`` is called after every completed action."""
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[str, dict], None]) -> None:
        self._listeners = [f for f in self._listeners if f is not fn]

    def _record(self, kind: str, **payload) -> None:
        if kind in USER_KINDS:
            self.events.append(
                {
                    "kind": kind,
                    "time": time.time(),
                    **{k: v for k, v in payload.items() if not isinstance(v, np.ndarray)},
                }
            )
        for fn in list(self._listeners):
            fn(kind, payload)

    # ---- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        """Release SAM2 state, captures and experts (the predictor stays usable)."""
        with self._lock:
            if self._closed:
                return
            self._propagation += 1  # a suspended propagate() generator ends
            self._pending = None
            if self.journal is not None:
                self.journal.close()
            self.tracker.close()
            self._banks.clear()
            self.history.clear()
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
        return C.check_obj(obj_id, self._objects)

    def _check_prompted(self, obj_id: Any) -> int:
        obj_id = self._check_obj(obj_id)
        if not self.tracker.has_object(obj_id):
            raise InputError(
                f"object {obj_id} has no prompt yet; start it with add_points / "
                "add_box / add_mask, then correct later frames"
            )
        return obj_id

    def _drop_candidates(self, obj_id: int) -> None:
        self._candidates = {k: v for k, v in self._candidates.items() if k[1] != obj_id}
