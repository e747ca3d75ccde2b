"""Procedural segmentation videos: the training data of the embedded model and the demo video.

Everything is drawn from one ``numpy.random.Generator`` seeded by the caller, so a seed is a
clip. Objects are star-shaped outlines (polygons, ellipses, harmonic blobs) filled with a
texture that moves rigidly with them; the outline itself wobbles (non-rigid). Layers are
composited back to front and the label map is written in the same pass, so a pixel carries
label ``k`` exactly where object ``k`` is the top layer: occluders and look-alike distractors
cut the masks. Lighting and sensor noise are applied to the whole frame afterwards.
Pure numpy + PIL, a few ms per 256² frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from ..errors import InputError

DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class _Level:
    """What a difficulty turns on; speeds and sizes are fractions of the frame's short side."""

    objects: tuple[int, int]
    speed: tuple[float, float]
    rotation: float  # max radians per frame
    scale_amp: float  # relative scale oscillation
    wobble: float  # outline deformation amplitude over time
    occluders: tuple[int, int]
    distractors: tuple[int, int]
    leave_prob: float  # chance an object may leave the frame and come back
    light_amp: float
    noise: tuple[float, float]
    pan: float  # camera pan amplitude, fraction of the short side


_LEVELS = {
    # objects, speed, rotation, scale, wobble, occluders, distractors, leave, light, noise, pan
    "easy": _Level(
        (1, 1), (0.008, 0.02), 0.02, 0.05, 0.03, (0, 0), (0, 0), 0.0, 0.05, (1, 3), 0.02
    ),
    "medium": _Level(
        (1, 2), (0.015, 0.04), 0.06, 0.15, 0.08, (0, 1), (0, 1), 0.25, 0.2, (2, 5), 0.05
    ),
    "hard": _Level(
        (1, 3), (0.025, 0.07), 0.12, 0.25, 0.15, (1, 2), (1, 2), 0.6, 0.35, (3, 8), 0.08
    ),
}


@dataclass
class _Layer:
    """One moving shape: geometry over time plus its texture (in object coordinates)."""

    label: int  # 0 for occluders and distractors
    depth: float
    texture: np.ndarray  # (S, S, 3) uint8, centred on the object
    radius: float
    kind: str
    base: np.ndarray  # (n,) base radius factors per vertex
    angles: np.ndarray  # (n,) vertex angles
    wobble: np.ndarray  # (n,) per-vertex wobble amplitude
    wobble_phase: np.ndarray
    wobble_freq: float
    path: np.ndarray  # (T, 2) centre (x, y)
    theta: np.ndarray  # (T,)
    scale: np.ndarray  # (T,)
    extra: dict = field(default_factory=dict)


