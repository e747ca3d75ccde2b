"""Online evaluation: the simulated user, the protocol's bookkeeping, resume, determinism, bad
input, and a small end-to-end run on the shared DAVIS clips (real random-weight SAM2, 256 px)."""

from __future__ import annotations

import csv
import json
import multiprocessing
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from litlora_widgets.build_sam import TINY_WEIGHTS
from litlora_widgets.evaluation import evaluate
from litlora_widgets.evaluation.cli import main as cli_main
from litlora_widgets.evaluation.datasets import discover, load_ground_truth
from litlora_widgets.evaluation.user import distance_transform, next_click

FAST_LIT = {"init_epochs": 3, "finetune_epochs": 2}


# ---------------------------------------------------------------- the simulated user
def _brute_edt(region: np.ndarray) -> np.ndarray:
    padded = np.pad(region, 1)
    ys, xs = np.nonzero(~padded)
    out = np.zeros(region.shape)
    for y, x in zip(*np.nonzero(region), strict=True):
        out[y, x] = np.sqrt(((ys - 1 - y) ** 2 + (xs - 1 - x) ** 2).min())
    return out


def test_distance_transform_is_exact():
    rng = np.random.default_rng(1)
    for _ in range(10):
        region = rng.random((19, 27)) < rng.uniform(0.4, 0.95)
        np.testing.assert_allclose(distance_transform(region), _brute_edt(region))


def test_click_positive_in_a_miss_at_the_farthest_pixel():
    gt = np.zeros((60, 80), bool)
    gt[10:51, 20:61] = True  # 41×41: centre (30, 40)
    pred = np.zeros_like(gt)
    c = next_click(pred, gt)
    assert c.positive and c.label == 1
    assert (c.y, c.x) == (30, 40)
    assert c.distance == pytest.approx(21.0)


def test_click_negative_in_a_false_alarm_larger_than_the_miss():
    gt = np.zeros((60, 80), bool)
    gt[5:15, 5:15] = True
    pred = gt.copy()
    pred[5:10, 5:15] = False  # a small miss (50 px)
    pred[30:55, 40:75] = True  # a large false alarm (25×35)
    c = next_click(pred, gt)
    assert not c.positive and c.label == 0
    assert pred[c.y, c.x] and not gt[c.y, c.x]
    # farthest from its boundary: the centre row, 13 px deep (ties: first in raster order)
    assert c.y == 42 and c.distance == pytest.approx(13.0) and c.x == 40 + 12
    assert next_click(gt, gt) is None


def test_click_avoids_thin_parts_and_the_image_border():
    gt = np.zeros((40, 100), bool)
    gt[:, :30] = True  # touches the border: a 30-wide band
    gt[18:22, 30:100] = True  # a long thin arm (more pixels far from x=0 but only 2 px deep)
    c = next_click(np.zeros_like(gt), gt)
    assert c.x < 30 and 10 <= c.y <= 29 and c.distance >= 10


# ---------------------------------------------------------------- datasets
def _write_video(
    root: Path, name: str, frames: np.ndarray, masks: np.ndarray, palette: bool = False
) -> None:
    (root / name / "frames").mkdir(parents=True, exist_ok=True)
    (root / name / "masks").mkdir(parents=True, exist_ok=True)
    for t, (f, m) in enumerate(zip(frames, masks, strict=True)):
        Image.fromarray(f).save(root / name / "frames" / f"{t:05d}.png")
        if palette:
            im = Image.fromarray(m.astype(np.uint8), mode="P")
            im.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
        else:
            im = Image.fromarray((m > 0).astype(np.uint8) * 255)
        im.save(root / name / "masks" / f"{t:05d}.png")


def test_bad_videos_get_clear_errors(tmp_path, make_clip):
    frames, masks = make_clip(3)
    _write_video(tmp_path, "good", frames, masks)
    _write_video(tmp_path, "count", frames, masks)
    (tmp_path / "count" / "masks" / "00002.png").unlink()
    _write_video(tmp_path, "empty", frames, np.zeros_like(masks))
    _write_video(tmp_path, "size", frames, masks)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "size" / "masks" / "00001.png")
    (tmp_path / "nomasks" / "frames").mkdir(parents=True)
    Image.fromarray(frames[0]).save(tmp_path / "nomasks" / "frames" / "00000.png")
    (tmp_path / "odd").mkdir()
    specs = {s.name: s for s in discover(tmp_path)}
    assert load_ground_truth(specs["good"]).objects == [1]
    expect = {
        "count": "3 frames",
        "empty": "first mask",
        "size": "00001.png",
        "nomasks": "missing annotations",
        "odd": "unknown layout",
    }
    for name, words in expect.items():
        with pytest.raises(ValueError, match=words) as e:
            load_ground_truth(specs[name])
        assert name in str(e.value)


def test_davis_layout_multi_object(tmp_path, make_clip):
    frames, masks = make_clip(3)
    labels = masks.astype(np.uint8)
    labels[:, 70:80, 100:110] = 2
    _write_video(tmp_path / "flat", "v", frames, labels, palette=True)
    for kind, sub in (("JPEGImages", "frames"), ("Annotations", "masks")):
        (tmp_path / "davis" / kind / "480p").mkdir(parents=True)
        (tmp_path / "davis" / kind / "480p" / "v").symlink_to(tmp_path / "flat" / "v" / sub)
    (spec,) = discover(tmp_path / "davis")
    assert spec.layout == "davis"
    gt = load_ground_truth(spec, max_frames=2)
    assert gt.objects == [1, 2] and gt.annotated == [0, 1]


# ---------------------------------------------------------------- runs (real SAM2, 256 px)
@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    """Two tiny 0/255-mask videos plus one broken video (mask count mismatch)."""
    from conftest import moving_square_clip

    root = tmp_path_factory.mktemp("synth")
    frames, masks = moving_square_clip(3)
    _write_video(root, "a", frames, masks)
    _write_video(root, "b", frames[:, ::-1].copy(), masks[:, ::-1].copy())
    _write_video(root, "broken", frames, masks)
    (root / "broken" / "masks" / "00001.png").unlink()
    return root


def _strip_timing(obj: dict) -> dict:
    """An object's record without wall-clock numbers (the rest must repeat exactly)."""
    drop = {"seconds", "train_seconds", "timing"}
    events = [{k: v for k, v in e.items() if k != "train_seconds"} for e in obj["events"]]
    return {**{k: v for k, v in obj.items() if k not in drop}, "events": events}


def test_resume_determinism_and_bad_video(synth_dir, tmp_path):
    kw = dict(
        model="random", image_size=256, seed=0, max_frames=2, lit_config=FAST_LIT, progress=False
    )
    s1 = evaluate(synth_dir, out=tmp_path / "r", **kw)
    assert s1["videos"] == ["a", "b"]
    assert "broken" in s1["errors"] and "2 masks" in s1["errors"]["broken"]
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "r" / "videos").glob("[ab].json")}
    s2 = evaluate(synth_dir, out=tmp_path / "r", **kw)  # resume: a and b are skipped
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "r" / "videos").glob("[ab].json")}
    assert before == after
    assert json.dumps(s1, sort_keys=True, default=str) == json.dumps(
        s2, sort_keys=True, default=str
    )
    s3 = evaluate(synth_dir, sequences=["a"], out=tmp_path / "again", **kw)  # same seed
    r1, r3 = (
        json.loads((d / "videos" / "a.json").read_text())
        for d in (tmp_path / "r", tmp_path / "again")
    )
    assert s3["videos"] == ["a"]
    for key in ("sam2", "lit"):
        for o1, o3 in zip(r1["runs"][key]["objects"], r3["runs"][key]["objects"], strict=True):
            assert _strip_timing(o1) == _strip_timing(o3)
    with pytest.raises(ValueError, match="overwrite"):
        evaluate(synth_dir, out=tmp_path / "r", **{**kw, "threshold": 0.3})


