"""VideoSource and Sam2Frames: sources, lazy decoding, cache bound, SAM2 parity, bad inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SHARED_DATA
from PIL import Image

from litlora_widgets.errors import InputError, VideoError
from litlora_widgets.video import FrameIndexError, VideoSource, natural_key

VIDEOS = SHARED_DATA / "videos"


@pytest.fixture(scope="module")
def bedroom_mp4() -> Path:
    p = VIDEOS / "bedroom.mp4"
    if not p.is_file():
        pytest.skip(f"test video not found at {p} (expected ../shared/data/videos/bedroom.mp4)")
    return p


@pytest.fixture(scope="module")
def bedroom_dir() -> Path:
    p = VIDEOS / "bedroom"
    if not p.is_dir():
        pytest.skip(f"test frames not found at {p} (expected ../shared/data/videos/bedroom/)")
    return p


@pytest.fixture
def car_jpegs(davis_dir) -> list[Path]:
    return sorted((davis_dir / "JPEGImages" / "480p" / "car-shadow").glob("*.jpg"))


def full_decode(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def pil_rgb(p: Path) -> np.ndarray:
    return np.asarray(Image.open(p).convert("RGB"))


def test_natural_key_orders_numbers_by_value():
    names = ["f10.jpg", "f2.jpg", "F1.JPG", "f1b.png", "a.jpg"]
    assert sorted(names, key=natural_key) == ["a.jpg", "F1.JPG", "f1b.png", "f2.jpg", "f10.jpg"]


def test_folder_natural_sort_odd_names(tmp_path, car_jpegs):
    picks = {"f1.jpg": car_jpegs[0], "f10.JPG": car_jpegs[1], "f2.jpeg": car_jpegs[2]}
    for name, src in picks.items():
        shutil.copy(src, tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a frame")
    (tmp_path / "._f3.jpg").write_bytes(b"macOS resource fork")  # hidden files are skipped
    v = VideoSource.open(tmp_path)
    assert (len(v), v.height, v.width, v.fps) == (3, 480, 854, None)
    assert v.name == tmp_path.name and v.frame_names == ["f1", "f2", "f10"]
    for i, src in enumerate([car_jpegs[0], car_jpegs[2], car_jpegs[1]]):
        f = v.frame(i)
        assert f.dtype == np.uint8 and f.shape == (480, 854, 3)
        np.testing.assert_array_equal(f, pil_rgb(src))
    assert not v[0].flags.writeable  # the cache cannot be corrupted by the caller


def test_mp4_matches_full_decode(bedroom_mp4):
    ref = full_decode(bedroom_mp4)
    v = VideoSource.open(bedroom_mp4, cache_frames=16)
    assert (len(v), v.height, v.width, v.name) == (len(ref), 540, 960, "bedroom")
    assert v.fps == pytest.approx(30.0)
    order = [137, 199, 0, 120, 121, 122, 45]  # one keyframe only: each jump back decodes from 0
    for i in order:
        np.testing.assert_array_equal(v[i], ref[i], err_msg=f"frame {i}")
    for i in range(70, 54, -1):  # backward propagation: one restart per 8 frames
        np.testing.assert_array_equal(v[i], ref[i], err_msg=f"frame {i}")
    assert v.cached_frames <= 16


def test_mp4_with_keyframes_and_bframes(tmp_path):
    """Seeking to keyframes + forward decode equals a full decode when frames are reordered."""
    import av

    path = tmp_path / "gop.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 96, 64, "yuv420p"
        s.options = {"g": "10", "bf": "2", "keyint_min": "10", "sc_threshold": "0"}
        for t in range(47):
            img = np.full((64, 96, 3), (t * 5) % 256, np.uint8)
            img[10:30, t : t + 20] = (255, 0, 0)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    ref = full_decode(path)
    v = VideoSource.open(path, cache_frames=4)
    assert len(v) == len(ref) == 47 and (v.height, v.width) == (64, 96)
    rng = np.random.default_rng(1)
    order = [int(i) for i in rng.integers(0, 47, 25)] + list(range(46, -1, -1)) + list(range(47))
    for i in order:
        np.testing.assert_array_equal(v[i], ref[i], err_msg=f"frame {i}")
    assert v.cached_frames <= 4
    v.close()  # releases decoder and cache; reads reopen the file
    assert v.cached_frames == 0
    np.testing.assert_array_equal(v[33], ref[33])


def test_cache_stays_bounded(bedroom_dir):
    v = VideoSource.open(bedroom_dir, cache_frames=16)
    assert len(v) == 200 and (v.height, v.width) == (540, 960)
    for f in v:
        assert f.shape == (540, 960, 3)
    assert v.cached_frames <= 16
    np.testing.assert_array_equal(v[199], pil_rgb(sorted(bedroom_dir.glob("*.jpg"))[199]))


def test_sam2_frames_match_sam2_loader(davis_dir):
    from sam2.utils.misc import load_video_frames

    folder = davis_dir / "JPEGImages" / "480p" / "car-shadow"
    images, h, w = load_video_frames(
        str(folder), 256, offload_video_to_cpu=True, compute_device=torch.device("cpu")
    )
    frames = VideoSource.open(folder).sam2_frames(256)
    assert len(frames) == len(images) and (frames.video_height, frames.video_width) == (h, w)
    for i in (0, 17, len(images) - 1):
        t = frames[i]
        assert t.dtype == torch.float32 and t.shape == (3, 256, 256)
        torch.testing.assert_close(t.to("cpu").float(), images[i], rtol=0, atol=1e-6)
    assert frames[0] is frames[0]  # cached


def test_array_and_list_sources(square_clip):
    frames, _ = square_clip
    v = VideoSource.open(frames)
    assert (len(v), v.height, v.width, v.name) == (6, 96, 128, "array")
    np.testing.assert_array_equal(v[3], frames[3])
    assert not v[3].flags.writeable and frames.flags.writeable
    assert VideoSource.open(v) is v
    vf = VideoSource.open(frames.astype(np.float32) / 255.0)
    np.testing.assert_array_equal(vf[2], frames[2])
    vl = VideoSource.open([Image.fromarray(frames[0]), frames[1]])
    np.testing.assert_array_equal(vl[0], frames[0])
    np.testing.assert_array_equal(vl[1], frames[1])
    assert [f.shape for f in vl] == [(96, 128, 3)] * 2


def test_bad_frame_index(square_clip):
    v = VideoSource.open(square_clip[0])
    for bad in (-1, 6, 100):
        with pytest.raises(FrameIndexError, match=r"out of range.*pass 0\.\.5"):
            v.frame(bad)
    for bad in (1.0, "2", True):
        with pytest.raises(FrameIndexError, match=r"must be an int in 0\.\.5"):
            v[bad]
    assert isinstance(FrameIndexError("x"), (InputError, IndexError))
    assert v[np.int64(2)].shape == (96, 128, 3)


def test_bad_paths(tmp_path):
    with pytest.raises(VideoError, match="does not exist"):
        VideoSource.open(tmp_path / "missing")
    with pytest.raises(VideoError, match="no .jpg/.jpeg/.png images"):
        VideoSource.open(tmp_path)
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(VideoError, match="no .jpg/.jpeg/.png images"):
        VideoSource.open(tmp_path)
    with pytest.raises(VideoError, match="neither a folder nor a video file"):
        VideoSource.open(tmp_path / "readme.txt")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoError, match="cannot read video file .*empty.mp4"):
        VideoSource.open(empty)
    text = tmp_path / "text.mp4"
    text.write_text("this is not a video\n" * 50)
    with pytest.raises(VideoError, match="cannot read video file .*text.mp4"):
        VideoSource.open(text)


def test_bad_images_in_folder(tmp_path, car_jpegs):
    good = tmp_path / "good"
    good.mkdir()
    for k in range(3):
        shutil.copy(car_jpegs[k], good / f"{k:05d}.jpg")
    (good / "00001.jpg").write_bytes(car_jpegs[1].read_bytes()[:3000])  # truncated JPEG
    v = VideoSource.open(good)  # header is intact: found when the frame is read
    assert v[0].shape == (480, 854, 3)
    with pytest.raises(VideoError, match=r"cannot decode frame 1 \(.*00001\.jpg\)"):
        v.frame(1)

    garbage = tmp_path / "garbage"
    shutil.copytree(good, garbage)
    (garbage / "00002.jpg").write_text("not a jpeg")
    with pytest.raises(VideoError, match=r"cannot read image .*00002\.jpg"):
        VideoSource.open(garbage)
    (garbage / "00002.jpg").write_bytes(b"")
    with pytest.raises(VideoError, match=r"cannot read image .*00002\.jpg"):
        VideoSource.open(garbage)

    mixed = tmp_path / "mixed"
    shutil.copytree(good, mixed)
    Image.open(car_jpegs[2]).resize((427, 240)).save(mixed / "00002.jpg")
    with pytest.raises(VideoError, match=r"00002\.jpg is 240×427 but 00000\.jpg is 480×854"):
        VideoSource.open(mixed)


@pytest.mark.parametrize(
    ("arr", "pattern"),
    [
        (np.zeros((4, 8, 8), np.uint8), r"shape \(4, 8, 8\).*grayscale"),
        (np.zeros((2, 8, 8, 4), np.uint8), r"RGBA\? use arr\[\.\.\., :3\]"),
        (np.zeros((2, 3, 8, 8), np.uint8), r"channels first"),
        (np.zeros((0, 8, 8, 3), np.uint8), r"no pixels"),
        (np.full((2, 8, 8, 3), 2.0), r"float with values in \[2, 2\]"),
        (np.full((2, 8, 8, 3), np.nan, np.float32), r"NaN"),
        (np.full((2, 8, 8, 3), 300, np.int64), r"integer values in \[300, 300\]"),
        (np.zeros((2, 8, 8, 3), bool), r"dtype bool"),
    ],
)
def test_bad_arrays(arr, pattern):
    with pytest.raises(VideoError, match=pattern):
        VideoSource.open(arr)


def test_bad_lists_and_types():
    with pytest.raises(VideoError, match="list of frames is empty"):
        VideoSource.open([])
    with pytest.raises(VideoError, match=r"frame 1 of the list is 4×4 but frame 0 is 8×8"):
        VideoSource.open([np.zeros((8, 8, 3), np.uint8), np.zeros((4, 4, 3), np.uint8)])
    with pytest.raises(VideoError, match=r"frame 0 of the list has shape \(8, 8\)"):
        VideoSource.open([np.zeros((8, 8), np.uint8)])
    with pytest.raises(VideoError, match="cannot open a video from int"):
        VideoSource.open(42)
