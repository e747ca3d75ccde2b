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

from .cost import CostModel, action_counts, seconds

CHALLENGING_MIN = 10  # objects needing >= this many SAM2 corrections form the hard subset
JF_BUDGETS = 8  # J&F after 0..8 corrections, as in the paper's second figure
COUNTS = (
    "corrections",
    "click_corrections",
    "mask_corrections",
    "clicks",
    "accepts",
    "auto_accepts",
    "bad_accepts",
    "reviews",
    "new_experts",
)
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
        vals = [
            ((r["j"] + r["f"]) if r["frame"] < stop else (r["j_before"] + r["f_before"])) / 2
            for r in pf
        ]
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


def _method_stats(os_: list[dict], n_videos: int, cost: CostModel) -> dict:
    """Counts, quality, J&F vs corrections and the annotation-time estimate of some objects."""
    m: dict = {c: int(sum(o[c] for o in os_)) for c in COUNTS}
    m["objects"] = len(os_)
    m["corrections_per_object"] = m["corrections"] / len(os_) if os_ else float("nan")
    m["corrections_per_video"] = m["corrections"] / n_videos if n_videos else float("nan")
    m["jf_vs_corrections"] = _budget_mean(os_, JF_BUDGETS) if os_ else []
    acts = [action_counts(o) for o in os_]
    m["actions"] = {k: int(sum(a[k] for a in acts)) for k in cost.to_dict()}
    m["annotation_seconds"] = float(sum(seconds(o, cost) for o in os_))
    m["annotation_seconds_per_object"] = m["annotation_seconds"] / len(os_) if os_ else float("nan")
    return m


def _reductions(methods: dict) -> None:
    base = methods.get("sam2")
    for m in methods.values():
        for key, out in (
            ("corrections", "reduction_pct"),
            ("annotation_seconds", "time_reduction_pct"),
        ):
            b = None if base is None else base[key]
            m[out] = (100.0 * (b - m[key]) / b) if b else None


def summarize(results: list[dict], keys: list[str], meta: dict) -> dict:
    """The summary: per method totals and means over objects and videos, the reduction vs
    SAM2, the same on the challenging subset, J&F vs corrections and the annotation time.

    ``meta`` may set ``cost_model`` (a dict, see ``cost.CostModel``) and ``challenging_min``.
    """
    ok = [r for r in results if r.get("status") == "ok"]
    cost = CostModel.parse(meta.get("cost_model"))
    hard_min = int(meta.get("challenging_min", CHALLENGING_MIN))
    objs = {k: [o for r in ok for o in r["runs"].get(k, {}).get("objects", [])] for k in keys}
    max_b = max((o["corrections"] for os_ in objs.values() for o in os_), default=0)
    methods, timing = {}, {}
    for k in keys:
        os_ = objs[k]
        m = _method_stats(os_, len(ok), cost)
        m.update({q: _mean([o[q] for o in os_]) for q in QUALITY})
        m["mean_jf"] = (m["mean_j"] + m["mean_f"]) / 2
        m["mean_jf_before"] = (m["mean_j_before"] + m["mean_f_before"]) / 2
        m["frames"] = int(sum(o["frames"] for o in os_))
        m["judge"] = os_[0]["judge"] if os_ else None
        m["jf_at_budget"] = _budget_mean(os_, min(max_b, 50)) if os_ else []
        methods[k] = m
        timing[k] = {
            "train_seconds_per_correction": _timing_stats(
                [t for o in os_ for t in o["train_seconds"]]
            ),
            "seconds": float(sum(o["seconds"] for o in os_)),
        }
    _reductions(methods)
    hard_ids = set()
    for r in ok:
        for o in r["runs"].get("sam2", {}).get("objects", []):
            if o["corrections"] >= hard_min:
                hard_ids.add((r["video"], o["obj_id"]))
    hard: dict = {
        "min_sam2_corrections": hard_min,
        "objects": len(hard_ids),
        "available": "sam2" in keys,
        "methods": {},
    }
    if "sam2" in keys:
        for k in keys:
            os_ = [
                o
                for r in ok
                for o in r["runs"].get(k, {}).get("objects", [])
                if (r["video"], o["obj_id"]) in hard_ids
            ]
            hard["methods"][k] = _method_stats(os_, len({v for v, _ in hard_ids}), cost)
        _reductions(hard["methods"])
    summary = {**meta, "methods": methods, **methods}
    rev = [row for r in ok for row in r.get("review", [])]
    if rev:
        from .review_eval import pooled_flagged_iou, pooled_recall

        summary["review_queue"] = {
            "k_frac": meta.get("config", {}).get("review"),
            "objects": len(rev),
            "frames": sum(x["frames"] for x in rev),
            "failing": sum(x["failing"] for x in rev),
            "recall": pooled_recall(rev),
            "flagged_iou": pooled_flagged_iou(rev),
        }
    summary["cost_model"] = cost.to_dict()
    summary["challenging"] = hard
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


