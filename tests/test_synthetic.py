"""The procedural clip generator: deterministic, well-formed, masks exactly where objects are."""

from __future__ import annotations

import numpy as np
import pytest

from litlora_widgets.datasets import synthetic_clip
from litlora_widgets.datasets.synthetic import render_clip
from litlora_widgets.errors import InputError


def test_same_seed_same_clip_and_different_seed_differs():
    a = synthetic_clip(5, num_frames=6, size=(64, 80), difficulty="hard")
    b = synthetic_clip(5, num_frames=6, size=(64, 80), difficulty="hard")
    c = synthetic_clip(6, num_frames=6, size=(64, 80), difficulty="hard")
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_shapes_dtypes_and_labels(difficulty):
    frames, masks = synthetic_clip(1, num_frames=5, size=(72, 96), difficulty=difficulty)
    assert frames.shape == (5, 72, 96, 3) and frames.dtype == np.uint8
    assert masks.shape == (5, 72, 96) and masks.dtype == np.uint8
    assert (masks[0] == 1).any(), "object 1 starts visible"
    frames, masks = synthetic_clip(2, num_frames=3, size=(64, 64), num_objects=3)
    assert set(np.unique(masks)) <= {0, 1, 2, 3}


@pytest.mark.parametrize("seed", range(6))
def test_masks_are_exactly_the_visible_object_pixels(seed):
    """Each layer painted one flat colour: a pixel has object k's colour iff its label is k,
    and occluders/distractors on top remove the label."""
    frames, masks, info = render_clip(
        seed, num_frames=6, size=(64, 64), difficulty="hard", flat_colors=True
    )
    colors = info["colors"].astype(np.uint8)
    labels = np.array(info["labels"] + [0])  # index -1 (background) -> label 0
    top = info["top"]
    assert np.array_equal(masks, labels[top])
    assert np.array_equal(frames, colors[top])
    for i, k in enumerate(info["labels"]):
        if k:
            assert np.array_equal((frames == colors[i]).all(-1), masks == k)


def test_hard_clips_have_distractors_occlusion_and_re_entry():
    leaves_and_returns = cut = 0
    for seed in range(12):
        _, masks, info = render_clip(seed, num_frames=40, size=(64, 64), difficulty="hard")
        assert 0 in info["labels"], "hard clips carry unlabelled occluders/distractors"
        area = (masks == 1).sum((1, 2))
        gone = np.nonzero(area == 0)[0]
        leaves_and_returns += bool(gone.size and (area[gone[0] :] > 0).any())
        cut += bool(((info["top"] >= 0) & (masks == 0)).any())
    assert leaves_and_returns >= 1 and cut >= 1


def test_photometric_changes_keep_masks():
    frames, masks = synthetic_clip(3, num_frames=8, size=(64, 64), difficulty="hard")
    _, flat_masks, _ = render_clip(
        3, num_frames=8, size=(64, 64), difficulty="hard", flat_colors=True
    )
    assert np.array_equal(masks, flat_masks)
    assert frames.std() > 5  # textured, not flat


def test_bad_arguments_are_input_errors():
    with pytest.raises(InputError):
        synthetic_clip(0, difficulty="extreme")
    with pytest.raises(InputError):
        synthetic_clip(0, size=(8, 8))


def test_written_dataset_is_what_the_evaluation_reads(tmp_path):
    from litlora_widgets.datasets import write_synthetic_dataset
    from litlora_widgets.evaluation.datasets import discover, load_ground_truth

    root = write_synthetic_dataset(tmp_path / "ds", [3, 4], num_frames=4, size=(48, 64))
    specs = discover(root)
    assert [s.name for s in specs] == ["synth_000003", "synth_000004"]
    _, masks = synthetic_clip(4, num_frames=4, size=(48, 64), difficulty="hard")
    video = load_ground_truth(specs[1])
    assert len(video.frames) == 4
    assert all(np.array_equal(a, b) for a, b in zip(video.masks, masks, strict=True))
