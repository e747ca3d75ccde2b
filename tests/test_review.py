"""The review queue's pure ranking on hand-made frame states (no model), its baselines and
recall@k; the session-backed queue runs on the real SAM2 where ``Session.frame_states`` exists."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from litlora_widgets.review import (
    Weights,
    rank_by_sam_iou,
    rank_frames,
    rank_in_order,
    recall_at_k,
)

NAN = float("nan")


@dataclass(frozen=True)
class FS:  # the fields of session.FrameState
    frame: int
    kind: str
    area: int
    sam_iou: float = NAN
    obj_score: float = NAN


def _states(*rows) -> dict[int, FS]:
    return {r.frame: r for r in rows}


def test_only_tracked_frames_ranked_and_exact_score():
    st = _states(FS(0, "prompt", 100), FS(1, "tracked", 100, 0.5, 60.0), FS(2, "correction", 100))
    (item,) = rank_frames(st)
    assert item.frame == 1
    # sam_iou 0.9 × 0.5 = 0.45; distance 0.2 × 1/21; area, drift and absence 0
    assert item.score == pytest.approx(1 - 0.55 * (1 - 0.2 / 21))
    assert item.reasons == ("SAM2 predicted IoU 0.50",)


def test_area_jump_and_move_outrank_a_confident_sam2():
    st = _states(
        FS(0, "prompt", 400),
        *(FS(t, "tracked", 400, 0.9, 5.0) for t in range(1, 6)),
        FS(6, "tracked", 1600, 0.95, 5.0),
        *(FS(t, "tracked", 1600, 0.9, 5.0) for t in range(7, 9)),
    )
    cents = {t: (50.0, 50.0) for t in range(9)}
    items = rank_frames(st, centroids=cents)
    assert [it.frame for it in items][:1] == [6]
    assert items[0].reasons[0].startswith("area ×4.00 vs frame 5")
    cents2 = {**cents, 3: (50.0, 90.0)}  # jumps two object sizes (√400 = 20 px)
    items = rank_frames(st, centroids=cents2)
    top = {it.frame: it for it in items}
    assert "moved 2.00 object sizes since frame 2" in top[3].reasons
    assert top[4].reasons[0].startswith("moved 2.00")  # and back again
    assert rank_by_sam_iou(st)[0] in {1, 2, 3, 4, 5, 7, 8}  # SAM2 alone misses frame 6


def test_backward_tracking_compares_towards_the_prompt():
    st = _states(
        FS(0, "tracked", 100, 0.9, 5.0),
        FS(1, "tracked", 400, 0.9, 5.0),
        FS(2, "tracked", 400, 0.9, 5.0),
        FS(3, "prompt", 400),
    )
    items = {it.frame: it for it in rank_frames(st)}
    assert items[0].reasons[0] == "area ×0.25 vs frame 1"  # next frame, towards the prompt
    assert not any(r.startswith("area ×") and "vs frame" in r for r in items[2].reasons)


def test_absent_object_and_empty_mask():
    st = _states(
        FS(0, "prompt", 100),
        FS(1, "tracked", 100, 0.9, -3.0),
        FS(2, "tracked", 0, 0.9, 3.0),
        FS(3, "tracked", 100, 0.9, 3.0),
    )
    items = {it.frame: it for it in rank_frames(st, weights=Weights(area=0, area_drift=0))}
    assert "object score says it may be gone (P 0.05)" in items[1].reasons
    assert "empty mask" in items[2].reasons
    assert items[3].score < 0.2 < items[1].score


def test_expert_disagreement_signal():
    st = _states(
        FS(0, "prompt", 100), FS(1, "tracked", 100, 0.9, 5.0), FS(2, "tracked", 100, 0.9, 5.0)
    )
    items = rank_frames(st, disagreement={1: 0.1, 2: 0.8})
    assert [it.frame for it in items] == [2, 1]
    assert items[0].reasons[0] == "experts disagree (IoU 0.20 with the closest)"


def test_baselines_and_recall():
    st = _states(
        FS(0, "prompt", 10),
        FS(1, "tracked", 10, 0.7),
        FS(2, "tracked", 10, NAN),
        FS(3, "tracked", 10, 0.2),
        FS(4, "accept", 10),
        FS(5, "tracked", 10, 0.5),
    )
    assert rank_by_sam_iou(st) == [3, 5, 1, 2]
    assert rank_in_order(st) == [1, 2, 3, 5]
    assert recall_at_k([3, 5, 1, 2], {3, 2}, 1) == 0.5
    assert recall_at_k([3, 5, 1, 2], {3, 2}, 4) == 1.0
    assert math.isnan(recall_at_k([1], set(), 1))


# ---------------------------------------------------------------- on a real session
def _has_frame_states() -> bool:
    from litlora_widgets.session import Session

    return hasattr(Session, "frame_states")


needs_api = pytest.mark.skipif(
    not _has_frame_states(),
    reason="Session.frame_states arrives with the Session refactor on main (git merge main)",
)


@needs_api
@pytest.mark.slow
def test_review_queue_on_a_session(predictor, square_clip):
    from litlora_widgets.engine.experts import LitConfig
    from litlora_widgets.review import review_queue
    from litlora_widgets.session import Session

    frames, masks = square_clip  # 6 frames
    cfg = LitConfig(init_epochs=3, finetune_epochs=2)
    s = Session(predictor, frames, lit=True, lit_config=cfg, autosave=False)
    try:
        obj = s.add_object()
        s.add_mask(0, obj, masks[0])
        for _ in s.propagate(progress=False):
            pass
        items = review_queue(s, obj)
        assert sorted(it.frame for it in items) == [1, 2, 3, 4, 5]  # every tracked frame once
        assert all(0.0 <= it.score <= 1.0 and it.reasons for it in items)
        assert items == sorted(items, key=lambda it: (-it.score, it.frame))
        assert review_queue(s, obj, k=2) == items[:2]
        assert s.review_queue(obj) == items and s.review_queue(obj, k=2) == items[:2]
        s.correct(3, obj, mask=masks[3], train=True)  # confirmed: leaves the queue; an expert
        plain = {it.frame: it for it in review_queue(s, obj)}
        assert sorted(plain) == [1, 2, 4, 5]
        with_experts = {it.frame: it for it in review_queue(s, obj, experts=True)}
        assert sorted(with_experts) == [1, 2, 4, 5]
        for t in plain:  # noisy-OR: one more signal never lowers a score
            assert with_experts[t].score >= plain[t].score - 1e-12
        with pytest.raises(ValueError, match="k must"):
            review_queue(s, obj, k=-1)
    finally:
        s.close()


@needs_api
def test_measure_review_counts(predictor, square_clip):
    from litlora_widgets.evaluation.review_eval import measure_review, pooled_recall

    frames, masks = square_clip
    r = measure_review(predictor, frames, {t: masks[t] for t in range(6)}, k_frac=0.5)
    assert r["frames"] == 5 and r["k"] == 2  # round(2.5) == 2
    assert r["found"]["best"] == min(2, r["failing"])
    for name in ("queue", "sam_iou", "in_order"):
        assert 0 <= r["found"][name] <= r["found"]["best"]
    rows = [r, {"frames": 5, "failing": 2, "k": 1, "found": dict.fromkeys(r["found"], 1)}]
    pooled = pooled_recall(rows)
    assert pooled["best"] == (r["found"]["best"] + 1) / (r["failing"] + 2)


def test_centroids_are_decoded_once_per_stored_mask(monkeypatch):
    """The widget recomputes the queue after every correction: only masks that changed are
    decoded again (a 1,000-frame 1080p video costs ~6 ms per decode)."""
    import numpy as np

    import litlora_widgets.mask_store as ms

    store = ms.MaskStore(8, 8)
    for t in range(3):
        m = np.zeros((8, 8), bool)
        m[t : t + 2, 2:4] = True
        store.set(t, 1, m)
    decoded = []
    real = ms.decode_rle
    monkeypatch.setattr(ms, "decode_rle", lambda r: decoded.append(r) or real(r))
    assert [store.centroid(t, 1) for t in range(3)] == [(0.5, 2.5), (1.5, 2.5), (2.5, 2.5)]
    assert [store.centroid(t, 1) for t in range(3)] == [(0.5, 2.5), (1.5, 2.5), (2.5, 2.5)]
    assert len(decoded) == 3
    store.set(1, 1, np.zeros((8, 8), bool))  # a correction: "absent" on frame 1
    assert [store.centroid(t, 1) for t in range(3)] == [(0.5, 2.5), None, (2.5, 2.5)]
    assert len(decoded) == 4
    assert store.centroid(5, 1) is None


@needs_api
def test_measure_review_after_corrections(predictor, square_clip):
    """``corrections=N``: the simulated annotator first fixes the first N failing frames
    (ground-truth mask, re-tracked from there), then the queue is judged on what is left; the
    corrected frames are no longer judged."""
    import numpy as np

    from litlora_widgets.evaluation.review_eval import measure_review

    frames, masks = square_clip
    gt = {0: masks[0]}
    for t in range(1, 6):  # the object jumps to the other corner: tracking fails on frame 1
        m = np.zeros_like(masks[0])
        m[-20 - t :, -30:] = True
        gt[t] = m
    plain = measure_review(predictor, frames, gt, k_frac=0.5)
    assert plain["frames"] == 5 and plain["corrected"] == []
    fixed = measure_review(predictor, frames, gt, k_frac=0.5, corrections=1)
    assert fixed["corrected"] == [1]
    assert fixed["frames"] == 4 and fixed["k"] == 2
    for name in ("queue", "sam_iou", "in_order", "best"):
        assert 0.0 <= fixed["flagged_iou"][name] <= fixed["k"]
    with pytest.raises(Exception, match="corrections"):
        measure_review(predictor, frames, gt, corrections=-1)


def test_score_review_ranks_one_tracking_under_any_weights():
    """``score_review`` scores a kept tracking (no model), so weightings can be compared on
    the same frames: SAM2's predicted IoU alone flags frame 2, which is right; the area signal
    alone flags frame 3, where the mask tripled and truly fails."""
    from litlora_widgets.evaluation.review_eval import ReviewTrack, score_review

    states = _states(
        FS(0, "prompt", 100),
        FS(1, "tracked", 100, 0.9, 5.0),
        FS(2, "tracked", 100, 0.3, 5.0),
        FS(3, "tracked", 300, 0.8, 5.0),
        FS(4, "tracked", 300, 0.85, 5.0),
    )
    track = ReviewTrack(states, {}, {1: 0.9, 2: 0.9, 3: 0.2, 4: 0.3}, [])
    off = dict(absent=0.0, area=0.0, area_drift=0.0, moved=0.0, distance=0.0, experts=0.0)
    sam_only = score_review(track, k_frac=0.25, weights=Weights(**{**off, "sam_iou": 1.0}))
    area_only = score_review(track, k_frac=0.25, weights=Weights(**{**off, "area": 1.0}))
    assert sam_only["frames"] == 4 and sam_only["failing"] == 2 and sam_only["k"] == 1
    assert sam_only["found"] == {"queue": 0, "sam_iou": 0, "in_order": 0, "best": 1}
    assert area_only["found"] == {"queue": 1, "sam_iou": 0, "in_order": 0, "best": 1}
    assert area_only["flagged_iou"] == pytest.approx(
        {"queue": 0.2, "sam_iou": 0.9, "in_order": 0.9, "best": 0.2}
    )


def test_each_model_ranks_with_its_own_weights():
    """The embedded model's queue is the logistic fit chosen for it; any other model keeps
    the hand-set ``Weights()``; ``score_review`` picks them by the tracking's model."""
    from litlora_widgets.evaluation.review_eval import ReviewTrack, score_review
    from litlora_widgets.review import MODEL_WEIGHTS, Logistic, default_weights

    tiny_w = default_weights("litlora-tiny")
    assert tiny_w is MODEL_WEIGHTS["litlora-tiny"] and isinstance(tiny_w, Logistic)
    assert default_weights("sam2.1_hiera_t") == Weights()
    states = _states(
        FS(0, "prompt", 100),
        FS(1, "tracked", 100, 0.9, 5.0),
        FS(2, "tracked", 100, 0.6, 5.0),
        FS(3, "tracked", 100, 0.8, 5.0),
        FS(4, "tracked", 100, 0.9, 5.0),
    )
    assert [it.frame for it in rank_frames(states)] == [2, 3, 4, 1]
    assert [it.frame for it in rank_frames(states, weights=tiny_w)] == [4, 2, 3, 1]
    ious = {1: 0.9, 2: 0.8, 3: 0.9, 4: 0.3}  # frame 4 fails
    sam2 = score_review(ReviewTrack(states, {}, ious, [], "sam2.1_hiera_t"), k_frac=0.25)
    tiny = score_review(ReviewTrack(states, {}, ious, [], "litlora-tiny"), k_frac=0.25)
    assert sam2["k"] == 1 and sam2["found"]["queue"] == 0 and tiny["found"]["queue"] == 1


