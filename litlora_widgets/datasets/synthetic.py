"""Procedural segmentation videos: the training data of the embedded model and the demo video.

Everything is drawn from one ``numpy.random.Generator`` seeded by the caller, so a seed is a
clip. Objects are star-shaped outlines (polygons, ellipses, harmonic blobs) filled with a
texture that moves rigidly with them; the outline itself wobbles (non-rigid). Layers are
composited back to front and the label map is written in the same pass, so a pixel carries
label ``k`` exactly where object ``k`` is the top layer: occluders and look-alike distractors
cut the masks. Lighting and sensor noise are applied to the whole frame afterwards.
Pure numpy + PIL, a few ms per 256² frame.

What makes *video* hard for a tracker's memory is behind :class:`Effects` (and the
``"harder"`` difficulty, which draws them at random): a full occlusion of object 1 and its
re-appearance, near-identical look-alikes that stay close to it, squash-and-stretch
deformation, a moving and zooming camera, and object 1 leaving the frame and coming back.
They draw from their own random stream, so a clip without them is the same as before they
existed. :func:`load_textures` reads natural images to cut textures from (training only).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..errors import InputError

DIFFICULTIES = ("easy", "medium", "hard", "harder")


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
_LEVELS["harder"] = _LEVELS["hard"]  # plus random Effects (see random_effects)


@dataclass(frozen=True)
class Effects:
    """Video effects aimed at object 1 and the camera; all off by default.

    - ``occlusion``: ``(start, end)`` as fractions of the clip: an opaque disc on top of every
      layer covers object 1 completely on frames ``round(start*(T-1))..round(end*(T-1))``
      (mask area 0 there), arriving from outside the frame and leaving it again afterwards,
      so object 1 re-appears.
    - ``distractors``: near-identical copies of object 1 (2 % recolour) circling close to it.
    - ``deform``: squash-and-stretch amplitude of every labelled object's outline (0.3: ±30 %).
    - ``camera_shift``: (x, y) pixels per frame the whole scene (background and objects) moves;
      it replaces the level's random background pan.
    - ``zoom``: the camera zooms in about the frame centre, reaching ``1 + zoom`` at the end.
    - ``leave``: object 1 slides out across the nearest side; it is completely outside the
      frame on the middle third of the clip and back on its own path at the end.
    """

    occlusion: tuple[float, float] | None = None
    distractors: int = 0
    deform: float = 0.0
    camera_shift: tuple[float, float] = (0.0, 0.0)
    zoom: float = 0.0
    leave: bool = False

    def moves_camera(self) -> bool:
        return bool(self.zoom or any(self.camera_shift))


def random_effects(rng: np.random.Generator, short: int) -> Effects:
    """The effects of a ``"harder"`` clip (``short``: the frame's short side, in pixels)."""
    a = float(rng.uniform(0.15, 0.5))
    occlusion = (a, min(1.0, a + float(rng.uniform(0.1, 0.3)))) if rng.random() < 0.6 else None
    shift = (0.0, 0.0)
    if rng.random() < 0.5:
        shift = tuple(float(v) for v in rng.uniform(-0.012, 0.012, 2) * short)
    return Effects(
        occlusion=occlusion,
        distractors=int(rng.integers(0, 3)),
        deform=float(rng.uniform(0.0, 0.35)),
        camera_shift=shift,
        zoom=float(rng.uniform(0.1, 0.5)) if rng.random() < 0.4 else 0.0,
        leave=bool(rng.random() < 0.3),
    )


def default_texture_dir() -> Path:
    """``$LITLORA_TEXTURES``, else ``../shared/data`` beside the repository."""
    env = os.environ.get("LITLORA_TEXTURES")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


def load_textures(
    root: str | Path | None = None, max_images: int = 64, max_side: int = 256
) -> list[np.ndarray]:
    """Natural images to cut object and background textures from: every ``*.jpg``/``*.jpeg``
    under ``root`` (default :func:`default_texture_dir`; PNG masks are not textures), evenly
    subsampled to ``max_images`` and shrunk to ``max_side``. The images are read where they
    are, at training time, and never copied anywhere. A missing folder returns ``[]`` with a
    message on stderr: the generator then uses procedural textures only."""
    folder = Path(root) if root is not None else default_texture_dir()
    files = (
        sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))
        if folder.is_dir()
        else []
    )
    if not files:
        print(
            f"litlora textures: no JPEG images under {str(folder)!r} (set LITLORA_TEXTURES); "
            "using procedural textures only",
            file=sys.stderr,
        )
        return []
    pick = np.unique(np.linspace(0, len(files) - 1, min(max_images, len(files))).astype(int))
    out = []
    for i in pick:
        with Image.open(files[i]) as im:
            im = im.convert("RGB")
            im.thumbnail((max_side, max_side))
            out.append(np.asarray(im, np.uint8))
    return out


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
    effects: Effects | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A procedural video and its labels: ``frames`` (T,H,W,3) uint8, ``masks`` (T,H,W) uint8.

    ``masks`` holds 0 for background and ``k`` for object ``k`` (1..num_objects). Object 1 is
    always fully inside frame 0. ``difficulty`` adds motion, rotation, scale change, outline
    wobble, occluders (``"medium"``), look-alike distractors, strong lighting change and
    objects leaving and re-entering the frame (``"hard"``); ``"harder"`` is ``"hard"`` plus
    random :class:`Effects`, and ``effects`` adds chosen ones to any difficulty. ``textures``
    is an optional list of natural images (H,W,3 uint8) to cut textures from
    (:func:`load_textures`).
    """
    frames, masks, _ = render_clip(
        seed, num_frames, size, difficulty, num_objects, textures, effects=effects
    )
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
    effects: Effects | None = None,
    photometric: bool = True,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """:func:`synthetic_clip` plus debug info; ``flat_colors`` paints each layer one flat colour
    (layer ``i`` gets colour ``info["colors"][i]``) with no lighting or noise, for exact
    mask/frame consistency checks; ``photometric=False`` keeps the textures but skips lighting
    and noise (exact geometry checks). ``info["effects"]`` holds the effects applied."""
    if difficulty not in _LEVELS:
        raise InputError(f"difficulty must be one of {DIFFICULTIES}, got {difficulty!r}")
    h, w = (int(size[0]), int(size[1]))
    if h < 32 or w < 32 or num_frames < 1:
        raise InputError(f"size must be ≥ 32x32 and num_frames ≥ 1, got {size}, {num_frames}")
    if num_objects is not None and not 1 <= num_objects <= 10:
        raise InputError(f"num_objects must be in 1..10, got {num_objects}")
    lv = _LEVELS[difficulty]
    rng = np.random.default_rng(seed)
    erng = np.random.default_rng([seed, 11])  # effects draw apart: old clips stay the same
    if difficulty == "harder" and effects is None:
        effects = random_effects(erng, min(h, w))
    short = min(h, w)
    n_obj = num_objects or int(rng.integers(lv.objects[0], lv.objects[1] + 1))
    n_occ = int(rng.integers(lv.occluders[0], lv.occluders[1] + 1))
    n_dis = int(rng.integers(lv.distractors[0], lv.distractors[1] + 1))

    pan = lv.pan * short
    margin = int(np.ceil(1.5 * pan)) + 2  # _smooth_path stays within 1.5 x its amplitude
    mx = my = margin
    if effects is not None and effects.moves_camera():
        mx = int(np.ceil(abs(effects.camera_shift[0]) * num_frames)) + 2
        my = int(np.ceil(abs(effects.camera_shift[1]) * num_frames)) + 2
    background = _texture(rng, h + 2 * my, w + 2 * mx, textures, smooth=True)
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
    views = None
    if effects is not None:
        views = _apply_effects(erng, effects, layers, num_frames, h, w, lv, textures)
        if effects.moves_camera():
            cam = -np.array([v[:2] for v in views])  # the background moves with the scene
    layers.sort(key=lambda lay: lay.depth)

    colors = _flat_palette(len(layers) + 1)
    light = _lighting(rng, num_frames, h, w, lv.light_amp)
    noise_sigma = rng.uniform(*lv.noise)
    frames = np.empty((num_frames, h, w, 3), np.uint8)
    masks = np.zeros((num_frames, h, w), np.uint8)
    top = np.full((num_frames, h, w), -1, np.int16)
    for t in range(num_frames):
        view = None if views is None else views[t]
        if view is not None and view[2] != 1.0:
            img = _zoomed(background, view, mx, my, h, w)
        else:
            oy, ox = int(round(my + cam[t, 1])), int(round(mx + cam[t, 0]))
            img = background[oy : oy + h, ox : ox + w].astype(np.float32)
        if flat_colors:
            img[:] = colors[-1]
        for i, lay in enumerate(layers):
            m = _outline_mask(lay, t, h, w, view)
            ys, xs = np.nonzero(m)
            if ys.size == 0:
                continue
            img[ys, xs] = colors[i] if flat_colors else _sample_texture(lay, t, xs, ys, view)
            masks[t, ys, xs] = lay.label
            top[t, ys, xs] = i
        if not flat_colors and photometric:
            img *= light[t]
            img += noise_sigma * rng.standard_normal(size=img.shape, dtype=np.float32)
        frames[t] = np.clip(img, 0, 255).astype(np.uint8)
    info = {
        "top": top,
        "labels": [lay.label for lay in layers],
        "colors": colors,
        "effects": effects,
    }
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


def _outline_mask(lay: _Layer, t: int, h: int, w: int, view=None) -> np.ndarray:
    """The object's filled outline at frame ``t`` as a boolean (H, W) array; ``view`` is the
    camera ``(shift_x, shift_y, zoom)`` of that frame (None: the fixed camera)."""
    r = (
        lay.radius
        * lay.scale[t]
        * (lay.base + lay.wobble * np.sin(lay.wobble_freq * t + lay.wobble_phase))
    )
    ang = lay.angles + lay.theta[t]
    if "stretch" in lay.extra:  # squash and stretch along a turning axis
        amp, freq, phase, axis = lay.extra["stretch"]
        r = r * (1 + amp * np.sin(freq * t + phase) * np.cos(2 * (ang - axis - 0.1 * t)))
    cx, cy = lay.path[t]
    pts = np.stack([cx + r * np.cos(ang), cy + r * np.sin(ang)], 1)
    if view is not None:
        pts = _to_image(pts, view, h, w)
    if pts[:, 0].max() < 0 or pts[:, 1].max() < 0 or pts[:, 0].min() >= w or pts[:, 1].min() >= h:
        return np.zeros((h, w), bool)
    canvas = Image.new("L", (w, h), 0)
    ImageDraw.Draw(canvas).polygon([tuple(p) for p in pts.tolist()], fill=1)
    return np.asarray(canvas, dtype=bool)


def _sample_texture(lay: _Layer, t: int, xs: np.ndarray, ys: np.ndarray, view=None) -> np.ndarray:
    """Texture colours at image pixels, so the texture rotates and scales with the object."""
    if view is not None:  # image pixels back to scene coordinates
        sx, sy, z, ox, oy = view
        xs, ys = (xs - ox) / z + ox - sx, (ys - oy) / z + oy - sy
    cx, cy = lay.path[t]
    c, s = np.cos(-lay.theta[t]), np.sin(-lay.theta[t])
    dx, dy = (xs - cx) / lay.scale[t], (ys - cy) / lay.scale[t]
    size = lay.texture.shape[0]
    u = np.clip(np.round(c * dx - s * dy + size / 2), 0, size - 1).astype(np.intp)
    v = np.clip(np.round(s * dx + c * dy + size / 2), 0, size - 1).astype(np.intp)
    return lay.texture[v, u]


def _to_image(pts: np.ndarray, view, h: int, w: int) -> np.ndarray:
    """Scene (x, y) points to image coordinates under the camera ``view``."""
    sx, sy, z, ox, oy = view
    return np.stack([ox + z * (pts[:, 0] + sx - ox), oy + z * (pts[:, 1] + sy - oy)], 1)


def _zoomed(background: np.ndarray, view, mx: int, my: int, h: int, w: int) -> np.ndarray:
    """The background as the zoomed, shifted camera sees it (bilinear), float32 (h, w, 3)."""
    sx, sy, z, ox, oy = view
    data = (1 / z, 0.0, ox - ox / z - sx + mx, 0.0, 1 / z, oy - oy / z - sy + my)
    img = Image.fromarray(background).transform((w, h), Image.AFFINE, data, Image.BILINEAR)
    return np.asarray(img, np.float32).copy()


def _extent(lay: _Layer) -> np.ndarray:
    """(T,) radius of a circle about the layer's centre that contains its outline."""
    amp = lay.extra["stretch"][0] if "stretch" in lay.extra else 0.0
    reach = float(np.max(lay.base + np.abs(lay.wobble))) * (1 + amp)
    return lay.radius * lay.scale * reach


