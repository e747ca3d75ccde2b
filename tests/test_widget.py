"""LitLoraApp, kernel side: events dispatched to a real Session (real SAM2, random weights,
256 px) on a tiny clip; traits, worker ordering, cancellation and errors in the widget."""

from __future__ import annotations

import io
import json
import os
import struct
import threading
import time
import warnings

import numpy as np
import pytest
from conftest import moving_square_clip

from litlora_widgets.build_sam import TINY_WEIGHTS
from litlora_widgets.errors import InputError
from litlora_widgets.review import LIKELY_WRONG
from litlora_widgets.session import Session
from litlora_widgets.widget import LitLoraApp, annotate, handlers, state, wire, worker
from litlora_widgets.widget import events as E


def decode_lmr1(data: bytes) -> np.ndarray:
    """Reference decoder of the front end's mask format (mirrors js/src/masks.js)."""
    assert data[:4] == b"LMR1"
    w, h, n = struct.unpack("<3I", data[4:16])
    lengths = np.frombuffer(data, "<u4", n, 16)
    labels = np.frombuffer(data, np.uint8, n, 16 + 4 * n)
    return np.repeat(labels, lengths).reshape(h, w)


@pytest.fixture
def app(predictor):
    frames, _ = moving_square_clip(num_frames=6)
    a = LitLoraApp(Session(predictor, frames, lit=True, autosave=False))
    yield a
    a.close()


def click(app, frame, x, y, label=1, **kw):
    app.dispatch({"type": "click", "frame": frame, "x": x, "y": y, "label": label, **kw})
    assert app.wait(120)


# ---- encoders / pure helpers ---------------------------------------------------------------
def test_label_map_bytes_match_the_js_layout():
    lab = np.array([[0, 1], [1, 0]], np.uint8)
    data = wire.encode_label_map(lab)
    # same bytes as the "matches the Python encoder's byte layout" test in js/test/masks.test.js
    assert list(data) == [
        76,
        77,
        82,
        49,
        2,
        0,
        0,
        0,
        2,
        0,
        0,
        0,
        3,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        2,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        1,
        0,
    ]
    rng = np.random.default_rng(0)
    big = (rng.random((37, 53)) > 0.7).astype(np.uint8) * rng.integers(1, 9, (37, 53), np.uint8)
    np.testing.assert_array_equal(decode_lmr1(wire.encode_label_map(big)), big)
    assert wire.encode_masks({}, 4, 4) == b""


def test_masks_overlap_higher_id_wins():
    a = np.zeros((4, 4), bool)
    a[:2] = True
    b = np.zeros((4, 4), bool)
    b[1:3] = True
    lab = decode_lmr1(wire.encode_masks({2: b, 1: a}, 4, 4))
    assert lab[0, 0] == 1 and lab[1, 0] == 2 and lab[2, 0] == 2 and lab[3, 0] == 0


def test_prompts_follow_the_event_log():
    ev = [
        {"kind": "add_points", "frame": 0, "obj_id": 1, "points": [[1, 2]], "labels": [1]},
        {"kind": "add_points", "frame": 0, "obj_id": 1, "points": [[3, 4]], "labels": [0]},
        {"kind": "add_points", "frame": 1, "obj_id": 1, "points": [[5, 6]], "labels": [1]},
        {"kind": "add_box", "frame": 0, "obj_id": 2, "box": [0, 0, 5, 5]},
    ]
    got = state.prompts_on_frame(ev, 0, {1: None, 2: None})
    assert [(p["kind"], p.get("label")) for p in got] == [("point", 1), ("point", 0), ("box", None)]
    ev.append({"kind": "add_box", "frame": 0, "obj_id": 1, "box": [1, 1, 2, 2]})
    assert [p["kind"] for p in state.prompts_on_frame(ev, 0, {1: None})] == ["box"]
    assert state.prompts_on_frame(ev, 0, {}) == []


@pytest.mark.parametrize("direction", ["forward", "backward", "both"])
@pytest.mark.parametrize("start,max_frames", [(0, None), (3, None), (2, 1), (5, 1)])
def test_planned_frames(direction, start, max_frames):
    n, m = 6, max_frames or 6
    fwd = len(range(start, min(start + m, n - 1) + 1))
    first = start if direction == "backward" else start - 1
    bwd = len(range(first, max(start - m, 0) - 1, -1))
    expect = fwd * (direction != "backward") + bwd * (direction != "forward")
    assert handlers.planned_frames(start, direction, max_frames, n) == expect


def test_thread_output_adopts_the_cell_parent():
    seen = {}

    class Stream(io.StringIO):
        def set_thread_parent(self, parent):
            seen[threading.current_thread().name] = parent

    import sys

    old = sys.stdout
    sys.stdout = Stream()
    try:
        w = worker.Worker(on_error=lambda *a: None)
        w._q.put(("t", lambda: None, {"msg_id": "cell-1"}))
        assert w.join(10)
        w.close()
    finally:
        sys.stdout = old
    assert seen == {"litlora-worker": {"msg_id": "cell-1"}}


# ---- events -> session -> traits -------------------------------------------------------------
def test_click_starts_an_object_and_publishes_its_mask(app):
    s = app.session
    click(app, 0, 20.5, 30.25)
    assert app.error == ""
    assert [o["id"] for o in app.objects] == [1] and app.selected == 1
    assert app.objects[0]["color"] == list(s.objects[1].color)
    assert app.mask_frame == 0
    np.testing.assert_array_equal(decode_lmr1(app.mask_bytes), s.mask(0, 1).astype(np.uint8))
    assert app.prompts_frame == 0
    assert app.prompts == [{"obj_id": 1, "kind": "point", "x": 20.5, "y": 30.25, "label": 1}]
    assert app.can_undo
    assert app._ctl.timings["total"] >= app._ctl.timings["engine"] > 0


