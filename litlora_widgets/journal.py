"""Autosave and resume: every completed session action becomes one journal line.

Why a journal of *state deltas* (not a replay log of calls): replaying training or SAM2
calls is slow and not bit-exact across machines/threads. Each line instead records what the
action changed — objects, masks and user masks (COCO RLE), event and training logs, and which
expert-bank snapshot (safetensors blob) is current — so resume rebuilds those exactly. SAM2's
memory is not serialisable; resume rebuilds it by re-applying the prompts of prompted and
corrected frames (see :func:`resume`).

Layout of a session folder::

    journal.jsonl        header line, then one line per action: {"crc": ..., "rec": {...}}
    blobs/bank-*.safetensors, blobs/sample-*.safetensors   expert snapshots, replay samples
"""

from __future__ import annotations

import math
import os
import re
import secrets
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from . import _journal_private as J
from ._journal_private import JournalError
from .files import fsync_dir

FORMAT = 1
JOURNAL = "journal.jsonl"
BLOBS = "blobs"
# actions after which an expert bank may have changed (others never touch experts)
_BANK_KINDS = {"correction", "accept", "load_adapters", "undo", "redo", "remove_object"}

__all__ = ["FORMAT", "Journal", "JournalError", "default_workdir", "read_journal", "resume"]


