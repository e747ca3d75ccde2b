"""One video through the online protocol: ``run_video(spec) -> result dict``.

A pure function of a JSON-able spec (video paths, model, methods, seed), so videos can be
sharded over processes here or over machines by a distributed engine; the caller writes the
results. Methods run paired: every method of a video/object starts from the same first-frame
mask, the same predictor weights and the same seed.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import traceback
from typing import Any

import numpy as np

from ..errors import Cancelled, LitLoraError
from ..masks import boundary_f, mask_iou
from .datasets import GroundTruth, VideoSpec, load_ground_truth
from .user import MAX_CLICKS, model_confidence, next_click

_PREDICTORS: dict[tuple, Any] = {}  # per process: workers build their model once


def run_keys(methods, judge: str) -> list[tuple[str, str, str | None]]:
    """(result key, method, judge) for each run: ``lit`` uses the chosen judge; with
    ``judge="both"`` the realistic run is ``lit_realistic``."""
    keys: list[tuple[str, str, str | None]] = []
    for m in methods:
        if m == "sam2":
            keys.append(("sam2", "sam2", None))
        elif judge == "both":
            keys += [("lit", "lit", "oracle"), ("lit_realistic", "lit", "realistic")]
        else:
            keys.append(("lit", "lit", judge))
    return keys


def config_key(spec: dict) -> str:
    """Fingerprint of everything that changes a video's numbers (resume only reuses matches)."""
    keep = {
        k: spec[k]
        for k in (
            "model",
            "methods",
            "threshold",
            "judge",
            "accept_score",
            "seed",
            "max_frames",
            "lit_config",
        )
    }
    if spec.get("review"):  # only when asked, so older result folders keep their key
        keep["review"] = spec["review"]
    if spec.get("frames_dir"):  # frames read from another folder (VOST's JPEGImages_10fps)
        keep["frames_dir"] = spec["frames_dir"]
    return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:16]


def get_predictor(model: dict, seed: int):
    """Build (once per process) the predictor; random weights are drawn from ``seed``."""
    import torch

    from ..build_sam import load_predictor

    key = (
        model.get("checkpoint"),
        model.get("config"),
        model.get("image_size"),
        model.get("device", "cpu"),
        seed,
    )
    if key not in _PREDICTORS:
        torch.manual_seed(seed)
        ckpt = model.get("checkpoint") or "random"
        _PREDICTORS.clear()
        _PREDICTORS[key] = load_predictor(
            None if ckpt == "random" else ckpt,
            config=model.get("config"),
            image_size=model.get("image_size"),
            device=model.get("device", "cpu"),
            quiet=True,
        )
    return _PREDICTORS[key]


def _seed(seed: int) -> None:
    import torch

    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)


def _video_input(gt: GroundTruth):
    """The session's video: the folder or file when every frame is used, else the first N."""
    from ..video import VideoSource

    if isinstance(gt.video, list):
        from PIL import Image

        return VideoSource.open([np.asarray(Image.open(p).convert("RGB")) for p in gt.video])
    src = VideoSource.open(gt.video)
    if src.num_frames > gt.num_frames:
        return VideoSource.open([np.asarray(src.frame(i)) for i in range(gt.num_frames)])
    return src


