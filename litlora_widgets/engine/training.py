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


def loss_falling(losses: list[float] | None, window: int = 10, rel: float = 0.01) -> bool:
    """Whether the loss is still going down: the last ``window`` epochs beat everything
    before them by more than ``rel`` (fewer epochs: any gain on the first one)."""
    if not losses or len(losses) < 2:
        return False
    if len(losses) <= window:
        return min(losses[1:]) < (1 - rel) * losses[0]
    return min(losses[-window:]) < (1 - rel) * min(losses[:-window])


def should_stop(
    epoch: int,
    best_iou: float,
    best_epoch: int,
    min_epochs: int = 0,
    losses: list[float] | None = None,
) -> bool:
    """The authors' rules — plateau above 0.6; hopeless at 50 (< 0.2) or at 10 (== 0) — with
    two changes: none before ``min_epochs``, and "hopeless" only while the loss has stopped
    falling. An IoU gated by the object score stays 0 until that score turns (an "absent"
    target, or a frame where SAM2 lost the object) although training is on its way there."""
    if epoch < min_epochs:
        return False
    if best_iou > 0.6 and epoch - best_epoch >= 10:
        return True
    hopeless = (epoch >= 50 and best_iou < 0.2) or (epoch >= 10 and best_iou == 0.0)
    return hopeless and not loss_falling(losses)


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
    """Train ``params`` on the batch; ``score`` (IoU) of sample 0 picks the kept weights, the
    loss breaks ties above IoU 0 (an "absent" target scores IoU 1 from the epoch its object
    score turns negative: later epochs say "absent" with more margin).

    Epoch ``e`` measures loss/IoU of the weights after ``e - 1`` steps, then steps. After the
    last step one eval forward judges the final weights too.
    """
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    best_iou, best_loss, best_epoch = -1.0, math.inf, 0
    best = [p.detach().clone() for p in params]
    out = FitOutcome(0, 0, 0.0)

    def judge(raw: torch.Tensor, obj: torch.Tensor, loss: float, steps: int) -> float:
        nonlocal best_iou, best_loss, best_epoch
        iou = score(raw[0].detach(), obj[0].detach())
        if iou > best_iou or (iou == best_iou > 0 and loss < best_loss):
            best_iou, best_loss, best_epoch = iou, loss, steps
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
        iou = judge(raw, obj, value, epoch - 1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        out.epochs = epoch
        out.losses.append(value)
        out.ious.append(iou)
        if progress is not None:
            progress(epoch, value, iou)
        if should_stop(epoch, best_iou, best_epoch, min_epochs, out.losses):
            break

    if out.epochs:
        with torch.no_grad():
            logits, obj, raw = forward(False)
            value = float(lit_loss(logits, obj, targets, present, **loss_kwargs))
        if math.isfinite(value) and torch.isfinite(raw).all():
            judge(raw, obj, value, out.epochs)
    with torch.no_grad():
        for b, p in zip(best, params, strict=True):
            p.copy_(b)
    out.best_iou, out.best_epoch = max(best_iou, 0.0), best_epoch
    return out
