"""Internals of :class:`~litlora_widgets.widget.LitLoraApp`: encoders, the serial worker, the
frame server and the event dispatcher that drives a :class:`~litlora_widgets.session.Session`.

Threads: widget messages arrive on the kernel's main thread. Anything that touches SAM2 runs
in ONE worker thread (so events apply in the order the user made them, and the kernel stays
free to receive Stop and seeks); JPEG frames are served by a second thread so that scrubbing
never waits behind propagation. Every trait update goes through ``Controller.publish_lock``.
"""

from __future__ import annotations

import io
import logging
import math
import queue
import sys
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .session import Session
    from .widget import LitLoraApp

log = logging.getLogger(__name__)

PROMPT_KINDS = ("add_points", "add_box", "add_mask")
MARK_KINDS = {"correction": "correction", "accept": "accept", **{k: "prompt" for k in PROMPT_KINDS}}


# ---- encoders ------------------------------------------------------------------------------
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


# ---- derived state -------------------------------------------------------------------------
def prompts_on_frame(events: list[dict], frame: int, objects) -> list[dict]:
    """Clicks and boxes still in force on ``frame``, from the session's event log (which undo
    restores): a box or mask prompt replaces the earlier clicks of that object on the frame."""
    per_obj: dict[int, list[dict]] = {}
    for ev in events:
        if ev.get("frame") != frame or ev.get("obj_id") not in objects:
            continue
        obj, kind = ev["obj_id"], ev["kind"]
        if kind in ("add_box", "add_mask", "accept"):
            per_obj[obj] = []
        if kind == "add_box":
            per_obj[obj].append({"obj": obj, "kind": "box", "box": list(map(float, ev["box"]))})
        elif kind in ("add_points", "correction") and ev.get("points"):
            per_obj.setdefault(obj, []).extend(
                {"obj": obj, "kind": "point", "x": float(x), "y": float(y), "label": int(lab)}
                for (x, y), lab in zip(ev["points"], ev["labels"], strict=False)
            )
    return [p for ps in per_obj.values() for p in ps]


def user_frames(events: list[dict], obj_id: int) -> set[int]:
    """Frames where the user prompted the object directly (not corrections)."""
    return {e["frame"] for e in events if e["kind"] in PROMPT_KINDS and e.get("obj_id") == obj_id}


def curves_of(session: Session, live: dict | None = None) -> dict:
    """The ``curves`` trait: per-frame IoU per object, training runs, timeline marks."""
    iou = []
    for obj_id in session.objects:
        pts = [[int(f), finite(v)] for f, v in sorted(session.reference_iou(obj_id).items())]
        iou.append({"obj": obj_id, "points": [p for p in pts if p[1] is not None]})
    training = [
        {
            "expert": r.get("expert"), "new_expert": bool(r.get("new_expert")),
            "frame": r.get("frame"), "obj": r.get("obj_id"),
            "losses": [finite(v) for v in r.get("losses", [])],
            "ious": [finite(v) for v in r.get("ious", [])],
            "train_iou": finite(r.get("train_iou", float("nan"))),
            "seconds": finite(r.get("train_seconds", float("nan"))),
        }
        for r in session.training_log
    ]  # fmt: skip
    marks = [
        {"kind": MARK_KINDS[e["kind"]], "frame": e["frame"], "obj": e.get("obj_id")}
        for e in session.events
        if e["kind"] in MARK_KINDS and "frame" in e
    ]
    return {"iou": iou, "training": training, "live": live, "marks": marks}


# ---- threads -------------------------------------------------------------------------------
def kernel_parent() -> dict | None:
    """The parent header of the request being handled (ipykernel), or None outside a kernel."""
    try:
        from ipykernel.kernelbase import Kernel

        if Kernel.initialized():
            return Kernel.instance().get_parent()
    except Exception:  # pragma: no cover - no kernel / other kernel
        pass
    return None


def adopt_parent(parent: dict | None) -> None:
    """Route this thread's print/display output to the cell that caused it (ipykernel >= 7
    attributes thread output by a per-thread parent header)."""
    if not parent:
        return
    for stream in (sys.stdout, sys.stderr):
        setter = getattr(stream, "set_thread_parent", None)
        if setter is not None:
            setter(parent)


