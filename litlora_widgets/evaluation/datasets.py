"""Finding videos and their ground truth in a dataset folder.

Layouts: DAVIS (``JPEGImages/<res>/<seq>`` + ``Annotations/<res>/<seq>``, also without the
``<res>`` level as in YouTube-VOS/MOSE), a plain ``<video>/frames`` + ``<video>/masks`` pair per
video, or one such pair at the top. Discovery is cheap (names only); everything that can be
wrong with one video is checked in :func:`load_ground_truth`, which runs inside that video's job,
so a broken video is reported with its file while the others still run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import InputError
from ..masks import read_label_png
from ..video import IMAGE_EXTS, natural_key


@dataclass(frozen=True)
class VideoSpec:
    """Where one video's frames and masks live (``error`` set: the video cannot run)."""

    name: str
    frames: str
    masks: str
    layout: str
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _images(folder: Path, exts=IMAGE_EXTS) -> list[Path]:
    files = [
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in exts and not p.name.startswith(".")
    ]
    return sorted(files, key=lambda p: natural_key(p.name))


def _subdirs(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: natural_key(p.name),
    )


def _davis_level(root: Path, resolution: str | None) -> Path:
    """``JPEGImages/<res>`` (480p preferred) or ``JPEGImages`` itself when it holds videos."""
    if resolution is not None:
        return root / resolution
    subs = _subdirs(root)
    if any(_images(s) for s in subs):  # JPEGImages/<seq>/*.jpg: no resolution level
        return root
    names = [s.name for s in subs]
    if "480p" in names:
        return root / "480p"
    if len(subs) == 1:
        return subs[0]
    raise InputError(
        f"{root} holds several resolutions {names}; pick one with --resolution (e.g. 480p)"
    )


def discover(
    data_dir: str | Path, sequences=None, resolution: str | None = None
) -> list[VideoSpec]:
    """The videos of a dataset folder, in natural order (filtered by ``sequences``)."""
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise InputError(f"dataset folder {root} does not exist")
    specs: list[VideoSpec] = []
    if (root / "JPEGImages").is_dir():
        level = _davis_level(root / "JPEGImages", resolution)
        if not level.is_dir():
            raise InputError(f"{level} does not exist; check --resolution")
        ann = root / "Annotations" / level.relative_to(root / "JPEGImages")
        for seq in _subdirs(level):
            specs.append(VideoSpec(seq.name, str(seq), str(ann / seq.name), "davis"))
    elif (root / "frames").is_dir():
        specs.append(VideoSpec(root.name, str(root / "frames"), str(root / "masks"), "plain"))
    else:
        for vid in _subdirs(root):
            if (vid / "frames").is_dir():
                specs.append(VideoSpec(vid.name, str(vid / "frames"), str(vid / "masks"), "plain"))
            else:
                specs.append(VideoSpec(
                    vid.name, str(vid), "", "unknown",
                    error=f"video {vid.name}: unknown layout in {vid} — expected {vid}/frames/ "
                    f"and {vid}/masks/ (or a DAVIS folder with JPEGImages/ and Annotations/)",
                ))  # fmt: skip
        if not specs:
            raise InputError(
                f"{root}: unknown dataset layout — expected JPEGImages/<res>/<seq> + "
                "Annotations/<res>/<seq> (DAVIS), or <video>/frames + <video>/masks per video"
            )
    if sequences:
        wanted = list(dict.fromkeys(sequences))
        have = {s.name: s for s in specs}
        missing = [w for w in wanted if w not in have]
        if missing:
            raise InputError(
                f"sequence(s) {missing} not found in {root}; available: "
                f"{sorted(have)[:20]}{' …' if len(have) > 20 else ''}"
            )
        specs = [have[w] for w in wanted]
    return specs


@dataclass
class GroundTruth:
    """One video's frames (paths) and per-object masks, limited to ``max_frames``."""

    frames: list[Path]
    masks: list[np.ndarray]  # (H, W) uint8 label maps, one per frame
    height: int
    width: int
    objects: list[int]


def load_ground_truth(spec: VideoSpec, max_frames: int | None = None) -> GroundTruth:
    """Read and check one video; every error names the video and the file."""
    v = spec.name
    if spec.error:
        raise InputError(spec.error)
    fdir, mdir = Path(spec.frames), Path(spec.masks)
    if not fdir.is_dir():
        raise InputError(f"video {v}: frame folder {fdir} does not exist")
    frames = _images(fdir)
    if not frames:
        raise InputError(f"video {v}: no .jpg/.png frames in {fdir}")
    if not mdir.is_dir():
        raise InputError(f"video {v}: missing annotations — mask folder {mdir} does not exist")
    masks = _images(mdir, {".png"})
    if not masks:
        raise InputError(f"video {v}: missing annotations — no .png masks in {mdir}")
    if len(masks) != len(frames):
        raise InputError(
            f"video {v}: {len(frames)} frames in {fdir} but {len(masks)} masks in {mdir}; every "
            "frame needs its mask"
        )
    for f, m in zip(frames, masks, strict=True):
        if f.stem != m.stem:
            raise InputError(f"video {v}: mask {m} does not match frame {f.name} (names differ)")
    n = len(frames) if max_frames is None else min(len(frames), max_frames)
    frames, masks = frames[:n], masks[:n]
    try:
        with Image.open(frames[0]) as im:
            w, h = im.size
    except (UnidentifiedImageError, OSError) as e:
        raise InputError(f"video {v}: cannot read frame {frames[0]} ({e})") from e
    labels = []
    for p in masks:
        try:
            lab = read_label_png(p)
        except InputError as e:
            raise InputError(f"video {v}: {e}") from e
        if lab.shape != (h, w):
            raise InputError(
                f"video {v}: mask {p} is {lab.shape[0]}×{lab.shape[1]} but frame "
                f"{frames[0].name} is {h}×{w} (H×W)"
            )
        labels.append(lab)
    first = np.unique(labels[0])
    objects = [int(o) for o in first if o != 0]
    if not objects:
        raise InputError(
            f"video {v}: the first mask {masks[0]} is empty — the protocol starts every object "
            "from its first-frame mask"
        )
    return GroundTruth(frames, labels, h, w, objects)
