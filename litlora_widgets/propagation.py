"""``Session.propagate()``'s generator: exactly one undo step, however it ends.

Why a class of its own: a propagation is a generator the caller may suspend for as long as
it likes, so its undo step cannot be a ``with`` block. It stays *pending* — frames tracked,
step not yet pushed — until it finishes, is cancelled, or any other action ends it first
(``finish``), so one undo never wipes a later correction together with propagated frames.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np

Step = Callable[[int, bool], dict[int, np.ndarray]]


class Propagations:
    """At most one running or suspended propagation, and the undo step it will become."""

    def __init__(
        self,
        lock: threading.RLock,
        cancel: threading.Event,
        snapshot: Callable[[], object],
        push: Callable[[str, object], None],
        record: Callable[..., None],
    ):
        self._lock, self._cancel = lock, cancel
        self._snapshot, self._push, self._record = snapshot, push, record
        self._pending: tuple[object, str, dict] | None = None
        self._token = 0  # bumped to end a suspended generator

    @property
    def pending_frames(self) -> int:
        """Frames the unfinished propagation has tracked (0 when none is pending)."""
        return self._pending[2]["frames"] if self._pending is not None else 0

    def run(
        self,
        start: int,
        direction: str,
        orders: list[tuple[bool, list[int]]],
        step: Step,
        preflight: Callable[[], None],
        progress: bool,
    ) -> Iterator[tuple[int, dict[int, np.ndarray]]]:
        """Track frame after frame (``step(frame, reverse)`` -> masks), yielding each."""
        from tqdm.auto import tqdm

        bar = tqdm(
            total=sum(len(o) for _, o in orders),
            desc="propagate",
            unit="frame",
            disable=not progress,
            leave=False,
        )
        with self._lock:
            self.finish()
            self._cancel.clear()
            self._token += 1
            token = self._token
            args = {"start": start, "direction": direction, "frames": 0, "ranges": []}
            self._pending = (self._snapshot(), f"propagation from frame {start}", args)
        try:
            for reverse, order in orders:
                for t in order:
                    with self._lock:
                        if self._cancel.is_set() or token != self._token:
                            return
                        if args["frames"] == 0:
                            preflight()
                        if not args["ranges"] or args["ranges"][-1][2] != reverse:
                            args["ranges"].append([t, t, reverse])
                        args["ranges"][-1][1] = t
                        masks = step(t, reverse)
                        args["frames"] += 1
                    bar.update(1)
                    yield t, masks
        finally:
            bar.close()
            with self._lock:
                if token == self._token:
                    self.finish()

    def finish(self) -> None:
        """End a running or suspended propagation as its own undo step (none if it tracked
        no frame). Caller holds the lock."""
        if self._pending is None:
            return
        snap, label, args = self._pending
        self._pending = None
        self._token += 1
        if args["frames"]:
            self._push(label, snap)
            self._record("propagate", **args)

    def abandon(self) -> None:
        """End a suspended generator without an undo step (the session is closing)."""
        self._token += 1
        self._pending = None
