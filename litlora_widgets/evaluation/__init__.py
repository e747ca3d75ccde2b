"""Online evaluation: how many corrections LIT-LoRA saves over SAM2, with a simulated user.

``evaluate`` runs every video (serially, in parallel processes with ``workers > 1``, or as Ray
tasks with ``backend="ray"``), writes each video's result as soon as it finishes, skips videos
already done in ``out`` (resume, whichever backend wrote them), and returns the summary.
``shard=(i, n)`` runs every n-th video from the i-th, for schedulers without Ray;
``merge`` combines shard folders into the summary of one run. ``litlora-eval`` is the command
line.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

from ..errors import Cancelled, InputError
from . import report
from .backends import BACKENDS, run_processes, run_ray, run_serial
from .cost import CostModel
from .datasets import discover
from .runner import config_key, get_predictor, run_keys, run_video

__all__ = ["evaluate", "merge", "parse_shard", "run_video"]

METHODS = ("sam2", "lit")
JUDGES = ("oracle", "realistic", "both")


def _model_spec(model: str, config, image_size, device: str) -> dict:
    m = str(model)
    if m not in ("random", "litlora-tiny") and not Path(m).expanduser().is_file():
        raise InputError(
            f"--model {m!r}: not 'random', 'litlora-tiny' or an existing checkpoint file"
        )
    ckpt = m if m in ("random", "litlora-tiny") else str(Path(m).expanduser().resolve())
    return {
        "checkpoint": ckpt,
        "config": None if config is None else str(config),
        "image_size": image_size,
        "device": device,
    }


def _lit_config(given, model_default):
    """The LitConfig a run uses: a ``LitConfig`` as given; a dict changes only its keys of the
    model's tuned settings (``--init-epochs 3`` keeps litlora-tiny's learning rate)."""
    if given is None:
        lc = model_default
    elif isinstance(given, dict):
        names = {f.name for f in dataclasses.fields(model_default)}
        for key in given:
            if key not in names:
                raise InputError(
                    f"lit_config: {key!r} is not a LIT-LoRA setting; use one of "
                    f"{', '.join(sorted(names))}"
                )
        lc = dataclasses.replace(model_default, **given)
    else:
        lc = given
    lc.validate()
    return lc


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
    split: str | None = None,
    frames_dir: str | None = None,
    cancel: threading.Event | None = None,
    backend: str | None = None,
    address: str | None = None,
    gpus_per_video: float = 0.0,
    cpus_per_video: float = 1.0,
    shard: tuple[int, int] | str | None = None,
    cost=None,
    challenging_min: int = report.CHALLENGING_MIN,
    review: float | None = None,
) -> dict:
    """Evaluate ``methods`` on every video of ``data_dir``; returns the summary dict.

    ``model``: "random" (random-weight SAM2 at ``image_size``), "litlora-tiny", or a
    checkpoint path (with ``config``). ``judge``: "oracle" (the authors' GT pick among the
    experts), "realistic" (the model's own scores, a review when the user must look) or
    "both" (adds ``lit_realistic``). With ``out`` set, finished videos are skipped on a re-run
    unless ``overwrite``. ``cancel`` (an Event) or Ctrl-C stops after keeping finished videos.

    ``backend``: "serial", "process" (``workers`` processes) or "ray" (one task per video with
    ``cpus_per_video`` / ``gpus_per_video`` on the cluster at ``address``; needs the ``ray``
    extra); default "process" when ``workers > 1``, else "serial". ``shard``: ``(i, n)`` or
    ``"i/n"`` (0 <= i < n) runs videos i, i+n, i+2n, … of the dataset's order.
    ``cost``: the annotation-time cost model (``cost.CostModel``, a dict or ``["click=2"]``);
    ``challenging_min``: SAM2 corrections that make an object "challenging" (report only).
    ``lit_config``: a ``LitConfig`` (used as given) or a dict of its fields, which changes only
    those of the model's tuned settings (``build_sam.default_lit_config``).
    ``review``: also measure the review queue at k = this fraction of tracked frames (one more
    plain SAM2 pass per object). ``split`` / ``frames_dir``: which videos and which frame
    folder (see :func:`.datasets.discover`).
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
    backend = backend or ("process" if workers > 1 else "serial")
    if backend not in BACKENDS:
        raise InputError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "ray":
        from .backends import import_ray

        import_ray()  # fails early, naming the extra to install
    shard = parse_shard(shard) if shard is not None else None
    from ..build_sam import default_lit_config, model_info

    cost_model = CostModel.parse(cost)
    if review is not None and not 0 < review <= 1:
        raise InputError(f"review must be a fraction of frames in (0, 1], got {review}")
    if challenging_min < 1:
        raise InputError(f"challenging_min must be >= 1, got {challenging_min}")
    spec = _model_spec(model, config, image_size, device)
    # fails early on a bad model; a Ray driver may have no GPU, its workers build their own
    predictor = get_predictor({**spec, "device": "cpu"} if backend == "ray" else spec, seed)
    lc = _lit_config(lit_config, default_lit_config(predictor))
    lc_dict = {k: v for k, v in lc.to_dict().items() if k != "seed"}
    base = dict(
        model=spec,
        methods=methods,
        threshold=float(threshold),
        judge=judge,
        accept_score=float(accept_score),
        seed=int(seed),
        max_frames=max_frames,
        lit_config=lc_dict,
        **({"review": float(review)} if review else {}),
        **({"frames_dir": frames_dir} if frames_dir else {}),  # other frames: other results
    )

    info = model_info(predictor)
    keys = [k for k, _, _ in run_keys(methods, judge)]
    meta = {
        "config": {
            **base,
            "data_dir": str(data_dir),
            "sequences": sequences,
            "resolution": resolution,
            "split": split,
        },
        "config_key": config_key(base),
        "model_name": info.name,
        "random_weights": info.random_weights,
        "image_size": info.image_size,
        "cost_model": cost_model.to_dict(),
        "challenging_min": int(challenging_min),
    }

    specs = discover(data_dir, sequences, resolution, split=split, frames_dir=frames_dir)
    if shard is not None:
        specs = specs[shard[0] :: shard[1]]
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
            _write_outputs(
                outdir,
                [results[v.name] for v in specs if v.name in results],
                keys,
                meta,
                figures=False,
            )

    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(specs), initial=len(done), desc="videos", unit="video", disable=not progress
    )

    def finish_one(r: dict) -> None:
        finish(r)
        bar.update(1)

    jobs = [
        {**base, "video": vs.to_dict(), "progress": progress and backend == "serial"} for vs in todo
    ]
    interrupted = False
    try:
        if backend == "ray" and jobs:
            run_ray(
                jobs,
                finish_one,
                cancel,
                address=address,
                cpus_per_video=cpus_per_video,
                gpus_per_video=gpus_per_video,
            )
        elif backend == "process" and len(jobs) > 1:
            run_processes(jobs, workers, finish_one, cancel)
        else:
            run_serial(jobs, finish_one, cancel)
    except (KeyboardInterrupt, Cancelled):
        interrupted = True
    finally:
        bar.close()
    ordered = [results[v.name] for v in specs if v.name in results]
    summary = report.summarize(ordered, keys, meta)
    summary["complete"] = not interrupted and len(ordered) == len(specs)
    if outdir is not None:
        summary = _write_outputs(
            outdir, ordered, keys, meta, figures=True, complete=summary["complete"]
        )
    return report.clean(summary)  # plain JSON types, as in summary.json


