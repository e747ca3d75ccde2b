"""Durable files: a safetensors writer that leaves a file complete or absent, never torn.

One writer for everything the package saves as tensors (journal blobs, adapter files), so
that a crash or a full disk never leaves a half-written file that a later load trusts.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_safetensors(
    path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]
) -> None:
    """Write ``path`` so that it exists either complete or not at all (temp file, fsync,
    rename, fsync of the folder)."""
    from safetensors.torch import save

    data = save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
