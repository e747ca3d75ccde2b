"""Train litlora-tiny from scratch on procedural clips, with SAM2's own modules.

A compact loop over ``SAM2Base``'s building blocks (``forward_image``, ``_track_step``,
``_forward_sam_heads``, ``_encode_memory_in_output``), mirroring what sam2's ``SAM2Train`` does
(whose import needs ``tensordict``): frame 0 gets a GT mask or a click (plus simulated
correction clicks), later frames are tracked through the memory bank; every decoder output is
supervised with SAM2's loss mix (focal ×20, dice, IoU-prediction L1, object-score BCE).

Corrections on later frames (v2, issue 13) are what teach the memory to carry them: on 1–2
random frames (``plan_corrections``) the tracked output is first supervised, then corrected
— by 1–3 error-driven clicks decoded with the memory-conditioned features and the previous
logits, or by the GT mask taken as the output (SAM2's ``use_mask_input_as_output_without_sam``)
— exactly as ``Session.correct`` does at inference, and the *corrected* output is encoded into
the memory bank. It enters as a conditioning frame (SAM2's interactive training,
``add_all_frames_to_correct_as_cond: True``) or, as often, as a non-conditioning frame (what
SAM2's predictor and our ``Session`` do by default with a correction on a tracked frame), so
the memory learns both. The loss on the frames after it is what rewards carrying it.

The shipped weights came from two phases on 2 CPU cores (see ``weights/MODEL_CARD.md``): single
frames with clicks first (a model from scratch must learn to segment before memory can help),
then 4-frame clips; clips ramp from mostly easy to the full mix (``difficulty_mix``)::

    python -m litlora_widgets.pretrain.train --out runs/tiny --batch 16 --frames 1 --p-click 1 \
        --lr 5e-4 --steps 3000 --stop-at 2000
    python -m litlora_widgets.pretrain.train --out runs/tiny --resume --batch 4 --frames 4 \
        --lr 5e-4 --steps 9000 --stop-at 4000
    python -m litlora_widgets.pretrain.train --out runs/tiny --resume --batch 4 --frames 4 \
        --lr 5e-4 --steps 9000 --mix-end 0.3 0.45 0.25 --mix-ramp 1

``--time-limit`` stops (and saves) a run early, for leases of a few minutes; ``--resume``
continues exactly from ``OUT/ckpt.pt`` (weights + AdamW state); ``--init-from`` continues from
an exported fp16 file (its step is in the metadata) with fresh optimizer moments, for when
only the small file could be carried. ``--time-schedule`` anneals the learning rate over
``--time-limit`` instead of ``--steps`` (a fixed GPU budget). ``--textures DIR`` cuts natural
textures from the images under DIR (default ``$LITLORA_TEXTURES`` or ``../shared/data``;
skipped with a message when absent). Outputs: ``OUT/ckpt.pt``, ``OUT/log.jsonl`` and
``OUT/litlora_tiny.safetensors`` (copy it to ``litlora_widgets/weights/``). The v2 run on a
GPU is ``scripts/train_tiny_gpu.sh``.

Data are a pure function of the step (clip seeds ``TRAIN_SEED_BASE + index``), so a resumed run
sees the same clips as an uninterrupted one; benchmark seeds stay below ``TRAIN_SEED_BASE``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from ..datasets.synthetic import DIFFICULTIES, load_textures, synthetic_clip
from .model import build_tiny_predictor, export_weights

TRAIN_SEED_BASE = 1_000_000
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


class ClipDataset(Dataset):
    """Item ``i``: one synthetic clip and one target object (visible in frame 0)."""

    def __init__(
        self,
        num_frames: int,
        size: int,
        length: int,
        seed_base: int = TRAIN_SEED_BASE,
        mix_end: tuple[float, ...] = (0.2, 0.4, 0.4),
        mix_ramp: float = 0.4,
        textures: list[np.ndarray] | None = None,
    ):
        self.num_frames, self.size, self.length, self.seed_base = (
            num_frames,
            size,
            length,
            seed_base,
        )
        self.mix_end, self.mix_ramp = tuple(mix_end), mix_ramp
        self.textures = textures or None

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int):
        seed = self.seed_base + int(i)
        pick = np.random.default_rng([seed, 7])  # a stream apart from the clip's own
        mix = difficulty_mix(i / self.length, self.mix_end, self.mix_ramp)
        difficulty = str(pick.choice(DIFFICULTIES[: len(mix)], p=mix))
        frames, masks = synthetic_clip(
            seed, self.num_frames, (self.size, self.size), difficulty, textures=self.textures
        )
        labels = [k for k in range(1, int(masks.max()) + 1) if (masks[0] == k).mean() > 0.004]
        k = int(pick.choice(labels)) if labels else 1
        return to_input(frames), torch.from_numpy(masks == k)


def difficulty_mix(
    progress: float, end: tuple[float, ...] = (0.2, 0.4, 0.4), ramp: float = 0.4
) -> list[float]:
    """P(easy, medium, hard[, harder]) at a point of the run: a curriculum from mostly easy
    clips (a model from scratch must first learn to segment at all) to ``end`` at ``ramp`` of
    the run (``ramp`` 0: ``end`` from the start). Three shares: no ``"harder"`` clips."""
    w = 1.0 if ramp <= 0 else min(1.0, progress / ramp)
    start = (0.6, 0.3, 0.1, 0.0)[: len(end)]
    mix = [s + (e - s) * w for s, e in zip(start, end, strict=True)]
    return [m / sum(mix) for m in mix]


def to_input(frames: np.ndarray) -> torch.Tensor:
    """(T,H,W,3) uint8 -> (T,3,H,W) float normalised as SAM2's predictor does."""
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float().div_(255)
    return (x - MEAN) / STD


