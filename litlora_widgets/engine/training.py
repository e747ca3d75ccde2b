"""The LIT-LoRA epoch loop: one optimizer step per epoch, early stopping, best weights kept.

The caller restores the bank when this raises (``Cancelled`` / ``TrainingError``); the loop
itself only ever touches the parameters it is given.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ..errors import Cancelled, TrainingError
from .losses import lit_loss

# train? -> loss-res logits (B, S, S), object logits (B,), native low-res logits (B, h4, w4)
Forward = Callable[[bool], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
Score = Callable[[torch.Tensor, torch.Tensor], float]  # IoU of sample 0 from (h4, w4), ()
Progress = Callable[[int, float, float], None]


@dataclass
class FitOutcome:
    epochs: int
    best_epoch: int  # optimizer steps the kept weights had seen (0: none helped)
    best_iou: float  # score of the kept weights on sample 0
    losses: list[float] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)


def should_stop(epoch: int, best_iou: float, best_epoch: int, min_epochs: int = 0) -> bool:
    """The authors' rules: plateau above 0.6, hopeless at 50 (< 0.2) or at 10 (== 0); none of
    them before ``min_epochs``."""
    if epoch < min_epochs:
        return False
    if best_iou > 0.6 and epoch - best_epoch >= 10:
        return True
    if epoch >= 50 and best_iou < 0.2:
        return True
    return epoch >= 10 and best_iou == 0.0


def fit(
    forward: Forward,
    score: Score,
    params: list[torch.nn.Parameter],
    targets: torch.Tensor,
    present: torch.Tensor,
    *,
    lr: float,
    max_epochs: int,
    loss_kwargs: dict,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    min_epochs: int = 0,
) -> FitOutcome:
    """Train ``params`` on the batch; ``score`` (IoU) of sample 0 picks the kept weights.

    Epoch ``e`` measures loss/IoU of the weights after ``e - 1`` steps, then steps. After the
    last step one eval forward judges the final weights too.
    """
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    best_iou, best_epoch = -1.0, 0
    best = [p.detach().clone() for p in params]
    out = FitOutcome(0, 0, 0.0)

    def judge(raw: torch.Tensor, obj: torch.Tensor, steps: int) -> float:
        nonlocal best_iou, best_epoch
        iou = score(raw[0].detach(), obj[0].detach())
        if iou > best_iou:
            best_iou, best_epoch = iou, steps
            for b, p in zip(best, params, strict=True):
                b.copy_(p.detach())
        return iou

    for epoch in range(1, max_epochs + 1):
        if cancel is not None and cancel.is_set():
            raise Cancelled("training cancelled; the experts are back to their state before")
        logits, obj, raw = forward(True)
        loss = lit_loss(logits, obj, targets, present, **loss_kwargs)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise TrainingError(
                f"training diverged (loss {value} at epoch {epoch}); the experts were restored. "
                "Lower the learning rate (LitConfig.init_lr / finetune_lr) or check the decoder "
                "inputs for NaN/inf values."
            )
        iou = judge(raw, obj, epoch - 1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        out.epochs = epoch
        out.losses.append(value)
        out.ious.append(iou)
        if progress is not None:
            progress(epoch, value, iou)
        if should_stop(epoch, best_iou, best_epoch, min_epochs):
            break

    if out.epochs:
        with torch.no_grad():
            _, obj, raw = forward(False)
        if torch.isfinite(raw).all() and torch.isfinite(obj).all():
            judge(raw, obj, out.epochs)
    with torch.no_grad():
        for b, p in zip(best, params, strict=True):
            p.copy_(b)
    out.best_iou, out.best_epoch = max(best_iou, 0.0), best_epoch
    return out
