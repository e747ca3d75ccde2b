"""What each event does to the session (worker thread, one at a time). Each handler reads the
typed event, calls the session's public API and publishes the result through the controller.
Frame numbers in messages are 0-based, like Python's."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from . import events as E
from .controller import Controller
from .state import PROMPT_KINDS, user_frames
from .wire import encode_label_map, finite
from .worker import Throttle


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _max_epochs(c: Controller, obj: int) -> int:
    """The most epochs this correction can train (early stopping may end it sooner)."""
    cfg = c.s.lit_config
    n = c.s.experts(obj).num_experts
    if n == 0:
        return cfg.init_epochs
    if n >= cfg.max_experts:
        return cfg.finetune_epochs
    return max(cfg.init_epochs, cfg.finetune_epochs)


def correction_kind(c: Controller, frame: int, obj: int) -> str:
    """A "correction" (trains an expert) on a frame SAM2 tracked, else "prompt" (a keyframe).
    Clicks on a frame the user prompted refine that prompt; with LIT off nothing trains."""
    s = c.s
    if not s.lit_enabled or frame in user_frames(s.events, obj):
        return "prompt"
    return "correction" if s.is_tracked(frame, obj) else "prompt"


def click(c: Controller, ev: E.Click) -> None:
    s = c.s
    obj = c.target_object(ev.obj_id)
    pts, labels = [[ev.x, ev.y]], [ev.label]
    kind = correction_kind(c, ev.frame, obj)
    t0 = time.perf_counter()
    if kind == "correction":
        t_engine = _correct(c, ev.frame, obj, "correction", points=pts, labels=labels)
    else:
        was = set(s.tracked_frames(obj))
        s.add_points(ev.frame, obj, pts, labels)
        t_engine = time.perf_counter() - t0
        what = "include" if ev.label else "exclude"
        key = "" if ev.frame in was or not was else " (a new keyframe: SAM2 never tracked it)"
        c.refresh(status=f"{what} point on frame {ev.frame}{key}", candidates=[], curves=False)
        c.worker.submit("curves", lambda: c.set_traits(curves=c.curves(), timeline=c.timeline()))
    c.timings = {"engine": t_engine, "total": time.perf_counter() - t0}


def _correct(c: Controller, frame: int, obj: int, what: str, **correction) -> float:
    """A training correction with live progress (epoch of ≤ total, time left), cancellable
    with Stop; returns the engine's seconds."""
    c.cancel.clear()
    total = _max_epochs(c, obj)
    c.busy(
        "training",
        training={"active": True, "epoch": 0, "max_epochs": total},
        progress={"done": 0, "total": total, "label": "epochs"},
        candidates=[],
    )
    t0 = time.perf_counter()
    r = c.s.correct(frame, obj, progress=c.train_progress(total), **correction)
    t_engine = time.perf_counter() - t0
    if c.cancel.is_set() and not r.trained:
        status = f"{what} on frame {frame}: training cancelled (the correction is kept)"
    elif r.trained and getattr(r, "improved", True):
        status = (
            f"{what} on frame {frame}: expert {r.expert} trained in "
            f"{r.train_seconds:.1f} s (IoU vs your mask {r.train_iou:.2f})"
        )
    elif r.trained:
        status = f"{what} on frame {frame}: training did not improve the expert (not kept)"
    else:
        status = f"{what} on frame {frame} (not trained)"
    c.idle(status)
    return t_engine


def mask(c: Controller, ev: E.Mask) -> None:
    """An imported mask: a correction (trains with LIT on) on a tracked frame, else a prompt."""
    obj = c.target_object(ev.obj_id)
    if correction_kind(c, ev.frame, obj) == "correction":
        _correct(c, ev.frame, obj, "imported mask", mask=ev.mask)
    else:
        c.s.add_mask(ev.frame, obj, ev.mask)
        c.idle(f"imported mask on frame {ev.frame}")