def test_events_apply_in_order_on_one_worker(app):
    s = app.session
    app.dispatch({"type": "click", "frame": 0, "x": 20, "y": 30, "label": 1})
    app.dispatch({"type": "add_object", "name": "second"})
    app.dispatch({"type": "box", "frame": 2, "obj_id": 2, "box": [50, 20, 80, 50]})
    app.dispatch({"type": "click", "frame": 0, "obj_id": 1, "x": 70, "y": 70, "label": 0})
    assert app.wait(120)
    assert app.error == ""
    assert [(e["kind"], e["obj_id"]) for e in s.events] == [
        ("add_points", 1),
        ("add_box", 2),
        ("add_points", 1),
    ]
    assert [o["name"] for o in app.objects] == ["object 1", "second"]


def test_a_box_says_what_it_did(app):
    """A box is a prompt: on a tracked frame with LIT on it trains nothing, which the status
    now says (it read only "box on frame 3"); a box SAM2 finds nothing in says so."""
    click(app, 0, 20, 30)
    app.dispatch({"type": "propagate", "direction": "forward"})
    app.dispatch({"type": "box", "frame": 3, "obj_id": 1, "box": [10, 10, 60, 60]})
    assert app.wait(120) and app.error == ""
    assert app.session.events[-1]["kind"] == "add_box" and app.session.training_log == []
    if app.session.mask(3, 1).any():
        assert app.status == (
            "box on frame 3: a new prompt, which trains nothing (to teach the experts, "
            "click on the mask to correct it)"
        )
    else:
        assert app.status == "box on frame 3: SAM2 found no object in it (try a click on it)"


def test_seek_shows_that_frames_masks(app):
    s = app.session
    click(app, 0, 20, 30)
    app.dispatch({"type": "propagate", "direction": "forward"})
    assert app.wait(120)
    assert app.error == "" and s.tracked_frames(1) == set(range(6))
    assert app.frame == 5 and app.mask_frame == 5  # the view followed the propagation
    assert app.busy == "" and app.progress == {}
    app.frame = 3
    assert app.mask_frame == 3 and app.prompts == []
    np.testing.assert_array_equal(decode_lmr1(app.mask_bytes), s.mask(3, 1).astype(np.uint8))
    app.dispatch({"type": "seek", "frame": 0})
    assert app.frame == 0 and len(app.prompts) == 1


def test_moving_the_playhead_during_a_propagation_keeps_it_there(predictor):
    """The view follows a propagation until the user moves it; it then stays where the user
    went (it jumped to the last frame when the propagation ended)."""
    frames, _ = moving_square_clip(num_frames=24)
    app = LitLoraApp(Session(predictor, frames, lit=True, autosave=False))
    try:
        click(app, 0, 20, 30)
        app.dispatch({"type": "propagate", "direction": "forward"})
        deadline = time.time() + 60
        while len(app.session.tracked_frames(1)) < 3 and time.time() < deadline:
            time.sleep(0.01)
        app.frame = 1  # the user goes back to look while it runs
        assert app.busy == "propagating forward"
        assert app.wait(120) and app.error == ""
        assert app.session.tracked_frames(1) == set(range(24))
        assert app.frame == 1 and app.mask_frame == 1
    finally:
        app.close()


def test_errors_show_in_the_widget_and_the_worker_survives(app):
    app.dispatch({"type": "no-such-event"})
    assert "unknown widget event" in app.error
    app.dispatch({"type": "accept", "index": 0})
    assert app.wait(30)
    assert app.error.startswith("accept:") and "Candidates" in app.error
    assert "Traceback" in app.error_detail
    app.dispatch({"type": "propagate", "direction": "forward"})  # nothing prompted yet
    assert app.wait(30)
    assert "nothing to propagate" in app.error and app.busy == ""
    click(app, 0, 20, 30)
    assert app.error == "" and app.objects


def test_stop_cancels_a_running_propagation(predictor):
    frames, _ = moving_square_clip(num_frames=24)
    app = LitLoraApp(Session(predictor, frames, lit=False, autosave=False))
    try:
        click(app, 0, 20, 30)
        app.dispatch({"type": "propagate", "direction": "forward"})
        app.dispatch({"type": "propagate", "direction": "backward"})  # queued: Stop drops it
        deadline = time.time() + 60
        while len(app.session.tracked_frames(1)) < 3 and time.time() < deadline:
            time.sleep(0.02)
        seen = len(app.session.tracked_frames(1))
        app.dispatch({"type": "stop"})
        assert app.wait(60)
        done = len(app.session.tracked_frames(1))
        assert 3 <= done <= seen + 2 < 24, "Stop must take effect at the next frame"
        assert "stopped" in app.status and app.busy == ""
        assert app.error == ""
    finally:
        app.close()