def frame_loss(multi_logits, ious, obj_logits, gt):
    """SAM2's loss mix on one decoder output. multi_logits (B,M,H,W), ious (B,M), gt (B,1,H,W).

    Only the best of the M masks gets the mask loss (SAM's ambiguity-aware training); the IoU
    head learns all M; masks count only where the object is present.
    """
    logits, tgt = multi_logits.float(), gt.float().expand_as(multi_logits)
    # SAM2 writes -1024 (no gradient) where the object score says "absent": count that as a
    # confident -20 so the loss stays readable; the object-score BCE is what fixes it.
    logits = torch.where(logits < -512, torch.full_like(logits, -20.0), logits)
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, tgt, reduction="none")
    p_t = prob * tgt + (1 - prob) * (1 - tgt)
    alpha_t = 0.25 * tgt + 0.75 * (1 - tgt)
    focal = (alpha_t * ce * (1 - p_t) ** 2).flatten(2).mean(-1)
    inter = (prob * tgt).flatten(2).sum(-1)
    dice = 1 - (2 * inter + 1) / (prob.flatten(2).sum(-1) + tgt.flatten(2).sum(-1) + 1)
    combo = 20 * focal + dice
    mask_loss = combo.min(dim=1).values
    pred = logits > 0
    hard_gt = gt.expand_as(pred)
    true_iou = (pred & hard_gt).flatten(2).sum(-1) / (pred | hard_gt).flatten(2).sum(-1).clamp(
        min=1
    )
    iou_loss = (ious.float() - true_iou).abs().mean(1)
    present = gt.flatten(1).any(1).float()
    obj_loss = F.binary_cross_entropy_with_logits(
        obj_logits.float().view(-1), present, reduction="none"
    )
    return ((mask_loss + iou_loss) * present + obj_loss).mean()


class Fix(NamedTuple):
    """A correction on a later frame: ``"mask"`` (the GT mask) or ``"click"`` (``clicks``
    error-driven clicks), entering memory as a conditioning frame if ``as_cond``."""

    kind: str
    as_cond: bool
    clicks: int = 0