def test_unsure_before_and_after_signals_follow_the_tracking_direction():
    from litlora_widgets.review import frame_signals

    st = _states(
        FS(0, "prompt", 100),
        FS(1, "tracked", 100, 0.9, 5.0),
        FS(2, "tracked", 100, 0.3, 5.0),
        FS(3, "tracked", 100, 0.8, 5.0),
        FS(4, "tracked", 100, 0.7, 5.0),
        FS(5, "tracked", 100, 0.95, 5.0),
        FS(6, "tracked", 100, 0.9, 5.0),
        FS(7, "correction", 100),
    )
    sig = frame_signals(st)
    assert set(sig) == {1, 2, 3, 4, 5, 6}
    # frames 1-3 are nearer frame 0 (ties go forward): tracked forward from it
    assert sig[1]["unsure_before"] == (
        pytest.approx(0.1),
        "the lowest SAM2 IoU from confirmed frame 0 to here",
    )
    assert sig[3]["unsure_before"] == (
        pytest.approx(0.7),
        "SAM2's IoU fell to 0.30 on frame 2, between confirmed frame 0 and here",
    )
    assert sig[1]["unsure_after"] == (
        pytest.approx(0.7),
        "SAM2 unsure just after, on frame 2 (IoU 0.30)",
    )
    # frames 4-6 are nearer frame 7: "before" runs back from 7, "after" looks towards 0
    assert sig[5]["unsure_before"][0] == pytest.approx(0.1)  # frames 5-6: min IoU 0.90
    assert sig[5]["unsure_after"] == (
        pytest.approx(0.7),
        "SAM2 unsure just after, on frame 2 (IoU 0.30)",
    )
    assert sig[6]["unsure_after"][0] == pytest.approx(0.3)  # frames 5, 4, 3: min IoU 0.70
    assert sig[6]["distance"][1] == "1 frames from confirmed frame 7"