OBJ_COLS = [
    "video",
    "obj_id",
    "method",
    "judge",
    "status",
    "start",
    "frames",
    *COUNTS,
    *QUALITY,
    "annotation_seconds",
    "challenging",
    "train_seconds_mean",
    "error",
]
VIDEO_COLS = [
    "video",
    "method",
    "objects",
    "challenging_objects",
    "frames",
    *COUNTS,
    "annotation_seconds",
]
FRAME_COLS = [
    "video",
    "obj_id",
    "method",
    "frame",
    "j_before",
    "f_before",
    "j",
    "f",
    "action",
    "clicks",
]


def _write_csv(path: Path, cols: list[str], rows: list[dict]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    tmp.replace(path)


def write_tables(out: Path, results: list[dict], summary: dict | None = None) -> None:
    """results.csv (one row per video/object/method), per_video.csv, per_frame.csv and, with
    the summary, jf_vs_corrections.csv (method, subset, corrections, J&F)."""
    cost = CostModel.parse((summary or {}).get("cost_model"))
    hard_min = int(
        (summary or {}).get("challenging", {}).get("min_sam2_corrections", CHALLENGING_MIN)
    )
    rows, videos, frames = [], [], []
    for r in results:
        if r.get("status") != "ok":
            rows.append({"video": r["video"], "status": "error", "error": r.get("error")})
            continue
        sam2 = {o["obj_id"]: o["corrections"] for o in r["runs"].get("sam2", {}).get("objects", [])}
        hard = {i for i, c in sam2.items() if c >= hard_min}
        for k, run in r["runs"].items():
            objs = run["objects"]
            for o in objs:
                ts = o["train_seconds"]
                rows.append(
                    {
                        **{c: o.get(c) for c in OBJ_COLS},
                        "video": r["video"],
                        "method": k,
                        "status": "ok",
                        "error": "",
                        "annotation_seconds": seconds(o, cost),
                        "challenging": int(o["obj_id"] in hard) if sam2 else "",
                        "train_seconds_mean": float(np.mean(ts)) if ts else "",
                    }
                )
                frames += [
                    {"video": r["video"], "obj_id": o["obj_id"], "method": k, **f}
                    for f in o["per_frame"]
                ]
            videos.append(
                {
                    "video": r["video"],
                    "method": k,
                    "objects": len(objs),
                    "challenging_objects": len(hard) if sam2 else "",
                    "frames": sum(o["frames"] for o in objs),
                    **{c: sum(o[c] for o in objs) for c in COUNTS},
                    "annotation_seconds": sum(seconds(o, cost) for o in objs),
                }
            )
    _write_csv(out / "results.csv", OBJ_COLS, rows)
    _write_csv(out / "per_video.csv", VIDEO_COLS, videos)
    _write_csv(out / "per_frame.csv", FRAME_COLS, frames)
    if summary is not None:
        curve = []
        for subset, ms in (
            ("all", summary["methods"]),
            ("challenging", summary["challenging"]["methods"]),
        ):
            for k, m in ms.items():
                curve += [
                    {"method": k, "subset": subset, "corrections": b, "jf": v}
                    for b, v in enumerate(m.get("jf_vs_corrections") or [])
                ]
        _write_csv(out / "jf_vs_corrections.csv", ["method", "subset", "corrections", "jf"], curve)


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
    lines += _paper_sections(summary)
    rq = summary.get("review_queue")
    if rq:
        rc = rq["recall"]
        lines += [
            "",
            f"### Review queue: recall of failing frames (IoU < threshold) in the top "
            f"{_fmt(100 * (rq['k_frac'] or 0), 0)} % of tracked frames "
            f"({rq['failing']} failing of {rq['frames']})",
            "",
            "| | review queue | SAM2 predicted IoU alone | frames in order | perfect |",
            "|---|---:|---:|---:|---:|",
        ]
        rows = [("recall", rc)]
        fl = rq.get("flagged_iou") or {}
        if fl.get("queue") is not None:
            rows.append(("mean IoU of the flagged frames (lower: worse frames found)", fl))
        lines += [
            f"| {name} | {_fmt(v['queue'])} | {_fmt(v['sam_iou'])} | {_fmt(v['in_order'])} | "
            f"{_fmt(v['best'])} |"
            for name, v in rows
        ]
    lines += ["", "Training seconds per correction (wall clock):", ""]
    for k, t in summary.get("timing", {}).items():
        s = t["train_seconds_per_correction"]
        if s.get("count"):
            lines.append(
                f"- {k}: n={s['count']}, mean {s['mean']:.2f} s, median "
                f"{s['median']:.2f} s, p90 {s['p90']:.2f} s"
            )
    if summary["errors"]:
        lines += ["", "## Errors", ""] + [f"- **{v}**: {e}" for v, e in summary["errors"].items()]
    return "\n".join(lines) + "\n"


def _pct(x) -> str:
    return "–" if x is None else f"{x:.1f}"


def _paper_sections(summary: dict) -> list[str]:
    """The paper-style tables: per video/object, challenging subset, J&F vs corrections,
    annotation time."""
    ms = summary["methods"]
    out = [
        "",
        "## Corrections (paper style)",
        "",
        "| method | per video | per object | reduction % | annotation time (s) | time "
        "reduction % |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k, m in ms.items():
        out.append(
            f"| {k} | {_fmt(m['corrections_per_video'], 2)} | "
            f"{_fmt(m['corrections_per_object'], 2)} | {_pct(m.get('reduction_pct'))} | "
            f"{_fmt(m['annotation_seconds'], 1)} | "
            f"{_pct(m.get('time_reduction_pct'))} |"
        )
    h = summary.get("challenging") or {}
    out += [
        "",
        f"### Challenging subset: objects needing ≥ {h.get('min_sam2_corrections')} "
        f"corrections with SAM2 alone ({h.get('objects', 0)} objects)",
        "",
    ]
    if not h.get("available"):
        out.append("(needs the sam2 method in --methods)")
    elif not h.get("objects"):
        out.append("No object is that hard in this run.")
    else:
        out += [
            "| method | per object | reduction % | annotation time (s) |",
            "|---|---:|---:|---:|",
        ]
        for k, m in h["methods"].items():
            out.append(
                f"| {k} | {_fmt(m['corrections_per_object'], 2)} | "
                f"{_pct(m.get('reduction_pct'))} | {_fmt(m['annotation_seconds'], 1)} |"
            )
    out += [
        "",
        "### J&F vs corrections per object",
        "",
        "| method | " + " | ".join(str(b) for b in range(JF_BUDGETS + 1)) + " |",
        "|---|" + "---:|" * (JF_BUDGETS + 1),
    ]
    for k, m in ms.items():
        out.append(
            f"| {k} | " + " | ".join(_fmt(v) for v in m.get("jf_vs_corrections") or []) + " |"
        )
    c = summary.get("cost_model", {})
    out += [
        "",
        "Annotation time = "
        + " + ".join(f"{v:g} s × {k}" for k, v in c.items())
        + " (assumed costs; set them with --cost KEY=SECONDS, see evaluation/cost.py).",
    ]
    return out


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
    ax.set_xticks(
        np.arange(len(ok)) + width * (len(keys) - 1) / 2,
        [r["video"] for r in ok],
        rotation=30,
        ha="right",
    )
    ax.set_ylabel("corrections")
    ax.set_title("Corrections per video")
    ax.legend()
    paths.append(_save_figure(fig, out / "corrections_per_video.png"))

    fig, axes = plt.subplots(len(ok), 1, figsize=(7, 2.6 * len(ok)), squeeze=False)
    for ax, r in zip(axes[:, 0], ok, strict=True):
        for k in keys:
            for o in r["runs"].get(k, {}).get("objects", []):
                pf = o["per_frame"]
                ax.plot(
                    [p["frame"] for p in pf],
                    [p["j_before"] for p in pf],
                    marker=".",
                    label=f"{k} obj {o['obj_id']}",
                )
        ax.axhline(summary.get("config", {}).get("threshold", 0.5), color="grey", ls=":")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{r['video']}: IoU as tracked (before the user acts)")
        ax.set_xlabel("frame")
        ax.set_ylabel("J")
        ax.legend(fontsize=7)
    paths.append(_save_figure(fig, out / "iou_curves.png"))

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for k, m in summary["methods"].items():
        curve = m.get("jf_vs_corrections") or []
        ax.plot(range(len(curve)), curve, marker=".", label=k)
        hard = (summary.get("challenging") or {}).get("methods", {}).get(k, {})
        if hard.get("objects"):
            hc = hard["jf_vs_corrections"]
            ax.plot(range(len(hc)), hc, marker=".", ls="--", label=f"{k} (challenging)")
    ax.set_xticks(range(JF_BUDGETS + 1))
    ax.set_xlabel("corrections per object (budget)")
    ax.set_ylabel("mean J&F")
    ax.set_title("J&F vs corrections")
    ax.legend()
    paths.append(_save_figure(fig, out / "jf_vs_corrections.png"))
    return paths
