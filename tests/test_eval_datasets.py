"""Every dataset layout the evaluation reads, each built here as a tiny fixture: what is
annotated, where each object starts and ends, void pixels, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from litlora_widgets.errors import InputError
from litlora_widgets.evaluation.datasets import discover, load_ground_truth
from litlora_widgets.masks import davis_palette, encode_rle

H, W, T = 24, 32, 12


def _frames(folder: Path, n: int = T, name="{:05d}.jpg", step: int = 1) -> list[np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    out = []
    for t in range(n):
        f = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
        Image.fromarray(f).save(folder / name.format(t * step))
        out.append(f)
    return out


def _label(objs: dict[int, tuple[int, int]], void: bool = False) -> np.ndarray:
    """A label map with a 4×4 square per object at (y, x)."""
    lab = np.zeros((H, W), np.uint8)
    for o, (y, x) in objs.items():
        lab[y : y + 4, x : x + 4] = o
    if void:
        lab[0:2, 0:2] = 255
    return lab


def _run_sam2(spec, **extra) -> dict:
    """One video through the protocol, SAM2 alone (random weights at 256 px, oracle judge)."""
    from litlora_widgets.evaluation.runner import run_video

    return run_video(
        dict(
            video=spec.to_dict(),
            model={"checkpoint": "random", "image_size": 256, "device": "cpu"},
            methods=["sam2"],
            threshold=0.5,
            judge="oracle",
            accept_score=0.5,
            seed=0,
            max_frames=None,
            lit_config={},
            **extra,
        )
    )


def _save_palette(path: Path, lab: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(lab, mode="P")
    im.putpalette(davis_palette().astype(np.uint8).ravel().tolist())
    im.save(path)


def test_davis2016_binary_pngs_every_frame(tmp_path):
    root = tmp_path / "DAVIS"
    _frames(root / "JPEGImages" / "480p" / "cows")
    for t in range(T):
        m = (_label({1: (5, t)}) > 0).astype(np.uint8) * 255
        (root / "Annotations" / "480p" / "cows").mkdir(parents=True, exist_ok=True)
        Image.fromarray(m).save(root / "Annotations" / "480p" / "cows" / f"{t:05d}.png")
    (spec,) = discover(root)
    gt = load_ground_truth(spec)
    assert spec.layout == "davis" and gt.objects == [1]
    assert gt.annotated == list(range(T)) and gt.starts == {1: 0} and gt.ends == {1: T - 1}
    assert gt.judged(1) == list(range(1, T))
    assert gt.mask(3, 1).sum() == 16 and gt.mask(3, 1)[5, 3] and gt.void(3) is None
    assert gt.video == str(root / "JPEGImages" / "480p" / "cows")
    assert len(gt.masks) == T and gt.masks[3].max() == 1
    short = load_ground_truth(spec, max_frames=4)
    assert short.num_frames == 4 and short.annotated == [0, 1, 2, 3] and len(short.video) == 4


def test_davis2017_palette_multi_object_and_late_object(tmp_path):
    root = tmp_path / "DAVIS2017"
    _frames(root / "JPEGImages" / "480p" / "dogs")
    for t in range(T):
        objs = {1: (2, 2), 2: (10, 10)} if t < 6 else {1: (2, 2), 2: (10, 10), 3: (16, 20)}
        _save_palette(root / "Annotations" / "480p" / "dogs" / f"{t:05d}.png", _label(objs))
    gt = load_ground_truth(discover(root)[0])
    assert gt.objects == [1, 2, 3] and gt.starts == {1: 0, 2: 0, 3: 6}
    assert gt.judged(3) == list(range(7, T))
    assert gt.mask(7, 2).sum() == 16 and not gt.mask(7, 2)[2, 2]


def test_youtube_vos_sparse_with_meta_json(tmp_path):
    """Every 5th frame annotated; object 2 first appears on frame 5; meta.json lists both."""
    root = tmp_path / "ytvos" / "train"
    _frames(root / "JPEGImages" / "abc123")
    meta = {
        "videos": {
            "abc123": {
                "objects": {
                    "1": {"category": "cat", "frames": ["00000", "00005", "00010"]},
                    "2": {"category": "dog", "frames": ["00005", "00010"]},
                }
            }
        }
    }
    (root / "meta.json").write_text(json.dumps(meta))
    for t in (0, 5, 10):
        objs = {1: (2, 2)} if t == 0 else {1: (2, 2), 2: (12, 20)}
        _save_palette(root / "Annotations" / "abc123" / f"{t:05d}.png", _label(objs))
    (spec,) = discover(root)
    assert spec.meta == str(root / "meta.json")
    gt = load_ground_truth(spec)
    assert gt.num_frames == T and gt.annotated == [0, 5, 10]
    assert gt.objects == [1, 2] and gt.starts == {1: 0, 2: 5} and gt.ends == {1: 10, 2: 10}
    assert gt.judged(1) == [5, 10] and gt.judged(2) == [10]
    with pytest.raises(KeyError, match="not annotated"):
        gt.mask(3, 1)


@pytest.mark.parametrize("name", ["mose", "mosev2"])
def test_mose_layout_without_meta(tmp_path, name):
    root = tmp_path / name / "valid"
    _frames(root / "JPEGImages" / "v1")
    for t in range(0, T, 5):
        objs = {1: (2, 2), 4: (8, 8)} if t >= 5 else {4: (8, 8)}
        _save_palette(root / "Annotations" / "v1" / f"{t:05d}.png", _label(objs))
    gt = load_ground_truth(discover(root)[0])
    assert gt.objects == [1, 4] and gt.starts == {1: 5, 4: 0} and gt.annotated == [0, 5, 10]
    assert gt.judged(1) == [10] and gt.judged(4) == [5, 10]


def _vost(root: Path) -> Path:
    """VOST as distributed (VOST.zip, the layout TRI-ML/VOST's evaluation/source/dataset.py and
    aot_plus/dataloaders/eval_datasets.py read): ``JPEGImages/<seq>/frameNNNNN.jpg`` (5 fps,
    one annotation per frame), ``Annotations/<seq>/*.png`` (palette, 255 = void),
    ``ImageSets/{train,val,test}.txt`` (test: listed, frames not shipped) and, for the val
    sequences, ``JPEGImages_10fps/<seq>`` (twice the frames; the 5 fps names among them) and
    ``Videos/``. Frame names are frame numbers of the 30 fps source."""
    seq = "555_cut_onion"
    _frames(root / "JPEGImages" / seq, n=6, name="frame{:05d}.jpg", step=6)
    _frames(root / "JPEGImages_10fps" / seq, n=12, name="frame{:05d}.jpg", step=3)
    _frames(root / "JPEGImages" / "1_cut_tomato", n=3, name="frame{:05d}.jpg", step=6)
    (root / "Videos").mkdir()
    (root / "ImageSets").mkdir()
    (root / "ImageSets" / "val.txt").write_text(seq + "\n")
    (root / "ImageSets" / "train.txt").write_text("1_cut_tomato")  # no final newline, as shipped
    (root / "ImageSets" / "test.txt").write_text("9_peel_potato\n")
    for t in range(6):
        _save_palette(
            root / "Annotations" / seq / f"frame{6 * t:05d}.png",
            _label({1: (6, 6)}, void=t > 0),  # 4 void pixels next to a 16-pixel object
        )
    for t in range(3):
        _save_palette(
            root / "Annotations" / "1_cut_tomato" / f"frame{6 * t:05d}.png", _label({1: (2, 2)})
        )
    return root


def test_vost_void_pixels(tmp_path):
    root = _vost(tmp_path / "VOST")
    (spec,) = discover(root, split="val")
    assert spec.layout == "davis" and spec.frames == str(root / "JPEGImages" / "555_cut_onion")
    gt = load_ground_truth(spec)
    assert gt.objects == [1] and gt.annotated == list(range(6)) and gt.judged(1) == [1, 2, 3, 4, 5]
    assert gt.void(0) is None and gt.void(3).sum() == 4 and not gt.mask(3, 1)[0, 0]


def test_vost_void_pixels_count_as_background_when_judged(tmp_path, monkeypatch):
    """As in VOST's official evaluation (TRI-ML/VOST evaluation/source/dataset.py sets label
    255 to 0 and evaluation.py passes no void mask to J), a prediction that covers the void
    pixels is wrong there: 16 object pixels + 4 void ones give IoU 16/20, not 1."""
    import litlora_widgets.session as session_mod
    from litlora_widgets.evaluation import runner

    root = _vost(tmp_path / "VOST")
    (spec,) = discover(root, split="val")
    gt = load_ground_truth(spec)

    class ObjectPlusVoid:  # a session whose tracker predicts the object and the void region
        def __init__(self, predictor, video, **kw):
            self.masks = {}

        def add_object(self, obj_id):
            pass

        def add_mask(self, t, obj, mask):
            self.masks[t] = mask

        def propagate(self, start_frame, max_frames, progress):
            for t in range(start_frame, start_frame + max_frames + 1):
                v = gt.void(t)
                self.masks[t] = gt.mask(t, 1) | (v if v is not None else False)
                yield t, {1: self.masks[t]}

        def mask(self, t, obj):
            return self.masks[t]

        def close(self):
            pass

    monkeypatch.setattr(session_mod, "Session", ObjectPlusVoid)
    monkeypatch.setattr(runner, "get_predictor", lambda model, seed: None)
    r = _run_sam2(spec)
    assert r["status"] == "ok", r.get("error")
    (o,) = r["runs"]["sam2"]["objects"]
    assert [p["frame"] for p in o["per_frame"]] == [1, 2, 3, 4, 5]
    assert all(p["j_before"] == pytest.approx(16 / 20) for p in o["per_frame"])
    assert o["corrections"] == 0


def test_vost_split_from_image_sets(tmp_path):
    """``split`` reads ImageSets/<split>.txt as the official evaluation does; a split whose
    videos are not there (VOST test) is a clear error, not an empty run."""
    root = _vost(tmp_path / "VOST")
    assert [s.name for s in discover(root)] == ["1_cut_tomato", "555_cut_onion"]
    assert [s.name for s in discover(root, split="val")] == ["555_cut_onion"]
    assert [s.name for s in discover(root, split="train")] == ["1_cut_tomato"]
    assert [s.name for s in discover(root, ["555_cut_onion"], split="val")] == ["555_cut_onion"]
    with pytest.raises(InputError, match=r"split 'test' .*lists 1 video.*9_peel_potato"):
        discover(root, split="test")
    with pytest.raises(InputError, match=r"split 'tset' is not in .*\['test', 'train', 'val'\]"):
        discover(root, split="tset")


def test_vost_10fps_frames_track_through_and_judge_the_annotated(tmp_path):
    """``frames_dir="JPEGImages_10fps"``: SAM2 tracks through twice the frames; the annotations
    (5 fps) match every other one by name, and only those are judged."""
    root = _vost(tmp_path / "VOST")
    (spec,) = discover(root, split="val", frames_dir="JPEGImages_10fps")
    assert spec.frames == str(root / "JPEGImages_10fps" / "555_cut_onion")
    assert spec.masks == str(root / "Annotations" / "555_cut_onion")
    gt = load_ground_truth(spec)
    assert gt.num_frames == 12 and gt.annotated == [0, 2, 4, 6, 8, 10]
    assert gt.judged(1) == [2, 4, 6, 8, 10] and gt.ends[1] == 11
    r = _run_sam2(spec)
    assert r["status"] == "ok", r.get("error")
    (o,) = r["runs"]["sam2"]["objects"]
    assert [p["frame"] for p in o["per_frame"]] == [2, 4, 6, 8, 10]
    with pytest.raises(
        InputError,
        match=r"JPEGImages_30fps does not exist; .* has \['JPEGImages', 'JPEGImages_10fps'\]",
    ):
        discover(root, frames_dir="JPEGImages_30fps")
    # the train sequence has no 10 fps frames: discovery lists only what is there
    assert [s.name for s in discover(root, frames_dir="JPEGImages_10fps")] == ["555_cut_onion"]


def test_davis_split_by_year(tmp_path):
    root = tmp_path / "DAVIS"
    for seq in ("bear", "cows"):
        _frames(root / "JPEGImages" / "480p" / seq, n=2)
        for t in range(2):
            _save_palette(root / "Annotations" / "480p" / seq / f"{t:05d}.png", _label({1: (2, 2)}))
    for year, names in (("2016", "bear\n"), ("2017", "bear\ncows\n")):
        (root / "ImageSets" / year).mkdir(parents=True)
        (root / "ImageSets" / year / "val.txt").write_text(names)
    with pytest.raises(InputError, match=r"split 'val' is ambiguous .*'2016/val', '2017/val'"):
        discover(root, split="val")
    assert [s.name for s in discover(root, split="2016/val")] == ["bear"]
    assert [s.name for s in discover(root, split="2017/val")] == ["bear", "cows"]


def test_lvos_v2_meta_frame_range(tmp_path):
    """LVOS v2 as distributed (LingyiHongfd/LVOS README.md; LingyiHongfd/lvos-evaluation
    lvos/lvos_seperate.py reads ``<split>/<split>_meta.json`` and lvos/evaluation.py walks
    ``range(frame_range.start, frame_range.end, 5)`` over ``{:08d}`` file names): frames are
    named by frame number, stepping by 5 and not from 0; ``start`` / ``end`` are such numbers;
    each object is judged from its start to its last frame in the range."""
    root = tmp_path / "LVOS" / "valid"
    nums = [1 + 5 * i for i in range(T)]  # 00000001, 00000006, …
    _frames(tmp_path / "src", name="{:08d}.jpg")
    (root / "JPEGImages" / "0tCWPOrc").mkdir(parents=True)
    for i, num in enumerate(nums):
        (tmp_path / "src" / f"{i:08d}.jpg").rename(
            root / "JPEGImages" / "0tCWPOrc" / f"{num:08d}.jpg"
        )
    for i, num in enumerate(nums):
        objs = {1: (2, 2)}
        if 2 <= i <= 6:
            objs[2] = (12, 12)
        if 4 <= i <= 8:
            objs[3] = (12, 24)
        _save_palette(root / "Annotations" / "0tCWPOrc" / f"{num:08d}.png", _label(objs))
    meta = {
        "videos": {
            "0tCWPOrc": {
                "objects": {
                    "1": {"frame_range": {"start": 1, "end": nums[-1], "frame_nums": T}},
                    # end read inclusive: the object's last frame
                    "2": {"frame_range": {"start": 11, "end": 31, "frame_nums": 5}},
                    # end read exclusive (one step past the last frame): the same object end
                    "3": {"frame_range": {"start": 21, "end": 46, "frame_nums": 5}},
                }
            }
        }
    }
    (root / "valid_meta.json").write_text(json.dumps(meta))
    (spec,) = discover(root)
    assert spec.meta == str(root / "valid_meta.json")
    gt = load_ground_truth(spec)
    assert gt.objects == [1, 2, 3]
    assert gt.starts == {1: 0, 2: 2, 3: 4} and gt.ends == {1: T - 1, 2: 6, 3: 8}
    assert gt.judged(2) == [3, 4, 5, 6] and gt.judged(3) == [5, 6, 7, 8]
    short = load_ground_truth(spec, max_frames=6)  # object 3 runs past the cut: judged to it
    assert short.ends == {1: 5, 2: 5, 3: 5} and short.judged(3) == [5]
    meta["videos"]["0tCWPOrc"]["objects"]["4"] = {"frame_range": {"start": 1, "end": 26}}
    (root / "valid_meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"object\(s\) \[4\] of the meta JSON never appear"):
        load_ground_truth(discover(root)[0])


def test_sav_val_folder_per_masklet_pngs(tmp_path):
    """SA-V val/test: 24 fps frames, one binary PNG per masklet on every 4th frame."""
    root = tmp_path / "sav_val"
    _frames(root / "JPEGImages_24fps" / "sav_000001")
    for t in range(0, T, 4):
        for mid, yx in ((0, (2, 2)), (1, (3, 3))):  # overlapping masklets
            if mid == 1 and t == 0:
                m = np.zeros((H, W), np.uint8)  # masklet 1 appears on frame 4
            else:
                m = (_label({1: yx}) > 0).astype(np.uint8) * 255
            d = root / "Annotations_6fps" / "sav_000001" / f"{mid:03d}"
            d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(m).save(d / f"{t:05d}.png")
    (spec,) = discover(root)
    gt = load_ground_truth(spec)
    assert spec.layout == "sav" and gt.annotated == [0, 4, 8]
    assert gt.objects == [1, 2] and gt.starts == {1: 0, 2: 4} and gt.judged(2) == [8]
    assert (gt.mask(4, 1) & gt.mask(4, 2)).sum() == 9  # overlap kept


def test_sav_train_mp4_and_manual_json(tmp_path):
    """SA-V train: <vid>.mp4 + <vid>_manual.json, masklet RLEs on every 4th frame."""
    import av

    root = tmp_path / "sav_train" / "sav_000"
    root.mkdir(parents=True)
    with av.open(str(root / "sav_000002.mp4"), "w") as c:
        st = c.add_stream("mpeg4", rate=24)
        st.width, st.height, st.pix_fmt = W, H, "yuv420p"
        for f in _frames(tmp_path / "src"):
            for p in st.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in st.encode():
            c.mux(p)
    masklet = []
    for t in range(0, T, 4):
        a = _label({1: (2, 2)}) > 0
        b = _label({1: (10, 10)}) > 0 if t >= 8 else np.zeros((H, W), bool)
        masklet.append([encode_rle(a), encode_rle(b)])
    (root / "sav_000002_manual.json").write_text(
        json.dumps(
            {
                "video_id": "sav_000002",
                "video_frame_count": T,
                "video_height": H,
                "video_width": W,
                "masklet": masklet,
                "masklet_id": [0, 1],
                "masklet_num": 2,
                "masklet_first_appeared_frame": [0, 2],
            }
        )
    )
    (spec,) = discover(root)
    assert spec.layout == "sav-json" and spec.frames.endswith("sav_000002.mp4")
    gt = load_ground_truth(spec)
    assert gt.num_frames == T and gt.annotated == [0, 4, 8]
    assert gt.objects == [1, 2] and gt.starts == {1: 0, 2: 8} and gt.judged(1) == [4, 8]
    assert gt.mask(8, 2).sum() == 16 and gt.frames is None
    short = load_ground_truth(spec, max_frames=6)
    assert short.objects == [1] and short.annotated == [0, 4]
    bad = json.loads((root / "sav_000002_manual.json").read_text())
    bad["masklet"].append(bad["masklet"][0])  # 4 annotated frames need 13 frames
    (root / "sav_000002_manual.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="4 annotated frames every 4th need 13 frames"):
        load_ground_truth(spec)


def test_sparse_mask_matching_no_frame_is_an_error(tmp_path):
    root = tmp_path / "yt"
    _frames(root / "JPEGImages" / "v", n=3)
    _save_palette(root / "Annotations" / "v" / "00000.png", _label({1: (2, 2)}))
    _save_palette(root / "Annotations" / "v" / "00009.png", _label({1: (2, 2)}))
    with pytest.raises(ValueError, match="00009.png matches no frame"):
        load_ground_truth(discover(root)[0])


def test_sparse_run_judges_only_annotated_frames(tmp_path):
    """A YouTube-VOS-style video through the protocol (real random-weight SAM2, 256 px):
    each object is prompted on its first annotated frame and judged only on annotated ones."""
    root = tmp_path / "yt"
    _frames(root / "JPEGImages" / "v", n=9)
    for t in (0, 4, 8):
        objs = {1: (2, 2)} if t == 0 else {1: (2, 2 + t), 2: (12, 20)}
        _save_palette(root / "Annotations" / "v" / f"{t:05d}.png", _label(objs))
    (spec,) = discover(root)
    r = _run_sam2(spec, review=0.5)
    assert r["status"] == "ok", r.get("error")
    # the review queue measured on the same annotated frames: obj 1 on 4 and 8, obj 2 on 8
    assert [(x["obj_id"], x["frames"], x["k"]) for x in r["review"]] == [(1, 2, 1), (2, 1, 1)]
    for x in r["review"]:
        assert x["found"]["best"] == min(x["k"], x["failing"]) >= x["found"]["queue"]
    assert r["frames"] == 9 and r["annotated"] == 3 and r["objects"] == [1, 2]
    o1, o2 = r["runs"]["sam2"]["objects"]
    assert (o1["start"], o2["start"]) == (0, 4)
    assert [p["frame"] for p in o1["per_frame"]] == [4, 8]
    assert [p["frame"] for p in o2["per_frame"]] == [8]
    assert o1["frames"] == 2 and o2["frames"] == 1
    for o in (o1, o2):  # after the user acts every judged frame is right
        assert all(p["j"] >= 0.5 for p in o["per_frame"])
        assert o["corrections"] == sum(p["j_before"] < 0.5 for p in o["per_frame"])


def test_cli_split_and_frames_dir_resume_and_merge(tmp_path, capsys):
    """``litlora-eval VOST --split val --frames-dir JPEGImages_10fps``: the run, a resume and a
    merge all see the same one video; results made from other frames are not resumed."""
    from litlora_widgets.evaluation import merge
    from litlora_widgets.evaluation.cli import main as cli_main
    from litlora_widgets.evaluation.report import read_json

    root = _vost(tmp_path / "VOST")
    out = tmp_path / "out"
    argv = [str(root), "--split", "val", "--frames-dir", "JPEGImages_10fps", "--methods", "sam2"]
    argv += ["--image-size", "256", "--out", str(out), "--no-progress"]
    assert cli_main(argv) == 0
    s = read_json(out / "summary.json")
    assert s["config"]["split"] == "val" and s["config"]["frames_dir"] == "JPEGImages_10fps"
    (r,) = [read_json(p) for p in (out / "videos").glob("*.json")]
    assert r["video"] == "555_cut_onion"
    (o,) = r["runs"]["sam2"]["objects"]
    assert [p["frame"] for p in o["per_frame"]] == [2, 4, 6, 8, 10]
    assert merge([out], tmp_path / "merged")["complete"] is True
    # the 5 fps frames give other results: the 10 fps ones are not taken for them
    assert cli_main([*argv[:3], *argv[5:]]) == 2
    assert "was made with other settings; use --overwrite" in capsys.readouterr().err
    assert cli_main([*argv[:3], *argv[5:], "--overwrite"]) == 0
    (r5,) = [read_json(p) for p in (out / "videos").glob("*.json")]
    assert [p["frame"] for p in r5["runs"]["sam2"]["objects"][0]["per_frame"]] == [1, 2, 3, 4, 5]
