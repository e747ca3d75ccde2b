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


# ---- video effects (issue 13): new parameters, old clips unchanged ----------------------------
def _digest(*arrays) -> str:
    import hashlib

    h = hashlib.sha256()
    for a in arrays:
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def test_old_clips_are_unchanged_by_the_effects():
    """The demo, notebooks and tests depend on today's exact frames (hashes taken before the
    effects were added)."""
    from litlora_widgets.datasets import demo_clip

    f, m = demo_clip()
    assert (_digest(f), _digest(m)) == ("9db4a4e1b3441ebe", "82f1c41a196cafde")
    expected = {
        "easy": ("65f4469cf6611812", "61d88eb34553e63e"),
        "medium": ("cfae8265ae0c0210", "1bdc2feae8bb51f6"),
        "hard": ("d783b09a43e47e3b", "10c94d0c57019b84"),
    }
    for difficulty, digests in expected.items():
        f, m = synthetic_clip(7, 6, (64, 80), difficulty)
        assert (_digest(f), _digest(m)) == digests, difficulty
    tex = [np.full((100, 100, 3), 128, np.uint8)]
    f, m = synthetic_clip(3, 5, (48, 48), "hard", num_objects=3, textures=tex)
    assert (_digest(f), _digest(m)) == ("c2ffea5d3edb1567", "cc6c4154f6824139")


def _object1(effects, seed=2, frames=12, difficulty="easy"):
    from litlora_widgets.datasets.synthetic import Effects  # noqa: F401

    return render_clip(seed, frames, (128, 128), difficulty, effects=effects)


def test_occlusion_covers_object_1_then_it_reappears():
    from litlora_widgets.datasets.synthetic import Effects

    _, plain, _ = _object1(None)
    _, masks, info = _object1(Effects(occlusion=(0.3, 0.5)))
    area = (masks == 1).sum((1, 2))
    # frames round(0.3*11)=3 .. round(0.5*11)=6 are fully covered
    assert area[3:7].tolist() == [0, 0, 0, 0]
    assert area[0] == (plain[0] == 1).sum() > 0 and area[-1] > 0  # re-appears
    # the occluder only removes pixels of object 1 (its geometry is the plain clip's)
    assert np.array_equal((masks == 1) & (plain == 1), masks == 1)
    assert (area < (plain == 1).sum((1, 2))).sum() >= 5
    occluder = len(info["labels"]) - 1  # on top of every layer
    assert info["labels"][occluder] == 0
    hidden = (plain == 1) & (masks != 1)
    assert np.array_equal(info["top"][hidden], np.full(hidden.sum(), occluder))


def test_object_1_leaves_the_frame_and_comes_back():
    from litlora_widgets.datasets.synthetic import Effects

    _, plain, _ = _object1(None)
    _, masks, _ = _object1(Effects(leave=True))
    area = (masks == 1).sum((1, 2))
    assert area[3:9].tolist() == [0] * 6  # t/(T-1) in [0.24, 0.76]: fully outside
    assert np.array_equal(masks[0], plain[0]) and area[-1] > 0


def test_camera_shift_moves_a_static_background_by_the_set_amount():
    from litlora_widgets.datasets.synthetic import Effects

    frames, _, info = render_clip(
        4, 6, (96, 96), "easy", effects=Effects(camera_shift=(3, -2)), photometric=False
    )
    top = info["top"]
    for t in range(1, 6):
        dx, dy = 3 * t, -2 * t  # content moves +3 px in x and -2 px in y per frame
        now = frames[t, max(dy, 0) : 96 + min(dy, 0), dx:]
        before = frames[0, max(-dy, 0) : 96 + min(-dy, 0), : 96 - dx]
        bg = (top[t, max(dy, 0) : 96 + min(dy, 0), dx:] < 0) & (
            top[0, max(-dy, 0) : 96 + min(-dy, 0), : 96 - dx] < 0
        )
        assert bg.sum() > 2000
        assert np.array_equal(now[bg], before[bg])
        assert not np.array_equal(frames[t, bg.shape[0] // 2], frames[0, bg.shape[0] // 2])


def test_zoom_deform_and_distractors_keep_masks_exact():
    from litlora_widgets.datasets.synthetic import Effects

    fx = Effects(distractors=2, deform=0.3, zoom=0.4, camera_shift=(1.5, 0.5))
    frames, masks, info = render_clip(5, 8, (64, 64), "easy", flat_colors=True, effects=fx)
    labels = np.array(info["labels"] + [0])
    assert np.array_equal(masks, labels[info["top"]])
    assert info["labels"].count(0) == 2 and info["labels"].count(1) == 1
    zoomed = (masks == 1).sum((1, 2))
    _, still, _ = render_clip(5, 8, (64, 64), "easy", flat_colors=True, effects=Effects(deform=0.3))
    assert not np.array_equal(masks, still)
    assert zoomed.max() > 0


def test_harder_draws_effects_deterministically():
    from litlora_widgets.datasets.synthetic import Effects

    a = render_clip(9, 6, (64, 64), "harder")
    b = render_clip(9, 6, (64, 64), "harder")
    assert isinstance(a[2]["effects"], Effects) and a[2]["effects"] == b[2]["effects"]
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert (a[1][0] == 1).any()


def test_textures_load_from_a_folder_and_are_skipped_when_absent(tmp_path, monkeypatch, capsys):
    from PIL import Image

    from litlora_widgets.datasets.synthetic import default_texture_dir, load_textures

    (tmp_path / "seq").mkdir()
    Image.new("RGB", (640, 320), (10, 200, 30)).save(tmp_path / "seq" / "00000.jpg")
    Image.new("L", (64, 64)).save(tmp_path / "seq" / "mask.png")  # masks are not textures
    monkeypatch.setenv("LITLORA_TEXTURES", str(tmp_path))
    assert default_texture_dir() == tmp_path
    tex = load_textures()
    assert len(tex) == 1 and tex[0].shape == (128, 256, 3) and tex[0].dtype == np.uint8
    assert load_textures(tmp_path / "missing") == []
    assert "procedural textures only" in capsys.readouterr().err
    frames, _ = synthetic_clip(0, 3, (64, 64), "harder", textures=tex)
    assert frames.shape == (3, 64, 64, 3)
