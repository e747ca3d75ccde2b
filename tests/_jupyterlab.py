"""A JupyterLab server on 127.0.0.1 for the browser tests and the browser benchmarks: one way
to start it, so both see the same Lab (no token, no news, no update check)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def start_jupyterlab(root: Path, log=subprocess.DEVNULL, timeout: float = 90) -> tuple:
    """Start JupyterLab serving ``root`` (its config in ``root/.config``) on a free port;
    returns ``(process, url)`` once it answers. Raises with the log's tail if it exits or
    does not answer within ``timeout`` seconds."""
    config = root / ".config"
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1"]
    cmd += [f"--port={port}", "--ServerApp.token=", "--ServerApp.password="]
    cmd += [f"--ServerApp.root_dir={root}", "--allow-root"]
    cmd += ["--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while proc.poll() is None and time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/api/status", timeout=2).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.2)
    stop_jupyterlab(proc)
    raise RuntimeError(f"JupyterLab did not start (exit {proc.returncode}); see its log")


def stop_jupyterlab(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
        proc.wait()
