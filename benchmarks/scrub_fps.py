"""Scrubbing speed in a real browser from the front end's frame cache (goal >= 30 frames/s).

Starts JupyterLab (127.0.0.1, random port), opens a notebook with the widget on a 480p clip
(SAM2 random weights, 256 px), lets the cache fill, then presses → once per animation frame
and counts the frames actually drawn per second (each seek also round-trips the frame trait to
the kernel, which answers with that frame's masks: the realistic path).
Run: ``.venv/bin/python benchmarks/scrub_fps.py [--frames 60]`` (needs Debian chromium).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _lab import lab_page  # noqa: E402

CELL = """\
import numpy as np
from litlora_widgets import Session, load_predictor
from litlora_widgets.widget import LitLoraApp
rng = np.random.default_rng(0)
frames = rng.integers(0, 255, size=({n}, 480, 854, 3), dtype=np.uint8)
app = LitLoraApp(Session(load_predictor(checkpoint=None, image_size=256, device="cpu",
                                        quiet=True), frames, lit=False, autosave=False))
app.dispatch({{"type": "click", "frame": 0, "x": 300, "y": 200, "label": 1}})
app
"""

SCRUB_JS = """async (n) => {
  const root = document.querySelector('.litlora');
  const key = (k) => root.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true}));
  const raf = () => new Promise((r) => requestAnimationFrame(r));
  key('Home'); await raf();
  let drawn = 0, last = root.dataset.drawnFrame;
  const t0 = performance.now();
  for (let i = 0; i < n - 1; i++) {
    key('ArrowRight'); await raf();
    if (root.dataset.drawnFrame !== last) { drawn++; last = root.dataset.drawnFrame; }
  }
  const dt = (performance.now() - t0) / 1000;
  // raw cost of one cached seek (draw frame + mask + points + curves), no vsync
  key('Home');
  const t1 = performance.now();
  for (let i = 0; i < n - 1; i++) key('ArrowRight');
  const perSeek = (performance.now() - t1) / (n - 1);
  return {drawn, seconds: dt, fps: drawn / dt, perSeekMs: perSeek};
}"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=60)
    args = ap.parse_args()
    with lab_page([CELL.format(n=args.frames)]) as page:
        prompt = page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first
        for _ in range(5):  # a Shift+Enter right after the kernel starts can be dropped
            page.locator(".jp-Notebook .jp-Cell .cm-content").first.click()
            page.keyboard.press("Shift+Enter")
            time.sleep(5)
            if prompt.inner_text().strip() not in ("[ ]:", ""):
                break
        page.locator(".litlora").wait_for(timeout=180_000)
        # fill the cache: walk every frame once, waiting for each to be drawn
        for f in range(args.frames):
            page.evaluate(
                "(f) => { const r = document.querySelector('.litlora');"
                " r.dispatchEvent(new KeyboardEvent('keydown', {key: f ? "
                "'ArrowRight' : 'Home', bubbles: true})); }",
                f,
            )
            page.wait_for_function(
                f"document.querySelector('.litlora').dataset.drawnFrame === '{f}'",
                timeout=60_000,
            )
        r = page.evaluate(SCRUB_JS, args.frames)
    print(
        f"scrub {args.frames} cached 854x480 frames in headless Chromium (1 seek per "
        f"animation frame): {r['fps']:.1f} frames/s drawn (goal >= 30); "
        f"{r['perSeekMs']:.2f} ms per cached seek (max {1000 / r['perSeekMs']:.0f} seeks/s)"
    )


if __name__ == "__main__":
    main()
