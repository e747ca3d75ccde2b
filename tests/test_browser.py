"""Real-browser tests: JupyterLab on 127.0.0.1 + Playwright + Debian Chromium.

One JupyterLab server and one page for the module (2-core CI: keep it lean). The notebook
builds the widget on a small clip with the real SAM2 (random weights, 256 px) and writes the
session's state to files after every change, so the test checks both sides: pixels on the
overlay canvas and masks in the Python session. Screenshots go to tests/artifacts/.

Needs: ``scripts/setup_browser.sh`` (Debian chromium) and, for the static-export test,
``npm ci --prefix tests/html_export`` (the widget loader, served locally instead of a CDN).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from _jupyterlab import CHROMIUM_ARGS, start_jupyterlab, stop_jupyterlab

from litlora_widgets.build_sam import TINY_WEIGHTS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
ARTIFACTS = TESTS / "artifacts"
HTML_DEPS = TESTS / "html_export" / "node_modules"
CHROMIUM = shutil.which("chromium")
VIDEO = {"num_frames": 40, "size": (180, 320), "side": 28}  # square at x 10.., y 20..48
CLICK = (20.0, 30.0)  # video px, inside the square on frame 0

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

if sync_playwright is None or CHROMIUM is None:
    pytest.skip(
        "browser tests need playwright (pip install playwright) and Debian chromium "
        "(scripts/setup_browser.sh)",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout: float, what: str, interval: float = 0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


NOTEBOOK_SETUP = """\
import json, os, sys, threading
from pathlib import Path
import numpy as np
sys.path.insert(0, {tests!r})
from conftest import moving_square_clip
from litlora_widgets import Session, load_predictor
from litlora_widgets.widget import LitLoraApp

OUT = Path({out!r})
frames, _ = moving_square_clip(**{video!r})
frames = np.concatenate([frames, frames[::-1], frames])  # 120 frames: Stop has time to act
import torch
torch.manual_seed(4)  # random weights: seed 4 gives a mid-sized first mask (~14k px) here
predictor = load_predictor(checkpoint=None, image_size=256, device="cpu", quiet=True)
{lit_config}
app = LitLoraApp(Session(predictor, frames, lit=True, autosave=False, lit_config=lit_config))

_lock = threading.Lock()

def dump(_=None):
    with _lock:  # observers fire on the worker and on the main thread
        _dump()

def _dump():
    # the session's side of the story, read by the test (atomic replace: no torn reads)
    s = app.session
    for o in s.objects:
        with open(OUT / "mask.tmp", "wb") as f:
            np.save(f, s.mask(app.mask_frame if app.mask_frame >= 0 else 0, o))
        os.replace(OUT / "mask.tmp", OUT / f"mask_{{o}}.npy")
    state = {{
        "objects": {{o: {{"name": i.name, "color": list(i.color)}} for o, i in s.objects.items()}},
        "events": [e["kind"] for e in s.events], "training": len(s.training_log),
        "tracked": {{o: sorted(s.tracked_frames(o)) for o in s.objects}},
        "busy": app.busy, "status": app.status, "error": app.error, "frame": app.frame,
        "mask_frame": app.mask_frame, "candidates": len(app.candidates), "prompts": app.prompts,
        "notice": app.notice.get("text", ""), "timeline": app.timeline.get("rows", []),
    }}
    (OUT / "state.tmp").write_text(json.dumps(state))
    os.replace(OUT / "state.tmp", OUT / "state.json")

app.observe(dump, names=["mask_bytes", "mask_frame", "prompts", "progress", "busy", "status",
                         "notice", "timeline",
                         "candidates", "error", "objects", "training"])
dump()
app
"""

# What the page did, for the message of a failed wait (where the focus went, what the widget
# said): focus moves, presses and the widget's busy/notice/frame attributes, newest last.
PAGE_LOG_JS = """
window.__llLog = [];
const name = (el) => !el ? "-" : el === document.body ? "body" :
  el.tagName.toLowerCase() + (typeof el.className === "string" && el.className ?
    "." + el.className.trim().split(/\\s+/).slice(0, 2).join(".") : "");
const log = (...a) => {
  window.__llLog.push([Math.round(performance.now()), ...a].join(" "));
  if (window.__llLog.length > 400) window.__llLog.shift();
};
document.addEventListener(
  "focusin", (e) => log("focus", name(e.target), "from", name(e.relatedTarget)), true);
document.addEventListener("pointerdown", (e) => log("pointerdown", name(e.target)), true);
document.addEventListener("keydown", (e) => log("key", e.key, "on", name(e.target)), true);
new MutationObserver((ms) => ms.forEach((m) => {
  const v = m.target.getAttribute(m.attributeName);
  if (v !== m.oldValue) log(m.attributeName, JSON.stringify(v));
})).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                       attributeFilter: ["data-busy", "data-notice", "data-frame"]});
"""


def write_notebook(path: Path, src: str) -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "setup",
                "metadata": {},
                "outputs": [],
                "source": src.splitlines(keepends=True),
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


@pytest.fixture(scope="module", autouse=True)
def cpu_hog():
    """``LITLORA_BROWSER_STRESS=N``: N busy-looping processes beside the tests (issue #12,
    item 14: the tests wait on state, so they must pass with the CPU taken)."""
    n = int(os.environ.get("LITLORA_BROWSER_STRESS", "0") or 0)
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    yield
    for p in hogs:
        p.kill()
        p.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 (random port, no token, news off) serving a tmp root."""
    root = tmp_path_factory.mktemp("lab")
    with open(root / "jupyter.log", "w") as log:
        try:
            proc, url = start_jupyterlab(root, log)
        except RuntimeError as e:
            raise AssertionError(f"{e}\n{(root / 'jupyter.log').read_text()[-3000:]}") from e
        yield url, root
        stop_jupyterlab(proc)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Notebook:
    """The running notebook: the page, the widget's locators and the kernel's state files."""

    def __init__(self, page, out: Path, size: tuple[int, int] = VIDEO["size"], index: int = 0):
        self.page = page
        self.out = out
        self.size = size  # the video's (H, W)
        self.index = index  # which widget of the page
        self.root = page.locator(".litlora").nth(index)

    def state(self) -> dict:
        try:
            return json.loads((self.out / "state.json").read_text())
        except (OSError, ValueError):
            return {}

    def wait_state(self, pred, timeout: float, what: str) -> dict:
        try:
            return wait_until(lambda: (st := self.state()) and pred(st) and st, timeout, what)
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}; kernel state: {self.state()}; {self.page_side()}"
            ) from None

    def data(self, name: str) -> str | None:
        return self.root.get_attribute(f"data-{name}")

    def wait_data(self, name: str, pred, timeout: float = 30):
        try:
            return wait_until(lambda: pred(self.data(name)), timeout, f"data-{name}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; {self.page_side()}") from None

    def page_side(self) -> str:
        """The browser's side of a failed wait: screenshot and page log in tests/artifacts/,
        the widget's busy/notice/frame, where the focus is and the last things the page did."""
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            self.page.screenshot(path=str(ARTIFACTS / "failed.png"))
            log = self.page.evaluate("window.__llLog || []")
            focus = self.page.evaluate(
                "i => document.querySelectorAll('.litlora')[i].contains(document.activeElement)"
                " ? 'in the widget' : (document.activeElement || {}).className || 'body'",
                self.index,
            )
            data = {k: self.data(k) for k in ("busy", "notice", "frame", "kernel-frame")}
        except Exception as exc:  # noqa: BLE001 - the page may be gone
            return f"browser: {exc}"
        (ARTIFACTS / "failed_page_log.txt").write_text("\n".join(log))
        return f"browser: {data}, focus {focus}; page log (newest last): {log[-12:]}"

    def client_xy(self, x: float, y: float) -> tuple[float, float]:
        """Page position of video pixel coordinates (x, y), from the FRAME canvas's box."""
        canvas = self.root.locator("canvas.ll-layer-frame")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        h, w = self.size
        return box["x"] + x / w * box["width"], box["y"] + y / h * box["height"]

    def has_focus(self) -> bool:
        return self.page.evaluate(
            "i => document.querySelectorAll('.litlora')[i].contains(document.activeElement)",
            self.index,
        )

    def focus(self) -> None:
        """Focus the widget (its first click only focuses: item 13)."""
        self.root.locator(".ll-title").click()
        wait_until(self.has_focus, 10, "the widget to take focus")

    def wait_fitted(self) -> None:
        """After a window resize: the frame box was fitted to the widget's new width (the
        widget refits on its ResizeObserver, after JupyterLab's own layout)."""
        # two frames of the page first: the resize event and the layout it causes are handled
        self.page.evaluate(
            "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        wait_until(
            lambda: self.root.evaluate(
                "el => el.clientWidth > 0 && String(el.clientWidth) === el.dataset.fitWidth"
            ),
            20,
            "the frame box to be fitted to the new width",
        )

    def overlay_pixels(
        self,
        points: list[tuple[float, float]],
        layer: str = "mask",
        css_offset: tuple[float, float] = (0, 0),
    ) -> list:
        """RGBA of a layer at video pixels (x, y) (+ an offset in CSS px): the points layer
        has the on-screen resolution, the mask layer the video's."""
        return self.page.evaluate(
            """([i, layer, pts, [ox, oy]]) => {
                const root = document.querySelectorAll('.litlora')[i];
                const c = root.querySelector(`canvas.ll-layer-${layer}`);
                const vw = root.querySelector('canvas.ll-layer-frame').width;
                const s = c.width / vw;
                const k = c.width / c.getBoundingClientRect().width;
                const ctx = c.getContext('2d');
                return pts.map(([x, y]) => Array.from(ctx.getImageData(
                    Math.floor((x + 0.5) * s + ox * k), Math.floor((y + 0.5) * s + oy * k),
                    1, 1).data));
            }""",
            [self.index, layer, points, list(css_offset)],
        )

    def wait_pixels(self, points, pred, what: str, layer: str = "mask", css_offset=(0, 0)):
        """RGBA of a layer at ``points`` once ``pred(pixels)`` holds: a wait on drawn pixels
        (the kernel writes its state file before its message reaches the page)."""
        try:
            return wait_until(
                lambda: pred(px := self.overlay_pixels(points, layer, css_offset)) and [px],
                30,
                what,
            )[0]
        except AssertionError as exc:
            px = self.overlay_pixels(points, layer, css_offset)
            raise AssertionError(f"{exc}; pixels {px[:8]}; {self.page_side()}") from None

    def boxes(self, selector: str) -> list[dict]:
        return [loc.bounding_box() for loc in self.root.locator(selector).all()]

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.root.screenshot(path=str(path))
        return path


def shows_mask(px: list, n_on: int, color) -> bool:
    """The first ``n_on`` pixels in ``color``, the others transparent (canvas alpha is
    premultiplied: read-back colours are off by a rounding step)."""
    on = all(p[3] > 0 and np.abs(np.subtract(p[:3], color)).max() <= 3 for p in px[:n_on])
    return on and all(p[3] == 0 for p in px[n_on:])


def accept_dialogs(page) -> None:
    """Under load JupyterLab may ask which kernel to start (its "Select Kernel" dialog, which
    blocks every click): take its default (the notebook's Python 3) and say so in the log."""
    dialog = page.locator(".jp-Dialog")
    while dialog.count():
        print("JupyterLab dialog:", dialog.first.inner_text().replace("\n", " | ")[:300])
        dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click(timeout=10_000)
        dialog.first.wait_for(state="detached", timeout=10_000)


def run_first_cell(page) -> None:
    """Shift+Enter in the first cell once the kernel is idle; again if it was dropped."""
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=90_000)
    prompt = page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first
    for _ in range(3):
        accept_dialogs(page)
        page.locator(".jp-Notebook .jp-Cell .cm-content").first.click(timeout=60_000)
        page.keyboard.press("Shift+Enter")
        try:
            wait_until(lambda: prompt.inner_text().strip() not in ("[ ]:", ""), 10, "execution")
            return
        except AssertionError:
            continue
    raise AssertionError("JupyterLab did not execute the cell")


def open_notebook(
    lab,
    browser,
    name: str,
    src: str | None = None,
    size=VIDEO["size"],
    viewport=(1280, 1000),
    lit_config: str = "lit_config = None",
    widgets: int = 1,
    **fmt,
):
    """Write ``name``.ipynb, open it in JupyterLab, run its cell and wait for the first frame."""
    url, root = lab
    out = root / f"state-{name}"
    out.mkdir()
    src = (src or NOTEBOOK_SETUP).format(
        tests=str(TESTS), out=str(out), video=VIDEO, lit_config=lit_config, **fmt
    )
    write_notebook(root / f"{name}.ipynb", src)
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.on("console", lambda m: m.type == "error" and print("console:", m.text))
    page.add_init_script(PAGE_LOG_JS)
    # a workspace per notebook: JupyterLab would otherwise restore the tabs of earlier pages
    page.goto(f"{url}/lab/workspaces/{name}/tree/{name}.ipynb?reset")
    run_first_cell(page)
    try:
        page.locator(".litlora canvas.ll-layer-cursor").first.wait_for(timeout=180_000)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "setup_failed.png"))
        raise
    page.locator(".litlora").nth(widgets - 1).wait_for(timeout=60_000)
    n = Notebook(page, out, size)
    for i in range(widgets):
        Notebook(page, out, size, i).wait_data("drawn-frame", lambda v: v == "0", 60)
    return n


@pytest.fixture(scope="module")
def nb(lab, browser):
    n = open_notebook(lab, browser, "widget")
    yield n
    n.page.close()


def test_first_click_only_focuses_then_click_draws_the_mask(nb):
    # item 13: the click that focuses the widget (focus was in the cell editor) adds no point
    nb.page.mouse.click(*nb.client_xy(*CLICK))
    nb.wait_data("notice", lambda v: v and "focused" in v, 10)
    assert nb.state()["events"] == [] and nb.data("busy") == ""
    # buttons that cannot act yet are disabled (no object: nothing to propagate or export)
    for sel in (".ll-prop-fwd", ".ll-step", ".ll-cand-btn", ".ll-undo", ".ll-stop"):
        assert nb.root.locator(sel).is_disabled(), sel
    assert nb.root.locator("[data-testid=frame-label]").inner_text() == "frame 0 / 119"
    # random weights: a click's mask is arbitrary (even empty); add clicks until it is not
    clicks = [CLICK, (CLICK[0] + 5, CLICK[1] + 5), (15.0, 25.0), (30.0, 40.0), (160.0, 90.0)]
    for i, (cx, cy) in enumerate(clicks):
        nb.page.mouse.click(*nb.client_xy(cx, cy))
        # all of the click's outcome: the state file is written at each trait the kernel sets
        st = nb.wait_state(
            lambda s, n=i + 1: (
                s["events"].count("add_points") == n
                and s["mask_frame"] == 0
                and len(s["prompts"]) == n
                and s["objects"]
            ),
            60,
            "the click to reach the session",
        )
        assert st["error"] == ""
        (obj,) = st["objects"]
        mask = np.load(nb.out / f"mask_{obj}.npy")
        assert mask.shape == VIDEO["size"]
        if mask.any():
            break
    assert mask.any(), "five clicks gave an empty mask"
    assert len(st["prompts"]) == i + 1
    color = st["objects"][obj]["color"]
    nb.wait_data("mask-frame", lambda v: v == "0")
    # pixels: object colour where the session's mask is set, transparent elsewhere
    rng = np.random.default_rng(0)
    ys, xs = np.nonzero(mask)
    on = [(int(xs[i]), int(ys[i])) for i in rng.choice(len(xs), min(25, len(xs)), replace=False)]
    ys, xs = np.nonzero(~mask)
    off = [(int(xs[i]), int(ys[i])) for i in rng.choice(len(xs), min(25, len(xs)), replace=False)]
    cx, cy = int(cx), int(cy)
    if mask[cy, cx]:
        on.append((cx, cy))
    px = nb.wait_pixels(on + off, lambda px: shows_mask(px, len(on), color), "the mask drawn")
    for (px_x, px_y), rgba in zip(on, px[: len(on)], strict=True):
        # canvas alpha is premultiplied: read-back colours are off by a rounding step
        assert rgba[3] > 0 and np.abs(np.subtract(rgba[:3], color)).max() <= 3, (px_x, px_y, rgba)
    for rgba in px[len(on) :]:
        assert rgba[3] == 0
    # the include point is drawn on the points layer at the click: its centre, and its fill
    # in the object's colour 4 CSS px off the centre diagonally (clear of the white "+")
    x0, y0 = clicks[i][0] - 0.5, clicks[i][1] - 0.5
    assert nb.overlay_pixels([(x0, y0)], layer="points")[0][3] > 0
    (dot,) = nb.overlay_pixels([(x0, y0)], layer="points", css_offset=(-4, -4))
    assert dot[3] == 255 and np.abs(np.subtract(dot[:3], color)).max() <= 3, dot
    nb.shot("click")


def test_right_click_excludes_without_the_jupyterlab_menu(nb):
    before = nb.state()
    n = len(before["prompts"])
    x, y = 150.0, 120.0  # far from the square
    nb.page.mouse.click(*nb.client_xy(x, y), button="right")
    st = nb.wait_state(lambda s: len(s["prompts"]) == n + 1, 60, "the exclude point")
    last = st["prompts"][-1]
    assert last["label"] == 0 and abs(last["x"] - x) <= 1 and abs(last["y"] - y) <= 1
    # JupyterLab's cell menu (a Lumino menu) never opened
    assert nb.page.locator(".lm-Menu").count() == 0
    nb.shot("right_click")


def test_stop_cancels_a_running_propagation(nb):
    nb.page.locator(".litlora .ll-prop-fwd").click()
    nb.wait_state(
        lambda s: (
            s["busy"].startswith("propagating") and len(next(iter(s["tracked"].values()))) >= 3
        ),
        60,
        "propagation to run",
    )
    # masks stream in: the view follows the propagation while it runs
    nb.wait_data("kernel-frame", lambda v: v not in (None, "0"), 30)
    # Ctrl+Z meanwhile is refused, and said again once the task has ended (a short task ends
    # before "busy: …, undo ignored" can be read)
    nb.page.keyboard.press("Control+z")
    refused = "busy: propagating forward, undo ignored (■ Stop cancels)"
    nb.wait_data("notice", lambda v: v == refused)
    nb.page.locator(".litlora .ll-stop").click()
    st = nb.wait_state(
        lambda s: s["busy"] == "" and "stopped" in s["status"], 30, "propagation to stop"
    )
    done = len(next(iter(st["tracked"].values())))
    assert 3 <= done < 3 * VIDEO["num_frames"], done
    assert "stopped" in st["status"] and st["error"] == ""
    assert "undo" not in st["events"]
    nb.wait_data("busy", lambda v: v == "")
    assert nb.data("notice") == "undo ignored while propagating forward: do it again now"
    nb.shot("stopped")


def test_timeline_shows_each_frame_and_jumps_on_click_and_drag(nb):
    st = nb.state()
    (obj,) = st["objects"]
    tracked = st["tracked"][obj]
    nb.wait_data("timeline", lambda v: v and v.startswith(f"{obj}:p"), 30)
    row = nb.data("timeline").split(":", 1)[1]
    assert len(row) == 3 * VIDEO["num_frames"]
    assert {i for i, c in enumerate(row) if c != "."} == set(tracked)
    timeline = nb.root.locator("canvas.ll-timeline")
    box = timeline.bounding_box()
    n = len(row)
    color = st["objects"][obj]["color"]
    # the prompt cell (frame 0, row 0) is drawn in the object's colour
    px = nb.page.evaluate(
        """() => {
            const c = document.querySelector('.litlora canvas.ll-timeline');
            const k = c.width / c.getBoundingClientRect().width;
            const ctx = c.getContext('2d');
            return Array.from(ctx.getImageData(Math.round(1 * k), Math.round(6 * k), 1, 1).data);
        }"""
    )
    assert np.abs(np.subtract(px[:3], color)).max() <= 3 and px[3] == 255, px
    x_of = lambda f: box["x"] + (f + 0.5) / n * box["width"]  # noqa: E731
    ymid = box["y"] + box["height"] / 2
    nb.page.mouse.click(x_of(5), ymid)
    nb.wait_data("frame", lambda v: v == "5")
    nb.page.mouse.move(x_of(2), ymid)
    nb.page.mouse.down()
    nb.page.mouse.move(x_of(6), ymid, steps=4)
    nb.page.mouse.move(x_of(8), ymid, steps=4)
    nb.page.mouse.up()
    nb.wait_data("frame", lambda v: v == "8")
    nb.wait_state(lambda s: s["frame"] == 8, 30, "the kernel to follow the timeline")
    nb.shot("timeline")


def test_correction_then_candidates_side_by_side_accepted_with_a_key(nb):
    # frame 2 was tracked before Stop: a click there with LIT on is a correction that trains.
    # An exclude point on the background: with these random weights it is a correction the
    # expert learns (one that does not beat its start keeps no expert: Session semantics)
    nb.focus()
    nb.page.keyboard.press("Home")
    nb.wait_data("frame", lambda v: v == "0")
    nb.page.keyboard.press("ArrowRight")
    nb.page.keyboard.press("ArrowRight")
    nb.wait_data("frame", lambda v: v == "2")
    nb.page.mouse.click(*nb.client_xy(150.0, 120.0), button="right")
    st = nb.wait_state(lambda s: s["training"] == 1 and s["busy"] == "", 120, "the training")
    assert "expert 0 trained" in st["status"], st["status"]
    nb.wait_data("busy", lambda v: v == "")
    nb.page.keyboard.press("ArrowRight")
    nb.wait_data("frame", lambda v: v == "3")
    nb.page.keyboard.press("c")
    nb.wait_data("candidates", lambda v: v not in (None, "0"), 60)
    st = nb.wait_state(lambda s: s["candidates"] > 0, 30, "candidates in the kernel")
    # exactly one card per candidate (plain SAM2 + 1 expert), each a zoomed crop with scores
    assert st["candidates"] == 2
    cards = nb.root.locator(".ll-cands .ll-cand")
    assert cards.count() == 2 and nb.root.locator(".ll-cands canvas.ll-crop").count() == 2
    texts = cards.all_inner_texts()
    assert "SAM2" in texts[0] and "expert 0" in texts[1], texts
    assert all("predicted IoU" in t and "present" in t for t in texts), texts
    assert "2 candidates" in nb.root.locator(".ll-cands-title").inner_text()
    crop = nb.root.locator(".ll-cands canvas.ll-crop").first.bounding_box()
    assert crop["width"] >= 100, crop  # zoomed on the object, not a thumbnail of the frame
    nb.shot("candidates")
    nb.page.keyboard.press("2")
    st = nb.wait_state(
        lambda s: s["events"][-1:] == ["accept"] and s["candidates"] == 0,
        60,
        "the accept to reach the session",
    )
    assert st["error"] == ""
    nb.wait_data("candidates", lambda v: v == "0")
    assert nb.root.locator(".ll-cands .ll-cand").count() == 0
    nb.shot("accepted")