def test_logistic_score_and_reasons_are_exact():
    from litlora_widgets.errors import InputError
    from litlora_widgets.review import Logistic

    w = Logistic(bias=-1.0, coef={"sam_iou": 4.0, "area": -2.0}, mean={"sam_iou": 0.2})
    st = _states(FS(0, "prompt", 99), FS(1, "tracked", 199, 0.5, 5.0))
    (item,) = rank_frames(st, weights=w)
    # sam_iou: 4·(0.5 − 0.2) = 1.2, a reason; area ×2 → s = 1: −2·1, lowers, never a reason
    assert item.score == pytest.approx(1 / (1 + math.exp(-(-1.0 + 1.2 - 2.0))))
    assert item.reasons == ("SAM2 predicted IoU 0.50",)
    (typical,) = rank_frames(st, weights=Logistic(0.0, {"sam_iou": 1.0}, {"sam_iou": 0.5}))
    assert typical.score == 0.5 and typical.reasons == ("no signal stands out",)
    # the experts' disagreement (0.5 here) adds experts × 0.5 to the logit, and is a reason
    (dis,) = rank_frames(st, weights=w, disagreement={1: 0.5})
    assert dis.score == pytest.approx(1 / (1 + math.exp(-(-1.0 + 1.2 - 2.0 + 3.0 * 0.5))))
    assert dis.reasons == (
        "experts disagree (IoU 0.50 with the closest)",
        "SAM2 predicted IoU 0.50",
    )
    assert Logistic(0.0, {"sam_iou": 1.0}).to_dict() == {
        "bias": 0.0,
        "coef": {"sam_iou": 1.0},
        "mean": {},
        "distance_scale": 5.0,
        "experts": 3.0,
    }
    with pytest.raises(InputError, match="unknown review signals \\['sam_io'\\]"):
        Logistic(0.0, {"sam_io": 1.0})


