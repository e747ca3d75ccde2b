"""Catalogue of bad inputs: each gives a clear message and leaves the session unchanged.

Covers the engine (Session), adapter and checkpoint files (hostile pickles included), videos,
mask files, exports, journals, widget events and the evaluation. The session state compared
before/after: masks, user masks, objects, events, training log, undo depth and expert tensors.
"""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from litlora_widgets.errors import AdapterError, CheckpointError, InputError, VideoError
from litlora_widgets.journal import JournalError
from litlora_widgets.session import Session

MARKER = "pwned.marker"


class _Hostile:
    """Unpickling this runs ``open(marker, 'w')``: a file appearing means code was executed."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _hostile_pickle(path: Path, marker: Path) -> Path:
    path.write_bytes(pickle.dumps({"model": _Hostile(str(marker))}))
    return path


def _hostile_torch_zip(path: Path, marker: Path) -> Path:
    buf = io.BytesIO()
    torch.save({"model": _Hostile(str(marker))}, buf)  # a .pt posing as a checkpoint
    path.write_bytes(buf.getvalue())
    return path


@pytest.fixture(scope="module")
def world(predictor, tmp_path_factory):
    """A prompted, propagated, corrected session (one expert) shared by every case."""
    from conftest import moving_square_clip

    from litlora_widgets.engine.experts import LitConfig

    frames, masks = moving_square_clip()
    tmp = tmp_path_factory.mktemp("bad")
    s = Session(
        predictor,
        frames,
        workdir=tmp / "work",
        lit_config=LitConfig(init_epochs=10, finetune_epochs=5),
    )
    obj = s.add_object("square")
    s.add_mask(0, obj, masks[0])
    list(s.propagate(progress=False, max_frames=3))
    s.correct(3, obj, mask=masks[3])
    good = s.save_adapters(tmp / "good.safetensors")
    yield s, obj, masks, tmp, good
    s.close()


def _state(s) -> tuple:
    st = s.state()
    banks = []
    for o in sorted(st.banks):
        snap = st.banks[o].snapshot()
        banks.append(
            [
                (n, k, t.clone())
                for n in sorted(snap.adapters)
                for k, t in sorted(snap.adapters[n].items())
            ]
        )
        banks.append([(n, len(r)) for n, r in snap.experts])
    return (
        dict(st.masks),
        dict(st.user_masks),
        dict(s.objects),
        repr(s.events),
        repr(s.training_log),
        s.history.undo_labels,
        s.history.redo_labels,
        banks,
        s.journal.actions if s.journal else None,
    )


def _same(a: tuple, b: tuple) -> bool:
    if a[:7] != b[:7] or a[8] != b[8] or len(a[7]) != len(b[7]):
        return False
    for x, y in zip(a[7], b[7], strict=True):
        if len(x) != len(y):
            return False
        for u, v in zip(x, y, strict=True):
            if u[:2] != v[:2] or (len(u) == 3 and not torch.equal(u[2], v[2])):
                return False
    return True


def _file(name: str, data: bytes):
    def make(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(data)
        return p

    return make


def _truncated_adapter(tmp: Path, good: Path) -> Path:
    p = tmp / "truncated.safetensors"
    p.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return p


def _wrong_header(tmp: Path) -> Path:
    p = tmp / "header.safetensors"
    p.write_bytes(struct.pack("<Q", 10**12) + b"{}")  # header length far beyond the file
    return p


def _png(tmp: Path, size) -> Path:
    from PIL import Image

    d = tmp / f"davis{size[0]}"
    d.mkdir(exist_ok=True)
    Image.fromarray(np.ones(size, np.uint8)).save(d / "00000.png")
    return d


def _journal_corrupt_line(tmp: Path, s) -> Path:
    import shutil

    d = tmp / "journal-copy"
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(s.workdir, d)
    lines = (d / "journal.jsonl").read_bytes().splitlines(keepends=True)
    lines[1] = b'{"crc": "00000000", "rec": {"garbage": true}}\n'
    (d / "journal.jsonl").write_bytes(b"".join(lines))
    return d


# (name, call(s, obj, masks, tmp, good), exception, message regex)
CASES = [
    # ---- engine: prompts, frames, objects
    (
        "frame is a float",
        lambda s, o, m, t, g: s.add_points(1.5, o, [[5, 5]], [1]),
        InputError,
        "frame must be an integer",
    ),
    ("frame is bool", lambda s, o, m, t, g: s.add_mask(True, o, m[0]), InputError, "integer"),
    (
        "frame past end",
        lambda s, o, m, t, g: s.correct(99, o, mask=m[0]),
        InputError,
        r"out of range; this video has frames 0\.\.5",
    ),
    (
        "obj id is a string",
        lambda s, o, m, t, g: s.add_points(0, "square", [[5, 5]], [1]),
        InputError,
        "obj_id must be an integer",
    ),
    ("obj id 0", lambda s, o, m, t, g: s.add_object(obj_id=0), InputError, r"1\.\.255"),
    ("obj id 300", lambda s, o, m, t, g: s.add_object(obj_id=300), InputError, r"1\.\.255"),
    (
        "remove unknown object",
        lambda s, o, m, t, g: s.remove_object(42),
        InputError,
        "does not exist",
    ),
    ("empty points", lambda s, o, m, t, g: s.add_points(0, o, [], []), InputError, "N ≥ 1"),
    (
        "inf point",
        lambda s, o, m, t, g: s.add_points(0, o, [[np.inf, 3]], [1]),
        InputError,
        "NaN or infinity",
    ),
    (
        "points not numbers",
        lambda s, o, m, t, g: s.add_points(0, o, [["a", "b"]], [1]),
        InputError,
        r"\[x, y\] pairs",
    ),
    (
        "box of 3 numbers",
        lambda s, o, m, t, g: s.add_box(0, o, [1, 2, 3]),
        InputError,
        "4 finite numbers",
    ),
    (
        "mask of wrong dtype/shape",
        lambda s, o, m, t, g: s.add_mask(0, o, np.ones((96, 128, 3))),
        InputError,
        "shape",
    ),
    ("correct without prompt kind", lambda s, o, m, t, g: s.correct(2, o), InputError, "either"),
    (
        "candidates of unknown object",
        lambda s, o, m, t, g: s.candidates(1, 99),
        InputError,
        "does not exist",
    ),
    (
        "propagate max_frames<0",
        lambda s, o, m, t, g: s.propagate(max_frames=-1),
        InputError,
        "non-negative",
    ),
    ("accept bool index", lambda s, o, m, t, g: s.accept(3, o, True), InputError, "out of range"),
    (
        "strength out of range",
        lambda s, o, m, t, g: s.load_adapters(g, strength=5),
        AdapterError,
        r"strength must be a number in \[0, 2\]",
    ),
    # ---- adapter files
    (
        "adapter missing",
        lambda s, o, m, t, g: s.load_adapters(t / "nope.safetensors"),
        AdapterError,
        "not found",
    ),
    (
        "adapter truncated",
        lambda s, o, m, t, g: s.load_adapters(_truncated_adapter(t, g)),
        AdapterError,
        "truncated/corrupt",
    ),
    (
        "adapter header lies",
        lambda s, o, m, t, g: s.load_adapters(_wrong_header(t)),
        AdapterError,
        "not a valid safetensors",
    ),
    (
        "adapter is a pickle",
        lambda s, o, m, t, g: s.load_adapters(_hostile_pickle(t / "evil.safetensors", t / MARKER)),
        AdapterError,
        "never loaded|not a valid safetensors",
    ),
    (
        "adapter is empty",
        lambda s, o, m, t, g: s.load_adapters(_file("e.safetensors", b"")(t)),
        AdapterError,
        "not a valid safetensors",
    ),
    # ---- checkpoint files
    (
        "checkpoint pickle (.pt)",
        lambda s, o, m, t, g: _load_ckpt(_hostile_torch_zip(t / "evil.pt", t / MARKER)),
        CheckpointError,
        "",
    ),
    (
        "checkpoint raw pickle",
        lambda s, o, m, t, g: _load_ckpt(_hostile_pickle(t / "evil.pkl", t / MARKER)),
        CheckpointError,
        "",
    ),
    (
        "checkpoint 0 bytes",
        lambda s, o, m, t, g: _load_ckpt(_file("z.pt", b"")(t)),
        CheckpointError,
        "empty",
    ),
    (
        "checkpoint truncated safetensors",
        lambda s, o, m, t, g: _load_ckpt(_truncated_adapter(t, g).rename(t / "ckpt.safetensors")),
        CheckpointError,
        "",
    ),
    # ---- videos
    (
        "video 0 bytes",
        lambda s, o, m, t, g: Session(s.predictor, _file("v.mp4", b"")(t), autosave=False),
        VideoError,
        "",
    ),
    (
        "video garbage bytes",
        lambda s, o, m, t, g: Session(
            s.predictor, _file("v2.mp4", b"\x00not a video" * 50)(t), autosave=False
        ),
        VideoError,
        "",
    ),
    (
        "video empty array",
        lambda s, o, m, t, g: Session(
            s.predictor, np.zeros((0, 8, 8, 3), np.uint8), autosave=False
        ),
        VideoError,
        "",
    ),
    # ---- mask files / imports
    (
        "PNG mask of another size",
        lambda s, o, m, t, g: s.import_masks(_png(t, (40, 50))),
        InputError,
        "40|50",
    ),
    (
        "COCO file not JSON",
        lambda s, o, m, t, g: s.import_masks(_file("m.json", b"{oops")(t)),
        InputError,
        "",
    ),
    (
        "label array wrong size",
        lambda s, o, m, t, g: s.import_masks(np.ones((6, 10, 10), np.uint8)),
        InputError,
        r"shape \(T, 96, 128\)",
    ),
    (
        "import frame out of range",
        lambda s, o, m, t, g: s.import_masks(np.ones((9, 96, 128), np.uint8)),
        InputError,
        "out of range",
    ),
    # ---- exports
    (
        "export into a file path",
        lambda s, o, m, t, g: s.export_davis(_file("not-a-dir", b"x")(t)),
        (InputError, OSError),
        "",
    ),
    (
        "export coco to missing dir",
        lambda s, o, m, t, g: s.export_coco(t / "no" / "such" / "dir" / "m.json"),
        (InputError, OSError),
        "",
    ),
    # ---- journals
    (
        "journal with a corrupted line",
        lambda s, o, m, t, g: Session.resume(_journal_corrupt_line(t, s), s.predictor, s.video),
        JournalError,
        "truncate=True",
    ),
    (
        "resume a folder without journal",
        lambda s, o, m, t, g: Session.resume(t, s.predictor),
        JournalError,
        "no session journal",
    ),
    (
        "new session over a journal",
        lambda s, o, m, t, g: Session(s.predictor, s.video, workdir=s.workdir),
        JournalError,
        "already holds a session journal",
    ),
]


def _load_ckpt(path: Path):
    from litlora_widgets.build_sam import read_state_dict

    return read_state_dict(path)


@pytest.mark.parametrize("name, call, exc, match", CASES, ids=[c[0] for c in CASES])
def test_bad_input(world, name, call, exc, match):
    s, obj, masks, tmp, good = world
    before = _state(s)
    with pytest.raises(exc, match=match or None):
        call(s, obj, masks, tmp, good)
    assert _same(before, _state(s)), f"{name}: the session changed"
    assert not (tmp / MARKER).exists(), f"{name}: a pickle was executed"
    assert not (Path.cwd() / MARKER).exists()


def test_catalogue_is_large_enough():
    assert len(CASES) + len(WIDGET_EVENTS) + 2 >= 30


WIDGET_EVENTS = [
    ({"type": "explode"}, "unknown widget event"),
    ({"type": "click", "frame": 99, "x": 5, "y": 5, "label": 1}, "out of range"),
    ({"type": "click", "frame": 0, "x": 5000, "y": 5, "label": 1}, "outside the frame"),
    ({"type": "accept", "index": 0}, "no candidates"),
    ({"type": "rename", "obj": 1, "name": "   "}, "non-empty"),
]


def test_bad_widget_events(world):
    pytest.importorskip("anywidget")
    from litlora_widgets.widget import LitLoraApp

    s, *_ = world
    app = LitLoraApp(s)
    try:
        for event, match in WIDGET_EVENTS:
            before = _state(s)
            app.error = ""
            app.dispatch(event)
            assert app.wait(60)
            assert match in app.error.lower() or match in app.error_detail, (event, app.error)
            assert _same(before, _state(s)), event
    finally:
        app._ctl.close()


def test_bad_evaluation_inputs(tmp_path):
    from litlora_widgets.evaluation.datasets import discover

    with pytest.raises(InputError):
        discover(tmp_path / "missing")
    with pytest.raises(InputError):
        discover(tmp_path)