def box(c: Controller, ev: E.Box) -> None:
    """A box is a prompt, also on a tracked frame: the status says it trains nothing there,
    or that SAM2 found nothing in it, instead of a bare "box on frame 3"."""
    obj = c.target_object(ev.obj_id)
    trains = correction_kind(c, ev.frame, obj) == "correction"  # what a click would do
    out = c.s.add_box(ev.frame, obj, list(ev.box))
    status = f"box on frame {ev.frame}"
    if not np.any(out):
        status += ": SAM2 found no object in it (try a click on it)"
    elif trains:
        status += (
            ": a new prompt, which trains nothing (to teach the experts, click on the mask "
            "to correct it)"
        )
    c.refresh(status=status, candidates=[])


def _propagate_start(c: Controller, frame: int) -> int | None:
    """Start from the playhead when it is on a tracked or prompted frame, else from the
    earliest prompt (the engine's default)."""
    s = c.s
    known = set().union(*(s.tracked_frames(o) for o in s.objects)) if s.objects else set()
    return frame if frame in known else None


def planned_frames(start: int, direction: str, max_frames: int | None, num_frames: int) -> int:
    """How many frames the engine's propagate() will yield (for the progress bar)."""
    n = num_frames if max_frames is None else max_frames
    fwd = min(start + n, num_frames - 1) - start + 1
    back_from = start if direction == "backward" else start - 1
    bwd = max(0, back_from - max(start - n, 0) + 1)
    return {"forward": fwd, "backward": bwd, "both": fwd + bwd}[direction]


def propagate(c: Controller, ev: E.Propagate | E.Step, max_frames: int | None = None) -> int | None:
    s = c.s
    direction = getattr(ev, "direction", "forward")
    start = _propagate_start(c, c.app.frame)
    c.cancel.clear()
    prompted = [e["frame"] for e in s.events if e["kind"] in PROMPT_KINDS]
    eff = start if start is not None else min(prompted, default=0)
    total = planned_frames(eff, direction, max_frames, s.num_frames)
    label = "tracking" if max_frames is not None else f"propagating {direction}"
    c.busy(label, progress={"done": 0, "total": total, "label": "frames"}, candidates=[])
    c.following = True
    show, curves = Throttle(0.1), Throttle(0.75)
    done, last = 0, None
    gen = s.propagate(start_frame=start, direction=direction, max_frames=max_frames, progress=False)
    try:
        for frame, _masks in gen:
            done, last = done + 1, frame
            if c.cancel.is_set():
                s.cancel()
            if show.ready():
                extra: dict[str, Any] = {
                    "progress": {"done": done, "total": max(total, done), "label": "frames"}
                }
                if curves.ready():
                    extra["curves"] = c.curves()
                    extra["timeline"] = c.timeline(review=False)
                c.show_frame(frame, move=c.following, **extra)
    finally:
        gen.close()
        followed, c.following = c.following, False
    stopped = c.cancel.is_set()
    # the view ends on a step's frame, or on the last frame propagated unless it was stopped
    # or the user moved the playhead meanwhile (it jumped back to the end)
    end_there = max_frames is not None or (followed and not stopped)
    if last is not None and c.app.frame != last and end_there:
        c.show_frame(last, move=True)
    what = "stopped" if stopped else "done"
    c.idle(f"{label}: {what} after {plural(done, 'frame')}")
    return last


def step(c: Controller, ev: E.Step) -> None:
    last = propagate(c, ev, max_frames=1)
    if last is not None and c.app.auto_candidates and c.s.lit_enabled:
        obj = c.app.selected
        if obj in c.s.objects and c.s.experts(obj).num_experts:
            candidates(c, E.Candidates(frame=last, obj_id=obj))


def _bbox(m: np.ndarray) -> list[int] | None:
    """The box of the bulk of the mask (1st-99th percentile), so a few stray pixels far away
    do not stop the candidate crops from zooming on the object."""
    ys, xs = np.nonzero(m)
    if not len(xs):
        return None
    x0, x1 = np.percentile(xs, [1, 99])
    y0, y1 = np.percentile(ys, [1, 99])
    return [int(x0), int(y0), int(np.ceil(x1)) + 1, int(np.ceil(y1)) + 1]