def synthetic_clip(
    seed: int,
    num_frames: int = 24,
    size: tuple[int, int] = (256, 256),
    difficulty: str = "medium",
    num_objects: int | None = None,
    textures: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A procedural video and its labels: ``frames`` (T,H,W,3) uint8, ``masks`` (T,H,W) uint8.

    ``masks`` holds 0 for background and ``k`` for object ``k`` (1..num_objects). Object 1 is
    always fully inside frame 0. ``difficulty`` adds motion, rotation, scale change, outline
    wobble, occluders (``"medium"``), look-alike distractors, strong lighting change and
    objects leaving and re-entering the frame (``"hard"``). ``textures`` is an optional list of
    natural images (H,W,3 uint8) to cut object and background textures from.
    """
    frames, masks, _ = render_clip(seed, num_frames, size, difficulty, num_objects, textures)
    return frames, masks


# The embedded demo video: what annotate() opens without a video, and what the demo plays.
DEMO_CLIP = {"seed": 0, "num_frames": 24, "size": (256, 256), "difficulty": "easy"}


def demo_clip(**changes) -> tuple[np.ndarray, np.ndarray]:
    """The embedded demo video and its labels (``DEMO_CLIP``, with ``changes`` applied)."""
    kw = {**DEMO_CLIP, **changes}
    return synthetic_clip(kw["seed"], kw["num_frames"], tuple(kw["size"]), kw["difficulty"])


def write_synthetic_dataset(
    folder,
    seeds,
    num_frames: int = 24,
    size: tuple[int, int] = (256, 256),
    difficulty: str = "hard",
):
    """Write clips as ``folder/synth_<seed>/{frames,masks}/00000.png`` — the per-video layout
    ``litlora-eval`` reads — so the online evaluation can run on procedural videos (PNG frames:
    lossless, so the masks stay exact). Returns the folder as a ``Path``."""
    from pathlib import Path

    root = Path(folder).expanduser()
    for seed in seeds:
        frames, masks = synthetic_clip(int(seed), num_frames, size, difficulty)
        vid = root / f"synth_{int(seed):06d}"
        (vid / "frames").mkdir(parents=True, exist_ok=True)
        (vid / "masks").mkdir(parents=True, exist_ok=True)
        for t, (f, m) in enumerate(zip(frames, masks, strict=True)):
            Image.fromarray(f).save(vid / "frames" / f"{t:05d}.png")
            Image.fromarray(m, mode="L").save(vid / "masks" / f"{t:05d}.png")
    return root


def render_clip(
    seed: int,
    num_frames: int = 24,
    size: tuple[int, int] = (256, 256),
    difficulty: str = "medium",
    num_objects: int | None = None,
    textures: list[np.ndarray] | None = None,
    flat_colors: bool = False,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """:func:`synthetic_clip` plus debug info; ``flat_colors`` paints each layer one flat colour
    (layer ``i`` gets colour ``info["colors"][i]``) with no lighting or noise, for exact
    mask/frame consistency checks."""
    if difficulty not in _LEVELS:
        raise InputError(f"difficulty must be one of {DIFFICULTIES}, got {difficulty!r}")
    h, w = (int(size[0]), int(size[1]))
    if h < 32 or w < 32 or num_frames < 1:
        raise InputError(f"size must be ≥ 32x32 and num_frames ≥ 1, got {size}, {num_frames}")
    if num_objects is not None and not 1 <= num_objects <= 10:
        raise InputError(f"num_objects must be in 1..10, got {num_objects}")
    lv = _LEVELS[difficulty]
    rng = np.random.default_rng(seed)
    short = min(h, w)
    n_obj = num_objects or int(rng.integers(lv.objects[0], lv.objects[1] + 1))
    n_occ = int(rng.integers(lv.occluders[0], lv.occluders[1] + 1))
    n_dis = int(rng.integers(lv.distractors[0], lv.distractors[1] + 1))

    pan = lv.pan * short
    margin = int(np.ceil(1.5 * pan)) + 2  # _smooth_path stays within 1.5 x its amplitude
    background = _texture(rng, h + 2 * margin, w + 2 * margin, textures, smooth=True)
    cam = _smooth_path(rng, num_frames, pan)  # (T, 2) offsets in [-pan, pan]

    layers: list[_Layer] = []
    for k in range(1, n_obj + 1):
        leave = bool(rng.random() < lv.leave_prob)
        layers.append(_make_layer(rng, k, num_frames, h, w, lv, textures, leave))
    for _ in range(n_dis):  # a look-alike of a random target, below or among the targets
        src = layers[int(rng.integers(0, n_obj))]
        lay = _make_layer(rng, 0, num_frames, h, w, lv, textures, leave=True)
        lay.texture = _recolor(rng, src.texture, 0.08)
        lay.kind, lay.angles, lay.wobble = src.kind, src.angles, src.wobble
        lay.wobble_phase = rng.uniform(0, 2 * np.pi, src.angles.shape)
        lay.base = src.base * rng.uniform(0.9, 1.1, size=src.base.shape)
        lay.radius = src.radius * rng.uniform(0.8, 1.2)
        layers.append(lay)
    for _ in range(n_occ):  # occluders cross the scene on top
        lay = _make_layer(rng, 0, num_frames, h, w, lv, textures, leave=True)
        lay.depth = 10.0 + rng.random()
        lay.radius *= 0.8
        layers.append(lay)
    layers.sort(key=lambda lay: lay.depth)

    colors = _flat_palette(len(layers) + 1)
    light = _lighting(rng, num_frames, h, w, lv.light_amp)
    noise_sigma = rng.uniform(*lv.noise)
    frames = np.empty((num_frames, h, w, 3), np.uint8)
    masks = np.zeros((num_frames, h, w), np.uint8)
    top = np.full((num_frames, h, w), -1, np.int16)
    for t in range(num_frames):
        oy, ox = int(round(margin + cam[t, 1])), int(round(margin + cam[t, 0]))
        img = background[oy : oy + h, ox : ox + w].astype(np.float32)
        if flat_colors:
            img[:] = colors[-1]
        for i, lay in enumerate(layers):
            m = _outline_mask(lay, t, h, w)
            ys, xs = np.nonzero(m)
            if ys.size == 0:
                continue
            img[ys, xs] = colors[i] if flat_colors else _sample_texture(lay, t, xs, ys)
            masks[t, ys, xs] = lay.label
            top[t, ys, xs] = i
        if not flat_colors:
            img *= light[t]
            img += noise_sigma * rng.standard_normal(size=img.shape, dtype=np.float32)
        frames[t] = np.clip(img, 0, 255).astype(np.uint8)
    info = {"top": top, "labels": [lay.label for lay in layers], "colors": colors}
    return frames, masks, info


def _make_layer(rng, label, T, h, w, lv: _Level, textures, leave: bool) -> _Layer:
    short = min(h, w)
    radius = short * rng.uniform(0.09, 0.2)
    kind = str(rng.choice(["polygon", "ellipse", "blob"]))
    if kind == "polygon":
        n = int(rng.integers(3, 9))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n)) if n > 3 else np.array([0.0, 2.1, 4.2])
        angles = angles + rng.uniform(-0.2, 0.2, n)
        base = rng.uniform(0.7, 1.2, n)
    else:
        n = 48
        angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
        if kind == "ellipse":
            a, b = rng.uniform(0.6, 1.3, 2)
            base = a * b / np.sqrt((b * np.cos(angles)) ** 2 + (a * np.sin(angles)) ** 2)
        else:
            base = np.ones(n)
            for k in range(2, 6):
                base += rng.uniform(0, 0.35 / k * 2) * np.cos(k * angles + rng.uniform(0, 6.3))
            base = np.clip(base, 0.35, None)
    wob = lv.wobble * rng.uniform(0.3, 1.0) * np.ones(n)
    if kind != "polygon":  # smooth wobble: a few harmonics rather than per-vertex jitter
        k = rng.integers(2, 5)
        wob = wob * np.cos(k * angles + rng.uniform(0, 6.3))
    # Motion: a drifting, curving path folded back into the allowed box.
    speed = short * rng.uniform(*lv.speed)
    heading = rng.uniform(0, 2 * np.pi)
    t = np.arange(T, dtype=np.float64)
    curve = _smooth_path(rng, T, speed * 3)
    raw = np.stack([np.cos(heading), np.sin(heading)]) * speed * t[:, None] + curve
    raw -= raw[0]  # every layer starts at `start`, fully inside the frame
    lo_in = radius * 1.25
    if leave:
        lo, hi_x, hi_y = -radius * 1.6, w + radius * 1.6, h + radius * 1.6
        lo = (lo, lo)
    else:
        lo, hi_x, hi_y = (lo_in, lo_in), w - lo_in, h - lo_in
    start = np.array([rng.uniform(lo_in, w - lo_in), rng.uniform(lo_in, h - lo_in)])
    path = np.stack(
        [_fold(start[0] + raw[:, 0], lo[0], hi_x), _fold(start[1] + raw[:, 1], lo[1], hi_y)], 1
    )
    omega = rng.uniform(-lv.rotation, lv.rotation)
    theta = rng.uniform(0, 2 * np.pi) + omega * t + _smooth_path(rng, T, lv.rotation * 3)[:, 0]
    scale = 1 + lv.scale_amp * np.sin(rng.uniform(0.05, 0.25) * t + rng.uniform(0, 6.3))
    tex_size = int(np.ceil(2 * radius * 1.6 * (1 + lv.scale_amp) * base.max())) + 4
    return _Layer(
        label=label,
        depth=float(rng.random()),
        texture=_texture(rng, tex_size, tex_size, textures, smooth=False),
        radius=radius,
        kind=kind,
        base=base,
        angles=angles,
        wobble=wob,
        wobble_phase=rng.uniform(0, 2 * np.pi, n),
        wobble_freq=float(rng.uniform(0.15, 0.5)),
        path=path,
        theta=theta,
        scale=scale,
    )


def _outline_mask(lay: _Layer, t: int, h: int, w: int) -> np.ndarray:
    """The object's filled outline at frame ``t`` as a boolean (H, W) array."""
    r = (
        lay.radius
        * lay.scale[t]
        * (lay.base + lay.wobble * np.sin(lay.wobble_freq * t + lay.wobble_phase))
    )
    ang = lay.angles + lay.theta[t]
    cx, cy = lay.path[t]
    pts = np.stack([cx + r * np.cos(ang), cy + r * np.sin(ang)], 1)
    if pts[:, 0].max() < 0 or pts[:, 1].max() < 0 or pts[:, 0].min() >= w or pts[:, 1].min() >= h:
        return np.zeros((h, w), bool)
    canvas = Image.new("L", (w, h), 0)
    ImageDraw.Draw(canvas).polygon([tuple(p) for p in pts.tolist()], fill=1)
    return np.asarray(canvas, dtype=bool)


def _sample_texture(lay: _Layer, t: int, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Texture colours at image pixels, so the texture rotates and scales with the object."""
    cx, cy = lay.path[t]
    c, s = np.cos(-lay.theta[t]), np.sin(-lay.theta[t])
    dx, dy = (xs - cx) / lay.scale[t], (ys - cy) / lay.scale[t]
    size = lay.texture.shape[0]
    u = np.clip(np.round(c * dx - s * dy + size / 2), 0, size - 1).astype(np.intp)
    v = np.clip(np.round(s * dx + c * dy + size / 2), 0, size - 1).astype(np.intp)
    return lay.texture[v, u]


def _fold(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Reflect a path into [lo, hi] (a bounce off the box walls)."""
    span = max(hi - lo, 1e-6)
    y = np.mod(x - lo, 2 * span)
    return lo + np.where(y < span, y, 2 * span - y)


def _smooth_path(rng, T: int, amp: float) -> np.ndarray:
    """(T, 2) smooth random offsets of size ~amp: a sum of two sinusoids per axis."""
    t = np.arange(T)[:, None]
    f = rng.uniform(0.03, 0.2, size=(2, 2))
    ph = rng.uniform(0, 2 * np.pi, size=(2, 2))
    a = rng.uniform(0.3, 1.0, size=(2, 2)) * amp
    return a[0] * np.sin(f[0] * t + ph[0]) + 0.5 * a[1] * np.sin(f[1] * t + ph[1])


def _value_noise(rng, h: int, w: int, cells: int) -> np.ndarray:
    """Smooth noise in [0, 1]: a random grid upsampled bicubically."""
    grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
    out = np.asarray(Image.fromarray(grid, mode="F").resize((w, h), Image.BICUBIC))
    return np.clip(out, 0, 1)


def _texture(rng, h: int, w: int, textures, smooth: bool) -> np.ndarray:
    """A procedural (or natural-image) texture, (h, w, 3) uint8."""
    if textures and rng.random() < 0.5:
        src = textures[int(rng.integers(0, len(textures)))]
        return _crop(rng, np.asarray(src, np.uint8), h, w)
    kind = int(rng.integers(0, 4))
    palette = rng.uniform(0, 255, size=(3, 3)).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    n1 = _value_noise(rng, h, w, int(rng.integers(2, 6)) if smooth else int(rng.integers(2, 8)))
    if kind == 0:  # multi-octave noise through a 3-colour ramp
        v = 0.6 * n1 + 0.4 * _value_noise(rng, h, w, int(rng.integers(6, 20)))
    elif kind == 1:  # warped stripes
        a, f = rng.uniform(0, np.pi), rng.uniform(0.08, 0.5)
        v = 0.5 + 0.5 * np.sin(f * (xx * np.cos(a) + yy * np.sin(a)) + 6 * n1)
    elif kind == 2:  # checks or dots
        p = rng.uniform(5, 20)
        if rng.random() < 0.5:
            v = ((np.floor(xx / p) + np.floor(yy / p)) % 2).astype(np.float32)
        else:
            d = np.hypot((xx % p) - p / 2, (yy % p) - p / 2)
            v = (d < p * rng.uniform(0.2, 0.45)).astype(np.float32)
        v = 0.8 * v + 0.2 * n1
    else:  # spots of colour on noise
        v = n1.copy()
        for _ in range(int(rng.integers(5, 25))):
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(2, max(3, min(h, w) / 6))
            v[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.random()
    v = np.clip(v, 0, 1).astype(np.float32)[..., None]
    lo, mid, hi = palette
    v2 = 2 * v
    img = np.where(v < 0.5, lo + (mid - lo) * v2, mid + (hi - mid) * (v2 - 1))
    img += 4 * rng.standard_normal(size=img.shape, dtype=np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _crop(rng, src: np.ndarray, h: int, w: int) -> np.ndarray:
    sh, sw = src.shape[:2]
    if sh < h or sw < w:
        f = max(h / sh, w / sw) * 1.01
        src = np.asarray(Image.fromarray(src).resize((int(sw * f) + 1, int(sh * f) + 1)))
        sh, sw = src.shape[:2]
    y, x = int(rng.integers(0, sh - h + 1)), int(rng.integers(0, sw - w + 1))
    return np.ascontiguousarray(src[y : y + h, x : x + w, :3])


def _recolor(rng, tex: np.ndarray, amount: float) -> np.ndarray:
    """A slightly different version of a texture: the look-alike a tracker can confuse."""
    gain = 1 + rng.uniform(-amount, amount, size=3)
    return np.clip(tex.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _lighting(rng, T: int, h: int, w: int, amp: float) -> np.ndarray:
    """(T, H, W, 3) float32 gain: global brightness and tint drift plus a moving light ramp."""
    t = np.arange(T, dtype=np.float32)
    glob = 1 + amp * np.sin(rng.uniform(0.05, 0.3) * t + rng.uniform(0, 6.3))
    tint = 1 + 0.3 * amp * np.sin(rng.uniform(0.05, 0.3) * t[:, None] + rng.uniform(0, 6.3, 3))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, 2 * np.pi) + rng.uniform(-0.1, 0.1) * t
    ramp = (xx[None] / w - 0.5) * np.cos(a)[:, None, None] + (yy[None] / h - 0.5) * np.sin(a)[
        :, None, None
    ]
    gain = glob[:, None, None] * (1 + amp * ramp)
    return (gain[..., None] * tint[:, None, None, :]).astype(np.float32)


def _flat_palette(n: int) -> np.ndarray:
    """``n`` distinct colours (the last is the background) for exact consistency tests."""
    i = np.arange(n)
    return np.stack([(37 * i + 20) % 256, (91 * i + 60) % 256, (151 * i + 100) % 256], 1).astype(
        np.float32
    )
