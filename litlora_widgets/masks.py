"""Masks in and out: validation, COCO RLE, COCO JSON, DAVIS PNGs, label maps, metrics.

Convention everywhere: a mask is a ``bool`` array ``(H, W)``; a video's masks are
``dict[frame, dict[obj_id, mask]]``. Readers return every frame present in the file as a key,
``{}`` where it holds no object, so "annotated, object absent" differs from "not annotated".
Where objects overlap in one label map, the higher object id wins.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError
from pycocotools import mask as mask_utils

from litlora_widgets.errors import InputError

Masks = dict[int, dict[int, np.ndarray]]


# ----------------------------------------------------------------------------- validation
def validate_mask(
    mask: Any, height: int, width: int, *, name: str = "mask", allow_empty: bool = True
) -> np.ndarray:
    """Return ``mask`` as a bool (H, W) array, or raise InputError saying how to fix it.

    Accepts bool, integer 0/1 or 0/255, and float in [0, 1] (thresholded at 0.5). Anything
    else is refused rather than guessed (logits, label maps), because a silent wrong guess
    would train the model on a wrong target.
    """
    a = np.asarray(mask)
    if a.ndim != 2:
        hint = ""
        if a.ndim == 3 and 1 in (a.shape[0], a.shape[-1]):
            hint = " (drop the singleton axis with np.squeeze(mask))"
        raise InputError(
            f"{name} has shape {a.shape} but must be 2-D of shape ({height}, {width}) "
            f"(H×W of the video){hint}"
        )
    if a.shape != (height, width):
        raise InputError(
            f"{name} has shape {a.shape} but the video frames are {height}×{width} (H×W); "
            f"pass a bool array of shape ({height}, {width})"
        )
    if a.dtype == np.bool_:
        out = a
    elif a.dtype.kind in "iu":
        lo, hi = (int(a.min()), int(a.max())) if a.size else (0, 0)
        ok = lo >= 0 and (hi <= 1 or (hi == 255 and not np.any((a != 0) & (a != 255))))
        if not ok:
            raise InputError(
                f"{name} has integer values other than {{0, 1}} or {{0, 255}} (range "
                f"[{lo}, {hi}]); for a label map pick one object with `mask == obj_id`, "
                "otherwise pass `mask > 0`"
            )
        out = a > 0
    elif a.dtype.kind == "f":
        if np.isnan(a).any():
            raise InputError(
                f"{name} contains NaN; pass a bool mask (e.g. `np.nan_to_num(m) > 0.5`)"
            )
        lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
        if lo < 0.0 or hi > 1.0:
            raise InputError(
                f"{name} is float with values in [{lo:g}, {hi:g}], not [0, 1]; for logits "
                "pass `logits > 0`, for probabilities pass `prob > 0.5`"
            )
        out = a >= 0.5
    else:
        raise InputError(
            f"{name} has dtype {a.dtype}; pass a bool array of shape ({height}, {width})"
        )
    if not allow_empty and not out.any():
        raise InputError(
            f"the {name} is empty (no True pixels); draw the object or use remove_object"
        )
    return np.ascontiguousarray(out)


def _check_obj_id(obj_id: Any, what: str = "object id") -> int:
    if isinstance(obj_id, (bool, np.bool_)) or not isinstance(obj_id, (int, np.integer)):
        raise InputError(f"{what} {obj_id!r} is not an int; use ints 1..255")
    if not 1 <= obj_id <= 255:
        raise InputError(
            f"{what} {obj_id} is outside 1..255, which label maps and DAVIS PNGs can hold; "
            "renumber the objects 1, 2, 3, …"
        )
    return int(obj_id)


# ----------------------------------------------------------------------------- RLE
def encode_rle(mask: np.ndarray) -> dict:
    """COCO RLE of a bool (H, W) mask: ``{"size": [H, W], "counts": str}`` (JSON-ready)."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise InputError(f"encode_rle needs a 2-D (H, W) mask, got shape {m.shape}")
    rle = mask_utils.encode(np.asfortranarray(m, dtype=np.uint8))  # pycocotools wants F order
    h, w = (int(x) for x in rle["size"])
    return {"size": [h, w], "counts": rle["counts"].decode("ascii")}