def plan_corrections(
    rng: np.random.Generator,
    t_len: int,
    p_correct: float = 0.7,
    p_mask: float = 0.5,
    p_cond: float = 0.5,
) -> dict[int, Fix]:
    """Which later frames of a clip get a correction: one with probability ``p_correct``, a
    second with half that on clips of 6+ frames; frames 1..T-2 (there is a frame after it
    to learn the carry from) or 1 on 2-frame clips."""
    if t_len < 2 or rng.random() >= p_correct:
        return {}
    pool = np.arange(1, max(2, t_len - 1))
    n = 2 if t_len >= 6 and rng.random() < p_correct / 2 else 1
    frames = sorted(int(f) for f in rng.choice(pool, size=min(n, pool.size), replace=False))
    return {
        f: Fix(
            "mask" if rng.random() < p_mask else "click",
            bool(rng.random() < p_cond),
            int(rng.integers(1, 4)),
        )
        for f in frames
    }


def run_batch(
    model,
    imgs,
    gt,
    rng: np.random.Generator,
    train: bool = True,
    p_click: float = 0.5,
    fixes: dict[int, Fix] | None = None,
    p_correct: float = 0.7,
    memory: dict | None = None,
    after_weight: float = 1.0,
):
    """Track a batch of clips, frame by frame, as SAM2 training does.

    imgs (B,T,3,H,W), gt (B,T,H,W) bool. ``fixes`` corrects later frames (default: planned by
    :func:`plan_corrections` when training, none otherwise); ``after_weight`` weighs the loss
    of the two frames after each correction (what only the memory of it can fix; the mean
    is weighted); ``memory``, if given, receives
    SAM2's output dict (``cond_frame_outputs`` / ``non_cond_frame_outputs``). Returns (mean
    loss, per-frame binary predictions (B,T,H,W) after corrections, frame-0 IoU of the first
    click if clicked else None).
    """
    from sam2.modeling.sam2_utils import get_next_point
    from sam2.utils.misc import concat_points

    b, t_len, _, h, w = imgs.shape
    flat = imgs.transpose(0, 1).reshape(t_len * b, 3, h, w)  # frame-major, like SAM2Train
    feats_out = model.forward_image(flat)
    _, feats, pos, sizes = model._prepare_backbone_features(feats_out)
    out = {"cond_frame_outputs": {}, "non_cond_frame_outputs": {}} if memory is None else memory
    out.setdefault("cond_frame_outputs", {})
    out.setdefault("non_cond_frame_outputs", {})
    use_click = rng.random() < p_click
    n_first = int(rng.integers(0, 3)) if train else 0  # correction clicks after the first one
    if fixes is None:
        fixes = plan_corrections(rng, t_len, p_correct) if train else {}
    losses, weights, preds, click_iou = [], [], [], None
    after = {f + d for f in fixes for d in (1, 2)}
    for t in range(t_len):
        cur_f = [x[:, t * b : (t + 1) * b] for x in feats]
        cur_p = [x[:, t * b : (t + 1) * b] for x in pos]
        g = gt[:, t : t + 1]
        cond = t == 0
        points = mask_in = None
        if cond and use_click:
            pts, lbl = get_next_point(g, None, "uniform")
            points = {"point_coords": pts, "point_labels": lbl}
        elif cond:
            mask_in = g.float()
        cur, sam, hi_feats, pix = model._track_step(
            t, cond, cur_f, cur_p, sizes, points, mask_in, out, t_len, False, None
        )
        _, hi_multi, ious, lo, hi, obj_ptr, obj_logit = sam
        if mask_in is None:
            losses.append(frame_loss(hi_multi, ious, obj_logit, g))
            weights.append(after_weight if t in after else 1.0)
        if cond and use_click:
            click_iou = _iou(hi > 0, g)
        fix = fixes.get(t) if not cond else None
        if fix is not None and fix.kind == "mask":  # the GT mask becomes the output
            cur, sam, hi_feats, pix = model._track_step(
                t, False, cur_f, cur_p, sizes, None, g.float(), out, t_len, False, None
            )
            _, hi_multi, ious, lo, hi, obj_ptr, obj_logit = sam
        n_clicks = (
            n_first if cond and use_click else (fix.clicks if fix and fix.kind == "click" else 0)
        )
        for _ in range(n_clicks):  # clicks refine the memory-conditioned prediction
            pts, lbl = get_next_point(g, hi > 0, "uniform")
            points = concat_points(points, pts, lbl)
            sam = model._forward_sam_heads(
                pix, points, lo, hi_feats, model._use_multimask(cond, points)
            )
            _, hi_multi, ious, lo, hi, obj_ptr, obj_logit = sam
            losses.append(frame_loss(hi_multi, ious, obj_logit, g))
            weights.append(1.0)
        cur.update(pred_masks=lo, pred_masks_high_res=hi, obj_ptr=obj_ptr)
        model._encode_memory_in_output(cur_f, sizes, points, True, hi, obj_logit, cur)
        as_cond = cond or (fix is not None and fix.as_cond)
        out["cond_frame_outputs" if as_cond else "non_cond_frame_outputs"][t] = cur
        preds.append(hi[:, 0] > 0)
    if losses:
        w = torch.tensor(weights, device=imgs.device)
        loss = (torch.stack(losses) * w).sum() / w.sum()
    else:
        loss = imgs.new_zeros(())
    return loss, torch.stack(preds, 1), click_iou


