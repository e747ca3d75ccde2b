"""Scrubbing speed in a real browser from the front end's frame cache (goal >= 30 frames/s).

Starts JupyterLab (127.0.0.1, random port), opens a notebook with the widget on a 480p clip
(SAM2 random weights, 256 px), lets the cache fill, then presses → once per animation frame
and counts the frames actually drawn per second (each seek also round-trips the frame trait to
the kernel, which answers with that frame's masks: the realistic path).
Run: ``.venv/bin/python benchmarks/scrub_fps.py [--frames 60]`` (needs Debian chromium).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("needs Debian chromium: scripts/setup_browser.sh")
    tmp = Path(tempfile.mkdtemp(prefix="scrub-"))
    (tmp / "cfg" / "labconfig").mkdir(parents=True)
    (tmp / "cfg" / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "a",
                "metadata": {},
                "outputs": [],
                "source": CELL.format(n=args.frames),
            }
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp / "scrub.ipynb").write_text(json.dumps(nb))
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "cfg"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={tmp}",
            "--allow-root",
        ],
        cwd=tmp,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            b = p.chromium.launch(
                executable_path=chromium,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                ],
            )
            page = b.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{url}/lab/tree/scrub.ipynb")
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
                timeout=90_000
            )
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
            b.close()
    finally:
        proc.terminate()
        proc.wait(15)
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"scrub {args.frames} cached 854x480 frames in headless Chromium (1 seek per "
        f"animation frame): {r['fps']:.1f} frames/s drawn (goal >= 30); "
        f"{r['perSeekMs']:.2f} ms per cached seek (max {1000 / r['perSeekMs']:.0f} seeks/s)"
    )


if __name__ == "__main__":
    main()