def _as_coco_rle(rle: Any, what: str = "RLE") -> dict:
    """A pycocotools-ready compressed RLE from a dict with str/bytes/list counts."""
    if not isinstance(rle, Mapping) or "size" not in rle or "counts" not in rle:
        raise InputError(f"{what} must be a dict with 'size' [H, W] and 'counts'; got {rle!r:.80}")
    size = rle["size"]
    if not (isinstance(size, (list, tuple)) and len(size) == 2):
        raise InputError(f"{what} has size {size!r}; it must be [H, W]")
    h, w = int(size[0]), int(size[1])
    counts = rle["counts"]
    if isinstance(counts, list):  # uncompressed RLE (iscrowd exports)
        if sum(counts) != h * w:
            raise InputError(f"{what} counts sum to {sum(counts)} but size is {h}×{w}")
        return mask_utils.frPyObjects({"size": [h, w], "counts": counts}, h, w)
    if isinstance(counts, str):
        counts = counts.encode("ascii")
    if not isinstance(counts, bytes):
        raise InputError(f"{what} counts must be a str, bytes or list, got {type(counts).__name__}")
    return {"size": [h, w], "counts": counts}


def decode_rle(rle: Mapping) -> np.ndarray:
    """Bool (H, W) mask from a COCO RLE (compressed str/bytes counts or an uncompressed list)."""
    r = _as_coco_rle(rle)
    try:
        m = mask_utils.decode(r)
    except Exception as e:  # pycocotools raises bare exceptions on corrupt counts
        raise InputError(
            f"cannot decode RLE of size {r['size']} ({e}); the counts are corrupt"
        ) from e
    return m.astype(bool)


def rle_area(rle: Mapping) -> int:
    """Number of True pixels, without decoding."""
    return int(mask_utils.area(_as_coco_rle(rle)))


def _bbox(rle: dict) -> list[float]:
    return [float(x) for x in mask_utils.toBbox(_as_coco_rle(rle))]


# ----------------------------------------------------------------------------- label maps
def label_map(frame_masks: Mapping[int, np.ndarray], height: int, width: int) -> np.ndarray:
    """uint8 (H, W) map of object ids (0 = background); on overlap the higher id wins.

    This is what the widget sends as the overlay, so it skips per-mask validation beyond the
    shape check.
    """
    out = np.zeros((height, width), dtype=np.uint8)
    for obj_id in sorted(frame_masks):
        m = frame_masks[obj_id]
        if m.shape != (height, width):
            raise InputError(
                f"mask of object {obj_id} has shape {m.shape} but the video frames are "
                f"{height}×{width} (H×W); pass a bool array of shape ({height}, {width})"
            )
        out[m.astype(bool, copy=False)] = _check_obj_id(obj_id)
    return out


def masks_to_array(
    masks: Mapping[int, Mapping[int, np.ndarray]],
    obj_ids: Sequence[int] | None,
    num_frames: int,
    height: int,
    width: int,
) -> np.ndarray:
    """uint8 (T, H, W) label maps of the objects in ``obj_ids`` (None: all); higher id wins."""
    keep = None if obj_ids is None else {_check_obj_id(o) for o in obj_ids}
    out = np.zeros((num_frames, height, width), dtype=np.uint8)
    for f, fm in masks.items():
        if not 0 <= f < num_frames:
            raise InputError(f"masks have frame {f} but the video has frames 0..{num_frames - 1}")
        sel = {o: m for o, m in fm.items() if keep is None or o in keep}
        out[f] = label_map(sel, height, width)
    return out


def array_to_masks(arr: np.ndarray) -> Masks:
    """Inverse of :func:`masks_to_array`: every frame is a key, ``{}`` where it has no object."""
    a = np.asarray(arr)
    if a.ndim != 3 or a.dtype.kind not in "iu":
        raise InputError(
            f"label maps must be an integer (T, H, W) array of object ids, got {a.dtype} "
            f"{a.shape}; for one frame use arr[None]"
        )
    out: Masks = {}
    for f in range(a.shape[0]):
        ids = np.unique(a[f])
        out[f] = {int(o): a[f] == o for o in ids if o != 0}
    return out


# ----------------------------------------------------------------------------- COCO
def _check_frames(masks: Mapping, num_frames: int, frame_names: Sequence[str] | None) -> None:
    if frame_names is not None and len(frame_names) != num_frames:
        raise InputError(
            f"got {len(frame_names)} frame_names for {num_frames} frames; pass one per frame"
        )
    for f in masks:
        if not 0 <= f < num_frames:
            raise InputError(f"masks have frame {f} but the video has frames 0..{num_frames - 1}")


def write_coco(
    path: str | Path,
    masks: Mapping[int, Mapping[int, np.ndarray]],
    *,
    height: int,
    width: int,
    num_frames: int,
    video_name: str,
    object_names: Mapping[int, str] | None = None,
    frame_names: Sequence[str] | None = None,
) -> Path:
    """Write masks as a video-level COCO-style JSON.

    Schema::

        info:        {video_name, num_frames, height, width, format: "litlora-widgets/coco-v1"}
        images:      one per frame: {id: frame + 1, frame_index, file_name, height, width}
        categories:  one per object: {id: obj_id, name}
        annotations: one per (frame, object) mask, empty masks included:
                     {id, image_id, category_id: obj_id, segmentation: RLE with str counts,
                      area, bbox [x, y, w, h], iscrowd: 0}

    Image ids start at 1 because COCO tools treat 0 as "no id"; ``frame_index`` is explicit.
    ``file_name`` is ``frame_names[i] + ".jpg"`` (default ``00000.jpg`` …).
    """
    names = dict(object_names or {})
    _check_frames(masks, num_frames, frame_names)
    images = [
        {
            "id": f + 1,
            "frame_index": f,
            "file_name": (Path(frame_names[f]).stem if frame_names else f"{f:05d}") + ".jpg",
            "height": height,
            "width": width,
        }
        for f in range(num_frames)
    ]
    annotations = []
    obj_ids = set(names)
    for f in sorted(masks):
        for o in sorted(masks[f]):
            if isinstance(o, bool) or not isinstance(o, (int, np.integer)) or o < 1:
                raise InputError(f"object id {o!r} must be an int ≥ 1 (COCO category ids)")
            m = validate_mask(masks[f][o], height, width, name=f"mask of object {o} on frame {f}")
            rle = encode_rle(m)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": f + 1,
                    "category_id": int(o),
                    "segmentation": rle,
                    "area": int(m.sum()),
                    "bbox": _bbox(rle),
                    "iscrowd": 0,
                }
            )
            obj_ids.add(int(o))
    doc = {
        "info": {
            "video_name": video_name,
            "num_frames": num_frames,
            "height": height,
            "width": width,
            "format": "litlora-widgets/coco-v1",
        },
        "images": images,
        "categories": [{"id": o, "name": names.get(o, f"object {o}")} for o in sorted(obj_ids)],
        "annotations": annotations,
    }
    path = Path(path)
    path.write_text(json.dumps(doc))
    return path


