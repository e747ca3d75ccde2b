"""The threads behind the widget: one worker that runs every SAM2 action in order, and a frame
server that encodes JPEGs on its own thread so scrubbing never waits behind propagation.

Widget messages arrive on the kernel's main thread, which stays free for Stop and seeks.
ipykernel >= 7 routes output by a per-thread parent header: the threads adopt the header of
the request that started them (``adopt_parent``).
"""

from __future__ import annotations

import logging
import math
import queue
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from .wire import encode_jpeg

log = logging.getLogger(__name__)


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

    def __init__(
        self, on_error: Callable[[str, BaseException], None], name: str = "litlora-worker"
    ):
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

    def __init__(
        self,
        get_frame: Callable[[int], np.ndarray],
        send: Callable[[dict, list[bytes]], None],
        cache: int = 64,
        quality: int = 85,
    ):
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
