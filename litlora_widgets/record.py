"""What undo and the journal record of a session, and how it is put back.

A session's recordable state is spread over its parts: the object registry, LIT-LoRA (mode,
expert banks, training log), the annotations (masks and the user's masks) and the action log.
``Record`` is the one place that reads them into a :class:`~litlora_widgets.state.SessionState`
and installs one back, so adding a part means changing one class, not ``Session``'s undo,
resume and journal paths each. An undo step also needs what a journal cannot hold: SAM2's
memory and the experts' weights at that moment (:class:`Snapshot`).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .state import SessionState

if TYPE_CHECKING:
    from .action_log import ActionLog
    from .annotations import Annotations
    from .engine.tracker import Tracker
    from .lit import LitLoRA
    from .objects import ObjectRegistry


@dataclass
class Snapshot:
    """One undo step: the recordable state, SAM2's memory, and each bank's expert weights."""

    state: SessionState
    tracker: Any
    bank_snaps: dict


class Record:
    """Reads and installs the state of a session's parts, under the session's lock."""

    def __init__(
        self,
        lock: threading.RLock,
        objects: ObjectRegistry,
        lit: LitLoRA,
        annotations: Annotations,
        log: ActionLog,
        tracker: Tracker,
    ):
        self._lock = lock
        self._objects, self._lit, self._annotations = objects, lit, annotations
        self._log, self._tracker = log, tracker

    def state(self) -> SessionState:
        """A consistent view (mask views are copy-on-write, lists and dicts are copies)."""
        with self._lock:
            return SessionState(
                self._objects.infos(),
                self._objects.next_id,
                self._lit.enabled,
                self._annotations.masks.snapshot(),
                self._annotations.user.snapshot(),
                list(self._log.entries),
                list(self._lit.training_log),
                dict(self._lit.banks),
            )

    def load(self, st: SessionState) -> None:
        """Install a recorded state. SAM2's memory is not part of it; every captured feature
        and cached candidate becomes stale."""
        with self._lock:
            self._objects.restore(st.objects, st.next_obj_id)
            self._lit.enabled = st.lit
            self._annotations.masks.restore(st.masks)
            self._annotations.user.restore(st.user_masks)
            self._log.entries = list(st.events)
            self._lit.install(st.banks, st.training_log)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(self.state(), self._tracker.snapshot(), self._lit.snapshot_banks())

    def restore(self, snap: Snapshot) -> None:
        """Put an undo step back. LIT-LoRA on or off is a mode, not an edit: undo keeps it."""
        with self._lock:
            self._lit.restore_banks(snap.state.banks, snap.bank_snaps)
            self.load(dataclasses.replace(snap.state, lit=self._lit.enabled))
            self._tracker.restore(snap.tracker)