def test_candidates_close_when_the_frame_changes_and_keys_do_nothing(nb):
    nb.focus()
    nb.page.keyboard.press("ArrowRight")
    nb.wait_data("frame", lambda v: v == "4")
    nb.page.keyboard.press("c")
    nb.wait_data("candidates", lambda v: v not in (None, "0"), 60)
    events = nb.wait_state(lambda s: s["candidates"] > 0, 30, "candidates")["events"]
    nb.page.keyboard.press("ArrowRight")
    nb.wait_data("candidates", lambda v: v == "0")
    nb.wait_state(lambda s: s["candidates"] == 0 and s["frame"] == 5, 30, "the panel to close")
    assert nb.root.locator(".ll-cands .ll-cand").count() == 0
    nb.page.keyboard.press("1")  # no candidates shown: the key does nothing
    nb.page.keyboard.press("ArrowLeft")  # a later state change to wait on
    nb.wait_state(lambda s: s["frame"] == 4, 30, "the seek")
    assert nb.state()["events"] == events


def test_a_click_right_after_seeking_is_applied_on_the_new_frame(nb):
    # ipywidgets sends one trait update at a time (later ones wait for the kernel's reply),
    # custom messages go at once: a click made right after keys that seek must still reach the
    # kernel after the seek, not be refused as made on another frame. Keys and click are sent
    # in one task of the page, so the kernel's reply cannot come in between (deterministic).
    nb.wait_data("busy", lambda v: v == "")
    st = nb.wait_state(lambda s: s["busy"] == "", 30, "idle")
    (obj,) = st["objects"]
    start = int(nb.data("frame"))
    # a frame SAM2 never tracked: the click is a keyframe prompt (no training)
    target = next(f for f in range(start + 2, 120) if f not in st["tracked"][obj])
    n, notice = len(st["events"]), st["notice"]
    x, y = nb.client_xy(150.0, 120.0)
    nb.page.evaluate(
        """([i, steps, x, y]) => {
            const root = document.querySelectorAll('.litlora')[i];
            root.focus();
            const key = {key: 'ArrowRight', bubbles: true, cancelable: true};
            for (let k = 0; k < steps; k++) root.dispatchEvent(new KeyboardEvent('keydown', key));
            const top = root.querySelector('canvas.ll-layer-cursor');
            const p = {clientX: x, clientY: y, button: 0, pointerId: 1, pointerType: 'mouse',
                       isPrimary: true, bubbles: true, cancelable: true};
            top.dispatchEvent(new PointerEvent('pointerdown', {...p, buttons: 1}));
            top.dispatchEvent(new PointerEvent('pointerup', {...p, buttons: 0}));
        }""",
        [nb.index, target - start, x, y],
    )
    st = nb.wait_state(
        lambda s: len(s["events"]) > n or s["notice"] != notice, 60, "the click or a refusal"
    )
    assert st["notice"] == notice and st["events"][n:] == ["add_points"], st
    st = nb.wait_state(
        lambda s: s["busy"] == "" and s["mask_frame"] == target and s["prompts"], 60, "its point"
    )
    assert st["frame"] == target and st["error"] == ""
    assert [(p["kind"], p["label"]) for p in st["prompts"]] == [("point", 1)], st["prompts"]


def test_whole_tool_fits_a_laptop_screen_and_errors_do_not_move_the_canvas(nb):
    nb.page.set_viewport_size({"width": 1366, "height": 768})
    try:
        nb.wait_fitted()
        nb.root.evaluate("el => el.scrollIntoView({block: 'start'})")
        # wait for the layout to settle at the new size (a state, not a sleep)
        wait_until(
            lambda: nb.root.evaluate(
                "el => el.getBoundingClientRect().bottom <= window.innerHeight"
            ),
            20,
            "the widget to fit the window",
        )
        for sel in (
            ".ll-stage",
            ".ll-timeline",
            ".ll-nav",
            ".ll-actions",
            ".ll-feedback",
            ".ll-export",
        ):
            box = nb.root.locator(sel).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 768, (sel, box)
        stage = nb.root.locator(".ll-stage").bounding_box()
        nb.shot("laptop_1366x768")
        # an error (no adapters saved yet) shows in the feedback line; the canvas stays put
        nb.root.locator("button", has_text="Load adapters").click()
        nb.wait_data("error", lambda v: v and "no adapter files" in v, 30)
        assert nb.root.locator(".ll-stage").bounding_box() == stage
        assert "no adapter files" in nb.root.locator(".ll-feedback").inner_text()
        nb.shot("error_in_feedback")
        nb.root.locator(".ll-err-close").click()
        nb.wait_data("error", lambda v: v == "")
        assert nb.has_focus()  # its close button is hidden: the widget kept the focus
    finally:
        nb.page.set_viewport_size({"width": 1280, "height": 1000})


def test_adapter_library_lists_saved_adapters_and_loads_one(nb):
    nb.root.locator("button", has_text="Save adapters").click()
    nb.wait_state(lambda s: s["status"].startswith("adapters saved to"), 60, "the save")
    nb.root.locator("button", has_text="Load adapters").click()
    rows = nb.root.locator(".ll-library .ll-adapter")
    rows.first.wait_for(timeout=30_000)
    # the object it came from has these experts already: listed, not loadable, and why
    assert rows.count() == 1 and rows.first.get_attribute("data-fits") == "false"
    assert "already loaded in this object" in rows.first.inner_text()
    # a second object can take them
    nb.root.locator("button", has_text="+ object").click()
    nb.wait_state(lambda s: len(s["objects"]) == 2, 30, "a second object")
    nb.root.locator(".ll-obj.ll-selected[data-obj='2']").wait_for(timeout=30_000)
    nb.root.locator("button", has_text="Load adapters").click()
    nb.root.locator(".ll-library .ll-adapter[data-fits='true']").wait_for(timeout=30_000)
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "1 expert" in text and "object 1" in text and "fits this model" in text, text
    nb.shot("adapter_library")
    rows.first.locator("button", has_text="Load").click()
    nb.wait_state(lambda s: s["status"].startswith("loaded 1 expert from"), 60, "the load")
    nb.root.locator(".ll-library").wait_for(state="hidden", timeout=30_000)
    # undo the load and the object, as the tests after expect one object (and the next id 2)
    nb.focus()
    nb.page.keyboard.press("Control+z")
    nb.wait_state(lambda s: s["status"] == "undo: load adapters into object 2", 30, "undo")
    nb.page.keyboard.press("Control+z")
    nb.wait_state(lambda s: s["status"] == "undo: add object 2", 30, "the second undo")
    assert len(nb.state()["objects"]) == 1


def test_several_objects_each_drawn_in_its_colour_keys_switch_and_hide(nb):
    nb.focus()
    nb.page.keyboard.press("Home")
    nb.wait_data("frame", lambda v: v == "0")
    nb.root.locator("button", has_text="+ object").click()
    st = nb.wait_state(lambda s: len(s["objects"]) == 2, 30, "a second object")
    # the browser's state: the click goes to the object selected there
    nb.root.locator(".ll-obj.ll-selected[data-obj='2']").wait_for(timeout=30_000)
    assert nb.has_focus()  # the clicked button was re-rendered: the widget kept the focus
    x, y = 250.0, 120.0
    nb.page.mouse.click(*nb.client_xy(x, y))
    st = nb.wait_state(
        lambda s: (
            any(p["obj_id"] == 2 for p in s["prompts"]) and s["mask_frame"] == 0 and s["busy"] == ""
        ),
        60,
        "object 2's point",
    )
    colors = {int(o): v["color"] for o, v in st["objects"].items()}
    assert colors[1] != colors[2]
    # the point is drawn in object 2's colour (once applied: opaque)
    nb.wait_pixels(
        [(x - 0.5, y - 0.5)],
        lambda px: shows_mask(px, 1, colors[2]) and px[0][3] == 255,
        "object 2's point drawn",
        layer="points",
        css_offset=(-4, -4),
    )
    # masks: where exactly one object is, the mask layer shows that object's colour
    m1, m2 = (np.load(nb.out / f"mask_{o}.npy") for o in (1, 2))
    rng = np.random.default_rng(1)
    for only, obj in ((m1 & ~m2, 1), (m2, 2)):  # the higher id is drawn on top
        ys, xs = np.nonzero(only)
        pts = [(int(xs[i]), int(ys[i])) for i in rng.choice(len(xs), min(20, len(xs)), False)]
        nb.wait_pixels(pts, lambda px, c=colors[obj]: shows_mask(px, len(px), c), f"mask {obj}")
    # ] / [ switch the selected object; H hides the masks and shows them again
    assert nb.root.locator(".ll-obj.ll-selected").get_attribute("data-obj") == "2"
    nb.page.keyboard.press("[")
    wait_until(
        lambda: nb.root.locator(".ll-obj.ll-selected").get_attribute("data-obj") == "1",
        10,
        "object 1 selected",
    )
    nb.page.keyboard.press("]")
    wait_until(
        lambda: nb.root.locator(".ll-obj.ll-selected").get_attribute("data-obj") == "2",
        10,
        "object 2 selected",
    )
    ys, xs = np.nonzero(m1 | m2)
    probe = [(int(xs[0]), int(ys[0]))] if len(xs) else [(0, 0)]
    nb.page.keyboard.press("h")
    nb.wait_data("masks-hidden", lambda v: v == "true")
    assert nb.overlay_pixels(probe)[0][3] == 0
    nb.shot("masks_hidden")
    nb.page.keyboard.press("h")
    nb.wait_data("masks-hidden", lambda v: v == "false")
    if len(xs):
        assert nb.overlay_pixels(probe)[0][3] > 0
    nb.shot("two_objects")


