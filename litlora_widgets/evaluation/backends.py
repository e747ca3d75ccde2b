"""Where videos run: in this process, in a local process pool, or as Ray tasks on a cluster.

Every backend runs the same pure ``run_video(spec)`` and hands each result to ``finish`` as soon
as it arrives (the caller writes it to ``out/videos/<video>.json``), so a re-run resumes
whatever backend wrote the finished videos, and the summary does not depend on the backend.
Each backend stops on Ctrl-C or on ``cancel`` and stops the work still queued or running.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..errors import Cancelled, InputError
from .runner import run_video

BACKENDS = ("serial", "process", "ray")
Finish = Callable[[dict], None]


def run_serial(specs: list[dict], finish: Finish, cancel: threading.Event | None) -> None:
    for spec in specs:
        finish(run_video(spec, cancel))


#: in a worker process of ``run_processes``: the run's stop event (the pool's initializer)
_process_stop = None


def _init_process(stop) -> None:
    global _process_stop
    _process_stop = stop


def _process_task(spec: dict) -> dict:
    return run_video(spec, _process_stop)


def run_processes(
    specs: list[dict], workers: int, finish: Finish, cancel: threading.Event | None
) -> None:
    """Videos in spawned processes (fork is unsafe with torch threads). On Ctrl-C or
    ``cancel`` the workers stop at their next frame (an event they share) and are waited
    for: no process computes on after this returns (a notebook's interrupt reaches only the
    kernel, so the workers would otherwise finish their videos unseen)."""
    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    ex = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_process, initargs=(stop,)
    )
    try:
        pending = {
            ex.submit(_process_task, {**s, "progress": False, "threads": threads}) for s in specs
        }
        while pending:
            fin, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for f in fin:
                finish(f.result())
            if cancel is not None and cancel.is_set():
                raise Cancelled("evaluation cancelled")
    except BaseException:
        stop.set()
        ex.shutdown(wait=True, cancel_futures=True)
        raise
    ex.shutdown()


def import_ray():
    try:
        import ray
    except ImportError as e:
        raise InputError(
            "--backend ray needs Ray, which is an optional extra: "
            "pip install 'litlora-widgets[ray]' (or use --backend process / --workers N)"
        ) from e
    return ray


def _no_node_fits(nodes: list[dict], cpus: float, gpus: float) -> str | None:
    """What to tell the user when no live node of the cluster can run one video task (e.g.
    ``--gpus-per-video 1`` on CPU-only nodes); None when one can."""
    alive = [n.get("Resources", {}) for n in nodes if n.get("Alive")]
    if any(r.get("CPU", 0) >= cpus and r.get("GPU", 0) >= gpus for r in alive):
        return None
    have = ", ".join(f"{r.get('CPU', 0):g} CPUs and {r.get('GPU', 0):g} GPUs" for r in alive)
    return (
        f"waiting: no node of the Ray cluster can run a video task, which needs {cpus:g} CPUs "
        f"and {gpus:g} GPUs (nodes: {have or 'none alive'}). The tasks start when such a node "
        "joins; to run now, lower --gpus-per-video (0: CPUs only) or press Ctrl-C to stop."
    )


class StopFlag:
    """One run's stop flag, held by a small async Ray actor: the driver sets it, the tasks
    watch it.

    Ray runs are stopped this way, not with ``ray.cancel``: in Ray 2.60 cancelling a task
    whose result is already on its way back aborts the driver process (``task_manager.cc:
    Check failed: ... Tried to complete task that was not pending``, exit 1), forced or not.
    Videos of one length end together, so a Ctrl-C after the first result hit that often;
    in a notebook it kills the kernel."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    async def set(self) -> None:
        self._event.set()

    async def is_set(self) -> bool:
        return self._event.is_set()

    async def wait(self) -> None:
        await self._event.wait()


class _TaskStop:
    """``cancel`` for ``run_video`` in a Ray task (it checks once per frame). It watches the
    run's ``StopFlag`` through futures, never a blocking ``ray.get``: a task blocked in
    ``ray.get`` lends its CPU to the next queued task, and polling that way ran 3 tasks on
    2 CPUs. A flag that is gone (its driver exited) counts as set."""

    def __init__(self, flag) -> None:
        self._now = flag.is_set.remote().future()
        self._later = flag.wait.remote().future()  # completes when the flag is set

    def was_set_at_start(self) -> bool:
        try:
            return bool(self._now.result())
        except Exception:  # the actor died with its driver
            return True

    def is_set(self) -> bool:
        return self._later.done()


