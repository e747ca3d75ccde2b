"""Where SAM2's output becomes the session's masks: prompts, tracking and what the user
asserts about a frame, each written into the annotations the same way.

`Session` holds the lock, validates input and records undo steps and the action log; this
module is the plumbing under its verbs, so that a prompt, a propagated frame, a correction
and an accepted candidate cannot drift apart in how they store a mask or which candidates
they make stale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container

import numpy as np

from .annotations import Annotations
from .engine.tracker import Tracker
from .lit import LitLoRA
from .state import Candidate, CorrectionResult

CORRECTION_FIELDS = {f.name for f in dataclasses.fields(CorrectionResult)}


class Tracking:
    """SAM2 (`Tracker`) on one side, the user's masks (`Annotations`) and the LIT-LoRA side's
    cached candidates on the other. Callers hold the session's lock."""

    def __init__(self, tracker: Tracker, annotations: Annotations, lit: LitLoRA):
        self.tracker = tracker
        self.annotations = annotations
        self.lit = lit

    def prompt(self, frame: int, obj_id: int, prompt: dict) -> np.ndarray:
        """Prompt SAM2 (points, box or mask) and store the result as the user's mask."""
        out = self.tracker.prompt(frame, obj_id, **prompt)
        self.annotations.set(frame, obj_id, out, user=True)
        self.lit.forget_candidates(obj_id)
        return out

    def track(self, frame: int, obj_id: int, reverse: bool) -> np.ndarray:
        """Track one object on ``frame`` into SAM2's memory and store the mask; a prompted
        frame keeps its prompt's result."""
        _, mask = self.tracker.track(frame, obj_id, reverse, store=True)
        if mask is None:
            mask = self.annotations.masks.get(frame, obj_id)
            if mask is None:
                return np.zeros((self.annotations.height, self.annotations.width), bool)
            return mask
        self.annotations.set(frame, obj_id, mask)
        self.lit.forget_candidates(obj_id)
        return mask

    def track_all(self, frame: int, reverse: bool, live: Container[int]) -> dict[int, np.ndarray]:
        """Track every prompted object of ``live`` (the session's objects) on ``frame``."""
        return {o: self.track(frame, o, reverse) for o in self.tracker.objects if o in live}

    def assert_frame(self, frame: int, obj_id: int, prompt: dict, capture: bool):
        """The one path for what the user asserts about a frame (correction or accept):
        SAM2 tracks it first if it never did (so it is a correction, not a new keyframe),
        the decoder inputs under the current memory are taken when ``capture``, then the
        prompt enters memory — an empty mask too, as "absent". Returns (inputs, mask)."""
        tracked = self.tracker.ensure_tracked(frame, obj_id)
        if tracked is not None:
            self.annotations.set(frame, obj_id, tracked)
        inputs = self.tracker.fresh_capture(frame, obj_id)[0] if capture else None
        return inputs, self.prompt(frame, obj_id, prompt)

    def train(self, obj_id: int, inputs, result: CorrectionResult, cancel, progress) -> None:
        """Train an expert on the corrected mask (``result.mask``) and fill in ``result``;
        a cancelled training leaves it untrained."""
        log = self.lit.train(obj_id, inputs, result.mask, cancel, progress)
        if log is not None:
            for name in CORRECTION_FIELDS & set(log):
                setattr(result, name, log[name])
            result.trained = True

    def candidates(self, frame: int, obj_id: int) -> list[Candidate]:
        """Plain SAM2's mask (the stored one where there is one) and every expert's, from the
        decoder inputs of ``frame`` under the current memory (memory unchanged)."""
        inputs, plain = self.tracker.fresh_capture(frame, obj_id)
        stored = self.annotations.masks.get(frame, obj_id)
        first = Candidate(
            stored if stored is not None else plain, inputs.sam_iou, inputs.sam_obj_score, None
        )
        h, w = self.annotations.height, self.annotations.width
        return self.lit.candidates(frame, obj_id, inputs, first, h, w)
