"""Rebuild a session from journal records (used by :func:`litlora_widgets.journal.resume`).

Each record is replayed in two steps: (1) the session's own undo mechanics (push a snapshot,
or pop one for undo/redo) and the SAM2 prompts the action gave, so SAM2's memory and the undo
stack are rebuilt the way the original run built them; (2) the recorded state overrides
everything that can be restored exactly (objects, masks, logs, expert banks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import _journal_private as J
from .masks import decode_rle


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

    def run(self, records: list[dict]) -> None:
        with self.s._lock:
            for rec in records:
                self.apply(rec)
        self.s.resume_info = {"actions": len(records), "exact_prompts": self.exact_prompts,
                              "mask_fallbacks": self.mask_fallbacks}  # fmt: skip

    def apply(self, rec: dict) -> None:
        s, kind = self.s, rec["kind"]
        masks = apply_mask_delta(self.masks, rec.get("masks"))
        user = apply_mask_delta(self.user, rec.get("user_masks"))
        if kind in ("undo", "redo"):
            src, dst = (s._undo, s._redo) if kind == "undo" else (s._redo, s._undo)
            if src:
                dst.append(s._snapshot())
                s._restore(src.pop())
        elif kind != "lit":
            s._push_undo()
            self._sam2(kind, rec, user)
        self.masks, self.user = masks, user
        self.events = apply_list_delta(self.events, rec.get("events"))
        self.log = apply_list_delta(self.log, rec.get("training_log"))
        self._override(rec)

    # ---- SAM2 memory ---------------------------------------------------------------------
    def _sam2(self, kind: str, rec: dict, user: dict) -> None:
        s, a = self.s, rec.get("args", {})
        if kind == "remove_object":
            o = a["obj_id"]
            if o in s._state["obj_id_to_idx"]:
                with torch.inference_mode(), s.info.autocast():
                    s.predictor.remove_object(s._state, o, need_output=False)
            s._drop_captures(o)
            return
        if kind in ("add_mask", "import_masks", "add_object"):
            for f, o, rle in (rec.get("user_masks") or {}).get("set", []):
                m = decode_rle(rle)
                if m.any():
                    s._apply_prompt(f, o, mask=m)
            return
        if kind not in ("add_points", "add_box", "correction", "accept"):
            return
        f, o = a["frame"], a["obj_id"]
        rle = user.get(f, {}).get(o)
        target = None if rle is None else decode_rle(rle)
        if kind == "accept":
            if target is not None and target.any():
                s._apply_prompt(f, o, mask=target)
            return
        if kind == "correction" and f not in s._tracked_in_sam2(o):
            s._preflight()
            s._track(f, o, s._reverse_of(f, o), store=True)
        if "points" in a or "box" in a:
            out = s._apply_prompt(
                f, o,
                points=None if "points" not in a else np.asarray(a["points"], np.float32),
                labels=None if "labels" not in a else np.asarray(a["labels"], np.int32),
                box=None if "box" not in a else np.asarray(a["box"], np.float32),
            )  # fmt: skip
            if target is None or np.array_equal(out, target):
                self.exact_prompts += 1
                return
            self.mask_fallbacks += 1
        if target is not None:
            s._apply_prompt(f, o, mask=target)

    # ---- exact state ---------------------------------------------------------------------
    def _override(self, rec: dict) -> None:
        from .session import ObjectInfo

        s = self.s
        s._objects = {o: ObjectInfo(o, name, tuple(c)) for o, name, c in rec["objects"]}
        s._next_obj_id = rec["next_obj_id"]
        s._lit = bool(rec["lit"])
        s._versions = {o: s._versions.get(o, 0) for o in s._objects}
        s._masks.restore(self.masks)
        s._user_masks.restore(self.user)
        s.events = [dict(e) for e in self.events]
        s.training_log = [dict(e) for e in self.log]
        if "banks" in rec:
            banks = {}
            for key, name in rec["banks"].items():
                o = int(key)
                snap = self._banks.get(name)
                if snap is None:
                    snap = self._banks[name] = J.load_bank(self.blob_dir / name, self.samples,
                                                           self.blob_dir)  # fmt: skip
                bank = s._banks.get(o) or s.experts(o)
                bank.restore(snap)
                banks[o] = bank
            s._banks = banks
        for stack, n in ((s._undo, rec.get("undo")), (s._redo, rec.get("redo"))):
            if n is not None:
                del stack[: max(0, len(stack) - n)]
