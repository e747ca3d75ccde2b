"""Journal: autosave of every action, exact resume, torn/corrupt journals, and kill -9."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import _journal_worker as W
import numpy as np
import pytest
import torch

from litlora_widgets import _journal_private as J
from litlora_widgets.journal import JOURNAL, JournalError, read_journal
from litlora_widgets.session import Session

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def recorded(predictor, tmp_path_factory):
    """The scripted run, journaled once: (workdir, digest after each action, frames, session)."""
    frames, masks = W.moving_square_clip()
    work = tmp_path_factory.mktemp("journal") / "run"
    s = Session(predictor, frames, workdir=work, lit_config=W.lit_config())
    digests = [W.digest(s)]
    for act in W.actions(masks):
        act(s)
        digests.append(W.digest(s))
    per_action = s.journal.write_seconds / s.journal.actions
    print(
        f"\njournal: {s.journal.actions} actions, {per_action * 1e3:.1f} ms per action, "
        f"{sum(f.stat().st_size for f in work.rglob('*')) / 1e6:.2f} MB on disk"
    )
    s.journal.close()  # later tests poke the original session: keep its journal as recorded
    yield work, digests, frames, s
    s.close()


def _copy(work: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(work, dst)
    return dst


def test_resume_restores_state_and_undo_history(recorded, predictor, tmp_path):
    work, digests, frames, original = recorded
    r = Session.resume(_copy(work, tmp_path), predictor, frames)
    try:
        assert W.digest(r) == digests[-1]
        assert r.journal.actions == len(digests) - 1
        assert r.history.undo_labels == original.history.undo_labels
        assert r.history.redo_labels == original.history.redo_labels
        for f in range(r.num_frames):
            a, b = r.masks(f), original.masks(f)
            assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        assert r.objects == original.objects
        # undo after resume: same state as the original after the same undo (bit-exact experts)
        undone = 0
        try:
            for _ in range(3):
                assert r.undo() and original.undo()
                undone += 1
                assert W.digest(r) == W.digest(original)
        finally:
            for _ in range(undone):
                original.redo()
        # the resumed session keeps autosaving: one more action survives a second resume
        r.redo()
        r.add_points(0, 1, [[31, 31]], [1])
        want = W.digest(r)
        r.close()
        r2 = Session.resume(r.workdir, predictor, frames)
        assert W.digest(r2) == want
        assert r2.correct(4, 1, mask=np.roll(r2.mask(3, 1), 3, axis=1)).trained is False  # lit off
        r2.close()
    finally:
        r.close()


def test_torn_tail_is_dropped(recorded, predictor, tmp_path):
    work, digests, frames, _ = recorded
    d = _copy(work, tmp_path)
    data = (d / JOURNAL).read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    (d / JOURNAL).write_bytes(data[: last + (len(data) - last) // 2])  # half of the last line
    with pytest.warns(UserWarning, match="torn/corrupt"):
        r = Session.resume(d, predictor, frames)
    assert r.journal.actions == len(digests) - 2 and W.digest(r) == digests[-2]
    r.add_object("after the crash")  # appends cleanly after the dropped tail
    r.close()
    records, _ = read_journal(d)
    assert records[-1]["kind"] == "add_object" and len(records) == len(digests)


def _rewrite(path: Path, index: int, change) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    rec = J.decode_line(lines[index])
    change(rec)
    lines[index] = J.encode_line(rec)
    path.write_bytes(b"".join(lines))


def test_corrupt_middle_line_needs_truncate(recorded, predictor, tmp_path):
    work, digests, frames, _ = recorded
    d = _copy(work, tmp_path)
    lines = (d / JOURNAL).read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b'"kind"', b'"kinx"')  # checksum no longer matches
    (d / JOURNAL).write_bytes(b"".join(lines))
    with pytest.raises(JournalError, match=r"line 5 of .* truncate=True to keep the 3 action"):
        Session.resume(d, predictor, frames)
    with pytest.warns(UserWarning):
        r = Session.resume(d, predictor, frames, truncate=True)
    assert W.digest(r) == digests[3]
    r.close()


@pytest.mark.parametrize(
    "what, change, match",
    [
        ("newer format", lambda h: h.update(format=99), "format 99.*upgrade litlora-widgets"),
        ("other model", lambda h: h["model"].update(decoder="0" * 16), "another SAM2 model"),
        ("other video", lambda h: h["video"].update(fingerprint="f" * 16), "another video"),
    ],
)
def test_header_mismatch_is_a_clear_error(recorded, predictor, tmp_path, what, change, match):
    work, _, frames, _ = recorded
    d = _copy(work, tmp_path)
    _rewrite(d / JOURNAL, 0, change)
    with pytest.raises(JournalError, match=match):
        Session.resume(d, predictor, frames)


def test_resume_on_another_video_and_without_video(recorded, predictor, make_clip, tmp_path):
    work, _, _, _ = recorded
    other, _ = make_clip(num_frames=4, size=(80, 112))
    with pytest.raises(JournalError, match=r"another video.*pass the video it was recorded on"):
        Session.resume(work, predictor, other)
    with pytest.raises(JournalError, match=r"in memory; pass it again"):
        Session.resume(work, predictor)
    with pytest.raises(JournalError, match="no session journal"):
        Session.resume(tmp_path, predictor)


def test_existing_journal_is_never_overwritten(recorded, predictor, tmp_path, monkeypatch):
    work, _, frames, _ = recorded
    with pytest.raises(JournalError, match="already holds a session journal.*Session.resume"):
        Session(predictor, frames, workdir=work)
    monkeypatch.setenv("LITLORA_HOME", str(tmp_path))
    a = Session(predictor, frames)  # default folder per video
    a.add_object("x")
    a.close()
    with pytest.warns(UserWarning, match="earlier session of this video was kept"):
        b = Session(predictor, frames)
    assert b.workdir == a.workdir and len(list(a.workdir.glob("journal-*.jsonl"))) == 1
    b.close()
    assert Session(predictor, frames, autosave=False).journal is None


@pytest.mark.slow
def test_kill_9_at_random_points(recorded, tmp_path):
    """Kill the worker (SIGKILL) at random points, resume in the next worker, repeat: every
    action it reported done is there with the same state digest, and nothing is corrupt."""
    rng = random.Random(int(os.environ.get("LITLORA_KILL_SEED", "7")))
    work = tmp_path / "killed"
    n_actions = len(W.actions(np.zeros((6, 96, 128), bool)))
    last_done, last_digest, kills, rounds = 0, "-", 0, 4
    for round_ in range(rounds + 1):
        proc = _Worker(work)
        try:
            tag, n, dig = proc.line().split()
            assert tag == "resumed"
            # a kill may land after an action's journal line but before its "done" print
            assert int(n) in (last_done, last_done + 1), (n, last_done)
            if int(n) == last_done:
                assert dig == last_digest, f"round {round_}: resumed state differs"
            last_done, last_digest = int(n), dig
            if round_ == rounds or last_done >= n_actions:
                break
            target = min(n_actions - 1, last_done + rng.randint(0, 3))
            while last_done < target:
                tag, n, last_digest = proc.line().split()
                assert tag == "done"
                last_done = int(n)
            time.sleep(rng.uniform(0, 0.5))  # land inside the next action or its write
            proc.kill()
            kills += 1
            while (line := proc.line(allow_eof=True)) is not None:  # printed before the kill
                if line.startswith("done"):
                    _, n, last_digest = line.split()
                    last_done = int(n)
        finally:
            proc.kill()
    assert kills >= 3
    records, _ = read_journal(work)  # no corruption beyond a droppable torn tail
    assert len(records) - 1 in (last_done, last_done + 1)


class _Worker:
    """The worker subprocess with its stdout read on a thread (timeouts without select)."""

    def __init__(self, work: Path):
        import queue
        import threading

        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "_journal_worker.py"), str(work)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ},
        )
        self.q: queue.Queue = queue.Queue()

        def pump():
            for raw in self.proc.stdout:
                self.q.put(raw.decode().strip())
            self.q.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def line(self, timeout: float = 180, allow_eof: bool = False) -> str | None:
        line = self.q.get(timeout=timeout)
        if line is None and not allow_eof:
            self.proc.wait(30)
            raise AssertionError(f"worker died: {self.proc.stderr.read().decode()[-3000:]}")
        return line

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)


def test_journal_lines_are_json(recorded):
    work, digests, _, _ = recorded
    records, _ = read_journal(work)
    assert [r["seq"] for r in records] == list(range(len(records)))
    assert records[0]["video"]["num_frames"] == 6 and records[0]["format"] == 1
    kinds = [r["kind"] for r in records[1:]]
    assert kinds[:4] == ["add_object", "add_points", "add_mask", "propagate"]
    for line in (work / JOURNAL).read_text().splitlines():
        json.loads(line)


def test_resume_after_an_import_that_created_objects_has_the_same_undo_steps(
    predictor, make_clip, tmp_path
):
    frames, masks = make_clip()
    labels = np.zeros(masks.shape, np.uint8)
    labels[0][masks[0]] = 1
    labels[0, 70:90, 100:120] = 2
    s = Session(predictor, frames, workdir=tmp_path / "w")
    assert s.import_masks(labels) == 2
    s.add_points(2, 1, [[40, 40]], [1])
    live = (s.history.undo_labels, W.digest(s))
    assert live[0] == ["import masks", "add points on frame 2"]
    s.close()
    r = Session.resume(tmp_path / "w", predictor, frames)
    assert (r.history.undo_labels, W.digest(r)) == live
    assert r.undo() and r.undo() and not r.undo()
    assert r.objects == {}
    r.close()


def test_resume_keeps_accepted_frames_non_conditioning(predictor, make_clip, tmp_path):
    frames, masks = make_clip()
    s = Session(predictor, frames, workdir=tmp_path / "w", lit=False)
    obj = s.add_object()
    s.add_mask(0, obj, masks[0])
    list(s.propagate(progress=False))
    cands = s.candidates(3, obj)
    cands[0].mask[:] = np.roll(masks[3], 6, axis=1)  # an accepted mask unlike the tracked one
    s.accept(3, obj, 0)
    assert s.tracker.conditioning_frames(obj) == {0}
    s.journal.close()  # the live session goes on below without writing to the folder
    r = Session.resume(tmp_path / "w", predictor, frames)
    assert r.tracker.conditioning_frames(obj) == {0}
    assert r.tracker.prompted_frames(obj) == s.tracker.prompted_frames(obj) == {0, 3}
    assert r.is_tracked(4, obj)  # propagated frames are known as tracked again
    live = {f: m[obj] for f, m in s.propagate(progress=False)}
    again = {f: m[obj] for f, m in r.propagate(progress=False)}
    for f in range(6):
        assert np.array_equal(live[f], again[f]), f
        assert torch.equal(s.tracker.logits(f, obj), r.tracker.logits(f, obj)), f
    s.close()
    r.close()


def test_resume_keeps_sam2s_scores_of_tracked_frames(predictor, make_clip, tmp_path):
    """The review queue and the "unsure" marks read SAM2's predicted IoU and object score of
    each tracked frame; a resumed session had none (all NaN), so both were gone. They are
    journaled with each propagation and restored (4 decimals), also after an undo."""
    frames, masks = make_clip()
    s = Session(predictor, frames, workdir=tmp_path / "w", lit=False)
    obj = s.add_object()
    s.add_mask(0, obj, masks[0])
    list(s.propagate(progress=False))
    s.add_points(2, obj, [[10, 10]], [0])
    list(s.propagate(start_frame=2, progress=False))
    s.undo()  # the second propagation: the first one's scores of frames 3.. are back
    live = s.frame_states(obj)
    s.journal.close()
    r = Session.resume(tmp_path / "w", predictor, frames)
    again = r.frame_states(obj)
    tracked = [f for f, st in live.items() if st.kind == "tracked"]
    assert tracked == [1, 3, 4, 5]
    for f in tracked:
        for name in ("sam_iou", "obj_score"):
            a, b = getattr(live[f], name), getattr(again[f], name)
            assert np.isfinite(a) and round(a, 4) == b, (f, name, a, b)
    s.close()
    r.close()