def _no_timing(summary: dict) -> str:
    return json.dumps({k: v for k, v in summary.items() if k != "timing"}, sort_keys=True)


@pytest.mark.slow
def test_process_backend_equals_serial_and_cancel_stops_its_workers(synth_dir, tmp_path):
    from conftest import moving_square_clip

    """``workers=2`` (spawned processes) gives the serial summary (timing aside). The cancel
    event, set once the first video is written, stops the videos still running at their
    next frame and waits for them: no worker process computes on after ``evaluate`` returns
    (it used to leave them running to the end of their video). A re-run completes."""
    kw = dict(
        model="random", image_size=256, seed=0, max_frames=2, lit_config=FAST_LIT, progress=False
    )
    serial = evaluate(synth_dir, out=tmp_path / "serial", **kw)
    assert _no_timing(evaluate(synth_dir, out=tmp_path / "p", workers=2, **kw)) == _no_timing(
        serial
    )
    # a long video and a short one start together on the 2 workers: the short one's result
    # sets the cancel while the long one has most of its frames to go (two of one length
    # end together, and the stop came too late)
    long_kw = {**kw, "max_frames": 20}
    frames, masks = moving_square_clip(20)
    data = tmp_path / "long"
    _write_video(data, "a", frames, masks)
    _write_video(data, "b", frames[:3, ::-1].copy(), masks[:3, ::-1].copy())
    _write_video(data, "broken", frames, masks)
    (data / "broken" / "masks" / "00001.png").unlink()
    out = tmp_path / "cancel"
    cancel = threading.Event()

    def watch():
        while not cancel.is_set():
            if list((out / "videos").glob("*.json")):
                cancel.set()
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()
    s = evaluate(data, out=out, workers=2, cancel=cancel, **long_kw)
    left = multiprocessing.active_children()
    written = sorted(p.name for p in (out / "videos").glob("*.json"))
    assert s["complete"] is False and left == [], (left, written)
    assert "b.json" in written and "a.json" not in written, written  # a stopped part-way
    again = evaluate(data, out=out, workers=2, **long_kw)
    assert again["complete"] is True and again["videos"] == ["a", "b"]


@pytest.mark.skipif(not TINY_WEIGHTS.is_file(), reason=f"no embedded weights at {TINY_WEIGHTS}")
def test_a_lit_config_dict_changes_only_its_keys_of_the_models_settings(synth_dir):
    """``litlora-eval --init-epochs 3`` on the embedded model keeps its tuned lr 1e-3 and 30
    epochs before an early stop; only a LitConfig object is taken whole."""
    from litlora_widgets.engine.experts import LitConfig

    kw = dict(model="litlora-tiny", sequences=["a"], max_frames=2, methods=["sam2"])
    s = evaluate(synth_dir, lit_config={"init_epochs": 3}, progress=False, **kw)
    lc = s["config"]["lit_config"]
    assert (lc["init_epochs"], lc["init_lr"], lc["finetune_lr"], lc["min_epochs"]) == (
        3,
        1e-3,
        5e-4,
        30,
    )
    whole = evaluate(synth_dir, lit_config=LitConfig(init_epochs=3), progress=False, **kw)
    assert whole["config"]["lit_config"]["init_lr"] == LitConfig().init_lr == 1e-4
    with pytest.raises(ValueError, match="init_epoch.*not a LIT-LoRA setting.*init_epochs"):
        evaluate(synth_dir, lit_config={"init_epoch": 3}, progress=False, **kw)


