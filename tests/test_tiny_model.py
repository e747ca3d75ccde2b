"""The embedded litlora-tiny model: it builds from its YAML, its weights file round-trips, and
the shipped weights track a synthetic clip far better than random weights do."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from litlora_widgets.datasets import synthetic_clip
from litlora_widgets.errors import CheckpointError
from litlora_widgets.pretrain.model import (
    TINY_WEIGHTS,
    build_tiny_predictor,
    export_weights,
    load_tiny_weights,
)
from litlora_widgets.pretrain.quality import center_click, jaccard, track_from_masks

# Tracking J on the fixed clip below, object 1 from its first-frame mask, frames 1..7.
# Random weights (torch seeds 0, 1, 2) measured 0.00, 0.035, 0.00: they track nothing.
RANDOM_J_MAX = 0.2
# The shipped v2 weights (step 27,247) measure 0.686 on this clip (v1: 0.744; v2 does a little
# worse on this clip but better on the easy set as a whole, MODEL_CARD.md). The threshold leaves
# room for CPU numerics and stays far above anything random weights reach.
TRAINED_J_MIN = 0.5


@pytest.fixture(scope="module")
def fixed_clip():
    frames, masks = synthetic_clip(1234, num_frames=8, size=(256, 256), difficulty="easy")
    return frames, masks == 1


def _track_j(predictor, clip) -> float:
    frames, gt = clip
    tracks, _ = track_from_masks(predictor, frames, {1: gt[0]})
    return float(np.mean([jaccard(tracks[1][t], gt[t]) for t in range(1, len(gt))]))


@pytest.fixture(scope="module")
def random_tiny():
    torch.manual_seed(0)
    return build_tiny_predictor(weights=None)


def test_builds_sam2_video_predictor_at_128(random_tiny):
    from sam2.sam2_video_predictor import SAM2VideoPredictor

    assert isinstance(random_tiny, SAM2VideoPredictor)
    assert random_tiny.image_size == 128 and not random_tiny.training
    n = sum(p.numel() for p in random_tiny.parameters())
    assert n * 2 <= 25e6, "fp16 weights must fit the 25 MB package budget"


def test_build_does_not_import_torchvision():
    code = (
        "import sys; from litlora_widgets.pretrain.model import build_tiny_predictor as b; "
        "b(None); assert 'torchvision' not in sys.modules, 'torchvision imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)


def test_weights_round_trip_fp16(random_tiny, tmp_path):
    path = export_weights(random_tiny, tmp_path / "w.safetensors", step=7)
    torch.manual_seed(1)
    other = build_tiny_predictor(weights=path)
    mine, theirs = random_tiny.state_dict(), other.state_dict()
    assert list(mine) == list(theirs)
    for k, a in mine.items():
        b = theirs[k]
        assert a.dtype == b.dtype
        assert torch.equal(a.half().to(a.dtype), b) if a.is_floating_point() else torch.equal(a, b)


def test_bad_weight_files_are_checkpoint_errors(random_tiny, tmp_path):
    with pytest.raises(CheckpointError):
        load_tiny_weights(random_tiny, tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError):
        load_tiny_weights(random_tiny, bad)
    from safetensors.torch import save_file

    other = tmp_path / "other.safetensors"
    save_file({"x": torch.zeros(2)}, str(other))
    with pytest.raises(CheckpointError, match="does not fit"):
        load_tiny_weights(random_tiny, other)
    pt = tmp_path / "w.pt"
    torch.save({}, pt)
    with pytest.raises(CheckpointError):
        load_tiny_weights(random_tiny, pt)


def test_center_click_is_inside_and_deep():
    m = np.zeros((40, 60), bool)
    m[5:35, 10:30] = True
    x, y = center_click(m)
    assert m[int(y), int(x)] and 15 <= x <= 24 and 15 <= y <= 24


def test_random_weights_track_nothing(random_tiny, fixed_clip):
    assert _track_j(random_tiny, fixed_clip) < RANDOM_J_MAX


@pytest.mark.skipif(not TINY_WEIGHTS.is_file(), reason=f"no shipped weights at {TINY_WEIGHTS}")
def test_shipped_weights_track_the_fixed_clip(fixed_clip):
    predictor = build_tiny_predictor()
    assert _track_j(predictor, fixed_clip) > TRAINED_J_MIN


@pytest.mark.slow
@pytest.mark.skipif(not TINY_WEIGHTS.is_file(), reason=f"no shipped weights at {TINY_WEIGHTS}")
def test_lit_lora_learns_from_one_correction_on_the_embedded_model():
    """One correction trains an expert that beats plain SAM2 on the frames after it (the
    clip of notebook 02), with the LitConfig tuned for this model."""
    from litlora_widgets import Session
    from litlora_widgets.build_sam import load_predictor
    from litlora_widgets.engine.experts import LitConfig
    from litlora_widgets.masks import mask_iou

    predictor = load_predictor()
    frames, gt = synthetic_clip(1, num_frames=10, size=(192, 256), difficulty="easy")
    target = gt == 1
    s = Session(predictor, frames, autosave=False)
    assert s.lit_config.init_lr == 1e-3 and s.lit_config.min_epochs == 30
    assert Session(predictor, frames, autosave=False, lit_config=LitConfig()).lit_config == (
        LitConfig()
    )  # an explicit config wins
    obj = s.add_object()
    s.add_mask(0, obj, target[0])
    for _ in s.propagate(progress=False):
        pass
    res = s.correct(3, obj, mask=target[3])
    # v2 step 27,247: 0.72 -> 0.78 on the corrected frame; the gain shows on the later ones
    assert res.trained and res.train_iou > res.iou_before
    later = {t: s.candidates(t, obj) for t in range(4, 10)}
    plain = np.mean([mask_iou(c[0].mask, target[t]) for t, c in later.items()])
    expert = np.mean([mask_iou(c[1].mask, target[t]) for t, c in later.items()])
    assert expert > plain + 0.05, (plain, expert)  # step 27,247: 0.78 vs 0.68


def _look_alike_clip(t_len: int = 8, jump: int = 3):
    """A red disk at A on frames 0..jump-1; from ``jump`` on, the object is a red disk at B
    while an identical disk stays at A (a look-alike the memory of A pulls the tracker to)."""
    rng = np.random.default_rng(0)
    background = rng.integers(60, 120, (256, 256, 3), dtype=np.uint8)
    yy, xx = np.mgrid[:256, :256]
    at_a = (xx - 70) ** 2 + (yy - 70) ** 2 < 900
    at_b = (xx - 185) ** 2 + (yy - 185) ** 2 < 900
    frames, gt = [], []
    for t in range(t_len):
        f = background.copy()
        f[at_a] = f[at_b if t >= jump else at_a] = (230, 40, 40)
        frames.append(f)
        gt.append(at_b if t >= jump else at_a)
    return np.stack(frames), np.stack(gt)


@pytest.mark.skipif(not TINY_WEIGHTS.is_file(), reason=f"no shipped weights at {TINY_WEIGHTS}")
def test_carry_forward_reports_what_a_fresh_start_from_the_correction_gives():
    from litlora_widgets.pretrain.quality import carry_forward

    frames, gt = _look_alike_clip()
    r = carry_forward(build_tiny_predictor(), frames, gt)
    assert r["t"] == 3  # the jump: tracking stays on the look-alike at A
    assert r["still"] == 1.0  # frames 4..7 repeat frame 3 exactly
    # the corrected session still remembers A on frames 0..2, a fresh start from 3 does not
    # (measured 0.446 vs 0.723 with the shipped weights)
    assert r["restart"] > r["after"] + 0.1, r


@pytest.mark.skipif(not TINY_WEIGHTS.is_file(), reason=f"no shipped weights at {TINY_WEIGHTS}")
def test_carry_forward_restart_of_an_absent_object_tracks_nothing():
    from litlora_widgets.pretrain.quality import carry_forward

    frames, _ = _look_alike_clip(jump=99)  # the disk stays at A on every frame ...
    gt = np.zeros(frames.shape[:3], bool)
    gt[:3] = frames[0, ..., 0] == 230  # ... but it is the object on frames 0..2 only
    r = carry_forward(build_tiny_predictor(), frames, gt)
    assert r["t"] == 3  # tracking stays on the disk, which the truth says is not the object
    assert r["restart"] == 1.0 and r["still"] == 1.0  # nothing to track, nothing there
