"""The Ray backend on a local cluster started here (``ray.init(num_cpus=2)``) and on a
two-node cluster the command line joins by address (``ray.cluster_utils.Cluster``), sharding
and ``merge``: the same summary as a serial run (timing aside), resume across backends, a
broken video reported while the others finish, and cancellation. Real random-weight SAM2 at
256 px."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from litlora_widgets.evaluation import evaluate, merge, parse_shard
from litlora_widgets.evaluation.cli import main as cli_main

ray = pytest.importorskip("ray", reason="Ray is the optional extra: pip install '.[ray]'")

FAST_LIT = {"init_epochs": 3, "finetune_epochs": 2}
KW = dict(model="random", image_size=256, seed=0, max_frames=2, lit_config=FAST_LIT, progress=False)
VIDEOS = ["a", "b", "c"]


def _write_video(root: Path, name: str, frames: np.ndarray, masks: np.ndarray) -> None:
    for sub in ("frames", "masks"):
        (root / name / sub).mkdir(parents=True, exist_ok=True)
    for t, (f, m) in enumerate(zip(frames, masks, strict=True)):
        Image.fromarray(f).save(root / name / "frames" / f"{t:05d}.png")
        Image.fromarray(m.astype(np.uint8) * 255).save(root / name / "masks" / f"{t:05d}.png")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Three tiny videos and one whose masks are incomplete."""
    from conftest import moving_square_clip

    root = tmp_path_factory.mktemp("raydata")
    frames, masks = moving_square_clip(3)
    _write_video(root, "a", frames, masks)
    _write_video(root, "b", frames[:, ::-1].copy(), masks[:, ::-1].copy())
    _write_video(root, "c", frames[:, :, ::-1].copy(), masks[:, :, ::-1].copy())
    _write_video(root, "broken", frames, masks)
    (root / "broken" / "masks" / "00002.png").unlink()
    return root