def _run_object(
    predictor,
    video,
    gt: GroundTruth,
    obj: int,
    method: str,
    judge: str | None,
    spec: dict,
    cancel: threading.Event | None,
    bar,
) -> dict:
    """One object from its first annotated frame to its end; only annotated frames are judged
    (and corrected), the frames between them are tracked as the user would see them."""
    from ..engine.experts import LitConfig
    from ..session import Session

    thr = float(spec["threshold"])
    lit = method == "lit"
    _seed(spec["seed"])
    cfg = LitConfig(**{**spec.get("lit_config", {}), "seed": spec["seed"]})
    cfg.targets = tuple(cfg.targets)
    start = gt.starts[obj]
    judged = set(gt.judged(obj))
    rec: dict[str, Any] = dict(
        obj_id=obj,
        method=method,
        judge=judge,
        start=start,
        corrections=0,
        click_corrections=0,
        mask_corrections=0,
        clicks=0,
        accepts=0,
        auto_accepts=0,
        bad_accepts=0,
        reviews=0,
        train_seconds=[],
        new_experts=0,
        events=[],
        per_frame=[],
    )
    t0 = time.perf_counter()
    # batch runs keep no autosave journal
    s = Session(predictor, video, lit=lit, lit_config=cfg, undo_depth=2, autosave=False)
    try:
        s.add_object(obj_id=obj)
        s.add_mask(start, obj, gt.mask(start, obj))
        gen = None
        last = max(judged, default=start)
        for t in range(start + 1, last + 1):
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"evaluation cancelled at frame {t}")
            if gen is None:
                gen = s.propagate(start_frame=t, max_frames=last - t, progress=False)
            ft, masks = next(gen)
            assert ft == t, (ft, t)
            if t not in judged:
                continue
            # void pixels (label 255) are background here, as in the official DAVIS, VOST and
            # LVOS evaluations (see datasets.VOID)
            g, pred = gt.mask(t, obj), masks[obj]
            j_b, f_b = mask_iou(pred, g), boundary_f(pred, g)
            action, nclicks = "none", 0
            if j_b < thr:
                gen.close()
                gen = None
                action, nclicks = _fix_frame(s, t, obj, pred, g, thr, lit, judge, spec, rec)
            final = s.mask(t, obj)
            rec["per_frame"].append(
                dict(
                    frame=t,
                    j_before=j_b,
                    f_before=f_b,
                    j=mask_iou(final, g),
                    f=boundary_f(final, g),
                    action=action,
                    clicks=nclicks,
                )
            )
            if bar is not None:
                bar.update(1)
        if gen is not None:
            gen.close()
        rec["experts"] = s.experts(obj).num_experts if lit else 0
    finally:
        s.close()
    pf = rec["per_frame"]
    for key in ("j", "f", "j_before", "f_before"):
        rec[f"mean_{key}"] = float(np.mean([r[key] for r in pf])) if pf else float("nan")
    rec["frames"] = len(pf)
    rec["seconds"] = time.perf_counter() - t0
    return rec


def _fix_frame(s, t, obj, pred, g, thr, lit, judge, spec, rec) -> tuple[str, int]:
    """An error frame: experts first (LIT), else the user's correction. Returns the action."""
    cands, ious = [], []
    if lit and s.experts(obj).num_experts:
        cands = s.candidates(t, obj)[1:]
        ious = [mask_iou(c.mask, g) for c in cands]
        best = int(np.argmax(ious))
        if judge == "oracle":
            if ious[best] > thr:
                s.accept(t, obj, best + 1)
                rec["accepts"] += 1
                rec["events"].append(
                    dict(frame=t, action="accept", expert=cands[best].expert, iou=ious[best])
                )
                return "accept", 0
        else:
            conf = [model_confidence(c.score, c.obj_score) for c in cands]
            top = int(np.argmax(conf))
            if conf[top] >= spec["accept_score"]:  # trusted without looking
                s.accept(t, obj, top + 1)
                rec["accepts"] += 1
                rec["auto_accepts"] += 1
                rec["bad_accepts"] += int(ious[top] <= thr)
                rec["events"].append(
                    dict(
                        frame=t,
                        action="auto_accept",
                        expert=cands[top].expert,
                        iou=ious[top],
                        confidence=conf[top],
                    )
                )
                return "auto_accept", 0
            rec["reviews"] += 1  # the user looks at the proposals
            if ious[best] > thr:
                s.accept(t, obj, best + 1)
                rec["accepts"] += 1
                rec["events"].append(
                    dict(frame=t, action="review_accept", expert=cands[best].expert, iou=ious[best])
                )
                return "review_accept", 0
    return _correct(s, t, obj, pred, g, thr, lit, rec, cands)


