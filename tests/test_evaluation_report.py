"""The paper-style report from hand-made per-video results (no model): corrections per video
and per object with the reduction, the challenging subset, J&F vs corrections 0..8, the
annotation-time cost model, and the files written."""

from __future__ import annotations

import csv
import json

import pytest

from litlora_widgets.evaluation import report
from litlora_widgets.evaluation.cost import CostModel, action_counts, seconds


def _obj(method, obj_id, n, fixes=(), accepts=(), judge=None, reviews=0, auto=0) -> dict:
    """One object record: frames 1..n; ``fixes`` = (frame, action, clicks, experts_before);
    error frames go 0.2 -> 0.9, the others stay at 0.8."""
    err = {f[0] for f in fixes} | set(accepts)
    pf = [
        dict(
            frame=t,
            j_before=0.2 if t in err else 0.8,
            f_before=0.2 if t in err else 0.8,
            j=0.9 if t in err else 0.8,
            f=0.9 if t in err else 0.8,
            action="none",
            clicks=0,
        )
        for t in range(1, n + 1)
    ]
    events = [
        dict(
            frame=f,
            action=a,
            clicks=c,
            experts_before=eb,
            **({"trained": True, "train_seconds": 0.5} if method == "lit" else {}),
        )
        for f, a, c, eb in fixes
    ]
    events += [dict(frame=f, action="accept") for f in accepts]
    mean = lambda k: sum(p[k] for p in pf) / n  # noqa: E731
    return dict(
        obj_id=obj_id,
        method=method,
        judge=judge,
        start=0,
        frames=n,
        per_frame=pf,
        events=sorted(events, key=lambda e: e["frame"]),
        corrections=len(fixes),
        click_corrections=sum(a == "click" for _, a, _, _ in fixes),
        mask_corrections=sum(a == "mask" for _, a, _, _ in fixes),
        clicks=sum(c for _, _, c, _ in fixes),
        accepts=len(accepts),
        auto_accepts=auto,
        bad_accepts=0,
        reviews=reviews,
        new_experts=0,
        seconds=1.0,
        train_seconds=[0.5] * len(fixes) if method == "lit" else [],
        mean_j=mean("j"),
        mean_f=mean("f"),
        mean_j_before=mean("j_before"),
        mean_f_before=mean("f_before"),
    )


def _results() -> list[dict]:
    # v1/obj 1 is challenging: SAM2 needs 12 corrections, LIT 3 (+ 9 accepted proposals)
    a_sam = _obj("sam2", 1, 12, fixes=[(t, "click", 1, 0) for t in range(1, 13)])
    a_lit = _obj(
        "lit",
        1,
        12,
        judge="oracle",
        fixes=[(1, "click", 2, 0), (5, "mask", 3, 1), (9, "click", 1, 2)],
        accepts=[2, 3, 4, 6, 7, 8, 10, 11, 12],
    )
    b_sam = _obj("sam2", 1, 4, fixes=[(2, "click", 1, 0), (4, "click", 2, 0)])
    b_lit = _obj("lit", 1, 4, judge="oracle", fixes=[(2, "click", 1, 0)], accepts=[4])
    return [
        {
            "video": "v1",
            "status": "ok",
            "seconds": 2.0,
            "runs": {"sam2": {"objects": [a_sam]}, "lit": {"objects": [a_lit]}},
        },
        {
            "video": "v2",
            "status": "ok",
            "seconds": 2.0,
            "runs": {"sam2": {"objects": [b_sam]}, "lit": {"objects": [b_lit]}},
        },
        {"video": "bad", "status": "error", "error": "video bad: broken"},
    ]


COST = {"check": 0.1, "click": 1, "mask": 10, "review": 2, "accept": 0.5, "training": 3}


@pytest.fixture
def summary():
    meta = {
        "config": {"threshold": 0.5, "judge": "oracle", "seed": 0},
        "config_key": "k",
        "model_name": "m",
        "random_weights": False,
        "cost_model": COST,
    }
    return report.summarize(_results(), ["sam2", "lit"], meta)


def test_corrections_per_video_and_object_with_reduction(summary):
    s, l_ = summary["sam2"], summary["lit"]
    assert (s["corrections"], l_["corrections"]) == (14, 4)
    assert s["corrections_per_video"] == 7.0 and l_["corrections_per_video"] == 2.0
    assert s["corrections_per_object"] == 7.0 and l_["corrections_per_object"] == 2.0
    assert l_["reduction_pct"] == pytest.approx(100 * 10 / 14) and s["reduction_pct"] == 0.0
    assert summary["errors"] == {"bad": "video bad: broken"}


def test_challenging_subset(summary):
    h = summary["challenging"]
    assert h["min_sam2_corrections"] == 10 and h["objects"] == 1 and h["available"]
    assert h["methods"]["sam2"]["corrections_per_object"] == 12.0
    assert h["methods"]["lit"]["corrections_per_object"] == 3.0
    assert h["methods"]["lit"]["reduction_pct"] == pytest.approx(75.0)
    meta = {"challenging_min": 2, "cost_model": COST}
    h2 = report.summarize(_results(), ["sam2", "lit"], meta)["challenging"]
    assert h2["objects"] == 2 and h2["methods"]["lit"]["corrections"] == 4


