"""Session: real SAM2 (random weights, 256 px) tracking, LIT-LoRA corrections, undo, export."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from litlora_widgets.errors import InputError
from litlora_widgets.masks import mask_iou
from litlora_widgets.session import Session


@pytest.fixture
def session(predictor, square_clip, tmp_path):
    frames, _ = square_clip
    s = Session(predictor, frames, workdir=tmp_path / "autosave")
    yield s
    s.close()


def _prompted(session, masks):
    obj = session.add_object("square")
    session.add_mask(0, obj, masks[0])
    return obj


def test_video_and_objects(session):
    assert (session.num_frames, session.height, session.width) == (6, 96, 128)
    assert session.frame(2).shape == (96, 128, 3)
    a = session.add_object("a")
    b = session.add_object()
    session.rename_object(b, "bee")
    assert [o.name for o in session.objects.values()] == ["a", "bee"]
    labels = list(session.history.undo_labels)
    session.rename_object(b, "bee")  # the same name: no step that undoes nothing visible
    assert session.history.undo_labels == labels and labels[-1] == f"rename object {b}"
    session.remove_object(a)
    assert list(session.objects) == [b]
    assert session.random_weights


def test_propagate_yields_every_frame_and_stores_masks(session, square_clip):
    _, masks = square_clip
    obj = _prompted(session, masks)
    seen = [f for f, m in session.propagate(progress=False)]
    assert seen == list(range(6))
    assert session.tracked_frames(obj) == set(range(6))
    m = session.mask(3, obj)
    assert m.dtype == bool and m.shape == (96, 128)
    # the mask-prompt frame keeps the user's mask exactly
    assert mask_iou(session.mask(0, obj), masks[0]) == 1.0


def test_propagate_backward_and_both(session, square_clip):
    _, masks = square_clip
    obj = session.add_object()
    session.add_mask(3, obj, masks[3])
    assert [f for f, _ in session.propagate(direction="backward", progress=False)] == [3, 2, 1, 0]
    got = [f for f, _ in session.propagate(start_frame=3, direction="both", progress=False)]
    assert got == [3, 4, 5, 2, 1, 0]


def test_add_object_after_propagation(session, square_clip):
    _, masks = square_clip
    _prompted(session, masks)
    list(session.propagate(progress=False))
    second = session.add_object("late")
    session.add_points(4, second, [[10, 80]], [1])
    out = dict(session.propagate(start_frame=4, progress=False))
    assert set(out[5]) == {1, second}


def test_cancel_from_another_thread(session, square_clip):
    _, masks = square_clip
    _prompted(session, masks)
    seen = []
    for f, _ in session.propagate(progress=False):
        seen.append(f)
        if f == 1:
            threading.Thread(target=session.cancel).start()
            threading.Event().wait(0.2)
    assert seen == [0, 1]
    assert session.tracked_frames(1) == {0, 1}


def test_correction_trains_on_features_of_that_frame(session, square_clip):
    _, masks = square_clip
    obj = _prompted(session, masks)
    list(session.propagate(progress=False))
    calls = []
    res = session.correct(
        4, obj, mask=masks[4], progress=lambda e, loss, i: calls.append((e, loss))
    )
    assert res.trained and res.expert == 0 and res.new_expert
    inputs, _ = session.tracker.fresh_capture(4, obj)
    assert inputs.frame == 4 and inputs.obj_id == obj
    assert res.train_seconds > 0 and calls
    # training lowers the loss and lifts the trained frame's IoU well above plain decoding
    assert res.losses[-1] < res.losses[0]
    assert res.train_iou > res.iou_before + 0.2
    assert res.random_weights is True
    assert session.training_log[-1]["frame"] == 4


def test_correction_on_untracked_frame_tracks_it_first(session, square_clip):
    _, masks = square_clip
    obj = _prompted(session, masks)
    res = session.correct(5, obj, mask=masks[5])
    assert res.trained
    assert 5 in session.tracker.tracked_frames(obj)
    assert 5 not in session.tracker.conditioning_frames(obj)
    assert session.tracker.fresh_capture(5, obj)[0].frame == 5


def test_candidates_and_accept_change_later_propagation(session, square_clip):
    _, masks = square_clip
    obj = _prompted(session, masks)
    list(session.propagate(progress=False))
    session.correct(2, obj, mask=masks[2])
    cands = session.candidates(4, obj)
    assert cands[0].expert is None and [c.expert for c in cands[1:]] == [0]
    for c in cands:
        assert c.mask.shape == (96, 128) and c.mask.dtype == bool

    def logits(frame):  # random weights often threshold to empty masks: compare logits
        return session.tracker.logits(frame, obj)

    before = logits(5).clone()
    state_before = session.mask(4, obj).copy()
    cands = session.candidates(4, obj)  # looking changes nothing
    assert np.array_equal(session.mask(4, obj), state_before)
    # accept a mask that is clearly different from the tracked one
    cands[1].mask[:] = False
    cands[1].mask[10:40, 60:90] = True
    accepted = session.accept(4, obj, 1)
    assert np.array_equal(accepted, session.mask(4, obj))
    assert np.array_equal(accepted, cands[1].mask)
    list(session.propagate(start_frame=4, progress=False))
    assert not torch.equal(before, logits(5))
    assert session.events[-1]["kind"] == "accept"
    assert session.experts(obj).replay_size(0) == 2  # the correction and the accept


def test_undo_redo_restores_exactly(session, square_clip):
    _, masks = square_clip
    obj = _prompted(session, masks)
    list(session.propagate(progress=False))
    masks_before = {f: session.mask(f, obj).copy() for f in range(6)}
    bank = session.experts(obj)
    session.correct(3, obj, mask=np.roll(masks[3], 7, axis=1))
    assert bank.num_experts == 1
    # tracking over the corrected frame again keeps the correction
    list(session.propagate(progress=False))
    assert np.array_equal(session.mask(3, obj), np.roll(masks[3], 7, axis=1))
    after = {f: session.mask(f, obj).copy() for f in range(6)}
    assert session.undo()  # the propagation
    assert session.undo()  # the correction
    assert bank.num_experts == 0
    for f in range(6):
        assert np.array_equal(session.mask(f, obj), masks_before[f]), f
    assert session.redo()
    assert session.redo()
    assert bank.num_experts == 1
    for f in range(6):
        assert np.array_equal(session.mask(f, obj), after[f]), f
    # propagation after an undo still works from the restored memory
    assert len(list(session.propagate(progress=False))) == 6


def test_adapters_round_trip_and_reload_on_another_video(
    session, square_clip, predictor, tmp_path, make_clip
):
    _, masks = square_clip
    obj = _prompted(session, masks)
    list(session.propagate(progress=False))
    session.correct(3, obj, mask=masks[3])
    path = session.save_adapters(tmp_path / "experts.safetensors")
    frames2, masks2 = make_clip(num_frames=4, size=(80, 112))
    other = Session(predictor, frames2, autosave=False)
    o2 = other.add_object()
    other.add_mask(0, o2, masks2[0])
    assert other.load_adapters(path) == 1
    a = session.experts(obj).snapshot()
    b = other.experts(o2).snapshot()
    ta = [v for v in _tensors(a)]
    tb = [v for v in _tensors(b)]
    assert len(ta) == len(tb) and all(torch.equal(x, y) for x, y in zip(ta, tb, strict=True))
    cands = other.candidates(2, o2)
    assert len(cands) == 2 and cands[1].mask.shape == (80, 112)
    other.close()


def _tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for k in sorted(obj, key=str):
            if k != "replay":
                yield from _tensors(obj[k])
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors(v)


def test_export_and_import_round_trip(session, square_clip, tmp_path):
    _, masks = square_clip
    obj = _prompted(session, masks)
    list(session.propagate(progress=False, max_frames=2))
    coco = session.export_coco(tmp_path / "m.json")
    davis = session.export_davis(tmp_path / "davis")
    arr = session.masks_array()
    assert arr.shape == (6, 96, 128) and set(np.unique(arr)) <= {0, obj}
    for src in (coco, davis):
        s2 = Session(session.predictor, session.video, autosave=False)
        s2.import_masks(src, as_reference=True)
        assert s2.reference[0][obj].sum() == masks[0].sum()
        s2.close()
    session.set_reference({f: {obj: masks[f]} for f in range(6)})
    ious = session.reference_iou(obj)
    assert ious[0] == 1.0 and set(ious) == {0, 1, 2}


BAD_CASES = [
    ("frame out of range", lambda s, o, m: s.add_points(6, o, [[5, 5]], [1]), "out of range"),
    ("negative frame", lambda s, o, m: s.mask(-1, o), "out of range"),
    ("unknown object", lambda s, o, m: s.add_points(0, 99, [[5, 5]], [1]), "does not exist"),
    ("point outside", lambda s, o, m: s.add_points(0, o, [[500, 5]], [1]), "outside the frame"),
    ("points shape", lambda s, o, m: s.add_points(0, o, [[1, 2, 3]], [1]), r"shape \(N, 2\)"),
    ("labels length", lambda s, o, m: s.add_points(0, o, [[1, 2]], [1, 0]), "one entry per"),
    ("bad label", lambda s, o, m: s.add_points(0, o, [[1, 2]], [3]), "1 \\(include\\)"),
    ("nan point", lambda s, o, m: s.add_points(0, o, [[np.nan, 2]], [1]), "NaN"),
    ("box outside", lambda s, o, m: s.add_box(0, o, [0, 0, 500, 50]), "outside the frame"),
    ("box inverted", lambda s, o, m: s.add_box(0, o, [50, 50, 10, 10]), "inverted"),
    ("mask shape", lambda s, o, m: s.add_mask(0, o, np.ones((10, 10), bool)), "shape"),
    ("empty mask", lambda s, o, m: s.add_mask(0, o, np.zeros((96, 128), bool)), "empty"),
    ("bad direction", lambda s, o, m: s.propagate(direction="sideways"), "direction"),
    ("both mask and points", lambda s, o, m: s.correct(1, o, mask=m, points=[[1, 1]]), "either"),
    ("accept index", lambda s, o, m: s.accept(0, o, 7), "out of range"),
    ("object name", lambda s, o, m: s.rename_object(o, "  "), "non-empty"),
    ("duplicate id", lambda s, o, m: s.add_object(obj_id=o), "already exists"),
]


@pytest.mark.parametrize("name, call, match", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_leaves_session_unchanged(session, square_clip, name, call, match):
    _, masks = square_clip
    obj = _prompted(session, masks)
    before = (
        session.masks_array().copy(),
        list(session.events),
        session.can_undo,
        len(session.history.undo_labels),
        dict(session.objects),
    )
    with pytest.raises(InputError, match=match):
        call(session, obj, masks[1])
    after = (
        session.masks_array(),
        list(session.events),
        session.can_undo,
        len(session.history.undo_labels),
        dict(session.objects),
    )
    assert np.array_equal(before[0], after[0]) and before[1:] == after[1:]


def test_unreadable_video_is_a_clear_error(predictor, tmp_path):
    from litlora_widgets.errors import VideoError

    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError):
        Session(predictor, tmp_path / "empty.mp4")
    with pytest.raises(VideoError):
        Session(predictor, tmp_path / "nothing-here")


def test_tracking_before_an_objects_only_prompt(session, square_clip):
    # frame 0 is tracked for an object whose only prompt is on frame 1: its memory then holds
    # no float32 object pointers, only SAM2's bf16 memory features (a CPU dtype trap)
    _, masks = square_clip
    _prompted(session, masks)
    list(session.propagate(max_frames=3, progress=False))
    late = session.add_object()
    session.add_box(1, late, [60, 10, 100, 50])
    out = dict(session.propagate(max_frames=2, progress=False))
    assert set(out) == {0, 1, 2} and late in out[0]


def test_nan_loss_leaves_the_session_unchanged(session, square_clip):
    from litlora_widgets.errors import TrainingError

    _, masks = square_clip
    obj = _prompted(session, masks)
    list(session.propagate(progress=False))
    before = (session.masks_array().copy(), list(session.events), len(session.history.undo_labels))
    session.lit_config.init_lr = 1e9  # diverges within a few epochs
    with pytest.raises(TrainingError, match="lower learning rate|LIT off"):
        session.correct(3, obj, mask=masks[3])
    assert np.array_equal(before[0], session.masks_array())
    assert (list(session.events), len(session.history.undo_labels)) == before[1:]
    assert session.experts(obj).num_experts == 0


# ---- audited semantics (issue #14): each test fails on the code before the fix ------------
def test_accept_on_a_never_tracked_frame_is_a_correction_not_a_keyframe(session, square_clip):
    _, masks = square_clip
    obj = _prompted(session, masks)
    session.candidates(4, obj)  # looks at frame 4 without tracking it into memory
    assert not session.is_tracked(4, obj)
    session.accept(4, obj, 0)
    assert session.tracker.conditioning_frames(obj) == {0}
    assert 4 in session.tracker.tracked_frames(obj) and session.is_tracked(4, obj)


def test_a_partial_propagation_makes_older_captures_stale(predictor, square_clip):
    frames, masks = square_clip

    def run(look_early: bool):
        s = Session(predictor, frames, autosave=False)
        obj = _prompted(s, masks)
        list(s.propagate(max_frames=3, progress=False))  # frames 0..3
        if look_early:
            s.candidates(5, obj)  # features of 5 under memory 0..3
        list(s.propagate(start_frame=4, max_frames=0, progress=False))  # frame 4 enters memory
        c = s.candidates(5, obj)[0]
        inputs, _ = s.tracker.fresh_capture(5, obj)
        s.close()
        return c.score, c.obj_score, inputs.image_embed

    early, fresh = run(True), run(False)
    assert early[:2] == fresh[:2]
    assert torch.equal(early[2], fresh[2])


def test_accept_re_captures_an_evicted_frame_for_replay(predictor, square_clip):
    frames, masks = square_clip
    s = Session(predictor, frames, autosave=False, capture_cache=1)
    obj = _prompted(s, masks)
    list(s.propagate(progress=False))
    s.correct(2, obj, mask=masks[2])
    assert s.experts(obj).replay_size(0) == 1
    s.candidates(4, obj)
    s.candidates(5, obj)  # evicts frame 4's capture (cache of one)
    s.accept(4, obj, 1)
    assert s.experts(obj).replay_size(0) == 2
    s.close()


def test_removing_an_object_forgets_its_candidates(session, square_clip):
    _, masks = square_clip
    obj = _prompted(session, masks)
    list(session.propagate(progress=False))
    session.candidates(3, obj)
    session.remove_object(obj)
    session.add_object(obj_id=obj)
    with pytest.raises(InputError, match="no prompt yet"):
        session.accept(3, obj, 0)
    assert session.tracked_frames(obj) == set()


def test_an_action_during_a_suspended_propagation_is_its_own_undo_step(session, square_clip):
    _, masks = square_clip
    obj = _prompted(session, masks)
    gen = session.propagate(progress=False)
    assert [next(gen)[0] for _ in range(3)] == [0, 1, 2]
    propagated = session.mask(2, obj).copy()
    session.correct(2, obj, mask=np.roll(masks[2], 9, axis=1), train=False)
    assert list(gen) == []  # the correction ended the propagation there
    assert session.history.undo_labels == [
        "add object 1",
        "add mask on frame 0",
        "propagation from frame 0",
        "correction on frame 2",
    ]
    assert session.undo()
    assert np.array_equal(session.mask(2, obj), propagated)  # propagated frames are kept
    assert session.tracked_frames(obj) == {0, 1, 2}
    assert session.undo()
    assert session.tracked_frames(obj) == {0}


def test_frame_states_say_how_each_mask_came_about(session, square_clip):
    _, masks = square_clip
    obj = _prompted(session, masks)
    list(session.propagate(progress=False))
    session.correct(3, obj, mask=np.zeros((96, 128), bool), train=False)
    states = session.frame_states(obj)
    assert sorted(states) == [0, 1, 2, 3, 4, 5]
    assert [states[f].kind for f in range(6)] == [
        "prompt",
        "tracked",
        "tracked",
        "correction",
        "tracked",
        "tracked",
    ]
    assert states[3].area == 0 and states[0].area == int(masks[0].sum())
    assert np.isnan(states[0].sam_iou)  # a mask prompt: SAM2 did not score it
    assert all(np.isfinite(states[f].sam_iou) for f in (1, 2, 4, 5))


# ---- on the embedded model, the demo's hard clip (where the bugs were seen) ---------------
@pytest.fixture(scope="module")
def demo():
    """litlora-tiny tracking the demo's hard clip from its first-frame mask (frames 0..13)."""
    from litlora_widgets.build_sam import TINY_WEIGHTS, load_predictor
    from litlora_widgets.datasets import demo_clip

    if not TINY_WEIGHTS.is_file():
        pytest.skip(f"no embedded weights at {TINY_WEIGHTS}")
    video, labels = demo_clip(seed=3, num_frames=14, size=(240, 320), difficulty="hard")
    return load_predictor(), video, labels == 1


