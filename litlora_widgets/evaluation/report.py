"""Turning per-video results into the summary, CSV/JSON files, a markdown table and figures.

Counts and quality numbers are pure functions of the results (same seed → same summary);
wall-clock numbers live under ``summary["timing"]`` only, so resumed and repeated runs compare
equal outside it.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

COUNTS = ("corrections", "click_corrections", "mask_corrections", "clicks", "accepts",
          "auto_accepts", "bad_accepts", "reviews", "new_experts")  # fmt: skip
QUALITY = ("mean_j", "mean_f", "mean_j_before", "mean_f_before")


def _mean(xs) -> float:
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return float(np.mean(xs)) if xs else float("nan")


def jf_budget_curve(obj: dict) -> list[float]:
    """Mean J&F of one object if the user had stopped after ``b`` corrections (index b).

    Frames before the (b+1)-th correction keep their final masks, later frames their masks as
    tracked. Optimistic for small b (tracking would drift further without the fixes), but
    it compares methods at equal effort from one run.
    """
    pf = obj["per_frame"]
    if not pf:
        return [float("nan")]
    fixes = [e["frame"] for e in obj["events"] if e["action"] in ("click", "mask")]
    curve = []
    for b in range(len(fixes) + 1):
        stop = fixes[b] if b < len(fixes) else math.inf
        vals = [((r["j"] + r["f"]) if r["frame"] < stop else (r["j_before"] + r["f_before"])) / 2
                for r in pf]  # fmt: skip
        curve.append(float(np.mean(vals)))
    return curve


def _budget_mean(objs: list[dict], max_budget: int) -> list[float]:
    curves = [jf_budget_curve(o) for o in objs]
    return [_mean([c[min(b, len(c) - 1)] for c in curves]) for b in range(max_budget + 1)]


def _timing_stats(xs: list[float]) -> dict:
    if not xs:
        return {"count": 0}
    a = np.asarray(xs, float)
    return {
        "count": int(a.size),
        "mean": float(a.mean()),
        "median": float(np.median(a)),
        "p90": float(np.percentile(a, 90)),
        "max": float(a.max()),
        "total": float(a.sum()),
    }


def summarize(results: list[dict], keys: list[str], meta: dict) -> dict:
    """The summary: per method totals and means over objects, and the reduction vs SAM2."""
    ok = [r for r in results if r.get("status") == "ok"]
    objs = {k: [o for r in ok for o in r["runs"].get(k, {}).get("objects", [])] for k in keys}
    max_b = max((o["corrections"] for os_ in objs.values() for o in os_), default=0)
    methods, timing = {}, {}
    for k in keys:
        os_ = objs[k]
        m: dict = {c: int(sum(o[c] for o in os_)) for c in COUNTS}
        m.update({q: _mean([o[q] for o in os_]) for q in QUALITY})
        m["mean_jf"] = (m["mean_j"] + m["mean_f"]) / 2
        m["mean_jf_before"] = (m["mean_j_before"] + m["mean_f_before"]) / 2
        m["objects"] = len(os_)
        m["frames"] = int(sum(o["frames"] for o in os_))
        m["corrections_per_object"] = m["corrections"] / len(os_) if os_ else float("nan")
        m["judge"] = os_[0]["judge"] if os_ else None
        m["jf_at_budget"] = _budget_mean(os_, min(max_b, 50)) if os_ else []
        methods[k] = m
        timing[k] = {
            "train_seconds_per_correction": _timing_stats([t for o in os_
                                                           for t in o["train_seconds"]]),
            "seconds": float(sum(o["seconds"] for o in os_)),
        }  # fmt: skip
    base = methods.get("sam2", {}).get("corrections")
    for m in methods.values():
        m["reduction_pct"] = (100.0 * (base - m["corrections"]) / base) if base else None
    summary = {**meta, "methods": methods, **methods}
    summary["videos"] = [r["video"] for r in ok]
    summary["errors"] = {r["video"]: r["error"] for r in results if r.get("status") != "ok"}
    summary["timing"] = timing
    return summary


def clean(x):
    """JSON-safe: numpy scalars to Python, NaN to None."""
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def write_json(path: Path, data) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(clean(data), indent=1, sort_keys=True))
    tmp.replace(path)  # atomic: a killed run never leaves half a file that resume would trust


def read_json(path: Path):
    return json.loads(path.read_text())


OBJ_COLS = ["video", "obj_id", "method", "judge", "status", "frames", *COUNTS, *QUALITY,
            "train_seconds_mean", "error"]  # fmt: skip
FRAME_COLS = ["video", "obj_id", "method", "frame", "j_before", "f_before", "j", "f", "action",
              "clicks"]  # fmt: skip


def write_tables(out: Path, results: list[dict]) -> None:
    """results.csv (one row per video/object/method) and per_frame.csv."""
    rows, frames = [], []
    for r in results:
        if r.get("status") != "ok":
            rows.append({"video": r["video"], "status": "error", "error": r.get("error")})
            continue
        for k, run in r["runs"].items():
            for o in run["objects"]:
                ts = o["train_seconds"]
                rows.append(
                    {
                        **{c: o.get(c) for c in OBJ_COLS},
                        "video": r["video"],
                        "method": k,
                        "status": "ok",
                        "error": "",
                        "train_seconds_mean": float(np.mean(ts)) if ts else "",
                    }
                )
                frames += [{"video": r["video"], "obj_id": o["obj_id"], "method": k, **f}
                           for f in o["per_frame"]]  # fmt: skip
    for name, cols, data in (("results.csv", OBJ_COLS, rows),
                             ("per_frame.csv", FRAME_COLS, frames)):  # fmt: skip
        tmp = out / (name + ".tmp")
        with tmp.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            w.writerows(data)
        tmp.replace(out / name)


def _fmt(x, digits=3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def markdown(summary: dict) -> str:
    cfg = summary.get("config", {})
    lines = [
        "# LIT-LoRA online evaluation",
        "",
        f"Model: {summary.get('model_name', cfg.get('model'))}"
        + (
            " — **random weights: numbers test the pipeline, not the method**"
            if summary.get("random_weights")
            else ""
        ),
        f"Videos: {len(summary['videos'])} ok, {len(summary['errors'])} with errors; "
        f"threshold {cfg.get('threshold')}, judge {cfg.get('judge')}, seed {cfg.get('seed')}, "
        f"max frames {cfg.get('max_frames')}.",
        "",
        "| method | judge | corrections | per object | clicks | mask corr. | accepts | reviews "
        "| bad accepts | mean J | mean F | J&F | J&F before | reduction % |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for k, m in summary["methods"].items():
        red = m.get("reduction_pct")
        lines.append(
            f"| {k} | {m.get('judge') or '–'} | {m['corrections']} | "
            f"{_fmt(m['corrections_per_object'], 2)} | {m['clicks']} | {m['mask_corrections']} | "
            f"{m['accepts']} | {m['reviews']} | {m['bad_accepts']} | {_fmt(m['mean_j'])} | "
            f"{_fmt(m['mean_f'])} | {_fmt(m['mean_jf'])} | {_fmt(m['mean_jf_before'])} | "
            f"{'–' if red is None else f'{red:.1f}'} |"
        )
    lines += ["", "Training seconds per correction (wall clock):", ""]
    for k, t in summary.get("timing", {}).items():
        s = t["train_seconds_per_correction"]
        if s.get("count"):
            lines.append(f"- {k}: n={s['count']}, mean {s['mean']:.2f} s, median "
                         f"{s['median']:.2f} s, p90 {s['p90']:.2f} s")  # fmt: skip
    if summary["errors"]:
        lines += ["", "## Errors", ""] + [f"- **{v}**: {e}" for v, e in summary["errors"].items()]
    return "\n".join(lines) + "\n"


def _save_figure(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def figures(out: Path, results: list[dict], summary: dict) -> list[Path]:
    """corrections_per_video.png, iou_curves.png, jf_vs_corrections.png."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ok = [r for r in results if r.get("status") == "ok"]
    keys = list(summary["methods"])
    paths = []
    if not ok:
        return paths
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(ok) * len(keys)), 3.5))
    width = 0.8 / max(1, len(keys))
    for i, k in enumerate(keys):
        vals = [sum(o["corrections"] for o in r["runs"].get(k, {}).get("objects", [])) for r in ok]
        ax.bar(np.arange(len(ok)) + i * width, vals, width, label=k)
    ax.set_xticks(np.arange(len(ok)) + width * (len(keys) - 1) / 2, [r["video"] for r in ok],
                  rotation=30, ha="right")  # fmt: skip
    ax.set_ylabel("corrections")
    ax.set_title("Corrections per video")
    ax.legend()
    paths.append(_save_figure(fig, out / "corrections_per_video.png"))

    fig, axes = plt.subplots(len(ok), 1, figsize=(7, 2.6 * len(ok)), squeeze=False)
    for ax, r in zip(axes[:, 0], ok, strict=True):
        for k in keys:
            for o in r["runs"].get(k, {}).get("objects", []):
                pf = o["per_frame"]
                ax.plot([p["frame"] for p in pf], [p["j_before"] for p in pf], marker=".",
                        label=f"{k} obj {o['obj_id']}")  # fmt: skip
        ax.axhline(summary.get("config", {}).get("threshold", 0.5), color="grey", ls=":")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{r['video']}: IoU as tracked (before the user acts)")
        ax.set_xlabel("frame")
        ax.set_ylabel("J")
        ax.legend(fontsize=7)
    paths.append(_save_figure(fig, out / "iou_curves.png"))

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for k, m in summary["methods"].items():
        curve = m.get("jf_at_budget") or []
        ax.plot(range(len(curve)), curve, marker=".", label=k)
    ax.set_xlabel("corrections per object (budget)")
    ax.set_ylabel("mean J&F")
    ax.set_title("J&F vs corrections")
    ax.legend()
    paths.append(_save_figure(fig, out / "jf_vs_corrections.png"))
    return paths