@pytest.fixture(scope="module")
def serial(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return evaluate(data, out=out, **KW), out


@pytest.fixture(scope="module")
def _local_ray():
    yield
    ray.shutdown()


@pytest.fixture
def cluster(_local_ray):
    """The local cluster (``ray.init(num_cpus=2)``), started once per module and again after
    a test that needed its own (``two_nodes`` shuts it down first)."""
    if not ray.is_initialized():
        kw = dict(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            ray.init(**kw)
        except Exception:  # a raylet that missed Ray's start-up window, see _start_two_nodes
            ray.shutdown()
            ray.init(**kw)
    yield


def _start_two_nodes(worker_gpus: int = 0):
    """A head and a worker node, 1 CPU each (the worker with ``worker_gpus`` GPUs in Ray's
    accounting: Ray schedules by the resources a node declares). One retry: on a loaded
    machine a raylet aborts when its dashboard agent is slow to write its port file ("Timed
    out waiting for file .../metrics_agent_port_*" in raylet.out, ray-project/ray#62883),
    seen here on 2 busy CPUs for the first Ray start of a run."""
    from ray.cluster_utils import Cluster

    for attempt in (1, 2):
        c = Cluster()
        try:
            c.add_node(num_cpus=1, include_dashboard=False)  # the first node is the head
            c.add_node(num_cpus=1, num_gpus=worker_gpus)
            c.wait_for_nodes()
            return c
        except Exception:
            c.shutdown()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@pytest.fixture
def two_nodes():
    """Two Ray nodes on this machine (``ray.cluster_utils.Cluster``: one raylet each), which
    the driver joins by address as on a real cluster; shut down afterwards. The module's
    local cluster is shut down first (``cluster`` starts it again if a later test needs it)."""
    ray.shutdown()
    c = _start_two_nodes()
    try:
        yield c
    finally:
        ray.shutdown()  # the driver, in case the CLI run failed before disconnecting
        c.shutdown()


def _no_timing(summary: dict) -> str:
    s = {k: v for k, v in summary.items() if k != "timing"}
    return json.dumps(s, sort_keys=True)


def _video_no_timing(p: Path) -> dict:
    r = json.loads(p.read_text())
    r.pop("seconds")
    r.pop("ray_node", None)  # where it ran (Ray only), like the timing not part of the result
    r.pop("ray_node_ip", None)
    r.pop("ray_gpus", None)
    for run in r.get("runs", {}).values():
        for o in run["objects"]:
            o.pop("seconds")
            o.pop("train_seconds")
            for e in o["events"]:
                e.pop("train_seconds", None)
    return r


@pytest.mark.slow
def test_ray_equals_serial_and_resumes_across_backends(data, serial, cluster, tmp_path):
    s_serial, out_serial = serial
    assert s_serial["videos"] == VIDEOS and list(s_serial["errors"]) == ["broken"]
    out = tmp_path / "ray"
    s_ray = evaluate(data, out=out, backend="ray", **KW)
    assert s_ray["complete"] is True  # every video has a result (one an error)
    assert list(s_ray["errors"]) == ["broken"] and "2 masks" in s_ray["errors"]["broken"]
    assert _no_timing(s_ray) == _no_timing(s_serial)
    for v in VIDEOS:
        assert _video_no_timing(out / "videos" / f"{v}.json") == _video_no_timing(
            out_serial / "videos" / f"{v}.json"
        )
    assert json.loads((out / "summary.json").read_text())["videos"] == VIDEOS
    # a serial re-run resumes what Ray wrote: nothing is run again
    before = {p.name: p.stat().st_mtime_ns for p in (out / "videos").glob("[abc].json")}
    s_again = evaluate(data, out=out, **KW)
    after = {p.name: p.stat().st_mtime_ns for p in (out / "videos").glob("[abc].json")}
    assert before == after and len(before) == 3
    assert _no_timing(s_again) == _no_timing(s_serial)


def _spy_ray_cancel(monkeypatch) -> list:
    """Record ``ray.cancel`` calls (and still make them)."""
    calls: list = []
    real = ray.cancel

    def spy(ref, **kw):
        calls.append(ref)
        return real(ref, **kw)

    monkeypatch.setattr(ray, "cancel", spy)
    return calls


@pytest.mark.slow
@pytest.mark.parametrize("how", ["ctrl-c", "event"])
def test_ray_cancel_keeps_finished_videos_and_resumes(
    data, serial, cluster, tmp_path, how, monkeypatch
):
    """Ctrl-C (a real SIGINT to this process) or the cancel event once the first video is
    written: the other tasks are stopped, the finished video kept, a re-run completes.

    Without ``ray.cancel``: in Ray 2.60 cancelling a task whose result is already on its way
    aborts the driver (``task_manager.cc: Check failed: ... Tried to complete task that was
    not pending``, exit 1; forced or not). Two videos of one length end together, so the
    first one written made that race likely: the project's CI died of it here."""
    cancels = _spy_ray_cancel(monkeypatch)
    out = tmp_path / "cancel"
    cancel = threading.Event()
    fired = threading.Event()

    def watch():
        while not fired.is_set():
            if list((out / "videos").glob("*.json")):
                fired.set()
                if how == "ctrl-c":
                    os.kill(os.getpid(), signal.SIGINT)
                else:
                    cancel.set()
            time.sleep(0.02)

    # a person's Ctrl-C raises KeyboardInterrupt. A pytest started in the background by a
    # non-interactive shell (`bash .ci/run &`) inherits SIGINT ignored (SIG_IGN) and Python
    # keeps it so, which would make this a test of nothing: install what a terminal gives
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.Thread(target=watch, daemon=True).start()
    t0 = time.perf_counter()
    try:
        s = evaluate(data, out=out, backend="ray", cancel=cancel, **KW)
    finally:
        signal.signal(signal.SIGINT, before)
    returned = time.perf_counter() - t0
    was_fired = fired.is_set()
    fired.set()
    # what a failure needs to be understood (e.g. every video done, never interrupted)
    why = dict(
        fired_before_return=was_fired,
        seconds=round(returned, 2),
        written=sorted(p.name for p in (out / "videos").glob("*.json")),
        errors={v: e[:200] for v, e in s["errors"].items()},
    )
    assert s["complete"] is False, why
    n_done = len(s["videos"]) + len(s["errors"])
    assert 1 <= n_done < 4  # the others were cancelled, not waited for
    assert cancels == []  # the tasks were told to stop through the run's flag
    assert ray.is_initialized()  # the test's cluster survives; only the tasks were cancelled
    s2 = evaluate(data, out=out, backend="ray", **KW)  # resume finishes the rest
    assert _no_timing(s2) == _no_timing(serial[0])


@pytest.mark.slow
def test_ray_says_when_no_node_can_run_a_video(data, cluster, tmp_path, capsys, monkeypatch):
    """--gpus-per-video 1 on CPU-only nodes: Ray would queue the tasks silently for ever; the
    user is told why nothing starts and what to do, and can still cancel: tasks that no node
    can run never reached a worker, so ``ray.cancel`` takes them off the queue safely."""
    cancels = _spy_ray_cancel(monkeypatch)
    out = tmp_path / "gpu"
    cancel = threading.Event()
    timer = threading.Timer(2.0, cancel.set)
    timer.start()
    try:
        s = evaluate(data, out=out, backend="ray", gpus_per_video=1, cancel=cancel, **KW)
    finally:
        timer.cancel()
    err = capsys.readouterr().err
    assert err.count("waiting: no node of the Ray cluster can run a video task") == 1, err
    assert "needs 1 CPUs and 1 GPUs (nodes: 2 CPUs and 0 GPUs)" in err
    assert "lower --gpus-per-video (0: CPUs only)" in err
    assert s["complete"] is False and list((out / "videos").glob("*.json")) == []
    assert len(cancels) == 4  # a, b, c and broken, none left queued on the cluster


@pytest.mark.slow
def test_a_ray_task_started_after_the_stop_runs_no_video(cluster):
    """A task that starts once its run was stopped (queued behind the others) ends at once
    with ``Cancelled``, before it reads its video (the spec here has none)."""
    from litlora_widgets.errors import Cancelled
    from litlora_widgets.evaluation.backends import StopFlag, _ray_task

    flag = ray.remote(num_cpus=0)(StopFlag).remote()
    ray.get(flag.set.remote())
    with pytest.raises(ray.exceptions.RayTaskError) as e:
        ray.get(ray.remote(max_retries=0)(_ray_task).remote({"video": {"name": "x"}}, flag))
    assert isinstance(e.value.as_instanceof_cause(), Cancelled), e.value
    assert "video x: evaluation stopped before it started" in str(e.value)


def test_no_node_fits_reads_live_nodes_only():
    from litlora_widgets.evaluation.backends import _no_node_fits

    gpu = {"Alive": True, "Resources": {"CPU": 8.0, "GPU": 1.0}}
    cpu = {"Alive": True, "Resources": {"CPU": 2.0}}
    dead = {"Alive": False, "Resources": {"CPU": 8.0, "GPU": 4.0}}
    assert _no_node_fits([cpu, gpu], 1, 1) is None
    assert _no_node_fits([cpu], 1, 0) is None
    assert _no_node_fits([cpu], 4, 0) is not None  # CPUs count too
    msg = _no_node_fits([cpu, dead], 1, 0.5)
    assert "needs 1 CPUs and 0.5 GPUs (nodes: 2 CPUs and 0 GPUs)" in msg
    assert "nodes: none alive" in _no_node_fits([dead], 1, 1)


@pytest.mark.slow
def test_ray_cli_on_two_nodes_equals_serial(data, serial, two_nodes, tmp_path, capsys):
    """The command line joins an existing two-node cluster by --address (it did not start
    it): the summary equals the serial run's, and each video records the node that ran it,
    with videos on both nodes."""
    s_serial, _ = serial
    out = tmp_path / "two"
    argv = [str(data), "--model", "random", "--image-size", "256", "--seed", "0"]
    argv += ["--max-frames", "2", "--init-epochs", "3", "--finetune-epochs", "2"]
    argv += ["--backend", "ray", "--address", two_nodes.address, "--out", str(out)]
    rc = cli_main([*argv, "--no-progress"])
    assert rc == 1  # the broken video is reported, the others finish
    assert "2 masks" in capsys.readouterr().out
    assert not ray.is_initialized()  # the driver left the cluster it joined ...
    assert two_nodes.remaining_processes_alive()  # ... and the cluster is still up
    s_ray = json.loads((out / "summary.json").read_text())
    assert s_ray["complete"] is True
    assert _no_timing(s_ray) == _no_timing(s_serial)
    node_ids = {n.node_id for n in two_nodes.list_all_nodes()}
    assert len(node_ids) == 2
    ran_on = {}
    for v in [*VIDEOS, "broken"]:
        r = json.loads((out / "videos" / f"{v}.json").read_text())
        assert r["ray_node"] in node_ids, (v, r.get("ray_node"))
        assert r["ray_node_ip"]
        ran_on[v] = r["ray_node"]
    assert set(ran_on.values()) == node_ids, ran_on  # tasks on both nodes
    # the serial backend records no node
    assert "ray_node" not in json.loads((serial[1] / "videos" / "a.json").read_text())


@pytest.mark.slow
def test_gpus_per_video_runs_each_video_on_a_gpu_of_a_gpu_node(data, serial, tmp_path):
    """--gpus-per-video 1 on a cluster whose worker node declares 1 GPU (no real one here):
    every video runs there, one at a time, each given GPU 0; the head's CPU runs none. The
    summary equals the serial run's."""
    ray.shutdown()
    c = _start_two_nodes(worker_gpus=1)
    try:
        out = tmp_path / "gpu"
        s = evaluate(data, out=out, backend="ray", address=c.address, gpus_per_video=1, **KW)
        gpu_node = next(iter(c.worker_nodes)).node_id
    finally:
        ray.shutdown()
        c.shutdown()
    assert _no_timing(s) == _no_timing(serial[0])
    for v in [*VIDEOS, "broken"]:
        r = json.loads((out / "videos" / f"{v}.json").read_text())
        assert (r["ray_node"], r["ray_gpus"]) == (gpu_node, ["0"]), v
    assert "ray_gpus" not in json.loads((serial[1] / "videos" / "a.json").read_text())


@pytest.mark.slow
def test_shards_merge_to_the_single_run(data, serial, tmp_path, capsys):
    s_serial, _ = serial
    outs = [tmp_path / f"shard{i}" for i in range(2)]
    s0 = evaluate(data, out=outs[0], shard="0/2", **KW)
    s1 = evaluate(data, out=outs[1], shard=(1, 2), **KW)
    # natural order a, b, broken, c: shard 0 takes a and broken, shard 1 b and c
    assert s0["videos"] == ["a"] and list(s0["errors"]) == ["broken"]
    assert s1["videos"] == ["b", "c"] and not s1["errors"]
    merged = merge(outs, tmp_path / "merged")
    assert _no_timing(merged) == _no_timing(s_serial)
    assert sorted(p.name for p in (tmp_path / "merged" / "videos").glob("*.json")) == [
        "a.json",
        "b.json",
        "broken.json",
        "c.json",
    ]
    for f in ("summary.md", "results.csv", "jf_vs_corrections.png"):
        assert (tmp_path / "merged" / f).is_file(), f
    # the command line: a missing shard leaves the merge incomplete (exit 1)
    rc = cli_main(["merge", str(outs[0]), "--out", str(tmp_path / "half")])
    assert rc == 1 and "no result yet" in capsys.readouterr().err
    assert json.loads((tmp_path / "half" / "summary.json").read_text())["videos"] == ["a"]


def test_merge_refuses_other_settings(data, serial, tmp_path):
    other = tmp_path / "other"
    evaluate(data, out=other, **{**KW, "threshold": 0.3, "sequences": ["a"], "methods": ["sam2"]})
    with pytest.raises(ValueError, match="other settings"):
        merge([serial[1], other], tmp_path / "m")
    with pytest.raises(ValueError, match="no summary.json"):
        merge([tmp_path], tmp_path / "m")


@pytest.mark.parametrize("bad", ["2/2", "-1/3", "a/b", "3", (0, 0)])
def test_shard_spec_errors(bad):
    with pytest.raises(ValueError, match="shard"):
        parse_shard(bad)
    assert parse_shard("1/4") == (1, 4)


def test_missing_ray_names_the_extra(data, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(ValueError, match=r"pip install 'litlora-widgets\[ray\]'"):
        evaluate(data, backend="ray", **KW)