def candidates(c: Controller, ev: E.Candidates) -> None:
    s = c.s
    frame = c.app.frame if ev.frame is None else ev.frame
    obj = c.target_object(ev.obj_id, create=False)
    c.busy("candidates")
    cands = s.candidates(frame, obj)
    items = []
    for i, k in enumerate(cands):
        area = int(k.mask.sum())
        score = finite(k.obj_score)
        items.append(
            {
                "index": i,
                "score": finite(k.score),
                "obj_score": score,
                "expert": k.expert,
                "area": area,
                "bbox": _bbox(k.mask),
                "absent": area == 0 or (score is not None and score < 0),
                "rle": encode_label_map(k.mask.astype(np.uint8)),
            }
        )
    n = len(items)
    keys = "key 1 accepts" if n == 1 else f"keys 1–{n} accept"
    status = f"{plural(n, 'candidate')} on frame {frame}: {keys}, Esc rejects"
    c.set_traits(
        candidates=items, candidates_frame=frame, candidates_obj=obj, busy="", status=status
    )


def accept(c: Controller, ev: E.Accept) -> None:
    frame, obj = c.app.candidates_frame, c.app.candidates_obj
    if not c.app.candidates or frame < 0:
        raise InputError("no candidates to accept: press Candidates first")
    if ev.frame is not None and ev.frame != frame:
        raise InputError(f"the candidates shown are of frame {frame}, not {ev.frame}")
    if not 0 <= ev.index < len(c.app.candidates):
        raise InputError(f"there is no candidate {ev.index + 1} (1–{len(c.app.candidates)})")
    expert = c.app.candidates[ev.index].get("expert")
    name = "SAM2" if expert is None else f"expert {expert}"  # as the panel names it
    c.s.accept(frame, obj, ev.index)
    c.idle(
        f"accepted candidate {ev.index + 1} ({name}) on frame {frame}",
        candidates=[],
        candidates_frame=-1,
    )


def reject(c: Controller, ev: E.Reject) -> None:
    c.set_traits(candidates=[], candidates_frame=-1, status="candidates rejected")


def undo(c: Controller, ev: E.Undo | E.Redo) -> None:
    """Undo or redo one step, saying which by the name the history gives it ("undo:
    propagation from frame 0")."""
    h, name, back = c.s.history, ev.type, isinstance(ev, E.Undo)
    if not (c.s.undo() if back else c.s.redo()):
        c.refresh(status=f"nothing to {name}", candidates=[])
        return
    # the step just moved is on top of the other stack (also a propagation the undo ended)
    what = (h.redo_labels if back else h.undo_labels)[-1]
    c.refresh(status=f"{name}: {what}", candidates=[])


def add_object(c: Controller, ev: E.AddObject) -> None:
    obj = c.s.add_object(ev.name or None)
    c.refresh(
        selected=obj,
        status=f"added {c.s.objects[obj].name}: click to prompt it",
        curves=False,
        epoch=False,
    )


def rename(c: Controller, ev: E.Rename) -> None:
    c.s.rename_object(ev.obj_id, ev.name)
    c.refresh(curves=False, epoch=False)


def remove_object(c: Controller, ev: E.RemoveObject) -> None:
    name = c.s.objects[ev.obj_id].name if ev.obj_id in c.s.objects else ev.obj_id
    c.s.remove_object(ev.obj_id)
    c.refresh(status=f"removed {name}", candidates=[])


def lit(c: Controller, ev: E.Lit) -> None:
    c.s.lit_enabled = ev.enabled
    c.set_traits(lit=ev.enabled, status=f"LIT-LoRA {'on' if ev.enabled else 'off'}")


def export_paths(folder: Path, video_name: str, stamp: str | None = None) -> dict[str, Path]:
    """Export names carry the video and a time stamp, so an export never overwrites another."""
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in video_name) or "video"
    stamp = stamp or datetime.now().strftime("%Y%m%d-%H%M%S")
    return {
        "coco": folder / f"{stem}_masks_{stamp}.json",
        "davis": folder / f"{stem}_davis_{stamp}",
        "adapters": folder / f"{stem}_adapters_{stamp}.safetensors",
    }