def parse_shard(shard) -> tuple[int, int]:
    """``"i/n"`` or ``(i, n)`` with ``0 <= i < n`` (e.g. ``$SLURM_ARRAY_TASK_ID/8``)."""
    try:
        i, n = (int(x) for x in (shard.split("/") if isinstance(shard, str) else shard))
    except (ValueError, TypeError) as e:
        raise InputError(f"--shard must look like i/N (e.g. 0/4), got {shard!r}") from e
    if n < 1 or not 0 <= i < n:
        raise InputError(
            f"--shard {i}/{n}: need N >= 1 and 0 <= i < N (shards 0/{n} … {max(n - 1, 0)}/{n})"
        )
    return i, n


def merge(shard_dirs, out, *, figures: bool = True) -> dict:
    """Combine the ``--out`` folders of shard runs (or of any runs with the same settings) into
    one summary in ``out``, equal to a single run's (timing aside).

    Refuses folders made with other settings. Videos are ordered as the dataset lists them
    when its folder is still there. ``complete`` is true only when every video of the dataset
    (or every video the shards ran, if the dataset folder is gone) has a result.
    """
    from .datasets import natural_key

    dirs = [Path(d).expanduser() for d in shard_dirs]
    if not dirs:
        raise InputError("merge needs at least one shard folder")
    metas = []
    for d in dirs:
        p = d / "summary.json"
        if not p.is_file():
            raise InputError(f"{d} has no summary.json; pass the --out folders of shard runs")
        metas.append(report.read_json(p))
    ref = metas[0]
    for d, m in zip(dirs[1:], metas[1:], strict=True):
        if m.get("config_key") != ref.get("config_key"):
            raise InputError(
                f"{d} was made with other settings than {dirs[0]} (model, methods, seed, …); "
                "merge only shards of one run"
            )
    meta = {
        k: ref[k]
        for k in (
            "config",
            "config_key",
            "model_name",
            "random_weights",
            "image_size",
            "cost_model",
            "challenging_min",
        )
        if k in ref
    }
    results: dict[str, dict] = {}
    for d in dirs:
        for p in sorted((d / "videos").glob("*.json")):
            r = report.read_json(p)
            if r.get("config_key", meta["config_key"]) != meta["config_key"]:
                raise InputError(f"{p} was made with other settings; re-run that video")
            old = results.get(r["video"])
            if old is None or old.get("status") != "ok":  # an ok result beats an error
                results[r["video"]] = r
    cfg = meta["config"]
    try:
        order = [
            s.name
            for s in discover(
                cfg["data_dir"],
                cfg.get("sequences"),
                cfg.get("resolution"),
                split=cfg.get("split"),
                frames_dir=cfg.get("frames_dir"),
            )
        ]
    except InputError:
        order = sorted(results, key=natural_key)
    ordered = [results[v] for v in order if v in results]
    keys = [k for k, _, _ in run_keys(cfg["methods"], cfg["judge"])]
    complete = len(ordered) == len(order) and all(m.get("complete") for m in metas)
    outdir = Path(out).expanduser()
    (outdir / "videos").mkdir(parents=True, exist_ok=True)
    for r in ordered:
        report.write_json(outdir / "videos" / f"{r['video']}.json", r)
    summary = _write_outputs(outdir, ordered, keys, meta, figures=figures, complete=complete)
    return report.clean(summary)


def _write_outputs(
    outdir: Path, results: list[dict], keys, meta, *, figures: bool, complete: bool = False
) -> dict[str, Any]:
    summary = report.summarize(results, keys, meta)
    summary["complete"] = complete
    report.write_json(outdir / "summary.json", summary)
    report.write_tables(outdir, results, summary)
    (outdir / "summary.md").write_text(report.markdown(summary))
    if figures:
        report.figures(outdir, results, summary)
    return summary
