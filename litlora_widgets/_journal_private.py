"""Journal internals: durable writes, checksummed lines, and expert-bank blobs.

Kept apart from ``journal.py`` so the record/resume logic reads on its own. Blobs are
safetensors (never pickle) written atomically: temp file, fsync, rename. A journal line is the
commit point: it is appended (one ``write`` of a whole line, flush, fsync) only after every
blob it references is on disk, so a crash leaves at worst orphan blobs and a torn last line.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .errors import LitLoraError
from .files import atomic_write_safetensors


class JournalError(LitLoraError, ValueError):
    """A journal that cannot be resumed (corrupt, newer format, another video or model)."""


# ----------------------------------------------------------------------------- files
def read_safetensors(path: Path) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            return dict(f.metadata() or {}), {k: f.get_tensor(k) for k in f.keys()}
    except FileNotFoundError:
        raise JournalError(
            f"the journal references {path.name}, which is missing from {path.parent}; the "
            "session folder is incomplete (copy the whole folder, not only journal.jsonl)"
        ) from None
    except Exception as exc:
        raise JournalError(
            f"{path} is corrupt ({type(exc).__name__}: {exc}); the session folder was damaged"
        ) from exc


# ----------------------------------------------------------------------------- lines
def _canonical(rec: dict) -> str:
    return json.dumps(rec, sort_keys=True, separators=(",", ":"))


def encode_line(rec: dict) -> bytes:
    """One journal line: the record plus a CRC32 of its canonical JSON (detects torn lines)."""
    body = _canonical(rec)
    crc = f"{zlib.crc32(body.encode()):08x}"
    return ('{"crc":"' + crc + '","rec":' + body + "}\n").encode()


def decode_line(line: bytes) -> dict | None:
    """The record of a line, or None if the line is torn or corrupt."""
    if not line.endswith(b"\n"):
        return None
    try:
        obj = json.loads(line)
        rec = obj["rec"]
        ok = isinstance(rec, dict) and obj["crc"] == f"{zlib.crc32(_canonical(rec).encode()):08x}"
    except (ValueError, KeyError, TypeError):
        return None
    return rec if ok else None


def jsonable(value: Any) -> Any:
    """Payload values as plain JSON (numpy scalars/arrays -> numbers/lists)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


# ----------------------------------------------------------------------------- experts
def _gen_bytes(state: torch.Tensor) -> torch.Tensor:
    return state.detach().cpu().to(torch.uint8).clone()


def bank_signature(snap) -> str:
    """A digest of everything ``ExpertBank.restore`` restores (to write only on change)."""
    h = hashlib.sha1()
    h.update(
        _canonical(
            {
                "experts": [[n, [id(s) for s in r]] for n, r in snap.experts],
                "strength": snap.strength,
                "next_id": snap.next_id,
            }
        ).encode()
    )
    for name in sorted(snap.adapters):
        for key in sorted(snap.adapters[name]):
            h.update(snap.adapters[name][key].detach().cpu().contiguous().numpy().tobytes())
    for g in snap.generators:
        h.update(_gen_bytes(g).numpy().tobytes())
    return h.hexdigest()


def save_sample(path: Path, sample) -> None:
    tensors = {"image_embed": sample.image_embed, "target": sample.target}
    for i, t in enumerate(sample.high_res):
        tensors[f"high_res.{i}"] = t
    meta = {
        "present": json.dumps(bool(sample.present)),
        "frame": str(int(sample.frame)),
        "obj_id": str(int(sample.obj_id)),
        "high_res": str(len(sample.high_res)),
    }
    atomic_write_safetensors(path, tensors, meta)


def load_sample(path: Path):
    from .engine.experts import _Sample

    meta, t = read_safetensors(path)
    n = int(meta["high_res"])
    high_res = tuple(t[f"high_res.{i}"] for i in range(n))
    return _Sample(
        t["image_embed"],
        high_res,
        t["target"],
        json.loads(meta["present"]),
        int(meta["frame"]),
        int(meta["obj_id"]),
    )


def save_bank(path: Path, snap, sample_ids: dict[int, str]) -> None:
    tensors = {
        f"adapter/{name}/{key}": t for name, d in snap.adapters.items() for key, t in d.items()
    }
    tensors["gen/init"] = _gen_bytes(snap.generators[0])
    tensors["gen/drop"] = _gen_bytes(snap.generators[1])
    meta = {
        "bank": _canonical(
            {
                "experts": [[n, [sample_ids[id(s)] for s in r]] for n, r in snap.experts],
                "strength": snap.strength,
                "next_id": snap.next_id,
            }
        )
    }
    atomic_write_safetensors(path, tensors, meta)


def load_bank(path: Path, samples: dict[str, Any], blob_dir: Path):
    """A ``BankSnapshot`` from a bank blob; ``samples`` caches replay samples by id."""
    from .engine.experts import BankSnapshot

    meta, t = read_safetensors(path)
    info = json.loads(meta["bank"])
    adapters: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in t.items():
        if key.startswith("adapter/"):
            _, name, sub = key.split("/", 2)
            adapters.setdefault(name, {})[sub] = tensor
    experts = []
    for name, ids in info["experts"]:
        adapters.setdefault(name, {})
        replay = []
        for sid in ids:
            if sid not in samples:
                samples[sid] = load_sample(blob_dir / f"sample-{sid}.safetensors")
            replay.append(samples[sid])
        experts.append((name, replay))
    return BankSnapshot(
        adapters=adapters,
        strength={k: float(v) for k, v in info["strength"].items()},
        experts=experts,
        next_id=int(info["next_id"]),
        generators=(t["gen/init"], t["gen/drop"]),
    )


def video_fingerprint(video) -> str:
    """sha256 over the shape and a few frames (first, middle, last): cheap, and catches both
    another video and the same name with other content."""
    n = video.num_frames
    h = hashlib.sha256(f"{n}|{video.height}|{video.width}".encode())
    for i in sorted({0, n // 2, n - 1}):
        h.update(np.ascontiguousarray(video.frame(i)).tobytes())
    return h.hexdigest()[:16]
