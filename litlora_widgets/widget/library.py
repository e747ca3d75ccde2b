"""The adapter library (issue #12, item 10): the adapter files of a folder with what their
metadata says, and whether each fits the current model, so a user picks one knowingly.

Reads only the safetensors header (never the tensors, never pickles). Whether a file fits is
decided with the same facts :meth:`ExpertBank.load` checks (model fingerprint, rank, alpha,
targets); loading still goes through :meth:`Session.load_adapters`, which says why it failed
and leaves the session as it was.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..session import Session

FORMAT_KEY = "format"


def read_header(path: Path) -> dict[str, str]:
    """The metadata of a safetensors file ({} when it is not one)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            return dict(f.metadata() or {})
    except Exception:  # noqa: BLE001 - a bad file is listed as not loadable, never raised
        return {}


def describe_adapter(path: Path, session: Session, obj_id: int | None) -> dict[str, Any]:
    """One row of the library: metadata in words, ``fits`` and, when it does not, ``why``."""
    meta = read_header(path)
    try:
        extra = json.loads(meta.get("extra", "{}"))
    except ValueError:
        extra = {}
    try:
        strengths = json.loads(meta.get("strengths", "[]"))
    except ValueError:
        strengths = []
    row: dict[str, Any] = {
        "path": str(path),
        "name": path.name,
        "video": extra.get("video", ""),
        "object": extra.get("object", ""),
        "model": extra.get("model", ""),
        "date": datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M"),
        "num_experts": int(meta["num_experts"]) if meta.get("num_experts", "").isdigit() else 0,
        "strength": float(strengths[0]) if strengths else None,
        "fits": False,
        "why": "",
    }
    if not meta:
        row["why"] = "not a readable safetensors file"
    elif not meta.get("fingerprint") or FORMAT_KEY not in meta:
        row["why"] = "not a litlora adapter file"
    elif obj_id is None:
        row["why"] = "add an object first to load adapters into"
    else:
        bank = session.experts(obj_id)
        cfg = session.lit_config
        try:
            shape = (int(meta["rank"]), float(meta["alpha"]), tuple(json.loads(meta["targets"])))
        except (KeyError, ValueError):
            shape = None
        if meta["fingerprint"] != bank.fingerprint:
            model = row["model"] or "another model"
            row["why"] = f"trained on {model}, not on this session's {session.model_name}"
        elif shape != (cfg.rank, float(cfg.alpha), tuple(cfg.targets)):
            row["why"] = "trained with other LoRA settings (rank, alpha or targets)"
        elif bank.same_experts(path):
            row["why"] = "already loaded in this object (the same weights)"
        elif bank.num_experts + row["num_experts"] > cfg.max_experts:
            row["why"] = (
                f"{row['num_experts']} experts would exceed this object's limit of "
                f"{cfg.max_experts} ({bank.num_experts} already)"
            )
        else:
            row["fits"] = True
    return row


def adapter_library(folder: Path, session: Session, obj_id: int | None) -> list[dict[str, Any]]:
    """Every ``*.safetensors`` in ``folder``, newest first."""
    files = sorted(folder.glob("*.safetensors"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [describe_adapter(p, session, obj_id) for p in files]