class Worker:
    """One daemon thread running tasks in submission order; errors go to ``on_error``."""

    def __init__(self, on_error: Callable[[str, BaseException], None],
                 name: str = "litlora-worker"):  # fmt: skip
        self._q: queue.Queue = queue.Queue()
        self._on_error = on_error
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._closed = False
        self.running: str | None = None
        self._thread.start()

    def submit(self, label: str, fn: Callable[[], Any]) -> None:
        if not self._closed:
            self._q.put((label, fn, kernel_parent()))

    def drop_pending(self, keep: Callable[[str], bool] = lambda label: False) -> int:
        """Remove queued (not running) tasks, except those ``keep(label)`` accepts."""
        kept, dropped = [], 0
        while True:
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                break
            if item is None or keep(item[0]):
                kept.append(item)
            else:
                dropped += 1
            self._q.task_done()
        for item in kept:
            self._q.put(item)
        return dropped

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every submitted task ran, including tasks those tasks submitted (tests,
        benchmarks); True if it did. Never call it from the worker itself."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._q.unfinished_tasks:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self) -> None:
        self._closed = True
        self._q.put(None)

    @property
    def is_current(self) -> bool:
        return threading.current_thread() is self._thread

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            label, fn, parent = item
            adopt_parent(parent)
            self.running = label
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - shown in the widget, never lost
                try:
                    self._on_error(label, exc)
                except Exception:  # pragma: no cover
                    log.exception("litlora: error handler failed")
            finally:
                self.running = None
                self._q.task_done()


class FrameServer:
    """Encodes requested frames as JPEG on its own thread (newest request first) and sends each
    as a custom message with the bytes in a binary buffer."""

    def __init__(self, get_frame: Callable[[int], np.ndarray],
                 send: Callable[[dict, list[bytes]], None],
                 cache: int = 64, quality: int = 85):  # fmt: skip
        self._get_frame = get_frame
        self._send = send
        self._quality = quality
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._cache_size = cache
        self._want: list[int] = []
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="litlora-frames", daemon=True)
        self._thread.start()

    def request(self, frames: list[int]) -> None:
        with self._cv:
            new = [int(f) for f in frames]
            self._want = new + [f for f in self._want if f not in new][:16]
            self._cv.notify()

    def jpeg(self, i: int) -> bytes:
        hit = self._cache.get(i)
        if hit is not None:
            self._cache.move_to_end(i)
            return hit
        data = encode_jpeg(self._get_frame(i), self._quality)
        self._cache[i] = data
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return data

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify()

    def _run(self) -> None:
        parent_set = False
        while True:
            with self._cv:
                while not self._want and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                i = self._want.pop(0)
            if not parent_set:
                adopt_parent(kernel_parent())
                parent_set = True
            try:
                self._send({"type": "frame", "frame": i}, [self.jpeg(i)])
            except Exception:  # a bad frame must not kill the server
                log.exception("litlora: cannot send frame %s", i)


class Throttle:
    """``ready()`` is True at most once per ``interval`` seconds."""

    def __init__(self, interval: float):
        self.interval = interval
        self._last = -math.inf

    def ready(self, now: float | None = None) -> bool:
        now = time.perf_counter() if now is None else now
        if now - self._last >= self.interval:
            self._last = now
            return True
        return False


def describe(exc: BaseException) -> str:
    """One readable line for the error banner; the traceback goes to ``error_detail``."""
    name = type(exc).__name__
    return f"{name}: {exc}" if str(exc) else name


def format_traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def export_paths(folder: Path, video_name: str) -> dict[str, Path]:
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in video_name) or "video"
    return {
        "coco": folder / f"{stem}_masks.json",
        "davis": folder / f"{stem}_davis",
        "adapters": folder / f"{stem}_adapters.safetensors",
    }


# ---- dispatcher ----------------------------------------------------------------------------
LONG_TASKS = ("propagate", "step")


