"""Propagations without a model: a propagate() generator is exactly one undo step."""

import threading

import numpy as np

from litlora_widgets.propagation import Propagations


def make(order=(0, 1, 2), start=0):
    pushed, recorded = [], []
    runs = Propagations(
        threading.RLock(),
        threading.Event(),
        lambda: "snap",
        lambda label, snap: pushed.append((label, snap)),
        lambda kind, **kw: recorded.append((kind, kw)),
    )
    step = lambda t, rev: {1: np.full((2, 2), t % 2 == 1)}  # noqa: E731
    gen = runs.run(start, "forward", [(False, list(order))], step, lambda: None, False)
    return runs, gen, pushed, recorded


def test_a_finished_propagation_is_one_undo_step_with_its_frames():
    runs, gen, pushed, recorded = make()
    assert [t for t, _ in gen] == [0, 1, 2]
    assert pushed == [("propagation from frame 0", "snap")]
    assert recorded == [
        ("propagate", {"start": 0, "direction": "forward", "frames": 3, "ranges": [[0, 2, False]]})
    ]
    assert runs.pending_frames == 0


def test_another_action_ends_a_suspended_propagation_where_it_is():
    runs, gen, pushed, recorded = make()
    next(gen), next(gen)
    assert runs.pending_frames == 2 and pushed == []
    runs.finish()  # what Session._action does first
    assert pushed == [("propagation from frame 0", "snap")]
    assert recorded[0][1]["frames"] == 2
    assert list(gen) == []  # the suspended generator has ended
    assert len(pushed) == 1


def test_a_propagation_that_tracked_nothing_leaves_no_step():
    runs, gen, pushed, recorded = make(order=())  # e.g. max_frames past the video's end
    assert list(gen) == []
    assert (pushed, recorded, runs.pending_frames) == ([], [], 0)


def test_abandon_ends_without_a_step():
    runs, gen, pushed, _ = make()
    next(gen)
    runs.abandon()
    assert list(gen) == [] and pushed == []