def _iou(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Per-item IoU of boolean masks; 1 when both are empty (DAVIS convention)."""
    inter = (pred & gt).flatten(1).sum(1).float()
    union = (pred | gt).flatten(1).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))


@torch.no_grad()
def quick_eval(model, device, n: int = 64, frames: int = 8, size: int = 128) -> dict[str, float]:
    """Tracking J (mask prompt), first-click IoU and ``val_carry`` on held-out seeds 0..n-1,
    batched. ``val_carry``: the IoU gain on frames 3..T-1 from a GT-mask correction on frame 2
    stored as a non-conditioning frame (what the Session does) — the training loop's cheap
    proxy of the carry-forward bar (which is measured through the Session, on failing clips)."""
    was = model.training
    model.eval()
    ds = ClipDataset(frames, size, n, seed_base=0)
    items = [ds[i] for i in range(n)]
    imgs = torch.stack([x for x, _ in items]).to(device)
    gt = torch.stack([m for _, m in items]).to(device)
    j, c, carry = [], [], []
    fix = {2: Fix("mask", as_cond=False)} if frames > 3 else {}
    for i in range(0, n, 16):
        batch = imgs[i : i + 16], gt[i : i + 16]
        g = gt[i : i + 16]
        with _autocast(device):  # p_click 0: track from the first mask; 1: one first click
            _, pred, _ = run_batch(
                model, *batch, np.random.default_rng(0), train=False, p_click=0.0
            )
            _, _, ciou = run_batch(
                model, *batch, np.random.default_rng(0), train=False, p_click=1.0
            )
            if fix:
                _, fixed, _ = run_batch(
                    model, *batch, np.random.default_rng(0), train=False, p_click=0.0, fixes=fix
                )
        j.append(_iou(pred[:, 1:].reshape(-1, size, size), g[:, 1:].reshape(-1, size, size)))
        c.append(ciou)
        if fix:
            after = fixed[:, 3:].reshape(-1, size, size)
            before = pred[:, 3:].reshape(-1, size, size)
            truth = g[:, 3:].reshape(-1, size, size)
            carry.append(_iou(after, truth) - _iou(before, truth))
    model.train(was)
    res = {"val_J": float(torch.cat(j).mean()), "val_click_iou": float(torch.cat(c).mean())}
    if carry:
        res["val_carry"] = float(torch.cat(carry).mean())
    return res


def _autocast(device, enabled: bool = True):
    """bf16 autocast on CUDA (SAM2's own training and inference precision); fp32 elsewhere."""
    if enabled and torch.device(device).type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    import contextlib

    return contextlib.nullcontext()


def lr_at(step: int, total: int, base: float, warmup: int) -> float:
    if step < warmup:
        return base * (step + 1) / max(warmup, 1)
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p)))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--resume", action="store_true", help="continue from OUT/ckpt.pt")
    ap.add_argument("--init-from", type=Path, help="start from these .safetensors weights")
    ap.add_argument("--steps", type=int, default=4000, help="total steps of the LR schedule")
    ap.add_argument("--time-limit", type=float, default=0, help="stop (and save) after N s")
    ap.add_argument("--stop-at", type=int, default=0, help="stop (and save) at this step")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=128, help="clip size (the model's input)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--clip", type=float, default=5.0, help="gradient-norm clip")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument(
        "--p-click",
        type=float,
        default=0.5,
        help="share of clips started from a click (else from a GT mask)",
    )
    ap.add_argument(
        "--after-weight",
        type=float,
        default=1.0,
        help="loss weight of the two frames after each correction (what only the memory of "
        "the correction can fix; 1: the plain mean)",
    )
    ap.add_argument(
        "--p-correct",
        type=float,
        default=0.7,
        help="share of clips with corrections on later frames (0: v1's recipe-like)",
    )
    ap.add_argument(
        "--mix-end",
        type=float,
        nargs="+",
        default=(0.2, 0.4, 0.4),
        metavar="SHARE",
        help="the mix the curriculum ends at: easy medium hard [harder]",
    )
    ap.add_argument("--mix-ramp", type=float, default=0.4, help="share of the run to get there")
    ap.add_argument(
        "--textures",
        type=Path,
        default=None,
        help="natural images to cut textures from (default $LITLORA_TEXTURES or "
        "../shared/data; skipped when absent)",
    )
    ap.add_argument("--no-textures", action="store_true", help="procedural textures only")
    ap.add_argument(
        "--time-schedule",
        action="store_true",
        help="anneal the LR over --time-limit rather than --steps",
    )
    ap.add_argument("--no-amp", action="store_true", help="fp32 on CUDA (default: bf16)")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--save-every", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-every", type=int, default=500, help="log a 16-clip eval every N")
    ap.add_argument("--eval-clips", type=int, default=64, help="held-out clips for the end eval")
    args = ap.parse_args(argv)
    if len(args.mix_end) not in (3, 4):
        ap.error("--mix-end takes 3 or 4 shares (easy medium hard [harder])")
    if args.time_schedule and not args.time_limit:
        ap.error("--time-schedule needs --time-limit")
    train(args)