class Controller:
    """Turns the front end's semantic events into Session calls (on the worker) and the
    session's state into traits. The session stays the source of truth: after each call the
    affected traits are re-read from it, never patched locally."""

    def __init__(self, app: LitLoraApp, session: Session):
        self.app = app
        self.s = session
        self.publish_lock = threading.RLock()
        self.cancel = threading.Event()
        self.worker = Worker(self._on_error)
        self.frames = FrameServer(session.frame, lambda msg, bufs: app.send(msg, bufs))
        self._following = False
        self._internal = threading.local()
        self.timings: dict[str, float] = {}  # last click: engine vs total seconds (benchmarks)

    # ---- entry points (kernel main thread) ---------------------------------------------
    def handle(self, content: dict, buffers: list | None = None) -> None:
        try:
            kind = content.get("type")
            if kind == "frames":
                self.frames.request(content.get("frames", []))
            elif kind == "stop":
                self.stop()
            elif kind == "seek":
                self.app.frame = int(content["frame"])
            elif kind == "clear_error":
                self.app.error = ""
            elif kind in HANDLERS:
                self.worker.submit(kind, lambda: self._run(kind, content))
            else:
                raise ValueError(f"unknown widget event {kind!r}")
        except Exception as exc:  # noqa: BLE001
            self._on_error(str(content.get("type")), exc)

    def _run(self, kind: str, content: dict) -> None:
        if self.app.error:  # a new action dismisses the last error (its detail stays)
            self.set_traits(error="")
        HANDLERS[kind](self, content)

    def stop(self) -> None:
        """Cancel the running task at its next frame/epoch and drop queued long tasks."""
        self.cancel.set()
        self.s.cancel()
        self.worker.drop_pending(keep=lambda label: label not in LONG_TASKS)
        self.set_traits(status="stopping…" if self.worker.running else "stopped")

    def on_frame_change(self, frame: int) -> None:
        """The user (or Python code) moved the playhead: show that frame's masks/prompts."""
        if getattr(self._internal, "setting", False):
            return
        self._following = False
        try:
            self.show_frame(frame)
        except Exception as exc:  # noqa: BLE001
            self._on_error("seek", exc)

    def close(self) -> None:
        self.cancel.set()
        self.s.cancel()
        self.worker.close()
        self.frames.close()

    # ---- trait publishing (any thread) ---------------------------------------------------
    def set_traits(self, **values) -> None:
        with self.publish_lock, self.app.hold_sync():
            for k, v in values.items():
                setattr(self.app, k, v)

    def frame_state(self, frame: int) -> dict:
        s = self.s
        return {
            "mask_bytes": encode_masks(s.masks(frame), s.height, s.width),
            "mask_frame": frame,
            "prompts": prompts_on_frame(s.events, frame, s.objects),
            "prompts_frame": frame,
        }

    def show_frame(self, frame: int, *, move: bool = False, **extra) -> None:
        state = self.frame_state(frame)
        with self.publish_lock:
            if move and self.app.frame != frame:
                self._internal.setting = True
                try:
                    state["frame"] = frame
                    self.set_traits(**state, **extra)
                finally:
                    self._internal.setting = False
            else:
                self.set_traits(**state, **extra)

    def refresh(self, *, curves: bool = True, epoch: bool = True, **extra) -> None:
        """Re-read everything a mutation can change and publish it in one message."""
        s = self.s
        objects = [
            {"id": o.obj_id, "name": o.name, "color": [int(c) for c in o.color]}
            for o in s.objects.values()
        ]
        values: dict[str, Any] = {"objects": objects, "can_undo": s.can_undo,
                                  "can_redo": s.can_redo, **extra}  # fmt: skip
        ids = [o["id"] for o in objects]
        if self.app.selected not in ids:
            values["selected"] = ids[-1] if ids else 0
        if curves:
            values["curves"] = curves_of(s)
        if epoch:
            values["mask_epoch"] = self.app.mask_epoch + 1
        self.show_frame(self.app.frame, **values)

    def _on_error(self, label: str, exc: BaseException) -> None:
        log.error("litlora widget: %s failed", label, exc_info=exc)
        self.set_traits(error=f"{label}: {describe(exc)}", error_detail=format_traceback(exc),
                        busy="", progress={}, training={})  # fmt: skip

    # ---- helpers (worker thread) ---------------------------------------------------------
    def target_object(self, content: dict, create: bool = True) -> int:
        obj = content.get("obj") or self.app.selected
        if obj and obj in self.s.objects:
            return int(obj)
        if not create:
            raise ValueError("select an object first (click on the video to start one)")
        obj = self.s.add_object()
        self.set_traits(selected=obj)
        return obj

    def busy(self, label: str, **extra) -> None:
        self.set_traits(busy=label, error="", **extra)

    def idle(self, status: str, **extra) -> None:
        self.refresh(busy="", progress={}, training={}, status=status, **extra)

    def train_progress(self, expert_hint: Any) -> Callable[[int, float, float], None]:
        losses: list[float | None] = []
        ious: list[float | None] = []
        throttle = Throttle(0.2)

        def cb(epoch: int, loss: float, iou: float) -> None:
            losses.append(finite(loss))
            ious.append(finite(iou))
            if self.cancel.is_set():
                self.s.cancel()
            if throttle.ready():
                curves = dict(self.app.curves)
                curves["live"] = {"expert": expert_hint, "losses": list(losses), "ious": list(ious)}
                self.set_traits(curves=curves, training={
                    "active": True, "expert": expert_hint, "epoch": int(epoch),
                    "loss": finite(loss), "iou": finite(iou)})  # fmt: skip

        return cb