def _apply_effects(rng, fx: Effects, layers: list[_Layer], T: int, h: int, w: int, lv, textures):
    """Add ``fx`` to the scene (``layers[0]`` is object 1); returns the per-frame camera
    views ``(shift_x, shift_y, zoom, centre_x, centre_y)`` or None for a fixed camera."""
    target = layers[0]
    if fx.deform:
        for lay in layers:
            if lay.label:
                freq, phase, axis = rng.uniform(0.2, 0.6), rng.uniform(0, 6.3), rng.uniform(0, 3.2)
                lay.extra["stretch"] = (float(fx.deform), freq, phase, axis)
    ext = _extent(target)
    t = np.arange(T, dtype=np.float64)
    frac = t / max(T - 1, 1)
    if fx.leave:  # out across the nearest side, fully outside for frac in [0.24, 0.76]
        e, px, py = ext.max() + 2, target.path[:, 0], target.path[:, 1]
        sides = [
            (px.max() + e, (-1.0, 0.0)),
            (w - px.min() + e, (1.0, 0.0)),
            (py.max() + e, (0.0, -1.0)),
            (h - py.min() + e, (0.0, 1.0)),
        ]
        dist, direction = min(sides)
        disp = dist * np.minimum(1.0, 1.5 * np.sin(np.pi * frac))
        target.path = target.path + disp[:, None] * np.array(direction)[None]
    for _ in range(fx.distractors):  # look-alikes circling object 1, above or below it
        lay = _make_layer(rng, 0, T, h, w, lv, textures, leave=True)
        lay.texture = _recolor(rng, target.texture, 0.02)
        lay.kind, lay.angles, lay.wobble = target.kind, target.angles, target.wobble
        lay.wobble_phase = rng.uniform(0, 2 * np.pi, target.angles.shape)
        lay.base = target.base * rng.uniform(0.95, 1.05, size=target.base.shape)
        lay.radius = target.radius * rng.uniform(0.9, 1.1)
        lay.scale = target.scale
        d = rng.uniform(2.2, 3.0) * ext.mean()
        ang = rng.uniform(0, 2 * np.pi) + rng.uniform(-0.3, 0.3) * t
        lay.path = target.path + d * np.stack([np.cos(ang), np.sin(ang)], 1)
        layers.append(lay)
    shift = np.asarray(fx.camera_shift, np.float64)
    if fx.occlusion is not None:  # a disc that covers object 1 on [a, b], then leaves
        a = min(max(1, int(round(fx.occlusion[0] * (T - 1)))), T - 1)
        b = min(max(a, int(round(fx.occlusion[1] * (T - 1)))), T - 1)
        radius = (ext.max() + 2) / np.cos(np.pi / 48)  # the 48-gon's inner radius covers it
        off = radius + 2 + np.abs(shift).max() * T
        cy = target.path[a, 1]
        start, end = np.array([-off, cy]), np.array([w + off, target.path[b, 1]])
        path = target.path.copy()
        for i in range(T):
            if i < a:
                path[i] = start + (target.path[a] - start) * i / a
            elif i > b:
                path[i] = target.path[b] + (end - target.path[b]) * (i - b) / (T - 1 - b)
        lay = _make_layer(rng, 0, T, h, w, lv, textures, leave=True)
        size = int(np.ceil(2 * radius)) + 6
        lay.kind, lay.radius, lay.depth, lay.path = "ellipse", float(radius), 20.0, path
        lay.angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        lay.base, lay.wobble, lay.wobble_phase = np.ones(48), np.zeros(48), np.zeros(48)
        lay.scale = np.ones(T)
        lay.texture = _texture(rng, size, size, textures, smooth=False)
        layers.append(lay)
    if not fx.moves_camera():
        return None
    return [
        (shift[0] * i, shift[1] * i, 1.0 + fx.zoom * f, w / 2, h / 2)
        for i, f in zip(range(T), frac, strict=True)
    ]


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
