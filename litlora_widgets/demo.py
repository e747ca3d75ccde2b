"""The quickstart run from a terminal: ``python -m litlora_widgets.demo``.

Opens the embedded synthetic video (or ``--video``), starts an object from its first-frame
mask, tracks it, and plays the annotator: wherever the mask goes wrong (IoU < 0.5 against the
clip's ground truth) it first asks the LoRA experts for a candidate and accepts a good one,
else corrects the frame — which trains an expert on the spot. It prints what happened and
writes the masks (COCO JSON), the experts (safetensors) and an IoU plot to ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def _load_model(checkpoint: str | None, config: str | None):
    from .build_sam import TINY_WEIGHTS, default_predictor, load_predictor

    if checkpoint:
        return load_predictor(checkpoint, config=config)
    if not TINY_WEIGHTS.exists():
        print("(embedded model weights not found: using a random-weight SAM2 at 256 px)")
    return default_predictor()


def run(
    out: Path,
    frames: int,
    seed: int,
    checkpoint: str | None,
    config: str | None,
    threshold: float = 0.5,
    difficulty: str = "hard",
) -> dict:
    from .datasets import demo_clip
    from .masks import mask_iou
    from .session import Session

    video, labels = demo_clip(seed=seed, num_frames=frames, size=(240, 320), difficulty=difficulty)
    gt = labels == 1
    predictor = _load_model(checkpoint, config)
    session = Session(predictor, video)
    print(f"{session}\n")
    obj = session.add_object("object 1")
    session.add_mask(0, obj, gt[0])
    session.set_reference({t: {obj: gt[t]} for t in range(len(gt))})

    plain = {t: mask_iou(m[obj], gt[t]) for t, m in session.propagate(progress=False)}
    print(f"SAM2 alone, from the first-frame mask: mean IoU {np.mean(list(plain.values())):.3f}")

    corrections = accepts = 0
    train_times = []
    accepted: dict[int, float] = {}  # frame -> IoU of the accepted candidate
    t = 1
    while t < session.num_frames:
        if mask_iou(session.mask(t, obj), gt[t]) >= threshold:
            t += 1
            continue
        cands = session.candidates(t, obj)
        scored = [(mask_iou(c.mask, gt[t]), i) for i, c in enumerate(cands) if c.expert is not None]
        best = max(scored, default=(0.0, None))
        if best[1] is not None and best[0] > threshold:
            session.accept(t, obj, best[1])
            accepts += 1
            accepted[t] = best[0]
            how = f"accepted expert {cands[best[1]].expert + 1}'s candidate (IoU {best[0]:.2f})"
        else:
            res = session.correct(t, obj, mask=gt[t])
            corrections += 1
            train_times.append(res.train_seconds)
            if res.expert is None:
                how = f"corrected; training did not beat plain SAM2 ({res.epochs} epochs)"
            else:
                how = (
                    f"corrected; trained expert {res.expert + 1} in {res.train_seconds:.2f} s "
                    f"(IoU on that frame {res.iou_before:.2f} -> {res.train_iou:.2f})"
                )
        print(f"  frame {t:3d}: {how}")
        for _ in session.propagate(start_frame=t, progress=False):
            pass
        t += 1

    final = session.reference_iou(obj)
    summary = {
        "model": session.model_name,
        "frames": session.num_frames,
        "sam2_mean_iou": float(np.mean(list(plain.values()))),
        "final_mean_iou": float(np.mean(list(final.values()))),
        "corrections": corrections,
        "accepts": accepts,
        "median_train_seconds": float(np.median(train_times)) if train_times else 0.0,
        "accepted": accepted,
        "final_iou": {int(f): float(v) for f, v in final.items()},
    }
    out.mkdir(parents=True, exist_ok=True)
    session.export_coco(out / "masks.json")
    if session.experts(obj).num_experts:
        session.save_adapters(out / "experts.safetensors", obj_id=obj)
    _plot(out / "iou.png", plain, final)
    print(
        f"\ncorrections: {corrections}, accepted candidates: {accepts}, "
        f"median training per correction: {summary['median_train_seconds']:.2f} s\n"
        f"mean IoU: SAM2 alone {summary['sam2_mean_iou']:.3f} -> with corrections "
        f"{summary['final_mean_iou']:.3f}\nwrote {out}/masks.json, experts.safetensors, iou.png"
    )
    session.close()
    return summary


def _plot(path: Path, plain: dict, final: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(list(plain), list(plain.values()), label="SAM2 alone", color="#888")
    ax.plot(
        list(final), list(final.values()), label="after corrections + LIT-LoRA", color="#e6194b"
    )
    ax.set(xlabel="frame", ylabel="IoU vs ground truth", ylim=(0, 1.02))
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("demo_output"))
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument(
        "--difficulty",
        default="hard",
        choices=("easy", "medium", "hard"),
        help="of the synthetic clip: hard has distractors and occluders to correct",
    )
    ap.add_argument("--checkpoint", help="official SAM2 checkpoint (.pt / .safetensors)")
    ap.add_argument("--config", help="config of that checkpoint, e.g. sam2.1_hiera_t")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    run(args.out, args.frames, args.seed, args.checkpoint, args.config, difficulty=args.difficulty)
    print(f"done in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