def train(args) -> None:
    from tqdm import tqdm

    dev = torch.device(args.device)
    torch.manual_seed(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    args.out.mkdir(parents=True, exist_ok=True)
    model = build_tiny_predictor(weights=None, device=dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    step, rewarm_from = 0, None
    ckpt_path = args.out / "ckpt.pt"
    if args.resume and ckpt_path.is_file():
        ck = torch.load(ckpt_path, map_location=dev, weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optim"])
        step = int(ck["step"])
        print(f"resumed from {ckpt_path} at step {step}")
    elif args.init_from:
        from safetensors import safe_open

        from .model import load_tiny_weights

        load_tiny_weights(model, args.init_from)
        with safe_open(str(args.init_from), "pt") as f:
            step = int((f.metadata() or {}).get("step", 0))
        rewarm_from = step  # fresh Adam moments: warm up again briefly
        print(f"initialised from {args.init_from} (step {step}, optimizer state fresh)")
    textures = None
    if not args.no_textures:
        textures = load_textures(args.textures)
        if textures:
            print(f"natural textures: {len(textures)} images")
    ds = ClipDataset(
        args.frames,
        args.size,
        args.steps * args.batch,
        mix_end=args.mix_end,
        mix_ramp=args.mix_ramp,
        textures=textures,
    )
    start_step = step
    loader = DataLoader(
        ds,
        batch_size=args.batch,
        sampler=range(step * args.batch, args.steps * args.batch),
        num_workers=args.workers,
        pin_memory=dev.type == "cuda",
        persistent_workers=args.workers > 0,
        prefetch_factor=4 if args.workers > 0 else None,
        drop_last=True,
    )
    log = (args.out / "log.jsonl").open("a")
    t0, ema = time.time(), None
    bar = tqdm(total=args.steps, initial=step, desc="litlora-tiny", mininterval=20)
    for imgs, gt in loader:
        if args.time_schedule:  # cosine over the time budget
            frac = min(1.0, (time.time() - t0) / args.time_limit)
            lr = lr_at(int(frac * 10_000), 10_000, args.lr, 0)
            lr *= min(1.0, (step - start_step + 1) / max(args.warmup, 1))
        else:
            lr = lr_at(step, args.steps, args.lr, args.warmup)
        if rewarm_from is not None and step < rewarm_from + 100:
            lr *= (step - rewarm_from + 1) / 100
        for g in opt.param_groups:
            g["lr"] = lr
        imgs, gt = imgs.to(dev, non_blocking=True), gt.to(dev, non_blocking=True)
        torch.manual_seed(args.seed * 1_000_003 + step)
        rng = np.random.default_rng([args.seed, step])
        with _autocast(dev, not args.no_amp):
            loss, _, _ = run_batch(
                model,
                imgs,
                gt,
                rng,
                p_click=args.p_click,
                p_correct=args.p_correct,
                after_weight=args.after_weight,
            )
        if not torch.isfinite(loss):
            print(f"step {step}: non-finite loss, batch skipped")
            opt.zero_grad(set_to_none=True)
            step += 1
            continue
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        step += 1
        lv = loss.item()
        ema = lv if ema is None else 0.98 * ema + 0.02 * lv
        bar.update(1)
        bar.set_postfix(loss=f"{ema:.3f}")
        if step % 50 == 0:
            rec = {
                "step": step,
                "loss": ema,
                "grad_norm": float(gn),
                "lr": opt.param_groups[0]["lr"],
                "elapsed_s": round(time.time() - t0, 1),
            }
            log.write(json.dumps(rec) + "\n")
            log.flush()
        if step % args.save_every == 0:
            _save(model, opt, step, args.out)
        if args.eval_every and step % args.eval_every == 0:
            probe = quick_eval(model, dev, n=16, frames=max(args.frames, 8), size=args.size)
            log.write(json.dumps({"step": step, **probe}) + "\n")
            log.flush()
        if (
            step >= args.steps
            or (args.stop_at and step >= args.stop_at)
            or (args.time_limit and time.time() - t0 > args.time_limit)
        ):
            break
    bar.close()
    train_s = round(time.time() - t0, 1)
    _save(model, opt, step, args.out)
    metrics = quick_eval(model, dev, n=args.eval_clips, frames=max(args.frames, 8), size=args.size)
    rec = {
        "step": step,
        "final": True,
        "loss": ema,
        "train_s": train_s,
        **metrics,
    }
    log.write(json.dumps(rec) + "\n")
    log.close()
    export_weights(model, args.out / "litlora_tiny.safetensors", step=step)
    print(json.dumps(rec))


def _save(model, opt, step: int, out: Path) -> None:
    tmp = out / "ckpt.pt.tmp"
    torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "step": step}, tmp)
    tmp.replace(out / "ckpt.pt")


if __name__ == "__main__":
    main()
