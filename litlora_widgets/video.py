"""Video frames for SAM2, loaded lazily.

SAM2's ``init_state`` loads every frame, resized to float32, into memory (~12 MB per frame at
1024 px), which is why users report tens of GB on minutes of video. ``VideoSource`` instead
reads a frame when asked and keeps only a bounded LRU cache, so memory does not grow with
the length of the video; ``Sam2Frames`` is the matching lazy stand-in for
``inference_state["images"]``.

Sources: a folder of JPEG/PNG files (natural sort: ``frame2`` < ``frame10``), a video file
(``.mp4 .mov .avi .mkv .webm``, decoded with PyAV), a ``(T, H, W, 3)`` array (``uint8``,
other integers in 0..255, or floats in [0, 1]), or a list of ``(H, W, 3)`` arrays / PIL
images. Frames are ``(H, W, 3)`` ``uint8`` RGB, read-only. EXIF orientation is ignored, as
SAM2 ignores it, so pixel coordinates match SAM2's.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from litlora_widgets.errors import InputError, VideoError

if TYPE_CHECKING:  # torch is imported only when SAM2 frames are asked for
    import torch

IMAGE_EXTS = {".jpg", ".jpeg", ".png"}
VIDEO_EXTS = {".mp4", ".mov", ".avi", ".mkv", ".webm"}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class FrameIndexError(InputError, IndexError):
    """A frame index out of range or not an int (an IndexError too, so iteration stops)."""


def natural_key(name: str) -> tuple:
    """Sort key that orders embedded numbers by value: ``f2`` < ``f10``."""
    parts = re.split(r"(\d+)", name)
    return tuple(int(p) if p.isdigit() else p.lower() for p in parts), name


def _readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


# ----------------------------------------------------------------------------- backends
class _Backend:
    """Reads one frame; VideoSource adds the index checks, cache and lock."""

    num_frames: int
    height: int
    width: int
    name: str
    fps: float | None = None
    frame_names: list[str]
    cached = True  # False where frames are views of memory the user already holds

    def read(self, i: int) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _to_uint8_frame(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.uint8:
        return a
    if a.dtype.kind == "f":
        return np.round(a * 255.0).astype(np.uint8)
    return a.astype(np.uint8)


def _check_pixels(a: np.ndarray, what: str) -> None:
    """Reject dtypes/values that cannot be RGB pixels, with the conversion to use."""
    if a.dtype == np.uint8:
        return
    if a.size == 0:
        raise VideoError(f"{what} is empty; pass at least one frame of shape (H, W, 3)")
    if a.dtype.kind in "iu":
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi > 255:
            raise VideoError(
                f"{what} has integer values in [{lo}, {hi}]; RGB frames need 0..255 — "
                "rescale and pass `arr.astype(np.uint8)`"
            )
        return
    if a.dtype.kind == "f":
        if not np.isfinite(a).all():
            raise VideoError(f"{what} contains NaN or inf; replace them (np.nan_to_num) first")
        lo, hi = float(a.min()), float(a.max())
        if lo < 0.0 or hi > 1.0:
            raise VideoError(
                f"{what} is float with values in [{lo:g}, {hi:g}]; float frames must be in "
                "[0, 1] — pass `(arr / 255)` or `arr.astype(np.uint8)` for 0..255 data"
            )
        return
    raise VideoError(f"{what} has dtype {a.dtype}; pass uint8 RGB (0..255) or float in [0, 1]")


class _ArrayBackend(_Backend):
    cached = False

    def __init__(self, arr: np.ndarray) -> None:
        if arr.ndim != 4 or arr.shape[-1] != 3:
            hint = ""
            if arr.ndim == 3:
                hint = " (grayscale? use np.repeat(arr[..., None], 3, axis=-1))"
            elif arr.ndim == 4 and arr.shape[-1] == 4:
                hint = " (RGBA? use arr[..., :3])"
            elif arr.ndim == 4 and arr.shape[1] == 3:
                hint = " (channels first? use arr.transpose(0, 2, 3, 1))"
            raise VideoError(
                f"video array has shape {arr.shape}; pass frames as (T, H, W, 3) RGB{hint}"
            )
        if arr.shape[0] == 0 or arr.shape[1] == 0 or arr.shape[2] == 0:
            raise VideoError(f"video array has shape {arr.shape} (no pixels); pass ≥ 1 frame")
        _check_pixels(arr, "video array")
        self.arr = arr
        self.cached = arr.dtype != np.uint8  # converted frames are worth caching
        self.num_frames, self.height, self.width = arr.shape[:3]
        self.name = "array"
        self.frame_names = [f"{i:05d}" for i in range(self.num_frames)]

    def read(self, i: int) -> np.ndarray:
        return _to_uint8_frame(self.arr[i])


class _ListBackend(_Backend):
    def __init__(self, items: Sequence[Any]) -> None:
        if len(items) == 0:
            raise VideoError("the list of frames is empty; pass at least one frame")
        sizes = []
        for k, it in enumerate(items):
            if isinstance(it, Image.Image):
                sizes.append((it.height, it.width))
                continue
            a = np.asarray(it)
            if a.ndim != 3 or a.shape[-1] != 3:
                raise VideoError(
                    f"frame {k} of the list has shape {a.shape}; pass (H, W, 3) RGB arrays or "
                    "PIL images"
                )
            _check_pixels(a, f"frame {k} of the list")
            sizes.append(a.shape[:2])
        h, w = sizes[0]
        for k, s in enumerate(sizes):
            if s != (h, w):
                raise VideoError(
                    f"frame {k} of the list is {s[0]}×{s[1]} but frame 0 is {h}×{w} (H×W); "
                    "all frames must have the same size — resize them first"
                )
        self.items = list(items)
        self.num_frames, self.height, self.width = len(items), h, w
        self.name = "array"
        self.frame_names = [f"{i:05d}" for i in range(self.num_frames)]

    def read(self, i: int) -> np.ndarray:
        it = self.items[i]
        if isinstance(it, Image.Image):
            return np.asarray(it.convert("RGB"))
        return _to_uint8_frame(np.asarray(it))


class _FolderBackend(_Backend):
    def __init__(self, folder: Path) -> None:
        files = [
            p
            for p in folder.iterdir()
            if p.suffix.lower() in IMAGE_EXTS and not p.name.startswith(".") and p.is_file()
        ]
        if not files:
            raise VideoError(
                f"no .jpg/.jpeg/.png images in folder {folder}; point to the folder that "
                "holds the frames"
            )
        files.sort(key=lambda p: natural_key(p.name))
        first = None
        for p in files:  # PIL reads only the header here: cheap even for long videos
            try:
                with Image.open(p) as im:
                    size = im.size
            except (UnidentifiedImageError, OSError) as e:
                raise VideoError(
                    f"cannot read image {p} ({type(e).__name__}: {e}); replace or delete the file"
                ) from e
            if first is None:
                first = (p, size)
            elif size != first[1]:
                (w0, h0), (w1, h1) = first[1], size
                raise VideoError(
                    f"frame {p.name} is {h1}×{w1} but {first[0].name} is {h0}×{w0} (H×W); "
                    "all frames of a video must have the same size — resize or remove it"
                )
        self.files = files
        self.num_frames = len(files)
        self.width, self.height = first[1]
        self.name = folder.name
        self.frame_names = [p.stem for p in files]

    def read(self, i: int) -> np.ndarray:
        p = self.files[i]
        try:
            with Image.open(p) as im:
                a = np.asarray(im.convert("RGB"))
        except (UnidentifiedImageError, OSError, SyntaxError) as e:
            raise VideoError(
                f"cannot decode frame {i} ({p}): {e}; the file is corrupt or truncated — "
                "re-extract it or delete it"
            ) from e
        if a.shape[:2] != (self.height, self.width):  # header lied, or file changed on disk
            raise VideoError(
                f"frame {i} ({p.name}) decoded to {a.shape[0]}×{a.shape[1]} but the video is "
                f"{self.height}×{self.width} (H×W); re-extract the frame"
            )
        return a


class _AvBackend(_Backend):
    """A video file decoded with PyAV.

    Opening demuxes the file once (packets only, no decoding) to index the frames by
    presentation timestamp and to find keyframes. A read continues the open decoder when the
    frame lies ahead and no keyframe is closer (sequential access never seeks); otherwise it
    seeks to the nearest keyframe at or before the frame and decodes forward. The frames
    decoded just before the target are handed back too (``lookbehind``), so that backward
    propagation costs one seek per ``lookbehind`` frames, not one per frame.
    """

    def __init__(self, path: Path, lookbehind: int) -> None:
        import av

        self.av = av
        self.path = path
        self.lookbehind = lookbehind
        pts, keys = [], []
        try:
            with av.open(str(path)) as c:
                if not c.streams.video:
                    raise VideoError(f"{path} has no video stream; pass a video file")
                s = c.streams.video[0]
                rate = s.average_rate or s.guessed_rate
                self.fps = float(rate) if rate else None
                for pkt in c.demux(s):
                    if pkt.size == 0 or getattr(pkt, "is_discard", False):
                        continue
                    pts.append(pkt.pts)
                    if pkt.is_keyframe:
                        keys.append(pkt.pts)
        except VideoError:
            raise
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as e:
            raise VideoError(
                f"cannot read video file {path} ({e}); check that it is a complete, valid "
                "video (or extract JPEG frames with ffmpeg and open the folder)"
            ) from e
        if not pts:
            raise VideoError(f"video file {path} contains no frames; pass a non-empty video")
        self.sequential_only = any(p is None for p in pts) or not keys
        if self.sequential_only:  # no timestamps: count frames, random access rereads
            self.pts = list(range(len(pts)))
            self.keys = [0]
        else:
            self.pts = sorted(pts)
        self.index_of = {p: i for i, p in enumerate(self.pts)}
        if not self.sequential_only:
            self.keys = sorted({0} | {self.index_of[k] for k in keys})
        self.num_frames = len(self.pts)
        self.name = path.stem
        self.frame_names = [f"{i:05d}" for i in range(self.num_frames)]
        self._container = None
        self._frames: Iterator | None = None
        self._next = 0  # index of the next frame the open decoder yields (if _frames)
        self._counter = 0
        self.height = self.width = 0
        first = self._decode_to(0)[-1][1]
        self.height, self.width = first.shape[:2]
        self.first = first

    # --- decoder plumbing
    def _restart(self, key: int) -> None:
        """Position the decoder at keyframe index ``key`` (reopen when seeking to the start)."""
        if self._container is None or key == 0 or self.sequential_only:
            self.close()
            self._container = self.av.open(str(self.path))
            self._container.streams.video[0].thread_type = "AUTO"
            self._counter = 0
        if key != 0 and not self.sequential_only:
            s = self._container.streams.video[0]
            self._container.seek(self.pts[key], stream=s, backward=True, any_frame=False)
        self._frames = self._container.decode(video=0)
        self._next = key

    def _frame_index(self, frame) -> int:
        if self.sequential_only:
            self._counter += 1
            return self._counter - 1
        i = self.index_of.get(frame.pts)
        if i is None:
            raise VideoError(
                f"{self.path}: decoded a frame with timestamp {frame.pts} missing from the "
                "index; extract JPEG frames with ffmpeg and open the folder instead"
            )
        return i

    def _decode_to(self, i: int) -> list[tuple[int, np.ndarray]]:
        """Decode up to frame ``i``; returns (index, rgb) for it and up to lookbehind before."""
        k = self.keys[int(np.searchsorted(self.keys, i, side="right")) - 1]
        if self._frames is None or i < self._next or k > self._next:
            self._restart(k)
        try:
            for attempt in range(2):  # a seek that overshoots is retried from the start
                recent: list[tuple[int, np.ndarray]] = []
                for frame in self._frames:
                    j = self._frame_index(frame)
                    if j > i:
                        break
                    if j >= i - self.lookbehind:
                        recent.append((j, self._rgb(frame)))
                        del recent[: -(self.lookbehind + 1)]
                    if j == i:
                        self._next = i + 1
                        return recent
                if attempt == 0:
                    self._restart(0)
        except self.av.error.FFmpegError as e:
            self._frames = None
            raise VideoError(
                f"cannot decode frame {i} of {self.path} ({e}); the file may be corrupt — "
                "re-encode it or extract JPEG frames with ffmpeg"
            ) from e
        self._frames = None
        raise VideoError(
            f"frame {i} of {self.path} could not be decoded (missing or the file ends early); "
            "re-encode it or extract JPEG frames with ffmpeg"
        )

    def _rgb(self, frame) -> np.ndarray:
        a = frame.to_ndarray(format="rgb24")
        if self.height and a.shape[:2] != (self.height, self.width):
            a = frame.to_ndarray(format="rgb24", width=self.width, height=self.height)
        return a

    def read_many(self, i: int) -> list[tuple[int, np.ndarray]]:
        if i == 0 and self.first is not None:
            return [(0, self.first)]
        return self._decode_to(i)

    def read(self, i: int) -> np.ndarray:
        return self.read_many(i)[-1][1]

    def close(self) -> None:
        self._frames = None
        if self._container is not None:
            self._container.close()
            self._container = None


# ----------------------------------------------------------------------------- public API
class VideoSource:
    """Frames of one video, loaded lazily with a bounded LRU cache (memory does not grow with
    length). Build it with :meth:`open`; it is safe to read from several threads."""

    def __init__(self, backend: _Backend, cache_frames: int = 32) -> None:
        self._b = backend
        self.cache_frames = max(1, int(cache_frames))
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.RLock()
        if isinstance(backend, _AvBackend):
            self._put(0, backend.first)
            backend.first = None

    @classmethod
    def open(cls, video: Any, *, cache_frames: int = 32) -> VideoSource:
        """Open a folder, a video file, an array, a list of frames, or a VideoSource (as is)."""
        if isinstance(video, VideoSource):
            return video
        if isinstance(video, (str, Path)):
            path = Path(video).expanduser()
            if not path.exists():
                raise VideoError(
                    f"video path {path} does not exist; pass a folder of JPEG/PNG frames or a "
                    f"video file ({', '.join(sorted(VIDEO_EXTS))})"
                )
            if path.is_dir():
                return cls(_FolderBackend(path), cache_frames)
            if path.suffix.lower() in VIDEO_EXTS:
                return cls(_AvBackend(path, lookbehind=cache_frames // 2), cache_frames)
            if path.suffix.lower() in IMAGE_EXTS:
                raise VideoError(
                    f"{path} is a single image; pass the folder that holds the frames, or "
                    "[PIL.Image.open(path)] for a one-frame video"
                )
            raise VideoError(
                f"{path} is neither a folder nor a video file ({', '.join(sorted(VIDEO_EXTS))});"
                " convert it with ffmpeg or pass a folder of JPEG/PNG frames"
            )
        if isinstance(video, (list, tuple)):
            return cls(_ListBackend(video), cache_frames)
        if isinstance(video, np.ndarray) or hasattr(video, "__array__"):
            return cls(_ArrayBackend(np.asarray(video)), cache_frames)
        raise VideoError(
            f"cannot open a video from {type(video).__name__}; pass a folder path, a video file "
            "path, a (T, H, W, 3) uint8 array, or a list of frames"
        )

    # --- metadata
    @property
    def num_frames(self) -> int:
        return self._b.num_frames

    @property
    def height(self) -> int:
        return self._b.height

    @property
    def width(self) -> int:
        return self._b.width

    @property
    def name(self) -> str:
        return self._b.name

    @property
    def fps(self) -> float | None:
        return self._b.fps

    @property
    def frame_names(self) -> list[str]:
        """File stems for folders (for exports that match the input), else 00000, 00001, …"""
        return list(self._b.frame_names)

    @property
    def cached_frames(self) -> int:
        """How many decoded frames the cache holds now (≤ cache_frames)."""
        return len(self._cache)

    def __repr__(self) -> str:
        return f"VideoSource({self.name!r}, {self.num_frames} frames, {self.height}×{self.width})"

    # --- frames
    def _check_index(self, i: Any) -> int:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise FrameIndexError(
                f"frame index must be an int in 0..{self.num_frames - 1}, got "
                f"{type(i).__name__} {i!r}"
            )
        if not 0 <= i < self.num_frames:
            raise FrameIndexError(
                f"frame index {i} is out of range; this video has {self.num_frames} frames, "
                f"pass 0..{self.num_frames - 1}"
            )
        return int(i)

    def _put(self, i: int, a: np.ndarray) -> np.ndarray:
        a = _readonly(a)
        self._cache[i] = a
        self._cache.move_to_end(i)
        while len(self._cache) > self.cache_frames:
            self._cache.popitem(last=False)
        return a

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as a read-only (H, W, 3) uint8 RGB array."""
        i = self._check_index(i)
        with self._lock:
            a = self._cache.get(i)
            if a is not None:
                self._cache.move_to_end(i)
                return a
            if isinstance(self._b, _AvBackend):
                for j, fr in self._b.read_many(i):
                    a = self._put(j, fr)
                return a
            a = self._b.read(i)
            return self._put(i, a) if self._b.cached else _readonly(a)

    def __len__(self) -> int:
        return self.num_frames

    def __getitem__(self, i: int) -> np.ndarray:
        return self.frame(i)

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(self.num_frames):
            yield self.frame(i)

    def close(self) -> None:
        """Release the decoder and the cache (a later read reopens the file)."""
        with self._lock:
            self._cache.clear()
            self._b.close()

    def sam2_frames(
        self, image_size: int, device: str | torch.device = "cpu", cache_frames: int = 4
    ) -> Sam2Frames:
        """A lazy sequence for SAM2's ``inference_state["images"]``."""
        return Sam2Frames(self, image_size, device=device, cache_frames=cache_frames)


