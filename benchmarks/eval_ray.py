"""Ray backend vs serial: wall time on a few short videos, and that the summaries match.

    PYTHONPATH=. .venv/bin/python benchmarks/eval_ray.py --videos 4 --frames 8 --cpus 2

Writes ``--videos`` synthetic clips, evaluates them serially (torch on ``--cpus`` threads) and
with ``--backend ray`` on a local cluster of ``--cpus`` CPUs (one task per video, one thread
each), and prints one JSON object: seconds of each, the overhead ratio ray / serial (with and
without starting the cluster), and whether the summaries are identical outside ``timing``.
Goal: ratio <= 1.15. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=int, default=4)
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--cpus", type=int, default=2)
    p.add_argument("--model", default="litlora-tiny")
    p.add_argument("--difficulty", default="medium")
    p.add_argument("--init-epochs", type=int, default=10)
    p.add_argument("--finetune-epochs", type=int, default=5)
    p.add_argument("--ray-first", action="store_true", help="run Ray before serial")
    p.add_argument(
        "--serial-threads",
        type=int,
        default=None,
        help="torch threads of the serial run (default: --cpus)",
    )
    a = p.parse_args(argv)
    import ray
    import torch

    from litlora_widgets.datasets.synthetic import write_synthetic_dataset
    from litlora_widgets.evaluation import evaluate

    tmp = Path(tempfile.mkdtemp(prefix="eval_ray_"))
    data = write_synthetic_dataset(
        tmp / "data", range(a.videos), a.frames, (a.size, a.size), a.difficulty
    )
    kw = dict(
        model=a.model,
        seed=0,
        progress=False,
        lit_config={"init_epochs": a.init_epochs, "finetune_epochs": a.finetune_epochs},
    )
    evaluate(data, out=tmp / "warm", sequences=[f"synth_{0:06d}"], **kw)  # model + imports

    def run_serial():
        torch.set_num_threads(a.serial_threads or a.cpus)
        t0 = time.perf_counter()
        s = evaluate(data, out=tmp / "serial", **kw)
        return s, time.perf_counter() - t0

    def run_ray():
        t0 = time.perf_counter()
        ray.init(num_cpus=a.cpus, include_dashboard=False, log_to_driver=False)
        start = time.perf_counter() - t0
        t1 = time.perf_counter()
        s = evaluate(data, out=tmp / "ray", backend="ray", **kw)
        secs = time.perf_counter() - t1
        ray.shutdown()
        return s, secs, start

    if a.ray_first:
        s_ray, ray_s, start_s = run_ray()
        s_serial, serial_s = run_serial()
    else:
        s_serial, serial_s = run_serial()
        s_ray, ray_s, start_s = run_ray()

    def strip(s):
        return json.dumps({k: v for k, v in s.items() if k != "timing"}, sort_keys=True)

    out = {
        "videos": a.videos,
        "frames": a.frames,
        "size": a.size,
        "cpus": a.cpus,
        "serial_threads": a.serial_threads or a.cpus,
        "ray_first": a.ray_first,
        "model": a.model,
        "serial_s": round(serial_s, 2),
        "ray_s": round(ray_s, 2),
        "ray_cluster_start_s": round(start_s, 2),
        "overhead_ratio": round(ray_s / serial_s, 3),
        "overhead_ratio_with_cluster_start": round((ray_s + start_s) / serial_s, 3),
        "identical_summary": strip(s_serial) == strip(s_ray),
        "corrections": {k: s_serial[k]["corrections"] for k in ("sam2", "lit")},
    }
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