def read_coco(
    path: str | Path, height: int | None = None, width: int | None = None
) -> tuple[Masks, dict[int, str]]:
    """Read masks from a COCO-style JSON (ours, or any with RLE/polygon segmentations).

    Frame index: an image's ``frame_index`` if present, else its position when images are
    sorted naturally by ``file_name``. Several annotations of one object on one frame are
    merged. Returns ``(masks, object_names)``; every image is a key of ``masks``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"COCO file {path} does not exist; pass the path of a .json file")
    try:
        doc = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path} is not valid JSON ({e}); pass a COCO annotation file") from e
    if not isinstance(doc, dict) or "images" not in doc or "annotations" not in doc:
        keys = list(doc)[:6] if isinstance(doc, dict) else type(doc).__name__
        raise InputError(
            f"{path} is not a COCO file: it needs 'images' and 'annotations' (found {keys})"
        )
    images = doc["images"]
    try:
        if all("frame_index" in im for im in images):
            frame_of = {im["id"]: int(im["frame_index"]) for im in images}
        else:
            from litlora_widgets.video import natural_key

            ordered = sorted(images, key=lambda im: natural_key(str(im.get("file_name", im["id"]))))
            frame_of = {im["id"]: k for k, im in enumerate(ordered)}
        size_of = {im["id"]: (im.get("height"), im.get("width")) for im in images}
    except (KeyError, TypeError) as e:
        raise InputError(f"{path}: an entry of 'images' lacks 'id' ({e}); fix the file") from e
    names = {
        int(c["id"]): str(c.get("name", f"object {c['id']}")) for c in doc.get("categories", [])
    }
    masks: Masks = {f: {} for f in frame_of.values()}
    for k, ann in enumerate(doc["annotations"]):
        what = f"{path.name}: annotation {ann.get('id', k)}"
        for key in ("image_id", "category_id", "segmentation"):
            if key not in ann:
                raise InputError(
                    f"{what} lacks '{key}'; every annotation needs image_id, "
                    "category_id and segmentation"
                )
        if ann["image_id"] not in frame_of:
            raise InputError(f"{what} refers to image_id {ann['image_id']}, not in 'images'")
        ih, iw = size_of[ann["image_id"]]
        m = _decode_segmentation(ann["segmentation"], ih, iw, what)
        if (ih, iw) != (None, None) and m.shape != (ih, iw):
            raise InputError(
                f"{what} is {m.shape[0]}×{m.shape[1]} but its image is {ih}×{iw} (H×W)"
            )
        if height is not None and width is not None and m.shape != (height, width):
            raise InputError(
                f"{what} is {m.shape[0]}×{m.shape[1]} but the video frames are {height}×{width} "
                "(H×W); load the masks for the matching video, or resize them"
            )
        f, o = frame_of[ann["image_id"]], int(ann["category_id"])
        masks[f][o] = masks[f][o] | m if o in masks[f] else m
    return masks, names


def _decode_segmentation(seg: Any, h: int | None, w: int | None, what: str) -> np.ndarray:
    if isinstance(seg, list):  # polygons
        if h is None or w is None:
            raise InputError(f"{what} is a polygon but its image has no height/width")
        try:
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
        except Exception as e:
            raise InputError(f"{what} has invalid polygons ({e})") from e
        return mask_utils.decode(rle).astype(bool)
    return decode_rle(_as_coco_rle(seg, what))


# ----------------------------------------------------------------------------- DAVIS
def davis_palette() -> np.ndarray:
    """The PASCAL VOC / DAVIS colour map, (256, 3) uint8: 0 black, 1 (128,0,0), 2 (0,128,0) …"""
    pal = np.zeros((256, 3), dtype=np.uint8)
    for i in range(256):
        c, r, g, b = i, 0, 0, 0
        for k in range(8):  # bits of the index spread over the high bits of r, g, b
            r |= ((c >> 0) & 1) << (7 - k)
            g |= ((c >> 1) & 1) << (7 - k)
            b |= ((c >> 2) & 1) << (7 - k)
            c >>= 3
        pal[i] = (r, g, b)
    return pal


_PALETTE = davis_palette()


def write_davis(
    folder: str | Path,
    masks: Mapping[int, Mapping[int, np.ndarray]],
    *,
    height: int,
    width: int,
    num_frames: int,
    frame_names: Sequence[str] | None = None,
) -> Path:
    """One DAVIS palette PNG per frame (``00000.png`` …, or ``<frame_name>.png``).

    Pixel value = object id (1..255). DAVIS holds one label per pixel: where objects overlap
    the higher id wins, and empty masks leave no trace. Frames without masks get an all-zero
    PNG so that the folder covers the whole video.
    """
    folder = Path(folder)
    _check_frames(masks, num_frames, frame_names)
    folder.mkdir(parents=True, exist_ok=True)
    pal = _PALETTE.reshape(-1).tolist()
    for f in range(num_frames):
        fm = {
            o: validate_mask(m, height, width, name=f"mask of object {o} on frame {f}")
            for o, m in masks.get(f, {}).items()
        }
        im = Image.fromarray(label_map(fm, height, width))  # mode "L"
        im.putpalette(pal)  # makes it a palette ("P") image
        stem = Path(frame_names[f]).stem if frame_names else f"{f:05d}"
        im.save(folder / f"{stem}.png")
    return folder


def read_davis(
    folder: str | Path,
    height: int | None = None,
    width: int | None = None,
    *,
    frame_names: Sequence[str] | None = None,
) -> Masks:
    """Read DAVIS-style mask PNGs: ``{frame: {obj_id: mask}}``, ``{}`` for empty frames.

    Accepts palette PNGs (index = object id), 0/255 grayscale PNGs (one object, id 1),
    grayscale label maps, and RGB PNGs in the DAVIS colours. The frame index is the file's
    number (``00010.png`` → 10, so sparse annotations stay in place); with ``frame_names``
    (e.g. ``VideoSource.frame_names``) it is the position of the file's stem in that list.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"mask folder {folder} does not exist; pass the folder of PNG masks")
    from litlora_widgets.video import natural_key

    files = sorted(
        (p for p in folder.iterdir() if p.suffix.lower() == ".png" and not p.name.startswith(".")),
        key=lambda p: natural_key(p.name),
    )
    if not files:
        raise InputError(f"no .png masks in {folder}; pass the folder of DAVIS PNG annotations")
    pos = {Path(n).stem: k for k, n in enumerate(frame_names)} if frame_names is not None else None
    out: Masks = {}
    ref = (height, width) if height is not None and width is not None else None
    ref_name = "the video"
    for p in files:
        if pos is not None:
            if p.stem not in pos:
                raise InputError(
                    f"mask {p.name} matches no frame name (e.g. {next(iter(pos), '?')}); pass "
                    "the frame_names of the video the masks belong to"
                )
            f = pos[p.stem]
        elif re.fullmatch(r"\d+", p.stem):
            f = int(p.stem)
        else:
            raise InputError(
                f"mask file {p.name} has no frame number in its name; name the masks by frame "
                "index (00000.png, 00001.png, …) or pass frame_names=source.frame_names"
            )
        labels = read_label_png(p)
        if ref is None:
            ref, ref_name = labels.shape, files[0].name
        elif labels.shape != ref:
            raise InputError(
                f"mask {p.name} is {labels.shape[0]}×{labels.shape[1]} but {ref_name} is "
                f"{ref[0]}×{ref[1]} (H×W); use masks made for this video or resize them "
                "with nearest-neighbour"
            )
        if f in out:
            raise InputError(f"two mask files map to frame {f} (one is {p.name}); keep one")
        out[f] = {int(o): labels == o for o in np.unique(labels) if o != 0}
    return out