class Sam2Frames:
    """SAM2's input frames, computed on demand: ``[i]`` is a float32 (3, S, S) tensor.

    Same pixels as ``sam2.utils.misc.load_video_frames`` for a JPEG folder: PIL bicubic resize
    to S×S of the RGB frame, ``/ 255`` in float64, then float32 ImageNet normalisation. A
    small LRU cache (a 1024 px frame is 12 MB) covers SAM2 asking twice for the same frame.
    """

    def __init__(
        self,
        source: VideoSource,
        image_size: int,
        *,
        device: str | torch.device = "cpu",
        cache_frames: int = 4,
        img_mean: Sequence[float] = IMAGENET_MEAN,
        img_std: Sequence[float] = IMAGENET_STD,
    ) -> None:
        if int(image_size) <= 0:
            raise InputError(f"image_size must be a positive int (e.g. 1024), got {image_size}")
        import torch

        self.source = source
        self.image_size = int(image_size)
        self.device = torch.device(device)
        self.cache_frames = max(1, int(cache_frames))
        self._mean = torch.tensor(img_mean, dtype=torch.float32)[:, None, None]
        self._std = torch.tensor(img_std, dtype=torch.float32)[:, None, None]
        self._cache: OrderedDict[int, torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def video_height(self) -> int:
        return self.source.height

    @property
    def video_width(self) -> int:
        return self.source.width

    def __len__(self) -> int:
        return len(self.source)

    def __iter__(self) -> Iterator[torch.Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, i: int) -> torch.Tensor:
        import torch

        with self._lock:
            t = self._cache.get(i)
            if t is not None:
                self._cache.move_to_end(i)
                return t
        frame = self.source.frame(i)
        s = self.image_size
        resized = np.asarray(Image.fromarray(frame).resize((s, s), Image.Resampling.BICUBIC))
        t = torch.from_numpy(resized / 255.0).permute(2, 0, 1).to(torch.float32)
        t -= self._mean
        t /= self._std
        t = t.to(self.device)
        with self._lock:
            self._cache[i] = t
            while len(self._cache) > self.cache_frames:
                self._cache.popitem(last=False)
        return t