def _unique(path: Path) -> Path:
    """``path``, or ``path`` with -2, -3... when it exists (two exports in one second)."""
    n, out = 2, path
    while out.exists():
        out = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return out


def export_folder(text: str, *, write: bool) -> Path:
    """The "Export to" folder as an absolute path (messages name where files went), made when
    writing; what to type when it is empty or cannot be written, in the user's words."""
    if not (text or "").strip():
        raise InputError("the “Export to” folder is empty: type the folder to write to")
    folder = Path(text.strip()).expanduser().absolute()
    if write:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(
                f"cannot make the folder {folder} ({e.strerror or e}): type a folder you can "
                "write to in “Export to”"
            ) from e
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InputError(
                f"cannot write to {folder}: type a folder you can write to in “Export to”"
            )
    return folder


def export(c: Controller, ev: E.Export) -> None:
    s = c.s
    fmt = ev.format
    if fmt not in ("coco", "davis", "save_adapters", "load_adapters"):
        raise InputError(f"unknown export format {fmt!r}")
    obj = c.app.selected if c.app.selected in s.objects else None
    if fmt in ("coco", "davis") and not any(s.tracked_frames(o) for o in s.objects):
        raise InputError("nothing to export yet: click on the video to segment an object")
    if fmt == "save_adapters" and (obj is None or not s.experts(obj).num_experts):
        raise InputError("no experts to save yet: correct a tracked frame with LIT on first")
    folder = export_folder(c.app.export_dir, write=fmt != "load_adapters")
    c.busy(f"export {fmt}")
    if fmt == "load_adapters":
        path = Path(ev.path) if ev.path else _newest(folder, "*_adapters*.safetensors")
        n = s.load_adapters(path, obj_id=obj)
        msg = f"loaded {plural(n, 'expert')} from {path}"
        c.set_traits(adapters={})
        c.idle(msg, curves=False, epoch=False, last_export=msg)
        return
    path = _unique(export_paths(folder, s.video_name)[fmt.removeprefix("save_")])
    try:
        if fmt == "coco":
            msg = f"COCO JSON written to {s.export_coco(path)}"
        elif fmt == "davis":
            msg = f"DAVIS PNGs written to {s.export_davis(path)}/"
        else:
            msg = f"adapters saved to {s.save_adapters(path, obj_id=obj)}"
    except OSError as e:  # e.g. the disk is full, or the folder went away meanwhile
        raise InputError(
            f"could not write to {folder} ({e.strerror or e}): free some space or type "
            "another folder in “Export to”"
        ) from e
    c.idle(msg, curves=False, epoch=False, last_export=msg)


def list_adapters(c: Controller, ev: E.ListAdapters) -> None:
    """The adapter library of the export folder (``adapters`` trait): what each file's
    metadata says and whether it fits this model; nothing is loaded until the user picks."""
    from .library import adapter_library

    folder = export_folder(c.app.export_dir, write=False)
    obj = c.app.selected if c.app.selected in c.s.objects else None
    rows = adapter_library(folder, c.s, obj) if folder.is_dir() else []
    if not rows:
        raise InputError(f"no adapter files in {folder}: save adapters first")
    fit = sum(r["fits"] for r in rows)
    files = f"{plural(len(rows), 'adapter file')} in {folder}"
    c.set_traits(
        adapters={"folder": str(folder), "rows": rows},
        status=f"{files}, {fit} fit this model: pick one to load"
        if fit
        else f"{files}, none can be loaded into this object: each says why",
    )


def _newest(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)
    if not found:
        raise InputError(f"no adapter files in {folder}: save adapters first")
    return found[-1]


HANDLERS: dict[type[E.Event], Callable[[Controller, Any], None]] = {
    E.Click: click,
    E.Box: box,
    E.Mask: mask,
    E.Propagate: propagate,
    E.Step: step,
    E.Candidates: candidates,
    E.Accept: accept,
    E.Reject: reject,
    E.Undo: undo,
    E.Redo: undo,
    E.AddObject: add_object,
    E.Rename: rename,
    E.RemoveObject: remove_object,
    E.Lit: lit,
    E.Export: export,
    E.ListAdapters: list_adapters,
}