def read_label_png(p: Path) -> np.ndarray:
    """uint8 label map of one PNG (see read_davis for the accepted kinds)."""
    try:
        with Image.open(p) as im:
            im.load()
            mode = im.mode
            if mode == "P":
                return np.asarray(im).astype(np.uint8, copy=False)
            if mode in ("1", "L", "I", "I;16"):
                a = np.asarray(im)
                if mode == "1":
                    return a.astype(np.uint8)
                vals = np.unique(a)
                if set(vals.tolist()) <= {0, 255}:
                    return (a > 0).astype(np.uint8)
                if vals.max() > 255 or vals.min() < 0:
                    raise InputError(f"mask {p.name} has values above 255; save object ids 0..255")
                return a.astype(np.uint8)
            rgb = np.asarray(im.convert("RGB")).astype(np.int32)
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise InputError(f"cannot read mask {p} ({e}); replace or delete the file") from e
    code = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    pal = _PALETTE.astype(np.int32)
    pal_code = (pal[:, 0] << 16) | (pal[:, 1] << 8) | pal[:, 2]
    lut = {int(c): i for i, c in enumerate(pal_code)}
    uniq, inv = np.unique(code, return_inverse=True)
    ids = []
    for c in uniq.tolist():
        if c not in lut:
            raise InputError(
                f"mask {p.name} has colour {((c >> 16) & 255, (c >> 8) & 255, c & 255)} that is "
                "not a DAVIS palette colour; save masks as palette or grayscale PNGs"
            )
        ids.append(lut[c])
    return np.asarray(ids, dtype=np.uint8)[inv].reshape(code.shape)