def test_correction_trains_then_candidates_accept_by_index(app):
    s = app.session
    click(app, 0, 20, 30)
    app.dispatch({"type": "propagate", "direction": "forward"})
    click(app, 3, 40, 30)  # LIT on, a tracked frame: a correction that trains
    assert app.error == ""
    assert s.events[-1]["kind"] == "correction" and len(s.training_log) == 1
    tr = app.curves["training"]
    assert len(tr) == 1 and tr[0]["ious"] and app.training == {}
    assert [m["kind"] for m in app.curves["marks"]] == ["prompt", "correction"]
    json.dumps(app.curves, allow_nan=False)  # JS's JSON.parse rejects NaN

    app.dispatch({"type": "candidates", "frame": 4})
    assert app.wait(60)
    assert app.error == "" and app.candidates_frame == 4 and len(app.candidates) == 2
    assert [c["expert"] for c in app.candidates] == [None, 0]
    cand = decode_lmr1(app.candidates[1]["rle"]).astype(bool)
    app.dispatch({"type": "accept", "index": 1})
    assert app.wait(60)
    assert app.error == "" and app.candidates == [] and s.events[-1]["kind"] == "accept"
    np.testing.assert_array_equal(s.mask(4, 1), cand)
    assert app.status == "accepted candidate 2 (expert 0) on frame 4"
    # a deleted object takes its training runs and marks off the charts (they stayed)
    app.dispatch({"type": "remove_object", "obj_id": 1})
    assert app.wait(60) and app.error == ""
    assert app.curves["training"] == [] and app.curves["marks"] == []
    app.dispatch({"type": "undo"})
    assert app.wait(60)
    assert len(app.curves["training"]) == 1 and len(app.curves["marks"]) == 3


def test_undo_redo_and_object_edits(app):
    s = app.session
    click(app, 0, 20, 30)
    app.dispatch({"type": "rename", "obj_id": 1, "name": "square"})
    app.dispatch({"type": "undo"})
    app.dispatch({"type": "undo"})
    assert app.wait(60)
    assert app.error == "" and app.prompts == [] and app.can_redo
    assert s.mask(0, 1).sum() == 0 if 1 in s.objects else True
    epoch = app.mask_epoch
    app.dispatch({"type": "redo"})
    assert app.wait(60)
    assert len(app.prompts) == 1 and app.mask_epoch == epoch + 1
    app.dispatch({"type": "remove_object", "obj_id": 1})
    assert app.wait(60)
    assert app.objects == [] and app.selected == 0 and app.mask_bytes == b""


def test_lit_toggle_reaches_the_session(app):
    app.lit = False
    assert app.wait(30)
    assert app.session.lit_enabled is False and "off" in app.status


def test_frames_travel_as_jpeg_buffers(app):
    got = []
    app.send = lambda content, buffers=None: got.append((content, buffers))
    app.dispatch({"type": "frames", "frames": [2, 0, 5]})
    deadline = time.time() + 30
    while len(got) < 3 and time.time() < deadline:
        time.sleep(0.01)
    assert [c["frame"] for c, _ in got] == [2, 0, 5]
    for content, buffers in got:
        assert set(content) == {"type", "frame"} and len(buffers) == 1
        assert buffers[0][:2] == b"\xff\xd8"  # JPEG SOI, raw bytes (never base64)


def test_exports_write_next_to_the_notebook(app, tmp_path):
    app.export_dir = str(tmp_path / "out")
    click(app, 0, 20, 30)
    for fmt in ("coco", "davis"):
        app.dispatch({"type": "export", "format": fmt})
    assert app.wait(60)
    assert app.error == ""
    (coco,) = (tmp_path / "out").glob("array_masks_*.json")  # video name + time stamp
    assert json.loads(coco.read_text())["annotations"]
    (davis,) = (tmp_path / "out").glob("array_davis_*")
    assert list(davis.glob("*.png"))
    app.dispatch({"type": "export", "format": "coco"})  # again: a second file, never overwritten
    assert app.wait(60) and app.error == ""
    assert len(list((tmp_path / "out").glob("array_masks_*.json"))) == 2
    assert coco.read_text() and app.last_export.startswith("COCO JSON written to")
    app.dispatch({"type": "export", "format": "save_adapters"})  # no experts yet
    assert app.wait(30)
    assert "no experts" in app.error and "Error" not in app.error  # the user's words


def test_export_with_nothing_to_export_says_so(app, tmp_path):
    app.export_dir = str(tmp_path / "out")
    app.dispatch({"type": "export", "format": "coco"})
    assert app.wait(30)
    assert app.error == "export: nothing to export yet: click on the video to segment an object"
    assert not (tmp_path / "out").exists()


def test_an_export_folder_that_cannot_be_written_is_named_in_the_users_words(app, tmp_path):
    """A folder under a file, an empty field: the error says what to type, not a Python
    exception ("unexpected error (FileNotFoundError): [Errno 2] …"); a relative folder is
    reported as the absolute path the files went to."""
    click(app, 0, 20, 30)
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    bad = tmp_path / "notes.txt" / "out"
    for text, error in [
        (
            str(bad),
            f"export: cannot make the folder {bad} (Not a directory): type a folder you can "
            "write to in “Export to”",
        ),
        ("  ", "export: the “Export to” folder is empty: type the folder to write to"),
    ]:
        app.export_dir = text
        app.dispatch({"type": "export", "format": "coco"})
        assert app.wait(30)
        assert app.error == error
    app.dispatch({"type": "export", "format": "load_adapters"})
    assert app.wait(30)
    assert app.error == "export: the “Export to” folder is empty: type the folder to write to"
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        app.export_dir = "rel"
        app.dispatch({"type": "export", "format": "coco"})
        assert app.wait(30) and app.error == ""
    finally:
        os.chdir(cwd)
    (coco,) = (tmp_path / "rel").glob("array_masks_*.json")
    assert app.last_export == f"COCO JSON written to {coco}"


