"""Rebuild a session from journal records (used by :func:`litlora_widgets.journal.resume`).

Each record is replayed in two steps: (1) the session's own undo mechanics (push a labelled
step, or undo/redo one) and the SAM2 prompts the action gave, so SAM2's memory and the undo
stack are rebuilt the way the original run built them; (2) the recorded state replaces
everything that can be restored exactly (objects, masks, logs, expert banks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import _journal_private as J
from .masks import decode_rle
from .state import ObjectInfo, SessionState


def apply_mask_delta(view: dict, delta: dict | None) -> dict:
    """A new copy-on-write MaskStore dict with ``delta`` applied (``view`` is not mutated)."""
    if not delta:
        return view
    out = dict(view)
    for f, o in delta.get("del", []):
        out[f] = {k: v for k, v in out.get(f, {}).items() if k != o}
        if not out[f]:
            del out[f]
    for f, o, rle in delta.get("set", []):
        out[f] = {**out.get(f, {}), o: rle}
    return out


def apply_list_delta(view: list, delta: dict | None) -> list:
    return view if not delta else view[: delta["keep"]] + list(delta["add"])


class Replayer:
    """Replays journal records into a fresh session through its public seam: the session's
    ``history`` (undo steps with their labels), its ``tracker`` (SAM2 prompts) and
    ``load_state`` (the recorded state, exactly)."""

    def __init__(self, session, blob_dir: Path):
        self.s = session
        self.blob_dir = blob_dir
        self.samples: dict[str, object] = {}
        self._banks: dict[str, object] = {}
        self.masks: dict = {}
        self.user: dict = {}
        self.events: list = []
        self.log: list = []
        self.exact_prompts = 0
        self.mask_fallbacks = 0

    def run(self, records: list[dict]) -> dict:
        """Replay every record; returns how prompts were replayed (for ``resume_info``)."""
        for rec in records:
            self.apply(rec)
        return {
            "actions": len(records),
            "exact_prompts": self.exact_prompts,
            "mask_fallbacks": self.mask_fallbacks,
        }

    def apply(self, rec: dict) -> None:
        s, kind = self.s, rec["kind"]
        masks = apply_mask_delta(self.masks, rec.get("masks"))
        user = apply_mask_delta(self.user, rec.get("user_masks"))
        if kind == "undo":
            s.history.undo()
        elif kind == "redo":
            s.history.redo()
        elif kind != "lit":
            s.history.push(rec.get("label", kind))
            self._sam2(kind, rec, user)
        self.masks, self.user = masks, user
        self.events = apply_list_delta(self.events, rec.get("events"))
        self.log = apply_list_delta(self.log, rec.get("training_log"))
        self._override(rec)

    # ---- SAM2 memory ---------------------------------------------------------------------
    def _sam2(self, kind: str, rec: dict, user: dict) -> None:
        tracker, a = self.s.tracker, rec.get("args", {})
        if kind == "remove_object":
            tracker.remove_object(a["obj_id"])
        elif (
            kind == "propagate"
        ):  # what it changed in SAM2: new prompts consolidated, frames tracked
            tracker.preflight()
            for first, last, reverse in a.get("ranges", []):
                tracker.mark_tracked(first, last, reverse)
            for o, rows in rec.get("scores", {}).items():
                tracker.restore_scores(int(o), {f: (iou, obj) for f, iou, obj in rows})
        elif kind in ("add_mask", "import_masks"):
            for f, o, rle in (rec.get("user_masks") or {}).get("set", []):
                m = decode_rle(rle)
                if m.any():
                    tracker.prompt(f, o, mask=m)
        elif kind in ("add_points", "add_box", "correction", "accept"):
            f, o = a["frame"], a["obj_id"]
            rle = user.get(f, {}).get(o)
            target = None if rle is None else decode_rle(rle)
            if kind in ("correction", "accept"):  # the live path: tracked first, then prompted
                tracker.ensure_tracked(f, o)
            if "points" in a or "box" in a:
                out = tracker.prompt(
                    f,
                    o,
                    points=None if "points" not in a else np.asarray(a["points"], np.float32),
                    labels=None if "labels" not in a else np.asarray(a["labels"], np.int32),
                    box=None if "box" not in a else np.asarray(a["box"], np.float32),
                )
                if target is None or np.array_equal(out, target):
                    self.exact_prompts += 1
                    return
                self.mask_fallbacks += 1
            if target is not None:
                tracker.prompt(f, o, mask=target)

    # ---- exact state ---------------------------------------------------------------------
    def _override(self, rec: dict) -> None:
        s = self.s
        st = s.state()
        banks = dict(st.banks)
        if "banks" in rec:
            banks = {}
            for key, name in rec["banks"].items():
                o = int(key)
                snap = self._banks.get(name)
                if snap is None:
                    snap = self._banks[name] = J.load_bank(
                        self.blob_dir / name, self.samples, self.blob_dir
                    )
                bank = st.banks.get(o) or s.new_bank()
                bank.restore(snap)
                banks[o] = bank
        s.load_state(
            SessionState(
                objects={o: ObjectInfo(o, name, tuple(c)) for o, name, c in rec["objects"]},
                next_obj_id=rec["next_obj_id"],
                lit=bool(rec["lit"]),
                masks=self.masks,
                user_masks=self.user,
                events=[dict(e) for e in self.events],
                training_log=[dict(e) for e in self.log],
                banks=banks,
            )
        )
        s.history.keep(rec.get("undo", 10**9), rec.get("redo", 10**9))