def _ray_task(spec: dict, flag) -> dict:
    """A Ray task: one video. Never raises for a bad video (``run_video`` reports it); raises
    ``Cancelled`` at the frame after ``flag`` (a ``StopFlag`` actor) is set, or before its
    video when the run was stopped while it waited in the queue.

    The result records where it ran (``ray_node``: the Ray node id, ``ray_node_ip``, and
    ``ray_gpus``: the GPUs Ray gave the task), which the serial and process backends leave
    out; none of them changes the summary."""
    import ray

    stop = _TaskStop(flag)
    if stop.was_set_at_start():
        raise Cancelled(f"video {spec['video']['name']}: evaluation stopped before it started")
    r = run_video(spec, stop)
    r["ray_node"] = ray.get_runtime_context().get_node_id()
    r["ray_node_ip"] = ray.util.get_node_ip_address()
    r["ray_gpus"] = [str(g) for g in ray.get_gpu_ids()]  # Ray sets CUDA_VISIBLE_DEVICES to them
    return r


def run_ray(
    specs: list[dict],
    finish: Finish,
    cancel: threading.Event | None,
    *,
    address: str | None = None,
    cpus_per_video: float = 1.0,
    gpus_per_video: float = 0.0,
) -> None:
    """One Ray task per video on the cluster at ``address`` (None: the one this process has
    already joined with ``ray.init``, else ``$RAY_ADDRESS`` or the cluster last started on
    this machine, else a new local one; "auto": an existing cluster).

    Tasks are spread over the nodes (``scheduling_strategy="SPREAD"``); each result records
    the node that ran it (``ray_node``). Results are passed to ``finish`` in the order they
    complete. A task that dies (a crashed
    worker, a lost node) becomes that video's error result while the others go on. Ctrl-C or
    ``cancel`` stops every task not yet finished (``StopFlag``) and re-raises.
    """
    ray = import_ray()
    if cpus_per_video <= 0 or gpus_per_video < 0:
        raise InputError(
            f"cpus per video must be > 0 and --gpus-per-video >= 0, got {cpus_per_video} and "
            f"{gpus_per_video}"
        )
    started = False
    if not ray.is_initialized():
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except ConnectionError as e:
            raise InputError(
                f"cannot reach a Ray cluster at --address {address}: {e}; start one with "
                "`ray start --head` or leave --address out to start a local one"
            ) from e
        started = True
    waiting = _no_node_fits(ray.nodes(), cpus_per_video, gpus_per_video)
    if waiting:  # Ray would queue the tasks silently until such a node joins
        print(waiting, file=sys.stderr, flush=True)
    threads = max(1, int(cpus_per_video))
    # SPREAD: videos are long, independent tasks; spreading them over the nodes with free
    # resources balances the load instead of filling the driver's node first
    task = ray.remote(
        num_cpus=cpus_per_video,
        num_gpus=gpus_per_video,
        max_retries=0,
        scheduling_strategy="SPREAD",
    )(_ray_task)
    flag = ray.remote(num_cpus=0)(StopFlag).remote()
    names: dict = {}
    pending: list = []
    try:
        for s in specs:
            ref = task.remote({**s, "progress": False, "threads": threads}, flag)
            names[ref] = s["video"]["name"]
            pending.append(ref)
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            for ref in done:
                try:
                    r = ray.get(ref)
                except ray.exceptions.RayError as e:  # the task itself died
                    name, lines = names[ref], str(e).strip().splitlines() or [""]
                    r = {
                        "video": name,
                        "status": "error",
                        "error": f"video {name}: Ray task failed: {type(e).__name__}: {lines[-1]}",
                        "ray_node": None,
                    }
                finish(r)
            if cancel is not None and cancel.is_set():
                raise Cancelled("evaluation cancelled")
    except BaseException:
        _stop(ray, flag, pending, cpus_per_video, gpus_per_video)
        raise
    finally:
        if started:
            ray.shutdown()


def _stop(ray, flag, pending: list, cpus: float, gpus: float) -> None:
    """Stop the tasks still pending: running ones end at their next frame, queued ones as
    they start. Only when no live node can run a task at all (so none reached a worker) are
    they taken off the queue with ``ray.cancel``, which is safe for a task never sent."""
    try:
        ray.get(flag.set.remote(), timeout=30)
        if pending and _no_node_fits(ray.nodes(), cpus, gpus):
            for ref in pending:
                ray.cancel(ref)
    except Exception as e:  # e.g. the cluster is gone too; the stop's own cause goes on
        print(
            f"could not tell the Ray tasks to stop ({type(e).__name__}: {e}); "
            "they may run to their end",
            file=sys.stderr,
        )
