"""Capture of SAM2 mask-decoder inputs during tracking.

LIT-LoRA trains on the decoder inputs of the frame *as SAM2 tracked it*: the
memory-conditioned image embedding, the high-resolution features and the dense positional
encoding. A forward pre-hook on SAM2's own ``sam_mask_decoder`` records them, but only while
the session has opened a capture window for one (frame, object): decoder calls made for
mask prompts (``use_mask_input_as_output_without_sam``) or clicks run on other features and
must never be mistaken for tracking features.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class DecoderInputs:
    """What SAM2's mask decoder saw when it tracked ``frame`` for ``obj_id``."""

    image_embed: torch.Tensor  # (1, C, h, w), memory-conditioned
    high_res: tuple[torch.Tensor, ...]  # ((1, C0, 4h, 4w), (1, C1, 2h, 2w)) or ()
    image_pe: torch.Tensor  # (1, C, h, w)
    frame: int = -1
    obj_id: int = -1
    version: int = -1  # the object's memory version at capture time
    sam_iou: float = float("nan")  # plain SAM2's predicted IoU of its chosen mask
    sam_obj_score: float = float("nan")  # plain SAM2's object-score logit

    def to(self, device: torch.device | str) -> DecoderInputs:
        return DecoderInputs(
            self.image_embed.to(device),
            tuple(t.to(device) for t in self.high_res),
            self.image_pe.to(device),
            self.frame,
            self.obj_id,
            self.version,
            self.sam_iou,
            self.sam_obj_score,
        )


class DecoderCapture:
    """Records decoder inputs/outputs of SAM2's mask decoder inside a ``window``."""

    def __init__(self, mask_decoder: nn.Module, storage_device: torch.device | str = "cpu"):
        self.storage_device = torch.device(storage_device)
        self._key: tuple[int, int, int] | None = None
        self._last: DecoderInputs | None = None
        self._handles = [
            mask_decoder.register_forward_pre_hook(self._pre, with_kwargs=True),
            mask_decoder.register_forward_hook(self._post, with_kwargs=True),
        ]

    @contextlib.contextmanager
    def window(self, frame: int, obj_id: int, version: int):
        """Capture the first decoder call made while tracking ``frame`` for ``obj_id``."""
        self._key, self._last = (frame, obj_id, version), None
        try:
            yield self
        finally:
            self._key = None

    def take(self) -> DecoderInputs | None:
        """The inputs captured in the last window (``None`` if the decoder did not run)."""
        out, self._last = self._last, None
        return out

    def _pre(self, module, args, kwargs):
        if self._key is None or self._last is not None:
            return None
        frame, obj_id, version = self._key
        dev = self.storage_device
        hr = kwargs.get("high_res_features") or ()
        self._last = DecoderInputs(
            image_embed=kwargs["image_embeddings"].detach().float().to(dev, copy=True),
            high_res=tuple(t.detach().float().to(dev, copy=True) for t in hr),
            image_pe=kwargs["image_pe"].detach().float().to(dev, copy=True),
            frame=frame,
            obj_id=obj_id,
            version=version,
        )
        return None

    def _post(self, module, args, kwargs, output):
        last = self._last
        if self._key is None or last is None or not (last.sam_iou != last.sam_iou):
            return None
        _, ious, _, obj_scores = output
        last.sam_iou = float(ious.detach().float().max())
        last.sam_obj_score = float(obj_scores.detach().float().flatten()[0])
        return None

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []
