"""Online evaluation: how many corrections LIT-LoRA saves over SAM2, with a simulated user.

``evaluate`` runs every video (in parallel processes with ``workers > 1``), writes each
video's result as soon as it finishes, skips videos already done in ``out`` (resume), and
returns the summary. ``litlora-eval`` is its command line.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from ..errors import Cancelled, InputError
from . import report
from .datasets import discover
from .runner import config_key, get_predictor, run_keys, run_video

__all__ = ["evaluate", "run_video"]

METHODS = ("sam2", "lit")
JUDGES = ("oracle", "realistic", "both")


def _model_spec(model: str, config, image_size, device: str) -> dict:
    m = str(model)
    if m not in ("random", "litlora-tiny") and not Path(m).expanduser().is_file():
        raise InputError(
            f"--model {m!r}: not 'random', 'litlora-tiny' or an existing checkpoint file"
        )
    ckpt = m if m in ("random", "litlora-tiny") else str(Path(m).expanduser().resolve())
    return {"checkpoint": ckpt, "config": None if config is None else str(config),
            "image_size": image_size, "device": device}  # fmt: skip


def evaluate(
    data_dir,
    *,
    model: str = "random",
    config=None,
    sequences=None,
    max_frames: int | None = None,
    image_size: int | None = None,
    methods=METHODS,
    threshold: float = 0.5,
    judge: str = "oracle",
    accept_score: float = 0.5,
    seed: int = 0,
    out=None,
    workers: int = 1,
    lit_config=None,
    progress: bool = True,
    overwrite: bool = False,
    device: str = "cpu",
    resolution: str | None = None,
    cancel: threading.Event | None = None,
) -> dict:
    """Evaluate ``methods`` on every video of ``data_dir``; returns the summary dict.

    ``model``: "random" (random-weight SAM2 at ``image_size``), "litlora-tiny", or a
    checkpoint path (with ``config``). ``judge``: "oracle" (the authors' GT pick among the
    experts), "realistic" (the model's own scores, a review when the user must look) or
    "both" (adds ``lit_realistic``). With ``out`` set, finished videos are skipped on a re-run
    unless ``overwrite``. ``cancel`` (an Event) or Ctrl-C stops after keeping finished videos.
    """
    methods = list(dict.fromkeys(methods))
    if not methods or set(methods) - set(METHODS):
        raise InputError(f"methods must be a non-empty subset of {METHODS}, got {methods}")
    if judge not in JUDGES:
        raise InputError(f"judge must be one of {JUDGES}, got {judge!r}")
    if not 0 < threshold < 1:
        raise InputError(f"threshold must be in (0, 1), got {threshold}")
    if max_frames is not None and max_frames < 2:
        raise InputError("max_frames must be at least 2 (a first frame and one to track)")
    if workers < 1:
        raise InputError(f"workers must be >= 1, got {workers}")
    from ..build_sam import default_lit_config, model_info
    from ..engine.experts import LitConfig

    spec = _model_spec(model, config, image_size, device)
    predictor = get_predictor(spec, seed)  # fails early on a bad model
    lc = lit_config if lit_config is not None else default_lit_config(predictor)
    lc = LitConfig(**lc) if isinstance(lc, dict) else lc
    lc.validate()
    lc_dict = {k: v for k, v in lc.to_dict().items() if k != "seed"}
    base = dict(
        model=spec, methods=methods, threshold=float(threshold), judge=judge,
        accept_score=float(accept_score), seed=int(seed), max_frames=max_frames,
        lit_config=lc_dict,
    )  # fmt: skip

    info = model_info(predictor)
    keys = [k for k, _, _ in run_keys(methods, judge)]
    meta = {"config": {**base, "data_dir": str(data_dir), "sequences": sequences},
            "config_key": config_key(base), "model_name": info.name,
            "random_weights": info.random_weights, "image_size": info.image_size}  # fmt: skip

    specs = discover(data_dir, sequences, resolution)
    outdir = None if out is None else Path(out).expanduser()
    done: dict[str, dict] = {}
    if outdir is not None:
        (outdir / "videos").mkdir(parents=True, exist_ok=True)
        for vs in specs:
            p = outdir / "videos" / f"{vs.name}.json"
            if p.is_file() and not overwrite:
                r = report.read_json(p)
                if r.get("status") != "ok":
                    continue  # errors are retried: the data may have been fixed
                if r.get("config_key") != meta["config_key"]:
                    raise InputError(
                        f"{p} was made with other settings; use --overwrite to redo it or "
                        "another --out folder"
                    )
                done[vs.name] = r
    todo = [vs for vs in specs if vs.name not in done]
    results: dict[str, dict] = dict(done)

    def finish(r: dict) -> None:
        results[r["video"]] = r
        if outdir is not None:
            report.write_json(outdir / "videos" / f"{r['video']}.json", r)
            _write_outputs(outdir, [results[v.name] for v in specs if v.name in results],
                           keys, meta, figures=False)  # fmt: skip

    from tqdm.auto import tqdm

    bar = tqdm(total=len(specs), initial=len(done), desc="videos", unit="video",
               disable=not progress)  # fmt: skip
    interrupted = False
    try:
        if workers == 1 or len(todo) <= 1:
            for vs in todo:
                finish(run_video({**base, "video": vs.to_dict(), "progress": progress}, cancel))
                bar.update(1)
        else:
            interrupted = _run_parallel(todo, base, workers, finish, bar, cancel)
    except (KeyboardInterrupt, Cancelled):
        interrupted = True
    finally:
        bar.close()
    ordered = [results[v.name] for v in specs if v.name in results]
    summary = report.summarize(ordered, keys, meta)
    summary["complete"] = not interrupted and len(ordered) == len(specs)
    if outdir is not None:
        summary = _write_outputs(outdir, ordered, keys, meta, figures=True,
                                 complete=summary["complete"])  # fmt: skip
    return report.clean(summary)  # plain JSON types, as in summary.json


def _run_parallel(todo, base, workers, finish, bar, cancel) -> bool:
    """Videos in spawned processes (fork is unsafe with torch threads); True if stopped."""
    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = multiprocessing.get_context("spawn")
    ex = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        pending = {ex.submit(run_video, {**base, "video": vs.to_dict(), "progress": False,
                                         "threads": threads}) for vs in todo}  # fmt: skip
        while pending:
            fin, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for f in fin:
                finish(f.result())
                bar.update(1)
            if cancel is not None and cancel.is_set():
                raise Cancelled("evaluation cancelled")
    except BaseException:
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown()
    return False


def _write_outputs(outdir: Path, results: list[dict], keys, meta, *, figures: bool,
                   complete: bool = False) -> dict[str, Any]:  # fmt: skip
    summary = report.summarize(results, keys, meta)
    summary["complete"] = complete
    report.write_json(outdir / "summary.json", summary)
    report.write_tables(outdir, results)
    (outdir / "summary.md").write_text(report.markdown(summary))
    if figures:
        report.figures(outdir, results, summary)
    return summary