def _tracked(demo):
    predictor, video, gt = demo
    s = Session(predictor, video, autosave=False)
    obj = s.add_object()
    s.add_mask(0, obj, gt[0])
    list(s.propagate(progress=False))
    return s, obj, gt


@pytest.mark.slow
def test_absent_is_learnt_and_an_accepted_absent_candidate_sticks(demo):
    s, obj, gt = _tracked(demo)
    assert s.mask(6, obj).sum() > 100  # SAM2 follows something on frames 5 and 6
    res = s.correct(5, obj, mask=np.zeros_like(gt[5]))  # "not the object: absent here"
    assert res.trained and res.improved and res.expert == 0 and res.new_expert
    assert res.train_iou == 1.0 and res.best_epoch > 0
    assert s.training_log[-1]["improved"] is True
    cands = s.candidates(6, obj)
    assert cands[1].expert == 0 and cands[1].obj_score < 0 and not cands[1].mask.any()
    s.accept(6, obj, 1)
    list(s.propagate(start_frame=6, progress=False))
    assert s.mask(6, obj).sum() == 0  # the accept entered SAM2's memory: it survives
    assert 6 in s.tracker.prompted_frames(obj)
    assert s.frame_states(obj)[6].kind == "accept"
    s.close()


@pytest.mark.slow
def test_a_training_that_learnt_nothing_keeps_no_new_expert(demo):
    s, obj, gt = _tracked(demo)
    s.lit_config.init_lr = 0.0  # nothing can change: the start stays the best
    res = s.correct(9, obj, mask=gt[9])
    assert res.trained and not res.improved and res.best_epoch == 0
    assert res.expert is None and not res.new_expert
    assert s.experts(obj).num_experts == 0
    assert s.training_log[-1]["improved"] is False and s.training_log[-1]["best_epoch"] == 0
    s.close()


@pytest.mark.slow
def test_corrections_where_sam2_lost_the_object_are_learnt(demo):
    # plain SAM2 scores IoU near 0 on frame 14 of this clip (the embedded v2 at step 27,247,
    # like step 21,046, holds the object to frame 13, IoU 0.41, and loses it on 14 as it shrinks
    # to 283 px near the border; step 14,244 lost it from frame 10 on, v1 on frames 9 and 13);
    # the IoU stays near 0 until the object score turns, which the authors' "hopeless at epoch
    # 10 / 50" rules took for no progress (0.000 at epoch 30)
    from litlora_widgets.datasets import demo_clip
    from litlora_widgets.masks import mask_iou

    frame = 14
    video, labels = demo_clip(seed=3, num_frames=16, size=(240, 320), difficulty="hard")
    s, obj, gt = _tracked((demo[0], video, labels == 1))
    assert mask_iou(s.mask(frame, obj), gt[frame]) < 0.05
    res = s.correct(frame, obj, mask=gt[frame])
    assert res.improved and res.train_iou > 0.6, (res.epochs, res.train_iou)
    s.close()