# ---- event handlers (worker thread) ----------------------------------------------------------
def _click(c: Controller, ev: dict) -> None:
    s = c.s
    frame = int(ev["frame"])
    obj = c.target_object(ev)
    pts, labels = [[float(ev["x"]), float(ev["y"])]], [int(ev.get("label", 1))]
    others = set(s.tracked_frames(obj)) - {frame}
    correcting = s.lit_enabled and others and frame not in user_frames(s.events, obj)
    t0 = time.perf_counter()
    if correcting:
        t_engine = _correct(c, frame, obj, "correction", points=pts, labels=labels)
    else:
        s.add_points(frame, obj, pts, labels)
        t_engine = time.perf_counter() - t0
        c.refresh(status=f"{'include' if labels[0] else 'exclude'} point on frame {frame + 1}",
                  candidates=[], curves=False)  # fmt: skip
        c.worker.submit("curves", lambda: c.set_traits(curves=curves_of(s)))
    c.timings = {"engine": t_engine, "total": time.perf_counter() - t0}


def _correct(c: Controller, frame: int, obj: int, what: str, **correction) -> float:
    """A training correction with the live training indicator; returns the engine's seconds."""
    c.cancel.clear()
    c.busy("training", training={"active": True, "expert": None, "epoch": 0})
    t0 = time.perf_counter()
    r = c.s.correct(frame, obj, progress=c.train_progress(None), **correction)
    t_engine = time.perf_counter() - t0
    status = (
        f"{what} on frame {frame + 1}: expert {r.expert} trained in "
        f"{r.train_seconds:.1f}s (IoU {r.train_iou:.2f})" if r.trained
        else f"{what} on frame {frame + 1} (not trained)"
    )  # fmt: skip
    c.idle(status)
    return t_engine


def _mask(c: Controller, ev: dict) -> None:
    """An imported mask: a correction (trains with LIT on) on a tracked frame, else a prompt."""
    s = c.s
    frame = int(ev["frame"])
    obj = c.target_object(ev)
    mask = ev["mask"]
    others = set(s.tracked_frames(obj)) - {frame}
    if s.lit_enabled and others:
        _correct(c, frame, obj, "imported mask", mask=mask)
    else:
        s.add_mask(frame, obj, mask)
        c.idle(f"imported mask on frame {frame + 1}")


def _box(c: Controller, ev: dict) -> None:
    frame = int(ev["frame"])
    obj = c.target_object(ev)
    c.s.add_box(frame, obj, [float(v) for v in ev["box"]])
    c.refresh(status=f"box on frame {frame + 1}", candidates=[])


def _propagate_start(c: Controller, frame: int) -> int | None:
    """Start from the playhead when it is on a tracked or prompted frame, else from the
    earliest prompt (the engine's default)."""
    s = c.s
    known = set().union(*(s.tracked_frames(o) for o in s.objects)) if s.objects else set()
    return frame if frame in known else None


def planned_frames(start: int, direction: str, max_frames: int | None, num_frames: int) -> int:
    """How many frames the engine's propagate() will yield (for the progress bar)."""
    n = num_frames if max_frames is None else max_frames
    fwd = min(start + n, num_frames - 1) - start + 1
    back_from = start if direction == "backward" else start - 1
    bwd = max(0, back_from - max(start - n, 0) + 1)
    return {"forward": fwd, "backward": bwd, "both": fwd + bwd}[direction]


def _propagate(c: Controller, ev: dict, max_frames: int | None = None) -> int | None:
    s = c.s
    direction = ev.get("direction", "forward")
    start = _propagate_start(c, c.app.frame)
    c.cancel.clear()
    prompted = [e["frame"] for e in s.events if e["kind"] in PROMPT_KINDS]
    eff = start if start is not None else min(prompted, default=0)
    total = planned_frames(eff, direction, max_frames, s.num_frames)
    label = "tracking" if max_frames is not None else f"propagating {direction}"
    c.busy(label, progress={"done": 0, "total": total, "label": "frames"}, candidates=[])
    c._following = True
    show, curves = Throttle(0.1), Throttle(0.75)
    done, last = 0, None
    gen = s.propagate(start_frame=start, direction=direction, max_frames=max_frames,
                      progress=False)  # fmt: skip
    try:
        for frame, _masks in gen:
            done, last = done + 1, frame
            if c.cancel.is_set():
                s.cancel()
            if show.ready():
                extra = {"progress": {"done": done, "total": max(total, done), "label": "frames"}}
                if curves.ready():
                    extra["curves"] = curves_of(s)
                c.show_frame(frame, move=c._following, **extra)
    finally:
        gen.close()
        c._following = False
    stopped = c.cancel.is_set()
    if last is not None and c.app.frame != last and (max_frames is not None or not stopped):
        c.show_frame(last, move=True)
    what = "stopped" if stopped else "done"
    c.idle(f"{label}: {what} after {done} frames")
    return last


