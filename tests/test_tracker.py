"""engine/tracker.py: SAM2's memory for a session (real SAM2, random weights, 256 px)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from litlora_widgets.build_sam import load_predictor
from litlora_widgets.session import Session


@pytest.fixture(scope="module")
def clearing_predictor():
    """The documented override that sam2 1.1.0 crashes on (a method it calls is missing)."""
    torch.manual_seed(0)
    return load_predictor(
        checkpoint=None,
        image_size=256,
        device="cpu",
        quiet=True,
        overrides=["++model.clear_non_cond_mem_around_input=true"],
    )


def test_clear_non_cond_mem_around_input_works(clearing_predictor, square_clip):
    frames, masks = square_clip
    assert clearing_predictor.clear_non_cond_mem_around_input is True
    s = Session(clearing_predictor, frames, autosave=False, lit=False)
    obj = s.add_object()
    s.add_points(0, obj, [[30, 40]], [1])
    assert [f for f, _ in s.propagate(progress=False)] == [0, 1, 2, 3, 4, 5]
    assert s.tracker.memory_frames(obj) == {0, 1, 2, 3, 4, 5}
    s.correct(3, obj, mask=masks[3])
    list(s.propagate(start_frame=3, max_frames=0, progress=False))
    # memory around the correction was cleared (num_maskmem 7 frames each side); the
    # corrected frame and the conditioning frame stay, and the correction is kept
    assert s.tracker.memory_frames(obj) == {0, 3}
    assert np.array_equal(s.mask(3, obj), masks[3])
    assert len(list(s.propagate(progress=False))) == 6  # tracking goes on from there
    s.close()


def test_every_memory_change_bumps_the_version(predictor, square_clip):
    frames, masks = square_clip
    s = Session(predictor, frames, autosave=False)
    obj = s.add_object()
    s.add_mask(0, obj, masks[0])
    seen = [s.tracker.version(obj)]
    for _ in s.propagate(progress=False, max_frames=2):
        seen.append(s.tracker.version(obj))
    s.undo()
    seen.append(s.tracker.version(obj))
    # the mask prompt, then frame 0 kept as it is (no change), frames 1 and 2 stored; the
    # undo restores older memory under a newer version, so no old capture counts as fresh
    assert seen[:4] == [1, 1, 2, 3] and seen[4] > 3
    s.close()
