"""What undo and the journal record of a session (``record.py``), through the session's verbs."""

from __future__ import annotations

import numpy as np

from litlora_widgets import Session


def test_undo_puts_every_part_back_but_keeps_the_lit_mode(predictor, square_clip):
    frames, masks = square_clip
    with Session(predictor, frames, autosave=False) as s:
        obj = s.add_object("square")
        first = s.add_mask(0, obj, masks[0])
        s.lit_enabled = False  # a mode: no undo step, and undo does not turn it back on
        s.rename_object(obj, "box")
        other = s.add_object("other")
        s.add_mask(1, other, masks[1])
        assert (s.undo(), s.undo(), s.undo()) == (True, True, True)
        st = s.state()
        assert s.lit_enabled is False and st.lit is False
        assert [(o, i.name) for o, i in st.objects.items()] == [(obj, "square")]
        assert st.next_obj_id == 2
        assert [e["kind"] for e in s.events] == ["add_mask"]  # the frame actions, as before
        assert s.tracked_frames(obj) == {0} and np.array_equal(s.mask(0, obj), first)
        assert s.masks(1) == {}


def test_load_state_installs_a_recorded_state_exactly(predictor, square_clip):
    frames, masks = square_clip
    with Session(predictor, frames, autosave=False) as s:
        obj = s.add_object("square")
        s.add_mask(0, obj, masks[0])
        recorded = s.state()
        s.add_mask(1, s.add_object("other"), masks[1])
        s.lit_enabled = False
        s.load_state(recorded)
        st = s.state()
        assert st.objects == recorded.objects and st.next_obj_id == 2 and st.lit is True
        assert st.events == recorded.events and [e["kind"] for e in st.events] == ["add_mask"]
        assert list(s.objects) == [obj] and s.lit_enabled is True
        recorded.events.clear()  # the session keeps its own copy
        assert len(s.events) == 1 and s.masks(1) == {}
