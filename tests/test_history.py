"""History: labelled undo/redo steps, and undoable() that leaves no trace when a step fails."""

from __future__ import annotations

import pytest

from litlora_widgets.history import History


class Counter:
    def __init__(self):
        self.value = 0
        self.history = History(lambda: self.value, self._set, depth=3)

    def _set(self, v):
        self.value = v


def test_steps_undo_and_redo_with_labels():
    c = Counter()
    for i in range(1, 3):
        with c.history.undoable(f"set {i}"):
            c.value = i
    assert c.history.undo_labels == ["set 1", "set 2"]
    assert c.history.undo() == "set 2" and c.value == 1
    assert c.history.redo_labels == ["set 2"]
    assert c.history.redo() == "set 2" and c.value == 2
    assert c.history.redo() is None


def test_a_failed_step_leaves_no_trace():
    c = Counter()
    with c.history.undoable("set 1"):
        c.value = 1
    with pytest.raises(KeyboardInterrupt), c.history.undoable("set 5"):
        c.value = 5
        raise KeyboardInterrupt
    assert c.value == 1 and c.history.undo_labels == ["set 1"]


def test_depth_and_keep():
    c = Counter()
    for i in range(1, 6):
        with c.history.undoable(f"set {i}"):
            c.value = i
    assert c.history.undo_labels == ["set 3", "set 4", "set 5"]
    c.history.undo()
    c.history.keep(undo=1, redo=0)
    assert c.history.undo_labels == ["set 4"] and c.history.redo_labels == []
    with c.history.undoable("set 9"):
        c.value = 9
    assert c.history.redo_labels == []