def test_protocol_bookkeeping_and_expert_rules(synth_dir):
    """Counting is consistent and every LIT training follows the new-expert / finetune rule."""
    from litlora_widgets.evaluation.runner import run_video

    (spec,) = discover(synth_dir, ["a"])
    r = run_video(
        dict(
            video=spec.to_dict(),
            model={"checkpoint": "random", "image_size": 256, "device": "cpu"},
            methods=["sam2", "lit"],
            threshold=0.5,
            judge="both",
            accept_score=0.5,
            seed=0,
            max_frames=None,
            lit_config={**FAST_LIT, "max_experts": 2},
        )
    )
    assert r["status"] == "ok", r.get("error")
    assert set(r["runs"]) == {"sam2", "lit", "lit_realistic"}
    for key, run in r["runs"].items():
        (o,) = run["objects"]
        fixes = [e for e in o["events"] if e["action"] in ("click", "mask")]
        assert o["corrections"] == len(fixes) == o["click_corrections"] + o["mask_corrections"]
        assert o["clicks"] == sum(e["clicks"] for e in fixes) <= 3 * o["corrections"]
        assert all(e["clicks"] == 3 for e in fixes if e["action"] == "mask")
        errs = [p for p in o["per_frame"] if p["j_before"] < 0.5]
        assert len(errs) == o["corrections"] + o["accepts"]
        for p in o["per_frame"]:  # after a correction the frame is right
            if p["action"] in ("click", "mask"):
                assert p["j"] >= 0.5
        if key == "sam2":
            assert o["accepts"] == o["reviews"] == o["new_experts"] == 0 == len(o["train_seconds"])
            continue
        assert len(o["train_seconds"]) == o["corrections"]  # one training per correction
        assert o["experts"] <= 2
        for e in fixes:
            if e["experts_before"] == 0:
                assert e["new_expert"]
            elif e["experts_before"] < 2:  # room: new iff the best expert is <= 0.4 on it
                assert e["new_expert"] == (e["best_expert_iou"] <= 0.4)
            else:
                assert not e["new_expert"]
        if run["judge"] == "oracle":
            assert o["reviews"] == 0


def test_end_to_end_davis_cli(davis_dir, tmp_path, capsys):
    """The outside-check command on a few frames of each shared DAVIS clip."""
    out = tmp_path / "out"
    rc = cli_main(
        [
            str(davis_dir),
            "--model",
            "random",
            "--max-frames",
            "3",
            "--image-size",
            "256",
            "--seed",
            "0",
            "--init-epochs",
            "3",
            "--finetune-epochs",
            "2",
            "--out",
            str(out),
            "--no-progress",
            "--cost",
            "click=3",
            "mask=25",
            "--challenging-min",
            "1",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    s = json.loads((out / "summary.json").read_text())
    assert s["videos"] == ["car-shadow", "scooter-black"] and not s["errors"]
    for m in ("sam2", "lit"):
        for key in ("corrections", "clicks", "mask_corrections", "accepts", "mean_j"):
            assert key in s[m] and s[m][key] is not None, (m, key)
        assert s[m]["clicks"] <= 3 * s[m]["corrections"]
        assert s[m]["frames"] == 2 * s[m]["objects"]
    assert s["sam2"]["accepts"] == 0 and s["sam2"]["reviews"] == 0
    assert s["random_weights"] is True
    assert s["cost_model"]["click"] == 3.0 and s["cost_model"]["mask"] == 25.0
    assert s["challenging"]["min_sam2_corrections"] == 1
    assert (
        len(s["sam2"]["jf_vs_corrections"]) == 9 and s["sam2"]["frames"] == 2 * s["sam2"]["objects"]
    )
    for f in (
        "summary.md",
        "results.csv",
        "per_frame.csv",
        "per_video.csv",
        "jf_vs_corrections.csv",
        "corrections_per_video.png",
        "iou_curves.png",
        "jf_vs_corrections.png",
        "videos/car-shadow.json",
    ):
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert {r["method"] for r in rows} == {"sam2", "lit"}
    assert (
        sum(int(r["corrections"]) for r in rows if r["method"] == "lit") == s["lit"]["corrections"]
    )
    md = (out / "summary.md").read_text()
    assert "| sam2 |" in md and "| lit |" in md and "reduction" in md
