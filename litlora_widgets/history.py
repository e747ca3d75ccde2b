"""Undo/redo of a session as labelled snapshots, and the one way to make an action undoable.

Why one ``undoable()`` context instead of push/try/restore by hand in every verb: a failed
action (bad input, a NaN loss, Ctrl+C) must leave no trace, and a successful one must be
exactly one undo step. The context does both, so no verb can forget either half.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


class History:
    """Undo and redo stacks of ``(label, snapshot)``; the session supplies both functions."""

    def __init__(
        self, snapshot: Callable[[], Any], restore: Callable[[Any], None], depth: int = 50
    ):
        self._snapshot, self._restore = snapshot, restore
        self.depth = max(1, int(depth))
        self._undo: list[tuple[str, Any]] = []
        self._redo: list[tuple[str, Any]] = []

    @property
    def undo_labels(self) -> list[str]:
        """What each undo step undoes, oldest first (the last one is undone next)."""
        return [label for label, _ in self._undo]

    @property
    def redo_labels(self) -> list[str]:
        return [label for label, _ in self._redo]

    def push(self, label: str, snap: Any = None) -> None:
        """Record an action that changed the state since ``snap`` (default: now)."""
        self._undo.append((label, self._snapshot() if snap is None else snap))
        del self._undo[: -self.depth]
        self._redo.clear()

    @contextlib.contextmanager
    def undoable(self, label: str) -> Iterator[None]:
        """One undo step if the body succeeds; the state as before if it raises."""
        snap = self._snapshot()
        try:
            yield
        except BaseException:
            self._restore(snap)
            raise
        self.push(label, snap)

    def undo(self) -> str | None:
        """Undo the last step; its label, or None when there is nothing to undo."""
        return self._move(self._undo, self._redo)

    def redo(self) -> str | None:
        return self._move(self._redo, self._undo)

    def _move(self, src: list, dst: list) -> str | None:
        if not src:
            return None
        label, snap = src.pop()
        dst.append((label, self._snapshot()))
        self._restore(snap)
        return label

    def keep(self, undo: int, redo: int) -> None:
        """Keep only the newest ``undo`` / ``redo`` entries (a resumed journal's depths)."""
        del self._undo[: max(0, len(self._undo) - undo)]
        del self._redo[: max(0, len(self._redo) - redo)]

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
