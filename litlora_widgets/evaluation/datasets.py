"""Finding videos and their ground truth in a dataset folder, in the layouts datasets ship in.

Layouts (``discover`` tells them apart by their folders; ``VideoSpec.layout`` names the one found):

- ``davis``: ``JPEGImages[/<res>]/<seq>/*.jpg`` + ``Annotations[/<res>]/<seq>/*.png``. DAVIS 2016
  (0/255 PNGs), DAVIS 2017 (palette PNGs, index = object), YouTube-VOS, MOSE, MOSE v2, VOST and
  LVOS v2 all ship this way. Annotations may be sparse (YouTube-VOS and MOSE annotate every 5th
  frame) and objects may first appear after frame 0. A ``meta.json`` (YouTube-VOS / MOSE) or
  ``<split>_meta.json`` (LVOS v2: ``valid/valid_meta.json``, with a per-object ``frame_range``
  whose ``start`` / ``end`` are frame *numbers*, the 8-digit file names, which step by 5 and
  need not start at 0) in the folder or its parent names the objects and, for LVOS, where each
  one starts and ends. Label 255 is void (VOST's ignore regions): never an object, and, as in
  the official evaluations, background for the IoU (see ``VOID``).
- ``sav``: SA-V val/test, ``JPEGImages_24fps/<vid>/*.jpg`` + ``Annotations_6fps/<vid>/<obj>/*.png``
  (one binary PNG per masklet, so masklets may overlap).
- ``sav-json``: SA-V train, ``<vid>.mp4`` (or a ``<vid>/`` folder of frames) + ``<vid>_manual.json``
  whose ``masklet`` list holds one RLE per masklet on every 4th frame of the 24 fps video.
- ``plain``: ``<video>/frames`` + ``<video>/masks`` with a mask for every frame (checked strictly).

SA-V numbers masklets from 0, label maps from 1: object ids are masklet id + 1 there.

Only annotated frames are judged, as the authors did; an object starts at its first annotated
frame where it is present. Discovery is cheap (names only); everything that can be wrong with
one video is checked in :func:`load_ground_truth`, which runs inside that video's job, so a
broken video is reported with its file while the others still run.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import InputError
from ..masks import decode_rle, read_label_png
from ..video import IMAGE_EXTS, VIDEO_EXTS, natural_key

# Label of "void" / "ignore" pixels (VOST marks ambiguous regions with it); never an object.
# The official evaluations count them as background, not as ignored: VOST's
# evaluation/source/dataset.py (TRI-ML/VOST) sets them to 0 and evaluation.py passes no void
# mask to J (``_evaluate_semisupervised(..., None, ...)``); DAVIS 2017's davis.py sets 255 to 0
# before its (then always empty) void mask; LVOS's evaluation.py passes None. So do we.
VOID = 255
SAV_STEP = 4  # SA-V: masklets annotated on every 4th frame of the 24 fps video (6 fps)


@dataclass(frozen=True)
class VideoSpec:
    """Where one video's frames and masks live (``error`` set: the video cannot run).

    ``frames``: a frame folder or a video file; ``masks``: a mask folder or a ``*_manual.json``;
    ``meta``: the dataset's meta JSON, if any.
    """

    name: str
    frames: str
    masks: str
    layout: str
    error: str | None = None
    meta: str | None = None

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


def _find_meta(root: Path) -> Path | None:
    """YouTube-VOS / MOSE ``meta.json`` or LVOS ``<split>_meta.json`` in the folder or above."""
    for d in (root, root.parent):
        for name in ("meta.json", f"{root.name}_meta.json"):
            if (d / name).is_file():
                return d / name
    hits = sorted(root.glob("*meta*.json"))
    return hits[0] if len(hits) == 1 else None


def discover(
    data_dir: str | Path,
    sequences=None,
    resolution: str | None = None,
    *,
    split: str | None = None,
    frames_dir: str | None = None,
) -> list[VideoSpec]:
    """The videos of a dataset folder, in natural order (filtered by ``sequences``).

    ``split``: only the videos listed in ``ImageSets/<split>.txt`` (VOST ``val``, DAVIS
    ``2017/val``). ``frames_dir``: DAVIS-style datasets only, the folder in ``data_dir`` to
    read frames from instead of ``JPEGImages`` (VOST's ``JPEGImages_10fps``: twice the frames
    to track through, the annotated ones matched by name and the only ones judged).
    """
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise InputError(f"dataset folder {root} does not exist")
    jpeg = root / (frames_dir or "JPEGImages")
    if frames_dir is not None and not jpeg.is_dir():
        have = [d.name for d in _subdirs(root) if d.name.startswith("JPEGImages")]
        raise InputError(
            f"frames folder {jpeg} does not exist; {root} has {have or 'no JPEGImages* folder'}"
        )
    if frames_dir is not None and not (root / "Annotations").is_dir():
        raise InputError(
            f"--frames-dir is for DAVIS-style datasets (JPEGImages + Annotations); {root} has "
            "no Annotations folder"
        )
    specs: list[VideoSpec] = []
    if jpeg.is_dir():
        level = _davis_level(jpeg, resolution)
        if not level.is_dir():
            raise InputError(f"{level} does not exist; check --resolution")
        ann = root / "Annotations" / level.relative_to(jpeg)
        meta = _find_meta(root)
        for seq in _subdirs(level):
            specs.append(
                VideoSpec(
                    seq.name,
                    str(seq),
                    str(ann / seq.name),
                    "davis",
                    meta=None if meta is None else str(meta),
                )
            )
    elif (root / "JPEGImages_24fps").is_dir():
        for seq in _subdirs(root / "JPEGImages_24fps"):
            specs.append(
                VideoSpec(seq.name, str(seq), str(root / "Annotations_6fps" / seq.name), "sav")
            )
    elif list(root.glob("*_manual.json")):
        for js in sorted(root.glob("*_manual.json"), key=lambda p: natural_key(p.name)):
            vid = js.name[: -len("_manual.json")]
            src = next(
                (root / f"{vid}{e}" for e in sorted(VIDEO_EXTS) if (root / f"{vid}{e}").is_file()),
                root / vid,
            )
            specs.append(VideoSpec(vid, str(src), str(js), "sav-json"))
    elif (root / "frames").is_dir():
        specs.append(VideoSpec(root.name, str(root / "frames"), str(root / "masks"), "plain"))
    else:
        for vid in _subdirs(root):
            if (vid / "frames").is_dir():
                specs.append(VideoSpec(vid.name, str(vid / "frames"), str(vid / "masks"), "plain"))
            else:
                specs.append(
                    VideoSpec(
                        vid.name,
                        str(vid),
                        "",
                        "unknown",
                        error=f"video {vid.name}: unknown layout in {vid} — expected {vid}/frames/ "
                        f"and {vid}/masks/ (or a DAVIS folder with JPEGImages/ and Annotations/)",
                    )
                )
        if not specs:
            raise InputError(
                f"{root}: unknown dataset layout — expected JPEGImages/<res>/<seq> + "
                "Annotations/<res>/<seq> (DAVIS, YouTube-VOS, MOSE, VOST, LVOS), "
                "JPEGImages_24fps + Annotations_6fps (SA-V val/test), <vid>.mp4 + "
                "<vid>_manual.json (SA-V train), or <video>/frames + <video>/masks per video"
            )
    if split is not None:
        listed, path = _split_names(root, split)
        have = {s.name for s in specs}
        missing = [n for n in listed if n not in have]
        if missing:
            raise InputError(
                f"split {split!r} ({path}) lists {len(missing)} video(s) with no frames in "
                f"{root}: {missing[:5]}{' …' if len(missing) > 5 else ''}; download them or "
                "pick another split"
            )
        keep = set(listed)
        specs = [s for s in specs if s.name in keep]
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


def _split_names(root: Path, split: str) -> tuple[list[str], Path]:
    """The video names of ``ImageSets/<split>.txt`` (or the one ``ImageSets/*/<split>.txt``)."""
    sets = root / "ImageSets"
    path = sets / f"{split}.txt"
    if not path.is_file():
        hits = sorted(sets.glob(f"*/{split}.txt")) if sets.is_dir() else []
        if len(hits) != 1:
            have = sorted(str(p.relative_to(sets))[:-4] for p in sets.rglob("*.txt"))
            if not have:
                raise InputError(f"split {split!r}: {root} has no ImageSets/*.txt to read it from")
            raise InputError(
                f"split {split!r} is {'ambiguous' if hits else 'not'} in {sets}; use one of {have}"
            )
        path = hits[0]
    names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    return names, path


@dataclass
class GroundTruth:
    """One video's frames and sparse per-object ground truth, limited to ``max_frames``.

    ``annotated``: the frames that have ground truth (the only ones judged); ``starts``: each
    object's first annotated frame where it is present (its mask prompt); ``ends``: its last
    frame to judge (the video's end unless the meta JSON says otherwise).
    """

    video: Any  # a frame folder, a video file, or a list of frame files (max_frames)
    num_frames: int
    height: int
    width: int
    objects: list[int]
    annotated: list[int]
    starts: dict[int, int]
    ends: dict[int, int]
    frames: list[Path] | None = None  # frame files (None for a video file)
    _labels: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _rles: dict[int, dict[int, Any]] = field(default_factory=dict, repr=False)

    @property
    def masks(self) -> list[np.ndarray | None]:
        """Per frame, the label map as read (None where not annotated, and for SA-V, whose
        masklets may overlap: use :meth:`mask`)."""
        return [self._labels.get(t) for t in range(self.num_frames)]

    def mask(self, t: int, obj: int) -> np.ndarray:
        """Bool (H, W) ground truth of ``obj`` on annotated frame ``t`` (empty: absent)."""
        if t in self._labels:
            return self._labels[t] == obj
        r = self._rles.get(t, {}).get(obj)
        if r is None:
            if t not in self._rles:
                raise KeyError(f"frame {t} is not annotated")
            return np.zeros((self.height, self.width), bool)
        return decode_rle(r) if isinstance(r, dict) else read_label_png(r) > 0

    def void(self, t: int) -> np.ndarray | None:
        """Void pixels (label 255) on frame ``t``, or None. Reported only: the judge counts
        them as background, as the official evaluations do (see ``VOID``)."""
        lab = self._labels.get(t)
        if lab is None:
            return None
        v = lab == VOID
        return v if v.any() else None

    def judged(self, obj: int) -> list[int]:
        """The annotated frames after the object's start, up to its end: the frames judged."""
        s, e = self.starts[obj], self.ends[obj]
        return [t for t in self.annotated if s < t <= e]


def _frame_size(v: str, p: Path) -> tuple[int, int]:
    try:
        with Image.open(p) as im:
            w, h = im.size
    except (UnidentifiedImageError, OSError) as e:
        raise InputError(f"video {v}: cannot read frame {p} ({e})") from e
    return h, w


def _read_labels(v: str, p: Path, h: int, w: int, ref: str) -> np.ndarray:
    try:
        lab = read_label_png(p)
    except InputError as e:
        raise InputError(f"video {v}: {e}") from e
    if lab.shape != (h, w):
        raise InputError(
            f"video {v}: mask {p} is {lab.shape[0]}×{lab.shape[1]} but frame {ref} is {h}×{w} (H×W)"
        )
    return lab


def _frame_index(v: str, value, pos: dict[str, int], what: str, *, last: bool = False) -> int:
    """A meta JSON frame reference (a frame name or number) as a frame index.

    A number is matched against the frames' numbers (LVOS: ``start: 6`` is ``00000006.jpg``);
    one that names no frame falls between frames: a start maps to the first frame after it, an
    end (``last``) to the last frame before it (-1 or ``len(pos)`` past either end)."""
    s = str(value)
    if s in pos:
        return pos[s]
    if re.fullmatch(r"\d+", s):
        nums = sorted((int(k), i) for k, i in pos.items() if re.fullmatch(r"\d+", k))
        if not nums:
            return int(s)  # frames without numbers: an index
        keys = [k for k, _ in nums]
        if last:
            j = bisect.bisect_right(keys, int(s)) - 1
            return nums[j][1] if j >= 0 else -1
        j = bisect.bisect_left(keys, int(s))
        return nums[j][1] if j < len(nums) else len(pos)
    raise InputError(f"video {v}: {what} {value!r} names no frame of the video")


def _meta_objects(spec: VideoSpec, pos: dict[str, int]) -> dict[int, tuple[int, int]] | None:
    """Objects of the meta JSON for this video: id -> (first, last) frame allowed."""
    if not spec.meta:
        return None
    try:
        meta = json.loads(Path(spec.meta).read_text())
    except (OSError, ValueError) as e:
        raise InputError(f"video {spec.name}: cannot read {spec.meta} ({e})") from e
    entry = meta.get("videos", {}).get(spec.name) if isinstance(meta, dict) else None
    if entry is None:
        return None
    out = {}
    for k, o in entry.get("objects", {}).items():
        lo, hi = 0, 1 << 30
        fr = o.get("frame_range") if isinstance(o, dict) else None
        if fr:  # LVOS v2
            lo = _frame_index(spec.name, fr["start"], pos, f"object {k} frame_range start")
            hi = _frame_index(spec.name, fr["end"], pos, f"object {k} frame_range end", last=True)
        elif isinstance(o, dict) and o.get("frames"):  # YouTube-VOS / MOSE
            idx = [pos[str(f)] for f in o["frames"] if str(f) in pos]
            if idx:
                lo, hi = min(idx), max(idx)
        out[int(k)] = (lo, hi)
    return out


def _finish(v: str, gt: GroundTruth, present: dict[int, list[int]], meta, first: str) -> None:
    """Objects, starts and ends from where each object is present; checks against the meta."""
    n = gt.num_frames
    if meta is not None:
        never = [
            o for o in meta if not any(meta[o][0] <= t <= meta[o][1] for t in present.get(o, []))
        ]
        never = [o for o in never if meta[o][0] < n]
        if never:
            raise InputError(
                f"video {v}: object(s) {never} of the meta JSON never appear in the annotations "
                "within their frame range; fix the masks or the meta JSON"
            )
    ids = sorted(meta) if meta is not None else sorted(present)
    for o in ids:
        lo, hi = meta[o] if meta is not None else (0, n - 1)
        frames = [t for t in present.get(o, []) if lo <= t <= hi]
        if not frames:
            continue  # appears only after max_frames
        gt.starts[o] = frames[0]
        # with a meta JSON the object ends at its last appearance up to the range's end (LVOS's
        # frame_range end read as inclusive or exclusive alike), unless max_frames cuts it
        gt.ends[o] = frames[-1] if meta is not None and hi < n else min(hi, n - 1)
    gt.objects = [o for o in ids if o in gt.starts]
    if not gt.objects:
        raise InputError(
            f"video {v}: no object in any annotated frame (the first mask {first} is empty) — "
            "the protocol starts every object from its first annotated mask"
            + (" ; raise --max-frames" if n < len(gt.frames or []) else "")
        )


def load_ground_truth(spec: VideoSpec, max_frames: int | None = None) -> GroundTruth:
    """Read and check one video; every error names the video and the file."""
    if spec.error:
        raise InputError(spec.error)
    if spec.layout == "sav-json":
        return _load_sav_json(spec, max_frames)
    v = spec.name
    fdir, mdir = Path(spec.frames), Path(spec.masks)
    if not fdir.is_dir():
        raise InputError(f"video {v}: frame folder {fdir} does not exist")
    frames = _images(fdir)
    if not frames:
        raise InputError(f"video {v}: no .jpg/.png frames in {fdir}")
    if not mdir.is_dir():
        raise InputError(f"video {v}: missing annotations — mask folder {mdir} does not exist")
    n = len(frames) if max_frames is None else min(len(frames), max_frames)
    pos = {f.stem: i for i, f in enumerate(frames)}
    h, w = _frame_size(v, frames[0])
    video = str(fdir) if n == len(frames) else frames[:n]
    gt = GroundTruth(video, n, h, w, [], [], {}, {}, frames=frames[:n])
    present: dict[int, list[int]] = {}
    if spec.layout == "sav":
        return _load_sav_folder(spec, gt, pos)
    masks = _images(mdir, {".png"})
    if not masks:
        raise InputError(f"video {v}: missing annotations — no .png masks in {mdir}")
    if spec.layout == "plain":  # our own layout: every frame has its mask
        if len(masks) != len(frames):
            raise InputError(
                f"video {v}: {len(frames)} frames in {fdir} but {len(masks)} masks in {mdir}; "
                "every frame needs its mask"
            )
        for f, m in zip(frames, masks, strict=True):
            if f.stem != m.stem:
                raise InputError(
                    f"video {v}: mask {m} does not match frame {f.name} (names differ)"
                )
    for m in masks:
        if m.stem not in pos:
            raise InputError(
                f"video {v}: mask {m} matches no frame in {fdir} (e.g. {frames[0].name}); "
                "masks are named like the frames they annotate"
            )
        t = pos[m.stem]
        if t >= n:
            continue
        lab = _read_labels(v, m, h, w, frames[0].name)
        gt._labels[t] = lab
        for o in np.unique(lab).tolist():
            if o not in (0, VOID):
                present.setdefault(int(o), []).append(t)
    gt.annotated = sorted(gt._labels)
    for o in present:
        present[o].sort()
    _finish(v, gt, present, _meta_objects(spec, pos), str(masks[0]))
    return gt


def _load_sav_folder(spec: VideoSpec, gt: GroundTruth, pos: dict[str, int]) -> GroundTruth:
    """SA-V val/test: ``Annotations_6fps/<vid>/<masklet>/<frame>.png``, binary per masklet."""
    v, mdir = spec.name, Path(spec.masks)
    objs = [d for d in _subdirs(mdir) if re.fullmatch(r"\d+", d.name)]
    if not objs:
        raise InputError(
            f"video {v}: missing annotations — no masklet folders (000, 001, …) in {mdir}"
        )
    present: dict[int, list[int]] = {}
    first = None
    for d in objs:
        o = int(d.name) + 1
        if o > 255:
            raise InputError(f"video {v}: masklet {d.name} is above 254; at most 255 objects")
        for p in _images(d, {".png"}):
            if p.stem not in pos:
                raise InputError(f"video {v}: mask {p} matches no frame in {spec.frames}")
            t = pos[p.stem]
            if t >= gt.num_frames:
                continue
            first = first or p
            with Image.open(p) as im:
                if (im.size[1], im.size[0]) != (gt.height, gt.width):
                    raise InputError(
                        f"video {v}: mask {p} is {im.size[1]}×{im.size[0]} but the "
                        f"frames are {gt.height}×{gt.width} (H×W)"
                    )
            gt._rles.setdefault(t, {})[o] = p
            if (read_label_png(p) > 0).any():
                present.setdefault(o, []).append(t)
    gt.annotated = sorted(gt._rles)
    for o in present:
        present[o].sort()
    _finish(v, gt, present, None, str(first))
    return gt


def _load_sav_json(spec: VideoSpec, max_frames: int | None) -> GroundTruth:
    """SA-V train: ``masklet[i][k]`` is masklet k's RLE on frame ``SAV_STEP * i``."""
    v, js, src = spec.name, Path(spec.masks), Path(spec.frames)
    try:
        d = json.loads(js.read_text())
        masklets, ids = d["masklet"], [int(i) for i in d.get("masklet_id", [])]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(
            f"video {v}: cannot read masklets from {js} ({e}); expected SA-V "
            "*_manual.json with 'masklet' and 'masklet_id'"
        ) from e
    if not src.exists():
        raise InputError(
            f"video {v}: no video {src.with_suffix('.mp4').name} or frame folder "
            f"{src.name}/ next to {js.name}"
        )
    from ..video import VideoSource

    if src.is_dir():
        frames = _images(src)
        total, (h, w) = len(frames), _frame_size(v, frames[0]) if frames else (0, 0)
    else:
        frames = None
        vs = VideoSource.open(src)
        total, h, w = vs.num_frames, vs.height, vs.width
    if not total:
        raise InputError(f"video {v}: no frames in {src}")
    n = total if max_frames is None else min(total, max_frames)
    num = int(d.get("masklet_num", len(ids)))
    if not ids:
        ids = list(range(num))
    if SAV_STEP * (len(masklets) - 1) >= total:
        raise InputError(
            f"video {v}: {len(masklets)} annotated frames every {SAV_STEP}th need "
            f"{SAV_STEP * (len(masklets) - 1) + 1} frames but {src} has {total}"
        )
    video = (str(src) if n == total else frames[:n]) if frames is not None else str(src)
    gt = GroundTruth(video, n, h, w, [], [], {}, {}, frames=None if frames is None else frames[:n])
    present: dict[int, list[int]] = {}
    from ..masks import rle_area

    for i, per in enumerate(masklets):
        t = SAV_STEP * i
        if t >= n:
            break
        if len(per) != len(ids):
            raise InputError(
                f"video {v}: annotated frame {i} of {js.name} has {len(per)} RLEs "
                f"but there are {len(ids)} masklets"
            )
        gt._rles[t] = {}
        for mid, rle in zip(ids, per, strict=True):
            if tuple(rle["size"]) != (h, w):
                raise InputError(
                    f"video {v}: masklet {mid} on frame {t} is {rle['size']} but "
                    f"the video is {h}×{w} (H×W)"
                )
            gt._rles[t][mid + 1] = rle
            if rle_area(rle):
                present.setdefault(mid + 1, []).append(t)
    gt.annotated = sorted(gt._rles)
    _finish(v, gt, present, None, f"{js.name} frame 0")
    return gt