# ---- geometry: overlays align with the frame at any size (item 11) ------------------------------
GEOMETRY_SETUP = """\
import json, os
from pathlib import Path
import numpy as np
import torch
from IPython.display import display
from litlora_widgets import Session, load_predictor
from litlora_widgets.widget import LitLoraApp

OUT = Path({out!r})
rng = np.random.default_rng(0)
apps = {{}}
for name, (h, w) in {sizes!r}.items():
    torch.manual_seed(0)
    predictor = load_predictor(checkpoint=None, image_size=256, device="cpu", quiet=True)
    frames = rng.integers(0, 255, (3, h, w, 3), dtype=np.uint8)
    app = LitLoraApp(Session(predictor, frames, lit=False, autosave=False))
    (OUT / name).mkdir()

    def dump(_=None, app=app, name=name):
        st = {{"prompts": app.prompts, "busy": app.busy, "error": app.error, "events": [
            e["kind"] for e in app.session.events]}}
        (OUT / name / "state.tmp").write_text(json.dumps(st))
        os.replace(OUT / name / "state.tmp", OUT / name / "state.json")

    app.observe(dump, names=["prompts", "busy", "error"])
    dump()
    apps[name] = app
    display(app)
"""
GEOMETRY = {"square": (200, 200), "wide": (90, 480)}


@pytest.fixture(scope="module")
def geometry(lab, browser):
    first = open_notebook(
        lab, browser, "geometry", GEOMETRY_SETUP, widgets=len(GEOMETRY), sizes=GEOMETRY
    )
    nbs = {
        name: Notebook(first.page, first.out / name, size, i)
        for i, (name, size) in enumerate(GEOMETRY.items())
    }
    yield nbs
    first.page.close()


@pytest.mark.parametrize("viewport", [(1366, 768), (900, 700), (1920, 1080)])
def test_points_land_on_the_clicked_frame_pixel_at_any_size(geometry, viewport):
    for name, nb in geometry.items():
        nb.page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        nb.wait_fitted()
        h, w = nb.size
        # every layer has exactly the frame's box, and the box has the video's aspect
        nb.root.scroll_into_view_if_needed()
        wait_until(
            lambda nb=nb: len({json.dumps(b) for b in nb.boxes("canvas.ll-layer")}) == 1,
            20,
            "the layers to share one box",
        )
        (box,) = {json.dumps(b) for b in nb.boxes("canvas.ll-layer")}
        box = json.loads(box)
        stage = nb.root.locator(".ll-stage").bounding_box()
        assert box == stage, (box, stage)
        assert abs(box["width"] / box["height"] - w / h) <= 1.5 / min(box["height"], box["width"])
        # no scrollbar: the tool is never wider than its cell
        assert nb.root.evaluate("el => el.scrollWidth <= el.clientWidth"), name
        nb.focus()
        for x, y in [(w * 0.25 + 0.5, h * 0.3 + 0.5), (w - 3.5, h - 2.5), (2.5, 3.5)]:
            n = len(nb.state().get("prompts", []))
            nb.page.mouse.click(*nb.client_xy(x, y), button="right")
            st = nb.wait_state(lambda s, n=n: len(s["prompts"]) == n + 1, 60, "the point")
            p = st["prompts"][-1]
            # video px per CSS px: one CSS px of mouse rounding is this many video px
            tol = max(1.0, w / box["width"])
            assert abs(p["x"] - x) <= tol and abs(p["y"] - y) <= tol, (name, viewport, p, x, y)
            # the drawn point's centre pixel is on the points layer at that frame pixel
            (px,) = nb.overlay_pixels([(int(x), int(y))], layer="points")
            assert px[3] > 0, (name, viewport, x, y)
        nb.shot(f"geometry_{name}_{viewport[0]}x{viewport[1]}")
    nb.page.set_viewport_size({"width": 1280, "height": 1000})


# ---- busy: keys and clicks while training (item 4) -----------------------------------------------
BUSY_LIT = """\
from dataclasses import replace
from litlora_widgets.build_sam import default_lit_config
lit_config = replace(default_lit_config(predictor), init_epochs=100000, min_epochs=100000)"""


def test_presses_while_training_are_refused_never_replayed(lab, browser):
    nb = open_notebook(lab, browser, "busy", lit_config=BUSY_LIT)
    try:
        nb.focus()
        nb.page.mouse.click(*nb.client_xy(*CLICK))
        nb.wait_state(lambda s: s["events"] == ["add_points"] and s["busy"] == "", 60, "prompt")
        nb.page.keyboard.press("s")  # track frame 1
        nb.wait_state(
            lambda s: (
                len(next(iter(s["tracked"].values()))) == 2 and s["busy"] == "" and s["frame"] == 1
            ),
            60,
            "the step",
        )
        # the browser's state, not only the kernel's: the step moves to frame 1 one message
        # before it says busy "", and a click in between is refused as made while busy
        nb.wait_data("frame", lambda v: v == "1")
        nb.wait_data("busy", lambda v: v == "")
        nb.page.mouse.click(*nb.client_xy(CLICK[0] + 10, CLICK[1]))  # a correction: trains
        nb.wait_data("busy", lambda v: v == "training", 60)
        label = nb.root.locator("[data-testid=progress]")
        wait_until(
            lambda: "epoch" in label.inner_text() and "s left" in label.inner_text(),
            60,
            "training progress",
        )
        text = label.inner_text()
        assert "of ≤ 100000" in text, text
        nb.shot("training_progress")
        assert nb.root.locator(".ll-prop-fwd").is_disabled()
        assert nb.root.locator(".ll-stop").is_enabled()
        # while busy: keys and clicks are refused with a message...
        nb.page.keyboard.press("p")
        nb.wait_data("notice", lambda v: v and v.startswith("busy: training, propagate ignored"))
        nb.page.keyboard.press("c")
        nb.wait_data("notice", lambda v: v and "candidates ignored" in v)
        nb.page.mouse.click(*nb.client_xy(60.0, 60.0))
        nb.wait_data("notice", lambda v: v and "click ignored" in v)
        assert "ignored" in nb.root.locator(".ll-feedback").inner_text()
        nb.shot("busy_refused")
        # ...navigation stays live
        nb.page.keyboard.press("ArrowRight")
        nb.page.keyboard.press("ArrowRight")
        nb.wait_data("frame", lambda v: v == "3")
        nb.wait_state(lambda s: s["frame"] == 3, 30, "the kernel to follow navigation")
        # Stop cancels the training; nothing pressed meanwhile runs afterwards
        nb.root.locator(".ll-stop").click()
        st = nb.wait_state(lambda s: s["busy"] == "" and "cancelled" in s["status"], 60, "Stop")
        assert st["error"] == "" and st["candidates"] == 0
        assert st["events"] == ["add_points", "correction"], st["events"]
        assert sorted(next(iter(st["tracked"].values()))) == [0, 1]  # no propagation ran
        assert st["frame"] == 3
        nb.shot("busy_cancelled")
    finally:
        nb.page.close()


