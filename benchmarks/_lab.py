"""JupyterLab on 127.0.0.1 with one notebook, and a Debian Chromium page on it, for the
benchmarks that measure the widget in a real browser."""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # tests/_jupyterlab.py: one way to start the Lab
from _jupyterlab import CHROMIUM_ARGS, start_jupyterlab, stop_jupyterlab  # noqa: E402


def _notebook(sources: list[str]) -> dict:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"c{i}",
            "metadata": {},
            "outputs": [],
            "source": src,
        }
        for i, src in enumerate(sources)
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}


@contextlib.contextmanager
def lab_page(sources: list[str], viewport=(1280, 1000)) -> Iterator:
    """A Playwright page on a fresh JupyterLab serving a notebook of ``sources`` (code
    cells), its kernel idle; the server and its folder are removed on exit."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("needs Debian chromium: scripts/setup_browser.sh")
    tmp = Path(tempfile.mkdtemp(prefix="litlora-bench-"))
    (tmp / "bench.ipynb").write_text(json.dumps(_notebook(sources)))
    proc, url = start_jupyterlab(tmp)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.goto(f"{url}/lab/tree/bench.ipynb")
            page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
                timeout=90_000
            )
            yield page
            browser.close()
    finally:
        stop_jupyterlab(proc)
        shutil.rmtree(tmp, ignore_errors=True)
