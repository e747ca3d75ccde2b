"""The controller: turns front-end events into :class:`Session` calls on the worker and the
session's state into traits. The session stays the source of truth: after each call the
affected traits are re-read from it, never patched locally.

Busy rule (issue #12, item 4): navigation (seek, frames, Stop) is handled at once on the
kernel's main thread. Another event from the front end is refused with a notice while a long
task (training, propagation, candidates, ...) runs or waits, and an event made on a frame the
user has since left is dropped when its turn comes, so nothing is ever replayed on another
frame. Events from Python (``LitLoraApp.dispatch``) name their frame and queue as before.
"""

from __future__ import annotations

import logging
import math
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import InputError, LitLoraError
from . import events as E
from .state import ReviewQueues, curves_of, prompts_on_frame, timeline_of
from .wire import encode_masks, finite
from .worker import FrameServer, Throttle, Worker

if TYPE_CHECKING:  # pragma: no cover
    from ..session import Session
    from .app import LitLoraApp

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """One line in the user's words for the feedback line; the traceback goes to
    ``error_detail``. Our own input errors are already worded for the user."""
    msg = str(exc)
    if isinstance(exc, (LitLoraError, ValueError, KeyError)) and msg:
        return msg.strip("'\"")
    return f"unexpected error ({type(exc).__name__}): {msg}" if msg else type(exc).__name__


def format_traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


