"""A session's LIT-LoRA side: one expert bank per object, the training log, the candidates.

Why apart from ``Session``: the session decides *when* an expert trains (a correction on a
tracked frame) and what enters SAM2's memory; this class holds what the experts know and
answers for them — train on a frame's decoder inputs, predict every expert's mask, keep the
replay samples of accepted candidates, save and load adapter files. It never touches SAM2's
memory and never decides anything about masks.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .build_sam import ModelInfo
from .errors import Cancelled, TrainingError
from .state import Candidate


class LitLoRA:
    """Expert banks per object (created on first use), their training log and the cached
    candidates the user may accept (keyed by ``(frame, obj_id)``)."""

    def __init__(self, predictor, config, info: ModelInfo, enabled: bool = True):
        self.predictor, self.config, self.info = predictor, config, info
        self.enabled = bool(enabled)
        self.banks: dict[int, Any] = {}
        self.training_log: list[dict] = []
        self._candidates: dict[tuple[int, int], list[Candidate]] = {}

    def new_bank(self):
        """An empty expert bank for this model and these settings (not attached)."""
        from .engine.experts import ExpertBank

        return ExpertBank(
            self.predictor.sam_mask_decoder, self.predictor.sam_prompt_encoder, self.config
        )

    def bank(self, obj_id: int):
        if obj_id not in self.banks:
            self.banks[obj_id] = self.new_bank()
        return self.banks[obj_id]

    def trained_objects(self) -> set[int]:
        return {o for o, b in self.banks.items() if b.num_experts}

    def train(self, obj_id: int, inputs, target, cancel, progress) -> dict | None:
        """Train the object's experts on one correction; its ``training_log`` entry, or None
        when cancelled (the correction stays, untrained)."""
        try:
            tr = self.bank(obj_id).train_on(inputs, target, cancel=cancel, progress=progress)
        except Cancelled:
            return None
        except TrainingError as exc:
            raise TrainingError(
                f"{exc} The correction was not applied; correct again with a lower learning "
                "rate (lit_config) or with LIT off (session.lit_enabled = False)."
            ) from None
        log = {"frame": inputs.frame, "obj_id": obj_id, **dataclasses.asdict(tr)}
        self.training_log.append(log)
        return log

    def candidates(self, frame: int, obj_id: int, inputs, plain: Candidate, height, width):
        """Plain SAM2's candidate, then every expert's on the same decoder inputs (cached
        for :meth:`chosen`)."""
        cands = [plain]
        bank = self.banks.get(obj_id)
        if bank is not None and bank.num_experts:
            with self.info.autocast():
                cands += [
                    Candidate(p.mask(height, width), p.iou, p.obj_score, p.expert)
                    for p in bank.predict_all(inputs)
                ]
        self._candidates[(frame, obj_id)] = cands
        return cands

    def cached(self, frame: int, obj_id: int) -> list[Candidate] | None:
        return self._candidates.get((frame, obj_id))

    def add_replay(self, obj_id: int, expert: int, inputs, target) -> None:
        """An accepted expert candidate joins that expert's replay samples."""
        self.banks[obj_id].add_replay(expert, inputs, target)

    def forget_candidates(self, obj_id: int | None = None) -> None:
        """The object's masks changed (or every object's): its candidates are stale."""
        self._candidates = {
            k: v for k, v in self._candidates.items() if obj_id is not None and k[1] != obj_id
        }

    def remove(self, obj_id: int) -> None:
        self.banks = {k: v for k, v in self.banks.items() if k != obj_id}
        self.forget_candidates(obj_id)

    def save(self, obj_id: int, path: str | Path, metadata: dict) -> Path:
        self.banks[obj_id].save(Path(path), extra_metadata=metadata)
        return Path(path)

    def load(self, obj_id: int, path: str | Path, strength: float) -> int:
        return self.bank(obj_id).load(path, strength=strength)

    def install(self, banks: dict, training_log: list) -> None:
        """Take recorded banks and log (undo, resume); cached candidates become stale."""
        self.banks, self.training_log = dict(banks), list(training_log)
        self.forget_candidates()

    def snapshot_banks(self) -> dict:
        return {o: b.snapshot() for o, b in self.banks.items()}

    @staticmethod
    def restore_banks(banks: dict, snaps: dict) -> None:
        for o, bank in banks.items():
            bank.restore(snaps[o])

    def close(self) -> None:
        self.banks.clear()
        self.forget_candidates()