def home() -> Path:
    """Root of default session folders: ``$LITLORA_HOME`` or ``~/.cache/litlora-widgets``."""
    env = os.environ.get("LITLORA_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "litlora-widgets"


def default_workdir(video_identity: dict) -> Path:
    """One folder per video (name + content fingerprint), so resume finds it again."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", str(video_identity["name"]))[:60].strip("._") or "video"
    return home() / "sessions" / f"{slug}-{video_identity['fingerprint'][:10]}"


def workdir_for(video: Any) -> Path:
    """The folder autosave uses for ``video`` when no ``workdir`` is given (to resume it)."""
    from .video import VideoSource

    src = VideoSource.open(video)
    return default_workdir({"name": src.name, "fingerprint": J.video_fingerprint(src)})


def video_identity(session, source: Any = None) -> dict:
    ident = {
        "name": session.video_name,
        "num_frames": session.num_frames,
        "height": session.height,
        "width": session.width,
        "fingerprint": J.video_fingerprint(session.video),
    }
    if isinstance(source, (str, Path)):
        ident["source"] = str(Path(source).expanduser().resolve())
    return ident


def _model_identity(session) -> dict:
    from .engine.experts import decoder_fingerprint

    return {
        "name": session.info.name,
        "image_size": session.info.image_size,
        "decoder": decoder_fingerprint(session.predictor.sam_mask_decoder),
    }


# ----------------------------------------------------------------------------- reading
def read_journal(workdir: str | Path, *, truncate: bool = False) -> tuple[list[dict], int]:
    """``(records, good_bytes)``: the header and every intact action record, in order.

    A torn or corrupt *last* line (a crash during a write) is dropped with a warning. A
    corrupt line followed by intact ones means the file was damaged: ``JournalError`` unless
    ``truncate=True``, which keeps the records before it.
    """
    path = Path(workdir) / JOURNAL
    if not path.is_file():
        raise JournalError(
            f"no session journal at {path}; pass the folder a Session autosaved "
            "to (session.workdir)"
        )
    data = path.read_bytes()
    records: list[dict] = []
    good = 0
    lines = data.splitlines(keepends=True)
    for i, line in enumerate(lines):
        rec = J.decode_line(line)
        if rec is not None and rec.get("seq") != len(records):
            rec = None
        if rec is None:
            rest = len(lines) - i - 1
            if rest and not truncate:
                raise JournalError(
                    f"{path} line {i + 1} of {len(lines)} is corrupt and {rest} line(s) follow "
                    f"it: the file was damaged. Resume with truncate=True to keep the "
                    f"{max(len(records) - 1, 0)} action(s) before it (the rest is set aside)."
                )
            warnings.warn(
                f"{path}: dropped {len(lines) - i} torn/corrupt line(s) at the end (a crash "
                f"during a write); {max(len(records) - 1, 0)} action(s) are intact",
                stacklevel=2,
            )
            break
        records.append(rec)
        good += len(line)
    if not records or records[0].get("kind") != "header":
        raise JournalError(f"{path} has no valid header line; it is not a litlora journal")
    fmt = records[0].get("format")
    if fmt != FORMAT:
        raise JournalError(
            f"{path} was written in journal format {fmt!r}, but this litlora-widgets reads "
            f"format {FORMAT}; upgrade litlora-widgets (pip install -U litlora-widgets) to "
            "resume it"
        )
    return records, good


# ----------------------------------------------------------------------------- writing
class Journal:
    """Appends one durable line per completed action of a session (a session listener)."""

    def __init__(
        self,
        session,
        workdir: Path,
        *,
        records: list[dict] | None = None,
        good_bytes: int | None = None,
        source: Any = None,
        samples: dict[str, Any] | None = None,
    ):
        self.session = session
        self.workdir = Path(workdir)
        self.path = self.workdir / JOURNAL
        self.blobs = self.workdir / BLOBS
        self.blobs.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._token = secrets.token_hex(4)  # blob names never collide between runs
        self._sample_ids: dict[int, tuple[Any, str]] = {}  # id(sample) -> (sample, file id)
        self._bank_sig: dict[int, tuple[str, str]] = {}  # obj -> (signature, blob name)
        self.write_seconds = 0.0
        self.actions = 0
        self._view_state(session)
        if records is None:
            self._seq = 0
            self._file = open(self.path, "wb")
            self._append(
                {
                    "kind": "header",
                    "format": FORMAT,
                    "created": time.time(),
                    "video": video_identity(session, source),
                    "model": _model_identity(session),
                    "lit": session.lit_enabled,
                    "lit_config": session.lit_config.to_dict(),
                }
            )
        else:
            self._seq = len(records)
            self.actions = len(records) - 1
            self._file = open(self.path, "r+b")
            self._file.truncate(good_bytes)  # drop a torn tail before appending again
            self._file.seek(0, os.SEEK_END)
            for o, bank in session.state().banks.items():
                self._bank_sig[o] = (J.bank_signature(bank.snapshot()), self._last_bank(o, records))
            for sid, smp in (samples or {}).items():
                self._sample_ids[id(smp)] = (smp, sid)
        fsync_dir(self.workdir)
        self._listener = self.on_action  # one bound method, so remove_listener finds it
        session.add_listener(self._listener)

    @staticmethod
    def _last_bank(obj: int, records: list[dict]) -> str:
        for rec in reversed(records):
            if "banks" in rec:
                return rec["banks"].get(str(obj), "")
        return ""

    @classmethod
    def create(cls, session, workdir: str | Path | None, source: Any = None) -> Journal:
        """Start a journal; an existing one with actions is never overwritten."""
        explicit = workdir is not None
        ident = None
        if not explicit:
            ident = video_identity(session, source)
            workdir = default_workdir(ident)
        workdir = Path(workdir).expanduser()
        path = workdir / JOURNAL
        if path.is_file() and path.stat().st_size and _has_actions(path):
            if explicit:
                raise JournalError(
                    f"{workdir} already holds a session journal with recorded actions; resume "
                    f"it with Session.resume({str(workdir)!r}, predictor) or pass another workdir="
                )
            keep = set_aside(path)
            warnings.warn(
                f"an earlier session of this video was kept as {keep}; "
                "Session.resume(workdir, predictor, journal=...) continues it",
                stacklevel=3,
            )
        workdir.mkdir(parents=True, exist_ok=True)
        return cls(session, workdir, source=source)

    # ---- state views -------------------------------------------------------------------
    def _view_state(self, s) -> None:
        st = s.state()
        self._masks, self._user = st.masks, st.user_masks
        self._events, self._log = st.events, st.training_log

    @staticmethod
    def _mask_delta(old: dict, new: dict) -> dict:
        """Changed (frame, obj) RLEs between two copy-on-write MaskStore snapshots."""
        sets, dels = [], []
        if old is new:
            return {}
        for f in set(old) | set(new):
            a, b = old.get(f, {}), new.get(f, {})
            if a is b:
                continue
            for o in set(a) | set(b):
                if o not in b:
                    dels.append([f, o])
                elif a.get(o) != b[o]:
                    sets.append([f, o, b[o]])
        out = {}
        if sets:
            out["set"] = sorted(sets, key=lambda x: (x[0], x[1]))
        if dels:
            out["del"] = sorted(dels)
        return out

    @staticmethod
    def _list_delta(old: list, new: list) -> dict:
        k = 0
        while k < min(len(old), len(new)) and old[k] is new[k]:
            k += 1
        return {"keep": k, "add": J.jsonable(new[k:])} if (k, len(new)) != (len(old),) * 2 else {}

    def _bank_refs(self, banks: dict) -> dict[str, str] | None:
        """Write changed banks (and new replay samples); the current bank blob per object."""
        refs, changed = {}, set(self._bank_sig) - set(banks)
        for o, bank in banks.items():
            snap = bank.snapshot()
            sig = J.bank_signature(snap)
            if self._bank_sig.get(o, ("",))[0] == sig:
                refs[str(o)] = self._bank_sig[o][1]
                continue
            ids = {}
            for _, replay in snap.experts:
                for smp in replay:
                    hit = self._sample_ids.get(id(smp))
                    if hit is None or hit[0] is not smp:
                        sid = f"{self._token}-{len(self._sample_ids)}"
                        J.save_sample(self.blobs / f"sample-{sid}.safetensors", smp)
                        hit = self._sample_ids[id(smp)] = (smp, sid)
                    ids[id(smp)] = hit[1]
            name = f"bank-{self._token}-{self._seq}-{o}.safetensors"
            J.save_bank(self.blobs / name, snap, ids)
            self._bank_sig[o] = (sig, name)
            refs[str(o)] = name
            changed.add(o)
        for o in set(self._bank_sig) - set(banks):
            del self._bank_sig[o]
        return refs if changed else None

    # ---- the listener ------------------------------------------------------------------
    def on_action(self, kind: str, payload: dict) -> None:
        t0 = time.perf_counter()
        s = self.session
        with self._lock:
            rec: dict[str, Any] = {
                "kind": kind,
                "time": time.time(),
                "args": J.jsonable({k: v for k, v in payload.items() if k != "mask"}),
            }
            st = s.state()
            for key, delta in (
                ("masks", self._mask_delta(self._masks, st.masks)),
                ("user_masks", self._mask_delta(self._user, st.user_masks)),
                ("events", self._list_delta(self._events, st.events)),
                ("training_log", self._list_delta(self._log, st.training_log)),
            ):
                if delta:
                    rec[key] = delta
            rec["objects"] = [[o.obj_id, o.name, list(o.color)] for o in st.objects.values()]
            rec["next_obj_id"] = st.next_obj_id
            rec["lit"] = st.lit
            undo, redo = s.history.undo_labels, s.history.redo_labels
            rec["undo"], rec["redo"] = len(undo), len(redo)
            if kind not in ("undo", "redo", "lit") and undo:
                rec["label"] = undo[-1]  # the undo step this action made
            if kind == "propagate":  # SAM2's scores of the frames it tracked (review queue)
                rec["scores"] = self._scores(payload.get("ranges", []))
            if kind in _BANK_KINDS or kind == "import_masks":
                refs = self._bank_refs(st.banks)
                if refs is not None:
                    rec["banks"] = refs
            self._append(rec)
            self._view_state(s)
            self.actions += 1
        self.write_seconds += time.perf_counter() - t0

    def _scores(self, ranges: list) -> dict[str, list]:
        """``{obj: [[frame, predicted IoU, object score], …]}`` of the frames in ``ranges``
        (4 decimals; a score that is not finite is left out)."""
        frames = set()
        for first, last, _ in ranges:
            frames.update(range(min(first, last), max(first, last) + 1))
        out = {}
        for o in self.session.objects:
            rows = [
                [f, round(float(iou), 4), round(float(obj), 4)]
                for f, (iou, obj) in sorted(self.session.tracker.scores(o).items())
                if f in frames and math.isfinite(iou) and math.isfinite(obj)
            ]
            if rows:
                out[str(o)] = rows
        return out

    def _append(self, rec: dict) -> None:
        rec["seq"] = self._seq
        line = J.encode_line(rec)
        self._file.write(line)  # one write of a whole line
        self._file.flush()
        os.fsync(self._file.fileno())
        self._seq += 1

    def close(self) -> None:
        with self._lock:
            self.session.remove_listener(self._listener)
            if not self._file.closed:
                self._file.close()
            self._sample_ids.clear()


def _has_actions(path: Path) -> bool:
    with open(path, "rb") as f:
        f.readline()
        return bool(f.readline())


def set_aside(path: Path) -> Path:
    """Rename a journal so a new one can start; the name sorts by time (never lost). A session
    still writing to it goes on doing so under the new name (it holds the open file)."""
    keep = path.with_name(f"journal-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}.jsonl")
    os.replace(path, keep)
    return keep


def latest_journal(workdir: str | Path) -> Path | None:
    """The most recent journal with recorded actions in ``workdir``: the current one, else the
    newest one set aside when a new session of the same video started (None: none)."""
    workdir = Path(workdir).expanduser()
    current = workdir / JOURNAL
    if current.is_file() and _has_actions(current):
        return current
    kept = sorted(workdir.glob("journal-*.jsonl"), reverse=True)
    return next((p for p in kept if _has_actions(p)), None)


def journal_summary(path: Path) -> tuple[int, float | None]:
    """``(actions, time of the last one)`` of a journal file, for telling a user what it holds."""
    lines = path.read_bytes().splitlines(keepends=True)
    last = J.decode_line(lines[-1]) if len(lines) > 1 else None
    return max(len(lines) - 1, 0), None if last is None else last.get("time")


def _make_current(workdir: Path, name: str) -> None:
    """Put journal ``name`` of ``workdir`` in place to resume it; the current journal is set
    aside when it holds actions (removed when it holds none)."""
    chosen, current = workdir / name, workdir / JOURNAL
    if chosen == current:
        return
    if not chosen.is_file():
        raise JournalError(f"no journal {name!r} in {workdir}; latest_journal() finds the newest")
    if current.is_file():
        if _has_actions(current):
            set_aside(current)
        else:
            current.unlink()
    os.replace(chosen, current)
    fsync_dir(workdir)


# ----------------------------------------------------------------------------- resume
def resume(
    session_cls,
    workdir: str | Path,
    predictor,
    video: Any = None,
    *,
    truncate: bool = False,
    journal: str | None = None,
    **session_kw: Any,
):
    """Rebuild a ``session_cls`` session from its folder and keep autosaving to it (called as
    ``Session.resume``; the class is passed in so that this module never imports it).

    Restored exactly: objects, masks and user masks (RLE-equal), the event and training logs,
    every expert bank (adapter tensors, strengths, replay samples and RNG states bit-exact),
    the LIT switch, and the undo/redo stacks (same depth; each entry holds the exact masks,
    objects and experts of that step, and the same labels). Recomputed: SAM2's memory, by
    re-applying the prompts of prompted/corrected/accepted frames in the original order, each
    the way the live session applied it (a correction or accept on a frame SAM2 had tracked
    stays a non-conditioning frame; a click that now gives another mask than recorded is
    re-applied as the recorded mask). Frames that propagation tracked are known as tracked
    again; their outputs re-enter SAM2's memory on the next propagation.

    ``journal``: the name of a journal set aside when a newer session of the video started
    (see :func:`latest_journal`), to continue that one instead; the current one is kept.
    """
    from ._journal_replay import Replayer
    from .engine.experts import LitConfig

    workdir = Path(workdir).expanduser()
    if journal is not None:  # one set aside when a new session started: make it current
        _make_current(workdir, Path(journal).name)
    records, good = read_journal(workdir, truncate=truncate)
    header = records[0]
    ident = header["video"]
    if video is None:
        video = ident.get("source")
        if video is None or not Path(video).exists():
            raise JournalError(
                f"this journal is for video {ident['name']!r} ({ident['num_frames']} frames, "
                f"{ident['width']}×{ident['height']}), "
                + ("which was in memory" if video is None else f"no longer at {video}")
                + "; pass it again: resume(workdir, predictor, video=...)"
            )
    cfg = session_kw.pop("lit_config", None) or LitConfig(
        **{**header["lit_config"], "targets": tuple(header["lit_config"]["targets"])}
    )
    s = session_cls(
        predictor, video, lit=header["lit"], lit_config=cfg, autosave=False, **session_kw
    )
    try:
        _check_identity(s, header, workdir)
        replayer = Replayer(s, workdir / BLOBS)
        s.resume_info = replayer.run(records[1:])
        s.journal = Journal(s, workdir, records=records, good_bytes=good, samples=replayer.samples)
        s.workdir = workdir
    except BaseException:
        s.close()
        raise
    return s


def _check_identity(s, header: dict, workdir: Path) -> None:
    want, got = header["video"], video_identity(s)
    keys = ("num_frames", "height", "width", "fingerprint")
    if any(want[k] != got[k] for k in keys):
        raise JournalError(
            f"{workdir} is a session of another video: {want['name']!r} "
            f"({want['num_frames']} frames {want['width']}×{want['height']}, fingerprint "
            f"{want['fingerprint']}) but this is {got['name']!r} ({got['num_frames']} frames "
            f"{got['width']}×{got['height']}, fingerprint {got['fingerprint']}); pass the "
            "video it was recorded on, or start a new Session for this one"
        )
    model = _model_identity(s)
    if header["model"]["decoder"] != model["decoder"]:
        raise JournalError(
            f"{workdir} was recorded with another SAM2 model ({header['model']['name']}, "
            f"image size {header['model']['image_size']}); its experts only fit that model. "
            f"This predictor is {model['name']} at {model['image_size']}: load the same "
            "checkpoint and image size to resume"
        )