class Controller:
    """See the module docstring. One per widget; ``handle`` is its only entry for events."""

    def __init__(self, app: LitLoraApp, session: Session):
        self.app = app
        self.s = session
        self.publish_lock = threading.RLock()
        self.cancel = threading.Event()
        self.worker = Worker(self._on_error)
        self.frames = FrameServer(session.frame, lambda msg, bufs: app.send(msg, bufs))
        self.following = False  # the playhead follows a running propagation (until moved)
        self._internal = threading.local()
        self._long = 0  # long tasks queued or running (main thread increments)
        self._long_lock = threading.Lock()
        self._counted = False  # the worker's running task is in _long (worker thread only)
        self._notices = 0
        #: what the per-frame IoU compares against ("ground truth" when annotate() got one)
        self.iou_against = "your masks"
        self.review = ReviewQueues()  # each object's frames to review, on the timeline
        self.timings: dict[str, float] = {}  # last click: engine vs total seconds (benchmarks)

    # ---- entry point (kernel main thread) ----------------------------------------------
    def handle(
        self, content: dict | E.Event, buffers: list | None = None, *, from_ui: bool = False
    ) -> None:
        """Apply one event: navigation at once, anything else on the worker (or refused)."""
        try:
            ev = E.parse(content)
            if isinstance(ev, E.Frames):
                self.frames.request(list(ev.frames))
            elif isinstance(ev, E.Stop):
                self.stop()
            elif isinstance(ev, E.Seek) and from_ui:
                # the view states the frame it shows before an action (transport.js: its own
                # trait update may still wait in ipywidgets' queue). Taken as the view's state
                # (echoed, not sent back as a move that could pull a view that has moved on
                # since back to this frame)
                if ev.frame != self.app.frame:
                    self.app.set_state({"frame": ev.frame})
            elif isinstance(ev, E.Seek):
                self.app.frame = ev.frame
            elif isinstance(ev, E.ClearError):
                self.app.error = ""
            else:
                busy = self.busy_now()
                if from_ui and (reason := self.refusal(ev, busy)):
                    # restated by the view after the task when refused for being busy
                    self.notify(reason, refused=ev.what if busy else "")
                    return
                if ev.long:
                    with self._long_lock:
                        self._long += 1
                self.worker.submit(ev.type, lambda: self._run(ev, from_ui))
        except Exception as exc:  # noqa: BLE001
            label = content.type if isinstance(content, E.Event) else content.get("type")
            self._on_error(str(label), exc)

    def refusal(self, ev: E.Event, busy: str) -> str:
        """Why a front-end event cannot run now ("" when it can); ``busy``: ``busy_now()``."""
        if busy:
            return f"busy: {busy}, {ev.what} ignored (■ Stop cancels)"
        f = ev.on_frame
        if f is not None and f != self.app.frame:
            return f"{ev.what} on frame {f} ignored: frame {self.app.frame} is shown"
        return ""

    def busy_now(self) -> str:
        """What the kernel is busy with ("" when idle): a long task counts from its submission."""
        busy = self.app.busy or (self.worker.running if self._long else "")
        return busy or ("working" if self._long else "")

    def notify(self, text: str, refused: str = "") -> None:
        """A transient line next to the controls ("busy: training, click ignored").
        ``refused``: what was refused for being busy, which the view restates once the task
        has ended (a task of a second would end before its refusal could be read)."""
        self._notices += 1
        self.set_traits(notice={"text": text, "n": self._notices, "refused": refused})

    def _run(self, ev: E.Event, from_ui: bool) -> None:
        from .handlers import HANDLERS

        self._counted = ev.long
        try:
            f = ev.on_frame
            if from_ui and f is not None and f != self.app.frame:
                self.notify(f"{ev.what} made on frame {f} dropped: frame {self.app.frame} is shown")
                return
            if self.app.error:  # a new action dismisses the last error (its detail stays)
                self.set_traits(error="")
            HANDLERS[type(ev)](self, ev)
        finally:
            self._uncount()

    def _uncount(self) -> None:
        """The running task stops counting as busy: when it ends, or as it tells the view it
        is done (busy ""), whichever comes first. Later would refuse a press the view sent
        after that, rightly."""
        if self._counted:
            self._counted = False
            with self._long_lock:
                self._long -= 1

    def stop(self) -> None:
        """Cancel the running task at its next frame/epoch and drop queued long tasks."""
        self.cancel.set()
        self.s.cancel()
        dropped = self.worker.drop_pending(
            keep=lambda label: not E.EVENTS[label].long if label in E.EVENTS else True
        )
        with self._long_lock:  # long tasks that will never run no longer count as busy
            self._long = max(0, self._long - dropped)
        with self.publish_lock:
            # only while the task has not published its end yet: "stopping…" must never
            # overwrite "propagating forward: stopped after 12 frames" (a race seen under load)
            if self.app.busy:
                self.set_traits(status="stopping…")

    def on_frame_change(self, frame: int) -> None:
        """The user (or Python code) moved the playhead: show that frame's masks/prompts;
        candidates of another frame close (keys 1–N act only on what is shown)."""
        if getattr(self._internal, "setting", False):
            return
        self.following = False
        try:
            extra: dict[str, Any] = {}
            if self.app.candidates and self.app.candidates_frame != frame:
                extra = {"candidates": [], "candidates_frame": -1}
            self.show_frame(frame, **extra)
        except Exception as exc:  # noqa: BLE001
            self._on_error("seek", exc)

    def close(self) -> None:
        self.cancel.set()
        self.s.cancel()
        self.worker.close()
        self.frames.close()

    # ---- trait publishing (any thread) ---------------------------------------------------
    def set_traits(self, **values) -> None:
        """Publish in one message. ``busy`` is set last, so a Python observer that sees the
        task end (busy "") sees its outcome (status, masks) already in place."""
        if values.get("busy") == "" and self.worker.is_current:
            self._uncount()  # before the view hears it
        with self.publish_lock, self.app.hold_sync():
            for k in sorted(values, key=lambda k: k == "busy"):
                setattr(self.app, k, values[k])

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
        values: dict[str, Any] = {
            "objects": objects,
            "can_undo": s.can_undo,
            "can_redo": s.can_redo,
            **extra,
        }
        ids = [o["id"] for o in objects]
        if self.app.selected not in ids:
            values["selected"] = ids[-1] if ids else 0
        if curves:
            values["curves"] = self.curves()
            values["timeline"] = self.timeline()
        if epoch:
            values["mask_epoch"] = self.app.mask_epoch + 1
        self.show_frame(self.app.frame, **values)

    def timeline(self, review: bool = True) -> dict:
        """The ``timeline`` trait; ``review=False`` leaves the review queues out (they read
        every mask: not while a propagation streams)."""
        return timeline_of(self.s, self.review if review else None)

    def curves(self) -> dict:
        against = self.iou_against
        if getattr(self.s, "reference", None):  # ground truth set on the session, any way
            against = "ground truth"
        return curves_of(self.s, against=against)

    def _on_error(self, label: str, exc: BaseException) -> None:
        log.error("litlora widget: %s failed", label, exc_info=exc)
        what = E.EVENTS[label].what if label in E.EVENTS and E.EVENTS[label].what else label
        self.set_traits(
            error=f"{what}: {describe(exc)}",
            error_detail=format_traceback(exc),
            busy="",
            progress={},
            training={},
        )

    # ---- helpers (worker thread) ---------------------------------------------------------
    def target_object(self, obj_id: int | None, create: bool = True) -> int:
        obj = obj_id or self.app.selected
        if obj and obj in self.s.objects:
            return int(obj)
        if not create:
            raise InputError("select an object first (click on the video to start one)")
        obj = self.s.add_object()
        self.set_traits(selected=obj)
        return obj

    def busy(self, label: str, **extra) -> None:
        self.set_traits(busy=label, error="", **extra)

    def idle(self, status: str, **extra) -> None:
        self.refresh(busy="", progress={}, training={}, status=status, **extra)

    def train_progress(self, max_epochs: int) -> Callable[[int, float, float], None]:
        """The training callback: live curve, ``epoch of ≤ max`` with time left, and the
        cancel flag checked every epoch."""
        import time

        losses: list[float | None] = []
        ious: list[float | None] = []
        throttle = Throttle(0.2)
        first: tuple[float, int] | None = None  # (time, epoch) of the first report

        def cb(epoch: int, loss: float, iou: float) -> None:
            nonlocal first
            losses.append(finite(loss))
            ious.append(finite(iou))
            if self.cancel.is_set():
                self.s.cancel()
            now = time.perf_counter()
            first = first or (now, epoch)
            if throttle.ready(now):
                # the pace since the first epoch: that one also pays for the setup, which
                # made the first estimate ~50x too long ("≤ 94 s left" for 1.6 s)
                t1, e1 = first
                per = (now - t1) / (epoch - e1) if epoch > e1 else math.nan
                total = max(max_epochs, epoch)
                curves = dict(self.app.curves)
                curves["live"] = {"losses": list(losses), "ious": list(ious)}
                self.set_traits(
                    curves=curves,
                    progress={"done": int(epoch), "total": total, "label": "epochs"},
                    training={
                        "active": True,
                        "epoch": int(epoch),
                        "max_epochs": total,
                        "seconds_left": finite(per * (total - epoch)),
                        "loss": finite(loss),
                        "iou": finite(iou),
                    },
                )

        return cb