# ----------------------------------------------------------------------------- metrics
def _same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise InputError(f"masks have shapes {a.shape} and {b.shape}; compare masks of one size")


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard index; 1.0 when both masks are empty (nothing to find, nothing found)."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    _same_shape(a, b)
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def _boundary(seg: np.ndarray) -> np.ndarray:
    """One-pixel boundary map as in the DAVIS toolkit: pixels differing from E, S or SE."""
    e = np.zeros_like(seg)
    s = np.zeros_like(seg)
    se = np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ e) | (seg ^ s) | (seg ^ se)
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = False
    return b


def _dilate_disk(m: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by a disk of radius r (dy² + dx² ≤ r²), numpy only.

    The disk is a stack of horizontal runs: dilate rows once per run half-width with a
    sliding-window sum (cumsum), then OR the row-shifted results. O(r · H · W).
    """
    if r <= 0:
        return m.copy()
    h, w = m.shape
    c = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(m, axis=1, out=c[:, 1:])
    horiz: dict[int, np.ndarray] = {}
    out = np.zeros_like(m)
    for dy in range(-r, r + 1):
        hw = math.isqrt(r * r - dy * dy)
        if hw not in horiz:
            lo = np.clip(np.arange(w) - hw, 0, w)
            hi = np.clip(np.arange(w) + hw + 1, 0, w)
            horiz[hw] = (c[:, hi] - c[:, lo]) > 0
        d = horiz[hw]
        if dy >= 0:
            out[: h - dy] |= d[dy:]
        else:
            out[-dy:] |= d[: h + dy]
    return out


def boundary_f(a: np.ndarray, b: np.ndarray, bound_th: float = 0.008) -> float:
    """DAVIS boundary F-measure of mask ``a`` against reference ``b``.

    Boundary pixels match if they lie within ``bound_th`` (a fraction of the image diagonal
    when < 1, else pixels) of the other mask's boundary; F is the harmonic mean of precision
    and recall. Both boundaries empty → 1.0; only one empty → 0.0.
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    _same_shape(a, b)
    r = int(bound_th if bound_th >= 1 else math.ceil(bound_th * math.hypot(*a.shape)))
    ba, bb = _boundary(a), _boundary(b)
    na, nb = int(ba.sum()), int(bb.sum())
    if na == 0 and nb == 0:
        return 1.0
    if na == 0 or nb == 0:
        return 0.0
    precision = np.count_nonzero(ba & _dilate_disk(bb, r)) / na
    recall = np.count_nonzero(bb & _dilate_disk(ba, r)) / nb
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def read_masks(source, height: int, width: int) -> dict[int, dict[int, np.ndarray]]:
    """``{frame: {obj_id: mask}}`` from a COCO JSON file, a DAVIS PNG folder or a (T, H, W)
    label array, checked against the video's size."""
    if isinstance(source, np.ndarray):
        if source.ndim != 3 or source.shape[1:] != (height, width):
            raise InputError(
                f"label array must have shape (T, {height}, {width}) for this video, got "
                f"{source.shape}; resize the masks to the video first"
            )
        return array_to_masks(source)
    p = Path(source)
    if p.is_dir():
        return read_davis(p, height, width)
    return read_coco(p, height, width)[0]