def test_jf_vs_corrections_0_to_8(summary):
    # v2/sam2: fixes on frames 2 and 4 of 4: 0.5, 0.675, then 0.85 for good
    # v1/sam2: 12 error frames, the first b fixed: (0.9 b + 0.2 (12 - b)) / 12
    curve = summary["sam2"]["jf_vs_corrections"]
    assert len(curve) == 9
    v2 = [0.5, 0.675] + [0.85] * 7
    for b in range(9):
        assert curve[b] == pytest.approx(((0.9 * b + 0.2 * (12 - b)) / 12 + v2[b]) / 2), b


def test_annotation_time_cost_model(summary):
    # sam2 v1: 12 checks + 12 clicks = 1.2 + 12; v2: 0.4 + 3
    assert summary["sam2"]["annotation_seconds"] == pytest.approx(13.2 + 3.4)
    # lit v1: 1.2 checks + 6 clicks + 1 mask (10) + reviews (9 accepts + 2 fixes with experts)
    # × 2 + 9 accepts × 0.5 + 3 trainings × 3 = 52.7; v2: 0.4 + 1 + 1 review (2) + 0.5 + 3
    assert summary["lit"]["annotation_seconds"] == pytest.approx(52.7 + 6.9)
    assert summary["lit"]["actions"] == {
        "check": 16,
        "click": 7,
        "mask": 1,
        "review": 12,
        "accept": 10,
        "training": 4,
    }
    assert summary["cost_model"] == {k: float(v) for k, v in COST.items()}
    realistic = _obj(
        "lit", 1, 4, judge="realistic", fixes=[(2, "click", 1, 1)], accepts=[4], reviews=1, auto=1
    )
    assert action_counts(realistic)["review"] == 1 and action_counts(realistic)["accept"] == 0
    assert seconds(realistic, CostModel()) == pytest.approx(4 * 1.0 + 2.0 + 2.0 + 1.0)


def test_cost_model_parsing():
    assert CostModel.parse(["click=2.5", "mask=40"]) == CostModel(click=2.5, mask=40)
    for bad, words in (
        (["clicks=2"], "unknown cost"),
        (["click"], "KEY=SECONDS"),
        (["click=-1"], ">= 0"),
        (["click=fast"], "numbers"),
    ):
        with pytest.raises(ValueError, match=words):
            CostModel.parse(bad)


def test_review_queue_recall_pooled():
    res = _results()
    hit = {"queue": 1, "sam_iou": 0, "in_order": 1, "best": 1}
    flagged = {"queue": 0.25, "sam_iou": 0.75, "in_order": 0.5, "best": 0.0}
    res[0]["review"] = [
        {"obj_id": 1, "frames": 12, "failing": 10, "k": 1, "found": hit, "flagged_iou": flagged}
    ]
    none = dict.fromkeys(hit, 0)
    ones = dict.fromkeys(hit, 1.0)
    res[1]["review"] = [
        {"obj_id": 1, "frames": 4, "failing": 0, "k": 1, "found": none, "flagged_iou": ones}
    ]
    s = report.summarize(res, ["sam2", "lit"], {"config": {"review": 0.1}})
    rq = s["review_queue"]
    assert (rq["objects"], rq["frames"], rq["failing"]) == (2, 16, 10)
    assert rq["recall"] == {"queue": 0.1, "sam_iou": 0.0, "in_order": 0.1, "best": 0.1}
    assert rq["flagged_iou"] == {"queue": 0.625, "sam_iou": 0.875, "in_order": 0.75, "best": 0.5}
    md = report.markdown(s)
    assert "top 10 % of tracked frames (10 failing of 16)" in md
    assert "| recall | 0.100 | 0.000 | 0.100 | 0.100 |" in md
    assert "| mean IoU of the flagged frames (lower: worse frames found) | 0.625 | 0.875 |" in md
    # results written before flagged IoU was measured: recall only
    for r in res[:2]:
        del r["review"][0]["flagged_iou"]
    md = report.markdown(report.summarize(res, ["sam2", "lit"], {"config": {"review": 0.1}}))
    assert "| recall | 0.100 | 0.000 | 0.100 | 0.100 |" in md and "flagged" not in md


def test_report_files(summary, tmp_path):
    results = _results()
    report.write_tables(tmp_path, results, summary)
    md = report.markdown(summary)
    assert "| lit | 2.00 | 2.00 | 71.4 |" in md
    assert "Challenging subset: objects needing ≥ 10 corrections with SAM2 alone (1 objects)" in md
    assert "| lit | 3.00 | 75.0 |" in md
    videos = list(csv.DictReader((tmp_path / "per_video.csv").open()))
    assert [(r["video"], r["method"], r["corrections"]) for r in videos] == [
        ("v1", "sam2", "12"),
        ("v1", "lit", "3"),
        ("v2", "sam2", "2"),
        ("v2", "lit", "1"),
    ]
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert [r["challenging"] for r in rows if r["status"] == "ok"] == ["1", "1", "0", "0"]
    curve = list(csv.DictReader((tmp_path / "jf_vs_corrections.csv").open()))
    assert len(curve) == 2 * 9 + 2 * 9  # all + challenging, two methods, budgets 0..8
    paths = report.figures(tmp_path, results, summary)
    assert [p.name for p in paths] == [
        "corrections_per_video.png",
        "iou_curves.png",
        "jf_vs_corrections.png",
    ]
    json.dumps(report.clean(summary))  # JSON-able
