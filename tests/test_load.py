"""Under load: 200 rapid events from threads while training and propagation run, and memory
released over open/close cycles."""

from __future__ import annotations

import gc
import os
import random
import threading

import numpy as np
import pytest

from litlora_widgets.engine.experts import LitConfig
from litlora_widgets.errors import InputError
from litlora_widgets.session import Session
from litlora_widgets.widget.worker import Worker


def _apply(s: Session, ev: tuple) -> None:
    """One mutating event, as the widget's worker would run it. Refusals (e.g. a click after
    undo removed the object) are part of the outcome, the same in the serial replay."""
    try:
        _run(s, ev)
    except InputError:
        pass


def _run(s: Session, ev: tuple) -> None:
    kind, *a = ev
    if kind == "click":
        s.add_points(a[0], 1, [[a[1], a[2]]], [a[3]])
    elif kind == "propagate":
        list(s.propagate(progress=False, max_frames=2))
    elif kind == "correct":
        s.correct(a[0], 1, mask=np.roll(s.mask(a[0], 1), 2, axis=1))
    elif kind == "candidates":
        s.candidates(a[0], 1)
    elif kind == "undo":
        s.undo()


def _events(rng: random.Random, n: int) -> list[tuple]:
    out = []
    for i in range(n):
        r = rng.random()
        if i % 50 == 5:
            out.append(("propagate",))
        elif i % 50 == 7:
            out.append(("correct", rng.randrange(1, 4)))
        elif r < 0.35:
            out.append(("frame", rng.randrange(6)))  # a seek: reads masks, on the caller
        elif r < 0.7:
            out.append(
                (
                    "click",
                    rng.randrange(3),
                    rng.randrange(20, 60),
                    rng.randrange(20, 50),
                    rng.randrange(2),
                )
            )
        elif r < 0.85:
            out.append(("candidates", rng.randrange(3)))
        else:
            out.append(("undo",))
    return out


def _new(predictor, frames, masks) -> Session:
    s = Session(
        predictor, frames, autosave=False, lit_config=LitConfig(init_epochs=5, finetune_epochs=3)
    )
    s.add_object("square")
    s.add_mask(0, 1, masks[0])
    return s


@pytest.mark.slow
def test_200_events_from_threads_equal_a_serial_replay(predictor, square_clip):
    frames, masks = square_clip
    rng = random.Random(3)
    s = _new(predictor, frames, masks)
    errors: list[BaseException] = []
    worker = Worker(lambda label, exc: errors.append(exc))
    order: list[tuple] = []  # the order the worker received mutating events: the truth
    order_lock = threading.Lock()
    batches = [_events(rng, 50) for _ in range(4)]

    def fire(batch):
        for ev in batch:
            if ev[0] == "frame":
                s.masks(ev[1])  # concurrent read while the worker mutates
                continue
            with order_lock:
                order.append(ev)
                worker.submit(ev[0], lambda ev=ev: _apply(s, ev))

    threads = [threading.Thread(target=fire, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        assert not t.is_alive(), "a firing thread deadlocked"
    assert worker.join(600), "the worker did not drain its queue (deadlock?)"
    worker.close()
    assert not errors, errors
    assert sum(len(b) for b in batches) == 200
    got = {f: s.masks(f) for f in range(6)}
    s.close()

    serial = _new(predictor, frames, masks)
    for ev in order:
        _apply(serial, ev)
    for f in range(6):
        want = serial.masks(f)
        assert got[f].keys() == want.keys(), f
        assert all(np.array_equal(got[f][o], want[o]) for o in want), f
    serial.close()


def _rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # pragma: no cover
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_close_releases_memory(predictor, square_clip, tmp_path):
    frames, masks = square_clip

    def cycle(i):
        s = Session(
            predictor,
            frames,
            workdir=tmp_path / f"w{i}",
            lit_config=LitConfig(init_epochs=5, finetune_epochs=3),
        )
        s.add_object()
        s.add_mask(0, 1, masks[0])
        list(s.propagate(progress=False, max_frames=2))
        s.correct(2, 1, mask=masks[2])
        s.close()
        del s
        gc.collect()

    for i in range(2):  # warm-up: allocator pools, lazy imports
        cycle(i)
    base = _rss_mb()
    rss = []
    for i in range(10):
        cycle(i + 2)
        rss.append(_rss_mb())
    print(f"\nRSS baseline {base:.0f} MB, after cycles: {[round(r) for r in rss]}")
    assert rss[-1] - base < 60, (base, rss)
    assert rss[-1] - rss[4] < 30, rss  # no steady growth