def _step(c: Controller, ev: dict) -> None:
    last = _propagate(c, {"direction": "forward"}, max_frames=1)
    if last is not None and c.app.auto_candidates and c.s.lit_enabled:
        obj = c.app.selected
        if obj in c.s.objects and c.s.experts(obj).num_experts:
            _candidates(c, {"frame": last, "obj": obj})


def _candidates(c: Controller, ev: dict) -> None:
    s = c.s
    frame = int(ev.get("frame", c.app.frame))
    obj = c.target_object(ev, create=False)
    c.busy("candidates")
    cands = s.candidates(frame, obj)
    items = [
        {"index": i, "score": finite(k.score), "obj_score": finite(k.obj_score),
         "expert": k.expert, "rle": encode_label_map(k.mask.astype(np.uint8))}
        for i, k in enumerate(cands)
    ]  # fmt: skip
    c.set_traits(candidates=items, candidates_frame=frame, candidates_obj=obj, busy="",
                 status=f"{len(items)} candidates on frame {frame + 1}: keys 1–{len(items)}, "
                 "Esc rejects")  # fmt: skip


def _accept(c: Controller, ev: dict) -> None:
    frame, obj = c.app.candidates_frame, c.app.candidates_obj
    if not c.app.candidates or frame < 0:
        raise ValueError("no candidates to accept: press Candidates first")
    index = int(ev["index"])
    c.s.accept(frame, obj, index)
    c.idle(f"accepted candidate {index + 1} on frame {frame + 1}", candidates=[],
           candidates_frame=-1)  # fmt: skip


def _reject(c: Controller, ev: dict) -> None:
    c.set_traits(candidates=[], candidates_frame=-1, status="candidates rejected")


def _undo(c: Controller, ev: dict) -> None:
    ok = c.s.undo() if ev["type"] == "undo" else c.s.redo()
    c.refresh(status=f"{ev['type']}" if ok else f"nothing to {ev['type']}", candidates=[])


def _add_object(c: Controller, ev: dict) -> None:
    obj = c.s.add_object(ev.get("name") or None)
    c.refresh(selected=obj, status=f"added {c.s.objects[obj].name}: click to prompt it",
              curves=False, epoch=False)  # fmt: skip


def _rename(c: Controller, ev: dict) -> None:
    c.s.rename_object(int(ev["obj"]), str(ev["name"]))
    c.refresh(curves=False, epoch=False)


def _remove(c: Controller, ev: dict) -> None:
    obj = int(ev["obj"])
    name = c.s.objects[obj].name if obj in c.s.objects else obj
    c.s.remove_object(obj)
    c.refresh(status=f"removed {name}", candidates=[])


def _lit(c: Controller, ev: dict) -> None:
    c.s.lit_enabled = bool(ev["enabled"])
    c.set_traits(status=f"LIT-LoRA {'on' if c.s.lit_enabled else 'off'}")


def _export(c: Controller, ev: dict) -> None:
    s = c.s
    folder = Path(c.app.export_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    paths = export_paths(folder, s.video_name)
    fmt = ev.get("format")
    c.busy(f"export {fmt}")
    if fmt == "coco":
        msg = f"COCO JSON written to {s.export_coco(paths['coco'])}"
    elif fmt == "davis":
        msg = f"DAVIS PNGs written to {s.export_davis(paths['davis'])}/"
    elif fmt == "save_adapters":
        obj = c.app.selected if c.app.selected in s.objects else None
        msg = f"adapters saved to {s.save_adapters(paths['adapters'], obj_id=obj)}"
    elif fmt == "load_adapters":
        path = Path(ev.get("path") or paths["adapters"])
        obj = c.app.selected if c.app.selected in s.objects else None
        n = s.load_adapters(path, obj_id=obj)
        msg = f"loaded {n} experts from {path}"
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    c.idle(msg, curves=False, epoch=False, last_export=msg)


HANDLERS: dict[str, Callable[[Controller, dict], None]] = {
    "click": _click,
    "box": _box,
    "mask": _mask,
    "propagate": _propagate,
    "step": _step,
    "candidates": _candidates,
    "accept": _accept,
    "reject": _reject,
    "undo": _undo,
    "redo": _undo,
    "add_object": _add_object,
    "rename": _rename,
    "remove_object": _remove,
    "lit": _lit,
    "export": _export,
}