def _correct(s, t, obj, pred, g, thr, lit, rec, cands) -> tuple[str, int]:
    """Up to 3 clicks (IoU re-checked after each), then the full mask; one training."""
    cur, clicks, last = pred, 0, None
    fixed = False
    for _ in range(MAX_CLICKS):
        c = next_click(cur, g)
        if c is None:
            break
        last = c
        cur = s.correct(t, obj, points=[[c.x, c.y]], labels=[c.label], train=False).mask
        clicks += 1
        if mask_iou(cur, g) >= thr:
            fixed = True
            break
    if fixed:
        kind = "click"
        if lit:  # redo the last click with training: the correction's final state trains once
            s.undo()
            res = s.correct(t, obj, points=[[last.x, last.y]], labels=[last.label], train=True)
        else:
            res = None
    else:
        kind = "mask"
        res = s.correct(t, obj, mask=g, train=True)
    target = s.mask(t, obj)
    rec["corrections"] += 1
    rec["clicks"] += clicks
    rec[f"{kind}_corrections"] += 1
    ev = dict(
        frame=t,
        action=kind,
        clicks=clicks,
        iou_after=mask_iou(target, g),
        best_expert_iou=max((mask_iou(c.mask, target) for c in cands), default=None),
        experts_before=len(cands),
    )
    if res is not None and res.trained:
        rec["train_seconds"].append(res.train_seconds)
        rec["new_experts"] += int(res.new_expert)
        ev.update(
            trained=True,
            expert=res.expert,
            new_expert=res.new_expert,
            train_seconds=res.train_seconds,
            train_iou=res.train_iou,
            epochs=res.epochs,
        )
    rec["events"].append(ev)
    return kind, clicks


def _review(predictor, video, gt: GroundTruth, spec: dict) -> list[dict]:
    """The review queue measured per object on a plain SAM2 pass (see ``review_eval``)."""
    from .review_eval import measure_review

    rows = []
    for obj in gt.objects:
        s, e = gt.starts[obj], gt.ends[obj]
        masks = {t: gt.mask(t, obj) for t in gt.annotated if s <= t <= e}
        _seed(spec["seed"])
        r = measure_review(
            predictor,
            video,
            masks,
            start=s,
            k_frac=float(spec["review"]),
            threshold=float(spec["threshold"]),
        )
        rows.append({"obj_id": obj, **r})
    return rows


def run_video(spec: dict, cancel: threading.Event | None = None) -> dict:
    """Evaluate one video with every method; errors are returned, not raised (except
    cancellation), so one bad video never stops the others."""
    vs = VideoSpec(**spec["video"])
    out: dict[str, Any] = {"video": vs.name, "config_key": config_key(spec), "status": "ok"}
    t0 = time.perf_counter()
    try:
        if spec.get("threads"):
            import torch

            torch.set_num_threads(int(spec["threads"]))
        gt = load_ground_truth(vs, spec.get("max_frames"))
        predictor = get_predictor(spec["model"], spec["seed"])
        video = _video_input(gt)
        out.update(
            frames=gt.num_frames,
            annotated=len(gt.annotated),
            height=gt.height,
            width=gt.width,
            objects=gt.objects,
            layout=vs.layout,
        )
        keys = run_keys(spec["methods"], spec["judge"])
        bar = None
        if spec.get("progress"):
            from tqdm.auto import tqdm

            bar = tqdm(
                total=len(keys) * sum(len(gt.judged(o)) for o in gt.objects),
                desc=vs.name,
                unit="frame",
                leave=False,
            )
        try:
            runs = {}
            for key, method, judge in keys:
                runs[key] = {
                    "method": method,
                    "judge": judge,
                    "objects": [
                        _run_object(predictor, video, gt, obj, method, judge, spec, cancel, bar)
                        for obj in gt.objects
                    ],
                }
        finally:
            if bar is not None:
                bar.close()
        out["runs"] = runs
        if spec.get("review"):
            out["review"] = _review(predictor, video, gt, spec)
    except (Cancelled, KeyboardInterrupt):
        raise
    except LitLoraError as e:
        out.update(status="error", error=str(e))
    except Exception as e:  # an unexpected failure is recorded with its traceback
        out.update(
            status="error",
            error=f"video {vs.name}: {type(e).__name__}: {e}",
            traceback=traceback.format_exc(),
        )
    out["seconds"] = time.perf_counter() - t0
    return out
