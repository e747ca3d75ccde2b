"""``litlora-eval``: the online evaluation from the command line (see ``evaluate``).

``litlora-eval DATA [--backend ray] [--shard i/N] …`` runs it; ``litlora-eval merge OUT… --out
DIR`` combines the output folders of shards into one summary.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import LitLoraError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="litlora-eval",
        description="Simulated-user online evaluation: corrections needed by SAM2 vs SAM2 + "
        "LIT-LoRA (authors' protocol), with a realistic judge as an option.",
    )
    p.add_argument("data_dir", help="DAVIS-layout folder or <video>/frames + <video>/masks")
    p.add_argument(
        "--model",
        default="random",
        help="'random' (random-weight SAM2), 'litlora-tiny', or a checkpoint path",
    )
    p.add_argument("--config", default=None, help="SAM2 config for a checkpoint path")
    p.add_argument("--sequences", nargs="+", default=None, help="videos to run (default: all)")
    p.add_argument("--resolution", default=None, help="DAVIS resolution folder (default 480p)")
    p.add_argument(
        "--split",
        default=None,
        help="only the videos of ImageSets/SPLIT.txt, as the official evaluations read them "
        "(VOST: val; DAVIS: 2017/val)",
    )
    p.add_argument(
        "--frames-dir",
        default=None,
        help="folder of DATA_DIR to read frames from instead of JPEGImages (VOST: "
        "JPEGImages_10fps, to track through twice the frames; only annotated ones are judged)",
    )
    p.add_argument("--max-frames", type=int, default=None, help="first N frames of each video")
    p.add_argument("--image-size", type=int, default=None, help="SAM2 input size (random model)")
    p.add_argument("--methods", nargs="+", default=["sam2", "lit"], choices=["sam2", "lit"])
    p.add_argument("--threshold", type=float, default=0.5, help="IoU below which a frame fails")
    p.add_argument("--judge", default="oracle", choices=["oracle", "realistic", "both"])
    p.add_argument(
        "--accept-score",
        type=float,
        default=0.5,
        help="realistic judge: model confidence to accept a proposal unseen",
    )
    p.add_argument("--init-epochs", type=int, default=None, help="LIT-LoRA epochs, first")
    p.add_argument("--finetune-epochs", type=int, default=None, help="LIT-LoRA epochs, later")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--device",
        default=None,
        help="cpu, cuda, auto (default: cuda with --gpus-per-video, else cpu)",
    )
    p.add_argument("--out", default="litlora-eval-out", help="output folder")
    p.add_argument("--workers", type=int, default=1, help="videos in parallel processes")
    p.add_argument(
        "--backend",
        default=None,
        choices=["serial", "process", "ray"],
        help="where videos run (default: process with --workers > 1, else serial); "
        "ray needs pip install 'litlora-widgets[ray]'",
    )
    p.add_argument(
        "--address",
        default=None,
        help="Ray cluster address ('auto': the running cluster; default: $RAY_ADDRESS or the "
        "cluster last started here, else a new local one)",
    )
    p.add_argument("--gpus-per-video", type=float, default=0.0, help="Ray: GPUs per video task")
    p.add_argument("--cpus-per-video", type=float, default=1.0, help="Ray: CPUs per video task")
    p.add_argument(
        "--shard",
        default=None,
        help="i/N: run videos i, i+N, … only (0 <= i < N); combine the --out "
        "folders with `litlora-eval merge`",
    )
    p.add_argument(
        "--cost",
        nargs="+",
        default=None,
        metavar="KEY=SECONDS",
        help="annotation-time cost model, e.g. click=2 mask=30 review=2 accept=0.5 training=1 "
        "check=1 (assumed defaults; see evaluation/cost.py)",
    )
    p.add_argument(
        "--challenging-min",
        type=int,
        default=10,
        help="SAM2 corrections that make an object 'challenging' (report subset)",
    )
    p.add_argument(
        "--review",
        type=float,
        default=None,
        metavar="K_FRAC",
        help="also measure the review queue: recall of failing frames in the top K_FRAC of "
        "tracked frames (e.g. 0.1), vs SAM2's predicted IoU alone and frames in order",
    )
    p.add_argument("--overwrite", action="store_true", help="redo videos already in --out")
    p.add_argument("--no-progress", action="store_true")
    return p


def merge_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="litlora-eval merge",
        description="Combine the --out folders of shard runs into one summary (equal to a "
        "single run's).",
    )
    p.add_argument("shards", nargs="+", help="--out folders of the shard runs")
    p.add_argument("--out", required=True, help="folder for the merged summary")
    return p


def _merge_main(argv) -> int:
    a = merge_parser().parse_args(argv)
    from . import merge
    from .report import markdown

    try:
        s = merge(a.shards, a.out)
    except LitLoraError as e:
        print(f"litlora-eval merge: error: {e}", file=sys.stderr)
        return 2
    print(markdown(s))
    if not s.get("complete"):
        print(
            "litlora-eval merge: some videos have no result yet (or a shard stopped early)",
            file=sys.stderr,
        )
        return 1
    return 1 if s["errors"] else 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "merge":
        return _merge_main(argv[1:])
    a = parser().parse_args(argv)
    device = a.device or ("cuda" if a.gpus_per_video > 0 else "cpu")
    from . import evaluate
    from .report import markdown

    lit = {}
    if a.init_epochs is not None:
        lit["init_epochs"] = a.init_epochs
    if a.finetune_epochs is not None:
        lit["finetune_epochs"] = a.finetune_epochs
    try:
        s = evaluate(
            a.data_dir,
            model=a.model,
            config=a.config,
            sequences=a.sequences,
            max_frames=a.max_frames,
            image_size=a.image_size,
            methods=a.methods,
            threshold=a.threshold,
            judge=a.judge,
            accept_score=a.accept_score,
            seed=a.seed,
            out=a.out,
            workers=a.workers,
            lit_config=lit or None,
            progress=not a.no_progress,
            overwrite=a.overwrite,
            device=device,
            resolution=a.resolution,
            split=a.split,
            frames_dir=a.frames_dir,
            backend=a.backend,
            address=a.address,
            gpus_per_video=a.gpus_per_video,
            cpus_per_video=a.cpus_per_video,
            shard=a.shard,
            cost=a.cost,
            challenging_min=a.challenging_min,
            review=a.review,
        )
    except LitLoraError as e:
        print(f"litlora-eval: error: {e}", file=sys.stderr)
        return 2
    print(markdown(s))
    print(f"results in {a.out}/ (summary.json, summary.md, results.csv, per_frame.csv, *.png)")
    if not s.get("complete"):
        print("litlora-eval: stopped early; re-run the same command to resume", file=sys.stderr)
        return 130 if not s["errors"] else 1
    return 1 if s["errors"] else 0
