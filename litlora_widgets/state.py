"""What a session holds, as plain data: objects, candidates, results, frame states.

Kept apart from ``session.py`` so that the journal, the widget and the evaluation can read
and rebuild a session's state without importing the session itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class ObjectInfo:
    obj_id: int
    name: str
    color: tuple[int, int, int]


@dataclass
class Candidate:
    """A mask offered for a frame: plain SAM2's (``expert is None``) or a LoRA expert's."""

    mask: np.ndarray
    score: float  # predicted IoU
    obj_score: float  # object-score logit (> 0: object present)
    expert: int | None


@dataclass
class CorrectionResult:
    """``trained``: training ran to its end; ``improved``: the kept weights beat the start
    (otherwise a new expert is not kept and ``expert`` is None)."""

    mask: np.ndarray
    trained: bool
    improved: bool = False
    train_seconds: float = 0.0
    train_iou: float = float("nan")
    iou_before: float = float("nan")
    expert: int | None = None
    new_expert: bool = False
    epochs: int = 0
    best_epoch: int = 0
    losses: list[float] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)
    random_weights: bool = False


@dataclass(frozen=True)
class FrameState:
    """What the session knows of one object on one frame (timelines, review queues)."""

    frame: int
    kind: str  # "prompt" | "correction" | "accept" | "tracked"
    area: int  # mask pixels (0: absent there)
    sam_iou: float  # SAM2's predicted IoU where it tracked the frame (nan where unknown)
    obj_score: float  # SAM2's object-score logit there (nan where unknown)


@dataclass
class SessionState:
    """Everything a journal needs to record or restore, without SAM2's memory."""

    objects: dict[int, ObjectInfo]
    next_obj_id: int
    lit: bool
    masks: dict  # copy-on-write MaskStore views: {frame: {obj_id: rle}}
    user_masks: dict
    events: list[dict]
    training_log: list[dict]
    banks: dict[int, Any]  # obj_id -> ExpertBank


# Colours for objects 1..n (distinct on dark and light frames); cycles after the end.
PALETTE = [
    (230, 25, 75),
    (60, 180, 75),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 190),
    (0, 128, 128),
]


def object_color(obj_id: int) -> tuple[int, int, int]:
    return PALETTE[(obj_id - 1) % len(PALETTE)]