# ---- the embedded model, as a newcomer meets it ---------------------------------------------
EMBEDDED_SETUP = """\
import json, os, threading
from pathlib import Path
from litlora_widgets import annotate

OUT = Path({out!r})
app = annotate(export_dir=str(OUT / "exports"), autosave=False)  # embedded video and model
_lock = threading.Lock()

def dump(_=None):
    with _lock:
        s = app.session
        state = {{
            "model": s.model_name, "busy": app.busy, "error": app.error, "frame": app.frame,
            "notice": app.notice.get("text", ""), "status": app.status,
            "training": len(s.training_log), "candidates": len(app.candidates),
            "tracked": sum(len(s.tracked_frames(o)) for o in s.objects),
            "iou": {{str(t): v for o in s.objects for t, v in s.reference_iou(o).items()}},
        }}
        (OUT / "state.tmp").write_text(json.dumps(state))
        os.replace(OUT / "state.tmp", OUT / "state.json")

app.observe(dump, names=["mask_bytes", "busy", "candidates", "error", "training", "frame",
                         "notice", "status"])
dump()
app
"""
# Mean IoU vs ground truth over frames 1-23 of the demo clip, tracked from one click; random
# weights score ~0. The shipped v2 weights track this clip at J 0.71 from its first-frame mask
# and at 0.72 from the centre click, which alone segments frame 0 at IoU 0.74 (MODEL_CARD.md).
EMBEDDED_TRACK_MIN = 0.5


@pytest.mark.skipif(not TINY_WEIGHTS.is_file(), reason=f"no embedded weights at {TINY_WEIGHTS}")
def test_embedded_model_tracks_and_learns_in_the_widget(lab, browser):
    """annotate() with no arguments: one click, Propagate, a correction, candidates. Takes the
    README's screenshot when LITLORA_UPDATE_SCREENSHOT is set."""
    from litlora_widgets.datasets import DEMO_CLIP, demo_clip
    from litlora_widgets.pretrain.quality import center_click

    _, gt = demo_clip()
    gt = gt == 1
    # tall enough for the whole widget: JupyterLab scrolls cells inside its own panel, which an
    # element screenshot cannot scroll
    n = open_notebook(
        lab, browser, "embedded", EMBEDDED_SETUP, size=gt.shape[1:], viewport=(1100, 1500)
    )
    try:
        assert n.root.locator(".ll-model-notice").is_hidden()  # its own demo clip
        assert n.wait_state(lambda s: "model" in s, 30, "the kernel")["model"] == "litlora-tiny"
        # a window where the frame is fitted to the height: it keeps its size as the timeline,
        # the charts and the status fill in (it moved by 3 px once the first row appeared)
        n.page.set_viewport_size({"width": 1400, "height": 1000})
        n.wait_fitted()
        heights = "el => [...el.children].map(c => c.className + ':' + c.offsetHeight).join(' ')"
        size = "el => el.querySelector('.ll-stage').dataset.size || el.dataset.stageSize"
        before = (n.root.evaluate(size), n.root.evaluate(heights))
        n.focus()
        n.page.mouse.click(*n.client_xy(*center_click(gt[0])))
        st = n.wait_state(lambda s: "0" in s["iou"] and s["busy"] == "", 60, "the click")
        n.page.locator(".litlora .ll-prop-fwd").click()
        st = n.wait_state(
            lambda s: s["tracked"] == DEMO_CLIP["num_frames"] and s["busy"] == "",
            180,
            "propagation",
        )
        assert st["error"] == ""
        n.wait_data("busy", lambda v: v == "")
        after = (n.root.evaluate(size), n.root.evaluate(heights))
        assert after == before, f"{before} != {after}"
        n.page.set_viewport_size({"width": 1100, "height": 1500})
        n.wait_fitted()
        later = {int(t): v for t, v in st["iou"].items() if int(t) > 0}
        assert np.mean(list(later.values())) > EMBEDDED_TRACK_MIN, later
        # correct the worst tracked frame (before the last) with a click at the object's centre
        worst = min((t for t in later if t < DEMO_CLIP["num_frames"] - 1), key=later.get)
        # the browser's state, not only the kernel's: the last frame the propagation moved to
        # must have arrived before Home, or it would move the view after the keys
        n.wait_data("busy", lambda v: v == "")
        n.page.keyboard.press("Home")
        for _ in range(worst):
            n.page.keyboard.press("ArrowRight")
        n.wait_data("frame", lambda v: v == str(worst))
        # a click at once after the keys: it could reach the kernel before the last seek and be
        # refused (test_a_click_right_after_seeking_...), the likely cause of a failure here
        # once in 5 stressed runs that looked like lost focus
        n.page.mouse.click(*n.client_xy(*center_click(gt[worst])))
        n.wait_state(lambda s: s["training"] == 1 and s["busy"] == "", 120, "the correction")
        n.wait_data("busy", lambda v: v == "")
        n.page.keyboard.press("ArrowRight")
        n.wait_data("frame", lambda v: v == str(worst + 1))
        # a wide, short window (the frame is fitted to the height, the width has room): the
        # candidates open beside the frame, which keeps its size
        n.page.set_viewport_size({"width": 1400, "height": 1000})
        n.wait_fitted()
        stage = n.root.locator(".ll-stage").bounding_box()
        n.page.keyboard.press("c")
        n.wait_data("candidates", lambda v: v not in (None, "0"), 60)
        st = n.wait_state(lambda s: s["candidates"] > 0, 30, "candidates in the kernel")
        assert n.root.locator(".ll-cands .ll-cand").count() == st["candidates"] == 2
        n.wait_data("candidates-at", lambda v: v == "beside")
        assert n.root.locator(".ll-stage").bounding_box() == stage
        panel = n.root.locator(".ll-cands").bounding_box()
        widget = n.root.bounding_box()
        assert panel["x"] >= stage["x"] + stage["width"] and panel["y"] == stage["y"], panel
        assert panel["x"] + panel["width"] <= widget["x"] + widget["width"] + 0.5, (panel, widget)
        assert panel["height"] <= stage["height"] + 0.5, (panel, stage)
        # the crops grow into the room beside the frame (132 px below the controls)
        side = int(n.data("crop-side"))
        crops = [c.bounding_box() for c in n.root.locator(".ll-cands canvas.ll-crop").all()]
        assert side > 132 and [max(c["width"], c["height"]) for c in crops] == [side, side], crops
        n.shot("candidates_beside")
        if os.environ.get("LITLORA_UPDATE_SCREENSHOT"):  # the README's picture, on request only
            (ROOT / "docs").mkdir(exist_ok=True)
            n.root.screenshot(path=str(ROOT / "docs" / "widget.png"))
        # narrower: no room beside the frame, and a frame narrowed by 168 px beside the panel
        # is larger than one over the panel below (a 16:9 frame went from 967 to 629 px there)
        n.page.set_viewport_size({"width": 1000, "height": 1000})
        n.wait_fitted()
        n.wait_data("candidates-at", lambda v: v == "beside")
        stage = n.root.locator(".ll-stage").bounding_box()
        assert stage["width"] == int(n.data("fit-width")) - 8 - 160, stage
        panel = n.root.locator(".ll-cands").bounding_box()
        assert panel["x"] >= stage["x"] + stage["width"] and panel["y"] == stage["y"], panel
        n.shot("candidates_beside_narrowed")
        # tall and narrow (the frame fills the width): below the controls, as before
        n.page.set_viewport_size({"width": 1100, "height": 1500})
        n.wait_fitted()
        n.wait_data("candidates-at", lambda v: v == "below")
        n.shot("embedded")
    finally:
        n.page.close()


