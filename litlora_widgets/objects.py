"""The objects of one session: ids, names and colours, and the id the next one gets.

Kept apart from ``Session`` so that the rules on ids (1..255, never two objects with one id;
the next id follows the highest given, so a removed object's id is not handed out again) live
in one place, and undo / resume restore the objects and the next id as one value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import checks as C
from .state import ObjectInfo, object_color


class ObjectRegistry:
    """Object id -> :class:`~litlora_widgets.state.ObjectInfo`, with checks in the user's
    words (``InputError``)."""

    def __init__(self) -> None:
        self._items: dict[int, ObjectInfo] = {}
        self._next_id = 1

    @property
    def next_id(self) -> int:
        """The id ``new_id()`` gives when the user does not choose one."""
        return self._next_id

    def infos(self) -> dict[int, ObjectInfo]:
        """A copy: id -> info."""
        return dict(self._items)

    def __contains__(self, obj_id: object) -> bool:
        return obj_id in self._items

    def __iter__(self) -> Iterator[int]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, obj_id: int) -> ObjectInfo:
        return self._items[obj_id]

    def new_id(self, obj_id: Any = None) -> int:
        """The id for a new object: ``obj_id`` checked (1..255, not taken), or the next one."""
        return self._next_id if obj_id is None else C.check_new_obj_id(obj_id, self._items)

    def add(self, obj_id: int, name: str) -> None:
        self._items[obj_id] = ObjectInfo(obj_id, name, object_color(obj_id))
        self._next_id = max(self._next_id, obj_id + 1)

    def rename(self, obj_id: int, name: str) -> None:
        self._items[obj_id] = ObjectInfo(obj_id, name, self._items[obj_id].color)

    def remove(self, obj_id: int) -> None:
        del self._items[obj_id]

    def check(self, obj_id: Any) -> int:
        """``obj_id`` as the int of an existing object."""
        return C.check_obj(obj_id, self._items)

    def pick(self, obj_id: Any, trained: set[int] | None) -> int:
        """The object an adapter call means (see :func:`checks.pick_object`)."""
        return C.pick_object(obj_id, self._items, trained)

    def restore(self, objects: dict[int, ObjectInfo], next_id: int) -> None:
        """Install a recorded state (undo, resume)."""
        self._items, self._next_id = dict(objects), next_id
