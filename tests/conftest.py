"""Shared fixtures: the real SAM2 architecture with random weights at 256 px, and real data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(
    os.environ.get("LITLORA_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
DAVIS = SHARED_DATA / "davis"


@pytest.fixture(scope="session", autouse=True)
def _litlora_home(tmp_path_factory):
    """Sessions autosave by default: keep the tests' journals out of ~/.cache."""
    old = os.environ.get("LITLORA_HOME")
    os.environ["LITLORA_HOME"] = str(tmp_path_factory.mktemp("litlora-home"))
    yield
    if old is None:
        os.environ.pop("LITLORA_HOME", None)
    else:
        os.environ["LITLORA_HOME"] = old


@pytest.fixture(scope="session")
def predictor():
    """SAM2.1 hiera-tiny, random weights, image size 256 (~0.2 s/frame on 2 CPU cores)."""
    import torch

    from litlora_widgets.build_sam import load_predictor

    torch.manual_seed(0)  # random weights differ in how well a LoRA can learn on them: fix them
    return load_predictor(checkpoint=None, image_size=256, device="cpu", quiet=True)


@pytest.fixture(scope="session")
def davis_dir() -> Path:
    if not (DAVIS / "JPEGImages" / "480p").is_dir():
        pytest.skip(f"DAVIS test data not found at {DAVIS} (expected ../shared/data/davis)")
    return DAVIS


def moving_square_clip(num_frames: int = 6, size: tuple[int, int] = (96, 128), side: int = 48):
    """A textured square moving right over a noisy background: frames (T,H,W,3), masks (T,H,W)."""
    rng = np.random.default_rng(0)
    h, w = size
    frames = rng.integers(0, 60, size=(num_frames, h, w, 3), dtype=np.uint8)
    masks = np.zeros((num_frames, h, w), dtype=bool)
    for t in range(num_frames):
        y0, x0 = 20, 10 + 5 * t
        frames[t, y0 : y0 + side, x0 : x0 + side] = (220, 60 + 5 * t, 40)
        masks[t, y0 : y0 + side, x0 : x0 + side] = True
    return frames, masks


@pytest.fixture
def square_clip():
    return moving_square_clip()


@pytest.fixture
def make_clip():
    """The clip generator itself, for tests that need clips of other sizes."""
    return moving_square_clip
