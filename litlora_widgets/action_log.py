"""What the user did, and who hears about it (the journal, the widget).

Why an object of its own: the timeline (``Annotations.frame_states``) and the widget read the
user's actions from ``entries``, the journal persists them, and listeners hear every completed
action — the user's and the others (propagation, undo) — with the masks it produced.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .annotations import USER_KINDS

Listener = Callable[[str, dict], None]


class ActionLog:
    """``entries``: the user's actions (kind, time, frame, object; no arrays), oldest first."""

    def __init__(self) -> None:
        self.entries: list[dict] = []
        self._listeners: list[Listener] = []

    def add_listener(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        self._listeners = [f for f in self._listeners if f is not fn]

    def record(self, kind: str, **payload) -> None:
        """A completed action: kept if it is the user's, then told to every listener."""
        if kind in USER_KINDS:
            plain = {k: v for k, v in payload.items() if not isinstance(v, np.ndarray)}
            self.entries.append({"kind": kind, "time": time.time(), **plain})
        for fn in list(self._listeners):
            fn(kind, payload)
