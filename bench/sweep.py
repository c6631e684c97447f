"""Benchmark: the fig. 6-18 grid of Deep Learning from Scratch as one ``bntui sweep``.

16 init scales (logspace(0, -4, 16)) × BN on/off × 5 seeds = 160 trials; 1,000 training
images, 5 hidden layers of 100, SGD lr 0.01, batch 100, 20 epochs (200 steps), BN ε 1e-6
(the book's); validation on the data's test split once at the end. Runs the grid with
``--jobs 1`` and ``--jobs 2`` into fresh directories, checks both give the same numbers per
trial id, and prints the wall times, the speed-up and the jobs-2 table and chart.

    python bench/sweep.py [--data DIR] [--seeds 5] [--jobs 1,2] [--json OUT]

``--data`` defaults to Debian's dataset-fashion-mnist copy when it is installed
(/usr/share/datasets/fashion-mnist); without real images it uses a synthetic
MNIST-shaped set (784 inputs, 10 classes) written to a temporary .npz.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bntui.experiments.space import parse_param
from bntui.experiments.sweeping import plan, run_sweep
from bntui.experiments.tables import chart, table
from bntui.training.config import Config

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
SCALES = ",".join(f"std:{s:.4g}" for s in np.logspace(0, -4, 16))


def synthetic(directory: Path) -> str:
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(10, 784))
    y = rng.integers(0, 10, 12000)
    x = (centers[y] + 2.0 * rng.normal(size=(12000, 784))).astype(np.float32)
    path = directory / "mnist-shaped.npz"
    np.savez(path, x=x, y=y)
    return str(path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", help="IDX directory or .npz (default: Debian's Fashion-MNIST)")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--jobs", default="1,2", help="comma-separated job counts to time")
    p.add_argument("--json", help="write the timings as JSON")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bntui-bench-sweep-"))
    data = args.data or (str(DEBIAN_FASHION) if DEBIAN_FASHION.is_dir() else synthetic(tmp))
    base = Config(
        data=data, dataset="file", train_size=1000, depth=5, width=100, batch_size=100,
        lr=0.01, epochs=20, bn_eps=1e-6, eval_every=10**9, stats_every=10**9,
    )  # fmt: skip
    grid = [parse_param(f"init={SCALES}"), parse_param("bn=on,off")]
    the_plan = plan(base, grid, [], trials=0, seeds=args.seeds)
    print(f"data {data}: {len(the_plan.specs)} trials of {base.epochs} epochs", flush=True)
    times: dict[int, float] = {}
    rows_by_jobs = {}
    for jobs in (int(j) for j in args.jobs.split(",")):
        out = tmp / f"jobs{jobs}"
        started = time.perf_counter()
        rows, ran = run_sweep(the_plan, str(out), jobs=jobs, address=None, resume=False)
        times[jobs] = time.perf_counter() - started
        rows_by_jobs[jobs] = {r["trial"]: {k: v for k, v in r.items() if k != "seconds"}
                              for r in rows}  # fmt: skip
        print(f"--jobs {jobs}: {ran} trials in {times[jobs]:.1f} s", flush=True)
    first = next(iter(rows_by_jobs.values()))
    same = all(r == first for r in rows_by_jobs.values())
    print(f"same numbers per trial id across job counts: {same}")
    if 1 in times and 2 in times:
        print(f"speed-up --jobs 2 vs --jobs 1: {times[1] / times[2]:.2f}x")
    from rich.console import Console

    Console(width=120).print(table(rows))
    print(chart(rows, color=sys.stdout.isatty()))
    if args.json:
        Path(args.json).write_text(json.dumps({"data": data, "seconds": times, "same": same}))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
