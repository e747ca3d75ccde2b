"""Propagation streamed to the widget vs the engine alone (goal: ratio <= 1.05).

Same clip, same prompt, fresh sessions; the widget run includes the worker, throttled mask
streaming (label map + LMR1 + comm send), progress and live curves. The engine-alone run also
runs in a (plain) thread: on a loaded 2-core machine torch's 2-thread OpenMP pool in the main
thread was measured ~10x slower than the same loop in a Python thread (which torch runs with a
single intra-op thread), so main-thread timings would flatter the widget.
Run: ``.venv/bin/python benchmarks/propagation_overhead.py [--frames 16] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import warnings

import numpy as np


def clip(num_frames: int, h: int = 480, w: int = 854) -> np.ndarray:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 60, size=(num_frames, h, w, 3), dtype=np.uint8)
    for t in range(num_frames):
        frames[t, 150:300, 100 + 8 * t : 300 + 8 * t] = (220, 80, 40)
    return frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", message="an earlier session")  # journal notices

    from litlora_widgets.build_sam import load_predictor
    from litlora_widgets.session import Session
    from litlora_widgets.widget import LitLoraApp

    predictor = load_predictor(checkpoint=None, image_size=256, device="cpu", quiet=True)
    frames = clip(args.frames)
    sent = {"messages": 0}

    def engine_run() -> float:
        s = Session(predictor, frames, lit=False, autosave=False)
        s.add_points(0, s.add_object(), [[200, 220]], [1])
        out = {}

        def loop() -> None:
            t0 = time.perf_counter()
            for _ in s.propagate(progress=False):
                pass
            out["dt"] = time.perf_counter() - t0

        th = threading.Thread(target=loop)
        th.start()
        th.join()
        return out["dt"]

    def widget_run() -> float:
        s = Session(predictor, frames, lit=False, autosave=False)
        s.add_points(0, s.add_object(), [[200, 220]], [1])
        app = LitLoraApp(s)
        app.comm.send = lambda *a, **k: sent.__setitem__("messages", sent["messages"] + 1)
        t0 = time.perf_counter()
        app.dispatch({"type": "propagate", "direction": "forward"})
        app.wait(600)
        dt = time.perf_counter() - t0
        assert not app.error and len(s.tracked_frames(1)) == args.frames, app.error
        app.close()
        return dt

    engine_run()  # warm-up
    eng, wid = [], []
    for _ in range(args.repeats):
        eng.append(engine_run())
        wid.append(widget_run())
    e, w = statistics.median(eng), statistics.median(wid)
    print(f"propagate {args.frames} frames 854x480, SAM2 random weights 256 px, 2 CPU cores")
    print(
        f"  engine alone {e:.2f} s ({1e3 * e / args.frames:.0f} ms/frame); "
        f"through the widget {w:.2f} s; ratio {w / e:.3f} (goal <= 1.05); "
        f"{sent['messages'] / args.repeats:.0f} comm messages per run"
    )


if __name__ == "__main__":
    main()