def test_fit_logistic_learns_which_frames_fail():
    """On trackings where every frame after a dip in SAM2's IoU fails, the fit weighs
    ``unsure_before`` up and its queue flags only failing frames (k = 2 per clip)."""
    from litlora_widgets.errors import InputError
    from litlora_widgets.evaluation.review_eval import (
        ReviewTrack,
        fit_logistic,
        pooled_recall,
        score_review,
    )

    tracks = []
    for dip in range(2, 10):
        ious_sam = {t: (0.4 if t == dip else 0.85 + 0.01 * (t % 3)) for t in range(1, 12)}
        states = _states(
            FS(0, "prompt", 100), *(FS(t, "tracked", 100, v, 5.0) for t, v in ious_sam.items())
        )
        truth = {t: (0.2 if t > dip else 0.9) for t in ious_sam}  # drift persists
        tracks.append(ReviewTrack(states, {}, truth, []))
    fit = fit_logistic(tracks)
    assert fit.coef["unsure_before"] > 0 and fit.distance_scale == 5.0
    rows = [score_review(tr, k_frac=0.2, weights=fit) for tr in tracks]
    recall = pooled_recall(rows)
    assert recall["queue"] == recall["best"] == pytest.approx(16 / 44)  # 2 of each 1..8
    assert recall["sam_iou"] == pytest.approx(2 / 44)  # it flags the dip, which passes
    with pytest.raises(InputError, match="frames that fail and that pass"):
        fit_logistic([ReviewTrack(tracks[0].states, {}, {1: 0.9}, [])])


def test_first_present_is_where_tracking_starts():
    import numpy as np

    from litlora_widgets.evaluation.review_eval import first_present

    empty, there = np.zeros((4, 4), bool), np.ones((4, 4), bool)
    assert first_present({0: empty, 1: empty, 2: there, 3: empty}) == 2
    assert first_present({0: empty, 1: empty}) is None
