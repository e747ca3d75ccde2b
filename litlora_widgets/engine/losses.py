"""LIT-LoRA losses and mask metrics.

Mask losses (focal x 20 + dice x 1) apply only to samples whose target is non-empty; the
object-score logit gets a BCE towards "target non-empty". This is how SAM2 trains object
scores, and it replaces the authors' "masks gated by the object-score logit", which sets the
logits to a constant (no gradient at all) whenever the score is negative.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

NO_OBJ_SCORE = -1024.0  # what SAM2 writes into masks of absent objects


def sigmoid_focal_loss(
    logits: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0
) -> torch.Tensor:
    """Per-sample mean focal loss; ``logits``/``targets`` (B, H, W), targets may be soft."""
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = prob * targets + (1 - prob) * (1 - targets)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return loss.flatten(1).mean(1)


def dice_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-sample soft dice loss on (B, H, W)."""
    prob = logits.sigmoid().flatten(1)
    t = targets.flatten(1)
    return 1 - (2 * (prob * t).sum(1) + 1) / (prob.sum(1) + t.sum(1) + 1)


def lit_loss(
    mask_logits: torch.Tensor,
    obj_logits: torch.Tensor,
    targets: torch.Tensor,
    present: torch.Tensor,
    focal_weight: float = 20.0,
    dice_weight: float = 1.0,
    alpha: float = 0.25,
    gamma: float = 2.0,
) -> torch.Tensor:
    """Mean over the batch of ``present * (20 focal + dice) + BCE(obj, present)``.

    ``mask_logits``/``targets`` (B, S, S) at loss resolution, ``obj_logits`` (B,), ``present``
    (B,) float 0/1: whether the sample's target mask is non-empty.
    """
    focal = sigmoid_focal_loss(mask_logits, targets, alpha, gamma)
    dice = dice_loss(mask_logits, targets)
    obj = F.binary_cross_entropy_with_logits(obj_logits, present, reduction="none")
    return (present * (focal_weight * focal + dice_weight * dice) + obj).mean()


def gate(mask_logits: torch.Tensor, obj_logits: torch.Tensor) -> torch.Tensor:
    """SAM2's inference gating: an object score <= 0 means "absent", i.e. an empty mask."""
    present = (obj_logits > 0).reshape(-1, *([1] * (mask_logits.dim() - 1)))
    return torch.where(present, mask_logits, torch.full_like(mask_logits, NO_OBJ_SCORE))


def mask_iou(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample IoU of boolean (B, H, W) masks; two empty masks count as IoU 1."""
    pred, target = pred.flatten(1), target.flatten(1)
    inter = (pred & target).sum(1).float()
    union = (pred | target).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))


def np_iou(pred: np.ndarray, target: np.ndarray) -> float:
    union = np.logical_or(pred, target).sum()
    return 1.0 if union == 0 else float(np.logical_and(pred, target).sum() / union)


def resize_target(target: torch.Tensor, size: int, soft: bool = True) -> torch.Tensor:
    """(H, W) bool -> (size, size) float, straight to SAM2's square grid (aspect not kept).

    Area interpolation gives the covered fraction of each cell (soft target); ``soft=False``
    thresholds it at 0.5.
    """
    t = target.float()[None, None]
    if t.shape[-2:] != (size, size):
        t = F.interpolate(t, size=(size, size), mode="area")
    t = t[0, 0]
    return t if soft else (t >= 0.5).float()