def test_static_html_export(app, tmp_path):
    click(app, 0, 20, 30)
    out = app.to_html(tmp_path / "w.html")
    html = out.read_text()
    assert "application/vnd.jupyter.widget-state+json" in html and "mask_bytes" in html
    assert app.static_frame == b""  # only set while writing


def test_annotate_defaults_to_the_synthetic_clip_with_reference(predictor):
    app = annotate(predictor=predictor)
    try:
        assert app.num_frames == 24 and app.video_width == 256
        click(app, 0, 128, 128)
        assert app.error == ""
        (series,) = app.curves["iou"]
        assert series["obj_id"] == 1 and series["points"][0][0] == 0  # IoU against ground truth
        assert app.curves["iou_label"] == "IoU per frame vs ground truth"
        assert app.curves["against"] == "ground truth"  # the hover readout says it
        assert app.model_notice == ""  # the embedded model on its own demo clip
    finally:
        app.close()


def test_imported_mask_is_a_prompt_then_a_training_correction(app, tmp_path):
    from PIL import Image

    s = app.session
    _, masks = moving_square_clip(num_frames=6)
    app.import_mask(masks[0], frame=0)  # nothing tracked yet: a mask prompt
    assert app.wait(120) and app.error == ""
    assert s.events[-1]["kind"] == "add_mask" and np.array_equal(s.mask(0, 1), masks[0])
    app.dispatch({"type": "propagate", "direction": "forward"})
    png = tmp_path / "m.png"
    Image.fromarray(masks[3].astype(np.uint8) * 255).save(png)
    app.import_mask(png, frame=3, obj=1)  # a tracked frame, LIT on: trains at once
    assert app.wait(120) and app.error == ""
    assert s.events[-1]["kind"] == "correction" and len(s.training_log) == 1
    assert np.array_equal(s.mask(3, 1), masks[3])
    assert decode_lmr1(app.mask_bytes).shape == (96, 128)
    with pytest.raises(InputError, match="shape"):
        app.import_mask(np.ones((5, 5), bool))


def test_annotate_resume_continues_the_autosaved_session(predictor):
    frames, masks = moving_square_clip(num_frames=4)
    first = annotate(frames, predictor)
    first.session.add_object("square")
    first.session.add_mask(0, 1, masks[0])
    first.close()
    first.session.close()
    again = annotate(frames, predictor, resume=True)
    assert list(again.session.objects) == [1] and again.session.objects[1].name == "square"
    assert np.array_equal(again.session.mask(0, 1), masks[0])
    assert again.objects[0]["name"] == "square"  # the widget shows the resumed state
    assert "earlier session" not in again.model_notice
    again.close()
    again.session.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no red warning over the widget: the widget says it
        fresh = annotate(frames, predictor)  # re-running the cell: a new session
    assert fresh.session.objects == {}
    assert "earlier session of this video (2 actions" in fresh.model_notice
    assert "annotate(video, resume=True)" in fresh.model_notice
    fresh.close()
    fresh.session.close()
    back = annotate(frames, predictor, resume=True)  # the kept session, nothing lost
    assert back.session.objects[1].name == "square"
    assert np.array_equal(back.session.mask(0, 1), masks[0])
    assert back.session.history.undo_labels == ["add object 1", "add mask on frame 0"]
    back.close()
    back.session.close()


def test_rerunning_annotate_with_a_workdir_starts_a_new_session_and_keeps_the_earlier(
    predictor, tmp_path
):
    """Re-running the cell with ``workdir=`` (the first widget still open, as in a notebook)
    used to raise JournalError in place of the widget; it starts a new session, says so, and
    the earlier one resumes whole, with what was done in it after the re-run too."""
    frames, masks = moving_square_clip(num_frames=4)
    work = tmp_path / "work"
    first = annotate(frames, predictor, workdir=work)
    first.session.add_object("square")
    first.session.add_mask(0, 1, masks[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh = annotate(frames, predictor, workdir=work)
    assert fresh.session.objects == {}
    assert "earlier session of this video (2 actions" in fresh.model_notice
    fresh.session.add_object("other")
    first.session.add_mask(1, 1, masks[1])  # the first widget is still in use
    for app in (first, fresh):
        app.close()
        app.session.close()
    kept = sorted(work.glob("journal-*.jsonl"))
    assert len(kept) == 1
    back = annotate(frames, predictor, workdir=work, resume=True)  # the newest: fresh's
    assert [o.name for o in back.session.objects.values()] == ["other"]
    back.close()
    back.session.close()
    from litlora_widgets import Session

    old = Session.resume(work, predictor, frames, journal=kept[0].name)
    assert old.objects[1].name == "square"
    assert np.array_equal(old.mask(1, 1), masks[1])
    old.close()


# ---- issue #12: the event protocol, busy rule, keyframes, timeline, progress ----------------
def test_event_names_are_shared_with_the_js():
    from pathlib import Path

    src = (Path(__file__).parents[1] / "js" / "src" / "events.js").read_text()
    import re

    table = dict(re.findall(r"^\s+([A-Z_]+): \"([a-z_]+)\",$", src, re.M))
    assert sorted(table.values()) == E.WIRE_EVENTS
    nav = re.search(r"NAVIGATION = \[([^\]]*)\]", src).group(1)
    assert sorted(re.findall(r"EVENTS\.([A-Z_]+)", nav)) == sorted(
        k for k, v in table.items() if E.EVENTS[v].navigation
    )


def test_events_parse_to_one_typed_definition_each():
    ev = E.parse({"type": "click", "frame": "3", "x": 1, "y": 2.5, "obj": 2})  # old "obj" name
    assert ev == E.Click(frame=3, x=1.0, y=2.5, label=1, obj_id=2) and ev.on_frame == 3
    assert E.parse({"type": "undo"}).on_frame is None
    with pytest.raises(InputError, match="click: needs a frame"):
        E.parse({"type": "click", "x": 1, "y": 1})
    with pytest.raises(InputError, match="unknown widget event 'zap'"):
        E.parse({"type": "zap"})
    with pytest.raises(InputError, match="label must be 1"):
        E.parse({"type": "click", "frame": 0, "x": 1, "y": 1, "label": 7})


def test_a_click_on_a_frame_sam2_never_tracked_is_a_keyframe_prompt(app):
    s = app.session
    click(app, 0, 20, 30)
    app.dispatch({"type": "step"})  # tracks frame 1 only
    assert app.wait(120) and s.tracked_frames(1) == {0, 1}
    click(app, 4, 70, 30)  # never tracked: a prompt (keyframe), no training
    assert app.error == ""
    assert [e["kind"] for e in s.events] == ["add_points", "add_points"]
    assert s.training_log == [] and "keyframe" in app.status and "frame 4" in app.status
    click(app, 1, 40, 30)  # tracked by SAM2: a correction that trains
    assert [e["kind"] for e in s.events][-1] == "correction" and len(s.training_log) == 1


def test_ui_events_while_busy_are_refused_never_replayed(predictor):
    frames, _ = moving_square_clip(num_frames=24)
    app = LitLoraApp(Session(predictor, frames, lit=False, autosave=False))
    notices, refused = [], []
    app.observe(lambda ch: notices.append(ch["new"].get("text", "")), names="notice")
    app.observe(lambda ch: refused.append(ch["new"].get("refused")), names="notice")
    try:
        click(app, 0, 20, 30)
        app.dispatch({"type": "propagate", "direction": "forward"})
        deadline = time.time() + 60
        while app.busy == "" and time.time() < deadline:
            time.sleep(0.01)
        assert app.busy.startswith("propagating")
        ctl = app._ctl
        # from the browser while busy: refused at once, with a message
        ctl.handle({"type": "candidates", "frame": app.frame, "obj_id": 1}, from_ui=True)
        ctl.handle({"type": "click", "frame": app.frame, "x": 5, "y": 5}, from_ui=True)
        ctl.handle({"type": "seek", "frame": 2}, from_ui=True)  # navigation stays live
        assert app.frame == 2
        assert notices[:2] == [
            "busy: propagating forward, candidates ignored (■ Stop cancels)",
            "busy: propagating forward, click ignored (■ Stop cancels)",
        ]
        app.stop()
        assert app.wait(60) and app.busy == ""
        assert [e["kind"] for e in app.session.events] == ["add_points"]
        assert app.candidates == []
        # idle, but made on another frame than the one shown: refused, not applied there
        app.frame = 3
        ctl.handle({"type": "click", "frame": 5, "x": 5, "y": 5}, from_ui=True)
        assert app.wait(30) and notices[-1] == "click on frame 5 ignored: frame 3 is shown"
        assert [e["kind"] for e in app.session.events] == ["add_points"]
        # what a busy refusal refused, for the view to restate after the task: not this one
        assert refused == ["candidates", "click", ""]
    finally:
        app.close()


def test_the_view_states_its_frame_before_a_click_and_is_not_pulled_back(app):
    # the view sends a seek to the frame it shows right before an action (its trait update
    # may still wait in ipywidgets' queue): the click is applied there, and the seek is taken
    # as the view's own state, echoed but never sent back as a move (had the view moved on
    # meanwhile, a move would pull it back)
    click(app, 0, 20, 30)
    assert app.wait(60)
    sent = []
    app._send = lambda msg, buffers=None: sent.append(msg)
    app._ctl.handle({"type": "seek", "frame": 3}, from_ui=True)
    app._ctl.handle({"type": "click", "frame": 3, "x": 40, "y": 30}, from_ui=True)
    assert app.wait(60) and app.error == ""
    assert app.frame == 3 and app.notice.get("text", "") == ""
    assert [e["frame"] for e in app.session.events] == [0, 3]
    moves = [m for m in sent if m.get("method") == "update" and "frame" in m["state"]]
    assert moves == [], moves


def test_a_press_after_the_view_was_told_idle_is_not_refused(app, monkeypatch):
    # the kernel counted a long task as running until its handler returned, after it had told
    # the view busy "": a click the view then sent (rightly) was refused as made while busy
    click(app, 0, 20, 30)
    assert app.wait(60)
    told, more = threading.Event(), threading.Event()

    def undo_then_more(c, ev):  # a long task with work left after it publishes its end
        c.idle("undone")
        told.set()
        more.wait(30)

    monkeypatch.setitem(handlers.HANDLERS, E.Undo, undo_then_more)
    ctl = app._ctl
    ctl.handle({"type": "undo"}, from_ui=True)
    assert told.wait(30) and app.busy == ""
    ctl.handle({"type": "click", "frame": 0, "x": 40, "y": 30}, from_ui=True)
    more.set()
    assert app.wait(60) and app.error == ""
    assert app.notice.get("text", "") == ""
    assert [e["kind"] for e in app.session.events] == ["add_points", "add_points"]


def test_long_tasks_dropped_by_stop_no_longer_count_as_busy(app, monkeypatch):
    # Stop drops the long tasks still queued (from Python here): they never run, so they must
    # not keep the widget busy for ever (every later press would be refused)
    click(app, 0, 20, 30)
    assert app.wait(60)
    started, release = threading.Event(), threading.Event()

    def held_undo(c, ev):
        started.set()
        release.wait(30)

    monkeypatch.setitem(handlers.HANDLERS, E.Undo, held_undo)
    app.dispatch({"type": "undo"})
    app.dispatch({"type": "undo"})  # queued behind the first
    assert started.wait(30)
    app.stop()
    release.set()
    assert app.wait(60)
    app._ctl.handle({"type": "click", "frame": 0, "x": 40, "y": 30}, from_ui=True)
    assert app.wait(60) and app.notice.get("text", "") == ""
    assert [e["kind"] for e in app.session.events] == ["add_points", "add_points"]


def test_queued_click_is_dropped_when_the_user_moved_on(app):
    # a short click queued behind another runs only if its frame is still the one shown
    click(app, 0, 20, 30)
    gate = threading.Event()
    app._ctl.worker.submit("hold", gate.wait)
    app._ctl.handle({"type": "click", "frame": 0, "x": 22, "y": 31}, from_ui=True)  # queued
    app.frame = 1
    gate.set()
    assert app.wait(60)
    assert [e["kind"] for e in app.session.events] == ["add_points"]
    assert app.notice["text"] == "click made on frame 0 dropped: frame 1 is shown"


def test_timeline_rows_mark_prompts_tracked_corrections(app):
    click(app, 0, 20, 30)
    app.dispatch({"type": "propagate", "direction": "forward"})
    assert app.wait(120)
    (row,) = app.timeline["rows"]
    assert row["obj_id"] == 1 and len(row["codes"]) == 6
    assert row["codes"][0] == "p" and set(row["codes"][1:]) <= {"t", "u", "0"}
    click(app, 3, 40, 30)  # a correction
    assert app.timeline["rows"][0]["codes"][3] == "c"


def test_training_shows_epoch_of_total_and_time_left(app):
    seen = []
    app.observe(lambda ch: ch["new"] and seen.append(dict(ch["new"])), names="training")
    click(app, 0, 20, 30)
    app.dispatch({"type": "propagate", "direction": "forward"})
    click(app, 3, 40, 30)
    assert app.error == "" and app.training == {}
    live = [t for t in seen if t.get("epoch")]
    assert live, seen
    cfg = app.session.lit_config
    assert all(t["max_epochs"] >= t["epoch"] for t in live)
    assert live[0]["max_epochs"] == cfg.init_epochs  # no expert yet: a new one, init epochs
    # time left from the pace since the first epoch (which also pays for the setup): none on
    # the first report, then an estimate
    assert [t["seconds_left"] is None for t in live] == [True] + [False] * (len(live) - 1)
    assert all(t["seconds_left"] >= 0 for t in live[1:])
    assert "trained in" in app.status and "frame 3" in app.status


def test_one_candidate_grammar_and_keys(app):
    app.session.lit_enabled = False
    click(app, 0, 20, 30)
    app.dispatch({"type": "candidates", "frame": 0})
    assert app.wait(60) and app.error == ""
    assert len(app.candidates) == 1
    assert app.status == "1 candidate on frame 0: key 1 accepts, Esc rejects"
    c = app.candidates[0]
    assert c["area"] == int(app.session.mask(0, 1).sum()) and c["expert"] is None
    assert c["absent"] == (c["area"] == 0 or (c["obj_score"] or 0) < 0)
    app.frame = 1  # the panel closes when the frame changes
    assert app.candidates == [] and app.candidates_frame == -1


def test_embedded_model_on_a_real_video_says_it_was_trained_on_synthetic_clips():
    from litlora_widgets.widget.app import OFFICIAL_WEIGHTS_LINE, model_notice

    note = model_notice("litlora-tiny", demo=False)
    assert "synthetic videos only" in note and OFFICIAL_WEIGHTS_LINE in note
    assert model_notice("litlora-tiny", demo=True) == ""  # its own demo clip
    assert model_notice("sam2.1_hiera_t", demo=False) == ""


def test_undo_names_what_it_undid_in_user_words(app):
    """Every step by the name the history gives it; propagations, renames and object
    removals used to be "undo: last action"."""
    click(app, 0, 20, 30)
    app.dispatch({"type": "undo"})
    assert app.wait(60)
    assert app.status == "undo: add points on frame 0"
    app.dispatch({"type": "redo"})
    assert app.wait(60)
    assert app.status == "redo: add points on frame 0"
    app.dispatch({"type": "propagate", "direction": "forward"})
    app.dispatch({"type": "rename", "obj_id": 1, "name": "square"})
    app.dispatch({"type": "add_object"})
    app.dispatch({"type": "remove_object", "obj_id": 2})
    assert app.wait(120) and app.error == ""
    said = []
    for kind in ["undo"] * 4 + ["redo"]:
        app.dispatch({"type": kind})
        assert app.wait(60)
        said.append(app.status)
    assert said == [
        "undo: remove object 2",
        "undo: add object 2",
        "undo: rename object 1",
        "undo: propagation from frame 0",
        "redo: propagation from frame 0",
    ]
    app.dispatch({"type": "accept", "index": 0})
    assert app.wait(30)
    assert app.error == "accept: no candidates to accept: press Candidates first"


def test_adapter_library_lists_files_with_metadata_and_fit(app, tmp_path):
    app.export_dir = str(tmp_path)
    app.dispatch({"type": "list_adapters"})
    assert app.wait(30)
    assert app.error == f"load adapters: no adapter files in {tmp_path}: save adapters first"
    click(app, 0, 20, 30)
    app.dispatch({"type": "propagate", "direction": "forward"})
    click(app, 3, 40, 30)  # trains expert 0
    app.dispatch({"type": "export", "format": "save_adapters"})
    assert app.wait(60) and app.error == ""
    time.sleep(0.01)  # a later mtime for the junk file (listed newest first)
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    app.dispatch({"type": "list_adapters"})
    assert app.wait(30) and app.error == ""
    rows = app.adapters["rows"]
    assert [r["fits"] for r in rows] == [False, False]
    junk, good = rows
    assert junk["why"] == "not a readable safetensors file"
    assert good["video"] == "array" and good["object"] == "object 1"
    assert good["num_experts"] == 1 and good["model"] == app.session.model_name
    assert app.status == (
        f"2 adapter files in {tmp_path}, none can be loaded into this object: each says why"
    )
    assert (
        good["fits"] is False and good["why"] == "already loaded in this object (the same weights)"
    )
    # loaded back into the object it came from all the same: refused (one candidate twice)
    app.dispatch({"type": "export", "format": "load_adapters", "path": good["path"]})
    assert app.wait(60)
    assert app.error.endswith(
        "expert 0 of the file is already expert 0 here (same weights): nothing was loaded"
    )
    assert app.session.experts(1).num_experts == 1
    assert app.adapters["rows"]  # the library stays open after the refusal
    app.dispatch({"type": "add_object"})
    assert app.wait(30)
    app.selected = 2  # the open library is listed again for object 2 (it kept object 1's)
    assert app.wait(30) and [r["fits"] for r in app.adapters["rows"]] == [False, True]
    app.dispatch({"type": "export", "format": "load_adapters", "path": good["path"]})
    assert app.wait(60) and app.error == ""
    assert app.status.startswith("loaded 1 expert from") and app.adapters == {}
    assert app.session.experts(2).num_experts == 1


def test_adapters_of_another_model_are_listed_as_not_fitting_and_say_why(app, tmp_path):
    import torch

    from litlora_widgets.build_sam import load_predictor
    from litlora_widgets.errors import AdapterError
    from litlora_widgets.widget.library import describe_adapter

    torch.manual_seed(1)  # the same architecture with other weights: another model
    other = load_predictor(checkpoint=None, image_size=256, device="cpu", quiet=True)
    s = app.session
    obj = s.add_object("square")
    with Session(other, s.video, autosave=False) as elsewhere:
        bank = elsewhere.new_bank()
    bank._new_expert()
    path = tmp_path / "other.safetensors"
    bank.save(path, extra_metadata={"model": "sam2.1_hiera_t (other weights)"})
    row = describe_adapter(path, s, obj)
    assert row["fits"] is False and row["num_experts"] == 1
    assert row["why"] == (
        f"trained on sam2.1_hiera_t (other weights), not on this session's {s.model_name}"
    )
    with pytest.raises(AdapterError, match="another SAM2 model"):
        s.load_adapters(path, obj_id=obj)
    assert s.experts(obj).num_experts == 0  # the session goes on without them


def test_stop_arriving_as_the_task_ends_keeps_its_outcome(app):
    # the race the stressed browser run hit: the task published "... stopped after N frames"
    # (busy "") but the worker had not yet cleared its label when Stop arrived
    app.status = "propagating forward: stopped after 3 frames"
    app._ctl.worker.running = "propagate"
    app.stop()
    app._ctl.worker.running = None
    assert app.status == "propagating forward: stopped after 3 frames"


def test_errors_are_worded_for_the_user():
    from litlora_widgets.errors import AdapterError, TrainingError
    from litlora_widgets.widget.controller import describe

    assert describe(
        AdapterError("cannot load adapters from x: they were trained on another SAM2 model")
    ) == ("cannot load adapters from x: they were trained on another SAM2 model")
    assert describe(TrainingError("training diverged")) == "training diverged"
    assert describe(RuntimeError("boom")) == "unexpected error (RuntimeError): boom"


def test_timeline_codes_from_frame_states():
    from litlora_widgets.widget.state import FrameState, timeline_row

    nan = float("nan")
    states = {
        0: FrameState(0, "prompt", 50, nan, nan),
        1: FrameState(1, "tracked", 40, 0.9, 3.0),
        2: FrameState(2, "tracked", 40, 0.3, 3.0),  # SAM2 unsure: low predicted IoU
        3: FrameState(3, "tracked", 40, 0.9, -1.0),  # a mask although the object score says absent
        4: FrameState(4, "tracked", 0, 0.9, -5.0),  # absent
        5: FrameState(5, "correction", 45, nan, nan),
        6: FrameState(6, "accept", 0, nan, nan),
        9: FrameState(9, "tracked", 10, nan, nan),  # scores unknown: plain tracked
    }
    assert timeline_row(states, 10) == "ptuu0ca..t"
    assert timeline_row(states, 3) == "ptu"


def test_the_demo_clip_passed_as_an_array_is_recognised():
    from litlora_widgets.datasets import demo_clip
    from litlora_widgets.widget.app import is_demo_clip

    frames, _ = demo_clip()
    assert is_demo_clip(frames) and not is_demo_clip(frames[::-1].copy())
    assert not is_demo_clip("clip.mp4")


def test_busy_is_published_last(app):
    # an observer that sees the task end sees its outcome already in place
    seen = []
    app.observe(lambda ch: seen.append(app.status), names="busy")
    app._ctl.set_traits(busy="", status="done: 3 frames", progress={})
    app._ctl.set_traits(status="working", busy="tracking")
    assert seen == ["working"] or seen == ["done: 3 frames", "working"]
    app._ctl.set_traits(busy="", status="tracking: done after 3 frames")
    assert seen[-1] == "tracking: done after 3 frames"


# ---- issue #12, item 7 and #11, item 5: hover values, the review queue on the timeline -------
def test_review_k_is_a_tenth_of_the_tracked_frames_at_least_one():
    assert [state.review_k(n) for n in (0, 1, 5, 14, 15, 23, 26, 100)] == [0, 1, 1, 1, 2, 2, 3, 10]


def test_timeline_sends_each_objects_review_queue(predictor):
    import re
    from pathlib import Path

    frames, masks = moving_square_clip(num_frames=24)
    app = LitLoraApp(Session(predictor, frames, lit=False, autosave=False))
    try:
        s = app.session
        assert app.curves["against"] == "your masks"
        app.import_mask(masks[0], frame=0)  # a mask prompt: object 1
        app.dispatch({"type": "propagate", "direction": "forward"})
        assert app.wait(180) and app.error == ""
        (row,) = app.timeline["rows"]
        assert row["codes"][0] == "p" and len(s.tracked_frames(1)) == 24
        # 23 tracked frames: the 2 most likely wrong, as Session.review_queue ranks them (random
        # weights: SAM2 is unsure everywhere, so both score above LIKELY_WRONG)
        items = s.review_queue(1, 2)
        assert len(items) == 2 and min(it.score for it in items) >= LIKELY_WRONG
        assert row["review"] == [
            {"frame": it.frame, "score": it.score, "why": "; ".join(it.reasons)} for it in items
        ]
        assert all(row["codes"][it.frame] in "tu0" for it in items)
        assert app.timeline["review_fraction"] == 0.1
        json.dumps(app.timeline, allow_nan=False)
        # the keys the JS reads (js/src/timeline.js ROW_KEYS, REVIEW_KEYS) are the ones sent
        src = (Path(__file__).parents[1] / "js" / "src" / "timeline.js").read_text()
        js = {
            name: re.findall(r'"(\w+)"', re.search(rf"{name} = \[([^\]]*)\]", src).group(1))
            for name in ("ROW_KEYS", "REVIEW_KEYS")
        }
        assert list(row) == js["ROW_KEYS"] and list(row["review"][0]) == js["REVIEW_KEYS"]
        # the top frame given as a mask is confirmed: it leaves the queue, which is re-ranked
        top = items[0].frame
        app.import_mask(masks[top], frame=top)
        assert app.wait(60) and app.error == ""
        (row,) = app.timeline["rows"]
        assert row["codes"][top] == "p"
        again = s.review_queue(1, 2)  # 22 tracked frames: still 2
        assert [q["frame"] for q in row["review"]] == [it.frame for it in again]
        assert top not in [q["frame"] for q in row["review"]]
        # a second object without tracked frames has an empty queue
        app.dispatch({"type": "add_object"})
        app.dispatch({"type": "click", "frame": 5, "obj_id": 2, "x": 100, "y": 70, "label": 1})
        assert app.wait(60) and app.error == ""
        rows = {r["obj_id"]: r for r in app.timeline["rows"]}
        assert rows[2]["review"] == [] and rows[2]["codes"][5] == "p"
        assert [q["frame"] for q in rows[1]["review"]] == [it.frame for it in again]
    finally:
        app.close()


@pytest.mark.skipif(not TINY_WEIGHTS.is_file(), reason=f"no embedded weights at {TINY_WEIGHTS}")
def test_the_timeline_marks_only_frames_likely_wrong():
    """On a clip the embedded model tracks well throughout (the demo clip, IoU 0.77-0.85 after
    frame 0) nothing is marked, though the queue still ranks every frame; on the hard demo clip,
    which it loses from frame 13, the marks are the queue's first frames (15 and 13, both lost)."""
    from litlora_widgets.build_sam import load_predictor
    from litlora_widgets.datasets import demo_clip

    predictor = load_predictor(device="cpu")
    hard = demo_clip(seed=3, size=(240, 320), difficulty="hard")
    for (frames, labels), marked in [(demo_clip(), []), (hard, [15, 13])]:
        with Session(predictor, frames, lit=False, autosave=False) as s:
            s.add_mask(0, s.add_object(), labels[0] == 1)
            list(s.propagate(progress=False))
            (row,) = state.timeline_of(s, state.ReviewQueues())["rows"]
            assert row["codes"][0] == "p" and len(s.tracked_frames(1)) == 24
            ranked = s.review_queue(1, 2)  # the queue itself ranks every tracked frame
            assert [q["frame"] for q in row["review"]] == marked
            if marked:
                assert [it.frame for it in ranked] == marked
            else:
                assert len(ranked) == 2 and max(it.score for it in ranked) < LIKELY_WRONG


def test_opening_status_fits_a_session_that_already_has_objects(predictor):
    frames, _ = moving_square_clip()
    s = Session(predictor, frames, lit=False, autosave=False)
    assert LitLoraApp(s).status == "click on the video to start an object"
    s.add_object("car")
    assert LitLoraApp(s).status == (
        "1 object: click to refine the selected one, + object for another, ? for keys"
    )
    s.add_object("dog")
    assert LitLoraApp(s).status.startswith("2 objects: ")
