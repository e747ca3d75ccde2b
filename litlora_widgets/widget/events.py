"""The front end's events: one frozen dataclass per event, parsed from the wire in one place.

The names (``Event.type``) are the strings the JS sends (``js/src/events.js`` holds the same
table; ``tests/test_widget.py`` checks the two agree). Every event about an object says
``obj_id`` (``obj`` is still read, for scripts written before). Events that act on what the
user sees carry the ``frame`` they were made on, so the kernel can refuse one that would land
on another frame instead of replaying it there later (issue #12, item 4).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import InputError


@dataclass(frozen=True)
class Event:
    type: ClassVar[str] = ""
    #: handled at once on the kernel's main thread, even while the worker is busy
    navigation: ClassVar[bool] = False
    #: may run for seconds (training, propagation): refused, never queued, while busy
    long: ClassVar[bool] = False
    #: what the user did, for "busy: training, click ignored"
    what: ClassVar[str] = ""

    @property
    def on_frame(self) -> int | None:
        """The frame the event was made on (None: not tied to a frame)."""
        return getattr(self, "frame", None)


# ---- navigation (main thread, always live) ---------------------------------------------------
@dataclass(frozen=True)
class Frames(Event):
    type: ClassVar[str] = "frames"
    navigation: ClassVar[bool] = True
    frames: tuple[int, ...] = ()


@dataclass(frozen=True)
class Seek(Event):
    type: ClassVar[str] = "seek"
    navigation: ClassVar[bool] = True
    frame: int = 0


@dataclass(frozen=True)
class Stop(Event):
    type: ClassVar[str] = "stop"
    navigation: ClassVar[bool] = True


@dataclass(frozen=True)
class ClearError(Event):
    type: ClassVar[str] = "clear_error"
    navigation: ClassVar[bool] = True


# ---- actions (worker thread, one at a time, in order) ---------------------------------------
@dataclass(frozen=True)
class Click(Event):
    type: ClassVar[str] = "click"
    what: ClassVar[str] = "click"
    frame: int
    x: float
    y: float
    label: int = 1
    obj_id: int | None = None


@dataclass(frozen=True)
class Box(Event):
    type: ClassVar[str] = "box"
    what: ClassVar[str] = "box"
    frame: int
    box: tuple[float, float, float, float]
    obj_id: int | None = None


@dataclass(frozen=True)
class Mask(Event):
    """A mask made elsewhere (:meth:`LitLoraApp.import_mask`; never sent by the JS)."""

    type: ClassVar[str] = "mask"
    long: ClassVar[bool] = True
    what: ClassVar[str] = "imported mask"
    frame: int
    mask: Any
    obj_id: int | None = None


@dataclass(frozen=True)
class Propagate(Event):
    type: ClassVar[str] = "propagate"
    long: ClassVar[bool] = True
    what: ClassVar[str] = "propagate"
    direction: str = "forward"
    frame: int | None = None


@dataclass(frozen=True)
class Step(Event):
    type: ClassVar[str] = "step"
    long: ClassVar[bool] = True
    what: ClassVar[str] = "step"
    frame: int | None = None


@dataclass(frozen=True)
class Candidates(Event):
    type: ClassVar[str] = "candidates"
    long: ClassVar[bool] = True
    what: ClassVar[str] = "candidates"
    frame: int | None = None
    obj_id: int | None = None


@dataclass(frozen=True)
class Accept(Event):
    type: ClassVar[str] = "accept"
    long: ClassVar[bool] = True
    what: ClassVar[str] = "accept"
    index: int
    frame: int | None = None
    obj_id: int | None = None


@dataclass(frozen=True)
class Reject(Event):
    type: ClassVar[str] = "reject"
    what: ClassVar[str] = "reject"
    frame: int | None = None


@dataclass(frozen=True)
class Undo(Event):
    type: ClassVar[str] = "undo"
    long: ClassVar[bool] = True
    what: ClassVar[str] = "undo"


@dataclass(frozen=True)
class Redo(Event):
    type: ClassVar[str] = "redo"
    long: ClassVar[bool] = True
    what: ClassVar[str] = "redo"


@dataclass(frozen=True)
class AddObject(Event):
    type: ClassVar[str] = "add_object"
    what: ClassVar[str] = "add object"
    name: str | None = None


@dataclass(frozen=True)
class Rename(Event):
    type: ClassVar[str] = "rename"
    what: ClassVar[str] = "rename"
    obj_id: int
    name: str


@dataclass(frozen=True)
class RemoveObject(Event):
    type: ClassVar[str] = "remove_object"
    long: ClassVar[bool] = True
    what: ClassVar[str] = "delete object"
    obj_id: int


@dataclass(frozen=True)
class Lit(Event):
    type: ClassVar[str] = "lit"
    what: ClassVar[str] = "LIT switch"
    enabled: bool


@dataclass(frozen=True)
class Export(Event):
    type: ClassVar[str] = "export"
    long: ClassVar[bool] = True
    what: ClassVar[str] = "export"
    format: str
    path: str | None = None


@dataclass(frozen=True)
class ListAdapters(Event):
    """Open the adapter library: the adapter files of the export folder, with metadata."""

    type: ClassVar[str] = "list_adapters"
    what: ClassVar[str] = "load adapters"


EVENTS: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        Frames,
        Seek,
        Stop,
        ClearError,
        Click,
        Box,
        Mask,
        Propagate,
        Step,
        Candidates,
        Accept,
        Reject,
        Undo,
        Redo,
        AddObject,
        Rename,
        RemoveObject,
        Lit,
        Export,
        ListAdapters,
    )
}
#: sent by the front end (``mask`` comes only from Python)
WIRE_EVENTS = sorted(set(EVENTS) - {"mask"})

_CONVERT = {"frame": int, "obj_id": int, "index": int, "label": int, "x": float, "y": float}


def parse(content: dict | Event) -> Event:
    """A wire message (``{"type": "click", "frame": 3, ...}``) -> its :class:`Event`; a
    missing or malformed field is an :class:`InputError` in the user's words."""
    if isinstance(content, Event):
        return content
    kind = content.get("type")
    cls = EVENTS.get(kind)
    if cls is None:
        raise InputError(f"unknown widget event {kind!r}")
    raw = dict(content)
    if "obj" in raw and "obj_id" not in raw:
        raw["obj_id"] = raw.pop("obj")
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw or raw[f.name] is None:
            if f.default is dataclasses.MISSING:
                raise InputError(f"{kind}: needs a {f.name}")
            continue
        v = raw[f.name]
        try:
            if f.name in _CONVERT:
                v = _CONVERT[f.name](v)
            elif f.name == "frames":
                v = tuple(int(i) for i in v)
            elif f.name == "box":
                v = tuple(float(i) for i in v)
                if len(v) != 4:
                    raise ValueError
            elif f.name == "enabled":
                v = bool(v)
            elif f.name in ("name", "format", "direction", "path"):
                v = str(v)
        except (TypeError, ValueError):
            raise InputError(f"{kind}: {f.name} {v!r} is not valid") from None
        kw[f.name] = v
    if cls is Click and kw.get("label", 1) not in (0, 1):
        raise InputError("click: label must be 1 (include) or 0 (exclude)")
    return cls(**kw)