NOTICE_SETUP = """\
import numpy as np
from litlora_widgets import annotate
rng = np.random.default_rng(0)
frames = rng.integers(0, 255, (3, 120, 160, 3), dtype=np.uint8)  # not a synthetic demo clip
app = annotate(frames, autosave=False)  # the embedded model
app
"""


@pytest.mark.skipif(not TINY_WEIGHTS.is_file(), reason=f"no embedded weights at {TINY_WEIGHTS}")
def test_embedded_model_on_another_video_says_so(lab, browser):
    n = open_notebook(lab, browser, "notice", NOTICE_SETUP, size=(120, 160))
    try:
        note = n.root.locator(".ll-model-notice")
        note.wait_for(state="visible", timeout=30_000)
        text = note.inner_text()
        assert "trained on synthetic videos only" in text and "load_predictor(" in text, text
        n.shot("model_notice")
    finally:
        n.page.close()


# ---- static export -----------------------------------------------------------------------------
class _DepsHandler(http.server.SimpleHTTPRequestHandler):
    """Serves /<pkg>@<any version>/<path> from node_modules, like a CDN; other paths from the
    directory (the exported page)."""

    def translate_path(self, path):
        parts = path.split("?")[0].lstrip("/").split("/")
        n = 2 if parts[0].startswith("@") else 1
        if "@" in parts[n - 1][1:]:
            name = "/".join(parts[: n - 1] + [parts[n - 1].rsplit("@", 1)[0]])
            target = HTML_DEPS / name / "/".join(parts[n:])
            if target.is_dir() or not target.exists():
                target = target.with_suffix(".js") if not target.suffix else target
            return str(target)
        return super().translate_path(path)

    def log_message(self, *args):
        pass


def test_static_html_export_shows_the_overlay(predictor, browser, tmp_path):
    if not (HTML_DEPS / "@jupyter-widgets" / "html-manager").is_dir():
        pytest.skip("run `npm ci --prefix tests/html_export` (the loader served instead of a CDN)")
    from conftest import moving_square_clip

    from litlora_widgets.session import Session
    from litlora_widgets.widget import LitLoraApp

    frames, _ = moving_square_clip(**VIDEO)
    app = LitLoraApp(Session(predictor, frames, lit=False, autosave=False))
    try:
        app.dispatch({"type": "click", "frame": 0, "x": CLICK[0], "y": CLICK[1], "label": 1})
        assert app.wait(60) and app.error == ""
        mask = app.session.mask(0, 1)
        color = list(app.session.objects[1].color)
        app.to_html(tmp_path / "export.html")
    finally:
        app.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    html = (tmp_path / "export.html").read_text()
    html = html.replace(
        "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.4/require.min.js",
        base + "requirejs@2.3.7/require.js",
    ).replace(' integrity="sha256-Ae2Vz/4ePdIu6ZyI/5ZGsYnb+m0JlOmKPjt6XZ9JJkA="', "")
    cdn = "https://cdn.jsdelivr.net/npm/"
    assert cdn + "@jupyter-widgets/html-manager@" in html
    html = html.replace(
        f'<script src="{cdn}@jupyter-widgets/html-manager@',
        f'<script data-jupyter-widgets-cdn="{base}" data-jupyter-widgets-cdn-only '
        f'src="{base}@jupyter-widgets/html-manager@',
    )
    (tmp_path / "local.html").write_text(html)
    handler = functools.partial(_DepsHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page(viewport={"width": 900, "height": 800})
    remote = []

    def only_local(route):
        if route.request.url.startswith(base):
            return route.continue_()
        remote.append(route.request.url)
        return route.abort()

    page.route("**/*", only_local)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: print("console:", m.type, m.text))
    try:
        page.goto(base + "local.html")
        page.wait_for_selector(
            ".litlora[data-mask-frame='0'][data-drawn-frame='0']", timeout=60_000
        )
        ys, xs = np.nonzero(mask)
        pts = [(int(xs[i]), int(ys[i])) for i in range(0, len(xs), max(1, len(xs) // 20))]
        px = page.evaluate(
            """(pts) => {
                const c = document.querySelector('.litlora canvas.ll-layer-mask');
                const ctx = c.getContext('2d');
                return pts.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data));
            }""",
            pts,
        )
        assert all(p[3] > 0 and np.abs(np.subtract(p[:3], color)).max() <= 3 for p in px), px[:5]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "static_export.png"))
    finally:
        page.close()
        server.shutdown()
    assert not remote, f"the export fetched from outside: {remote}"
    assert not errors, errors


# ---- hover values on the curves (item 7), the review queue on the timeline (#11, item 5) -------
CURVES_SETUP = """\
import json, os, threading
from dataclasses import replace
from pathlib import Path
from litlora_widgets import Session, load_predictor
from litlora_widgets.build_sam import default_lit_config
from litlora_widgets.datasets import demo_clip
from litlora_widgets.widget import LitLoraApp

OUT = Path({out!r})
frames, gt = demo_clip()  # the embedded video (24 frames) and its ground truth
predictor = load_predictor(device="cpu")  # the embedded model: IoUs that differ per frame
lit_config = replace(default_lit_config(predictor), init_epochs=8, min_epochs=8)
s = Session(predictor, frames, lit=True, autosave=False, lit_config=lit_config)
s.import_masks(gt, as_reference=True)
obj = s.add_object()
s.add_mask(0, obj, gt[0] == obj)
for _ in s.propagate(progress=False):
    pass
s.correct({corrected}, obj, mask=gt[{corrected}] == obj)  # a run for the training curve
app = LitLoraApp(s)
_lock = threading.Lock()

def dump(_=None):
    with _lock:
        state = {{
            "frame": app.frame, "busy": app.busy, "error": app.error, "selected": app.selected,
            "iou": {{str(f): v for f, v in s.reference_iou(obj).items()}},
            "codes": {{str(r["obj_id"]): r["codes"] for r in app.timeline["rows"]}},
            "review": {{str(r["obj_id"]): [q["frame"] for q in r["review"]]
                        for r in app.timeline["rows"]}},
            "training": [{{k: r.get(k) for k in ("losses", "ious", "expert", "new_expert",
                                                 "frame", "train_iou")}}
                         for r in app.curves["training"]],
        }}
        (OUT / "state.tmp").write_text(json.dumps(state))
        os.replace(OUT / "state.tmp", OUT / "state.json")

app.observe(dump, names=["frame", "timeline", "curves", "busy", "error", "selected"])
dump()
app
"""
CORRECTED = 12


def js_fixed(x, digits: int = 2) -> str:
    """JavaScript's ``x.toFixed(digits)`` (ties of the exact binary value round up, where
    Python's format rounds them to even), "–" for no value."""
    from decimal import ROUND_HALF_UP, Decimal

    if x is None:
        return "–"
    return str(Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def js_precision3(x) -> str:
    """JavaScript's ``x.toPrecision(3)`` for 1e-6 <= |x| < 1e21 (losses), "–" for none."""
    from decimal import ROUND_HALF_UP, Decimal

    if x is None:
        return "–"
    d = Decimal(x)
    r = d.quantize(Decimal(1).scaleb(d.adjusted() - 2), rounding=ROUND_HALF_UP)
    if r.adjusted() != d.adjusted():  # 9.996 -> 10.0: one digit less after the point
        r = d.quantize(Decimal(1).scaleb(d.adjusted() - 1), rounding=ROUND_HALF_UP)
    return f"{r:f}"


def test_js_number_formats():
    assert js_fixed(0.875) == "0.88" and f"{0.875:.2f}" == "0.88"
    assert js_fixed(0.125) == "0.13" != f"{0.125:.2f}"  # an exact tie: JS rounds it up
    assert js_fixed(1.0) == "1.00" and js_fixed(None) == "–"
    assert [js_precision3(x) for x in (0.41234, 1.2345, 0.5, 0.0312, 9.996)] == [
        "0.412",
        "1.23",
        "0.500",
        "0.0312",
        "10.0",
    ]


def curves_notebook(lab, browser, name: str, clip: str, size: tuple[int, int]) -> Notebook:
    """The curves notebook (the embedded model, a correction on frame ``CORRECTED``) on the
    demo clip that ``clip`` builds, scrolled whole into the window: an element screenshot
    then scrolls nothing away from under the mouse (a hover would end)."""
    if not TINY_WEIGHTS.is_file():
        pytest.skip(f"no embedded weights at {TINY_WEIGHTS}")
    assert CURVES_SETUP.count("demo_clip()") == 1  # the one place the clip is built
    src = CURVES_SETUP.replace("demo_clip()", clip)
    n = open_notebook(lab, browser, name, src, size=size, corrected=CORRECTED)
    n.root.evaluate("el => el.scrollIntoView({block: 'start'})")
    return n


@pytest.fixture(scope="module")
def curves_nb(lab, browser):
    n = curves_notebook(lab, browser, "curves", "demo_clip()", (256, 256))
    yield n
    n.page.close()


@pytest.fixture(scope="module")
def review_nb(lab, browser):
    """The demo's hard clip, which the embedded model tracks below IoU 0.5 from frame 7 and
    loses from frame 13: frames likely wrong for the review queue to mark (the easy clip has
    none)."""
    hard = 'demo_clip(seed=3, size=(240, 320), difficulty="hard")'
    n = curves_notebook(lab, browser, "review", hard, (240, 320))
    yield n
    n.page.close()


def chart_page_x(nb: Notebook, selector: str, x: float) -> tuple[float, float]:
    """Page position of content-box x (CSS px, where the chart draws) on a chart canvas, at
    the canvas's mid-height."""
    canvas = nb.root.locator(selector)
    canvas.scroll_into_view_if_needed()
    return canvas.evaluate(
        """(c, x) => {
            const r = c.getBoundingClientRect();
            return [r.left + c.clientLeft + x, r.top + r.height / 2];
        }""",
        x,
    )


def test_curve_hover_shows_frame_and_iou_then_epoch_loss_and_iou(curves_nb):
    nb = curves_nb
    st = nb.wait_state(lambda s: s.get("training"), 60, "the kernel's state")
    assert st["error"] == ""
    n = len(st["codes"]["1"])
    iou = {int(f): v for f, v in st["iou"].items()}
    canvas = nb.root.locator("canvas.ll-curve-iou")
    x0, x1 = (float(canvas.get_attribute(f"data-plot-x{i}")) for i in (0, 1))
    readout = nb.root.locator("[data-testid=iou-readout]")
    assert readout.is_hidden()
    # the worst tracked frame, and the corrected one (IoU 1 against the ground truth)
    worst = min((f for f, c in enumerate(st["codes"]["1"]) if c in "tu0"), key=iou.get)
    for f in (worst, CORRECTED):
        nb.page.mouse.move(*chart_page_x(nb, "canvas.ll-curve-iou", x0 + f * (x1 - x0) / (n - 1)))
        nb.wait_data("hover", lambda v, f=f: v == f"iou:{f}", 10)
        assert readout.is_visible()
        assert readout.inner_text() == f"frame {f} · IoU vs ground truth · object 1: " + js_fixed(
            iou[f]
        )
    nb.shot("curve_hover_iou")
    # the training curve of the correction: epoch i of n with its loss and IoU
    (run,) = st["training"]
    losses, ious = run["losses"], run["ious"]
    epochs = len(losses)
    assert epochs >= 2 and run["frame"] == CORRECTED
    train = nb.root.locator("canvas.ll-curve-train")
    e0, e1 = (float(train.get_attribute(f"data-epoch-x{i}")) for i in (0, 1))
    readout = nb.root.locator("[data-testid=training-readout]")
    i = epochs // 2
    nb.page.mouse.move(
        *chart_page_x(nb, "canvas.ll-curve-train", e0 + i * (e1 - e0) / (epochs - 1))
    )
    nb.wait_data("hover", lambda v: v == f"training:epoch:{i}", 10)
    assert readout.inner_text() == (
        f"epoch {i + 1} of {epochs} · loss {js_precision3(losses[i])} · IoU vs your mask "
        f"{js_fixed(ious[i])}"
    )
    nb.shot("curve_hover_training")
    # over the correction's dot: its frame, expert and the IoU the status line reported
    r0 = float(train.get_attribute("data-run-x0"))
    nb.page.mouse.move(*chart_page_x(nb, "canvas.ll-curve-train", r0))
    nb.wait_data("hover", lambda v: v == "training:run:0", 10)
    expert = (
        "no expert kept"
        if run["expert"] is None
        else f"expert {run['expert']}" + (" (new)" if run["new_expert"] else "")
    )
    assert readout.inner_text() == (
        f"correction 1 of 1 · frame {CORRECTED} · {expert} · IoU vs your mask "
        f"{js_fixed(run['train_iou'])}"
    )
    # the pointer leaves: no readout
    nb.root.locator(".ll-title").hover()
    nb.wait_data("hover", lambda v: v == "", 10)
    assert readout.is_hidden() and nb.root.locator("[data-testid=iou-readout]").is_hidden()


def test_review_queue_marks_the_timeline_and_r_jumps_to_the_next_queued_frame(review_nb):
    nb = review_nb
    st = nb.wait_state(lambda s: s.get("review"), 60, "the kernel's state")
    codes, queue = st["codes"]["1"], st["review"]["1"]
    tracked = sum(c in "tu0" for c in codes)
    assert codes[0] == "p" and codes[CORRECTED] == "c" and tracked == len(codes) - 2
    # the first tenth of the queue, every one likely wrong on this clip (frames 10 and 7,
    # between the confirmed frames 0 and 12, fail against the ground truth: IoU 0.33, 0.36)
    assert len(queue) == round(tracked / 10) and all(codes[f] in "tu0" for f in queue)
    nb.wait_data("review", lambda v: v == "1:" + ",".join(map(str, queue)))
    nb.focus()
    nb.page.keyboard.press("Home")  # the playhead on frame 0 (a prompt), clear of every mark
    nb.wait_data("frame", lambda v: v == "0")
    # a dark mark on each queued frame's cell (row 0, 3 CSS px under its top), none elsewhere
    n = len(codes)
    px = nb.page.evaluate(
        """([frames, n]) => {
            const c = document.querySelectorAll('.litlora')[0].querySelector('canvas.ll-timeline');
            const k = c.width / c.getBoundingClientRect().width;
            const w = c.getBoundingClientRect().width;
            const ctx = c.getContext('2d');
            return frames.map((f) => Array.from(ctx.getImageData(
                Math.floor((f + 0.5) / n * w * k), Math.floor(5 * k), 1, 1).data));
        }""",
        [list(range(n)), n],
    )
    dark = [f for f, p in enumerate(px) if p[3] == 255 and max(p[:3]) <= 23]
    assert dark == sorted(queue), (dark, queue)
    nb.shot("review_queue")
    # R from frame 0: the queued frames in order, then from the start again; Shift+R back
    order = sorted(queue)
    for f in [*order, order[0]]:
        nb.page.keyboard.press("r")
        nb.wait_data("frame", lambda v, f=f: v == str(f))
        nb.wait_state(lambda s, f=f: s["frame"] == f, 30, "the kernel to follow")
        rank = queue.index(f) + 1
        assert nb.data("notice").startswith(
            f"frame {f} to review, #{rank} of {len(queue)} for object 1"
        )
    nb.page.keyboard.press("Shift+R")
    nb.wait_data("frame", lambda v: v == str(order[-1]))
    # the button does the same as R
    btn = nb.root.locator("[data-testid=review-next]")
    assert btn.is_enabled()
    btn.click()
    nb.wait_data("frame", lambda v: v == str(order[0]))
    nb.wait_state(lambda s: s["frame"] == order[0], 30, "the kernel to follow the button")
    nb.shot("review_jump")
