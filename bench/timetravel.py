"""Time travel costs on a default session (issue 22), every figure a ratio measured here.

    PYTHONPATH=. python bench/timetravel.py [--steps 100000] [--branch-steps 2000]

1. rewind: ``goto k`` from the newest step, for k spread over the run, as a fraction of
   the time training to k took (target <= 2 %);
2. checkpoint memory for the whole run (target <= 64 MiB): every array and container
   the checkpoints hold, counted once (history blocks are shared between checkpoints);
3. branch speed: steps/s of a branch (two nets in lockstep) over the solo steps/s on the
   same stretch of the run, measured side by side, alternating (target >= 0.45x);
4. the checkpoints' own cost: training with the timeline over training without it.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from bntui.training.config import Config
from bntui.training.player import one_blas_thread
from bntui.training.timeline import Timeline, reachable_bytes
from bntui.training.twins import Pair


def deep_bytes(root: Any) -> int:
    """Bytes of every array and container reachable from ``root``, each counted once
    (the data set, shared with the live session, is left out)."""
    return reachable_bytes([root])


@one_blas_thread()
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--branch-steps", type=int, default=2000)
    args = ap.parse_args()
    n = args.steps
    config = Config(steps=n)
    targets = sorted({int(n * f) for f in (0.1, 0.25, 0.5, 0.75, 0.9, 0.999)} | {n // 3 + 17})

    # training, with and without checkpoints, alternating chunks so both share the noise
    pair = Pair(config, timeline=Timeline())  # as the live runner has it
    bare = Pair(config)  # headless: only the checkpoint at step 0
    chunk = max(1, n // 200)
    elapsed = {0: 0.0}
    t_pair = t_bare = 0.0
    while pair.step_count < n:
        t0 = time.perf_counter()
        for _ in range(min(chunk, n - pair.step_count)):
            pair.step()
        t1 = time.perf_counter()
        for _ in range(min(chunk, n - bare.step_count)):
            bare.step()
        t2 = time.perf_counter()
        t_pair += t1 - t0
        t_bare += t2 - t1
        elapsed[pair.step_count] = t_pair
    steps_at = sorted(elapsed)

    def train_time(k: int) -> float:  # time training to k took (interpolated in a chunk)
        i = np.searchsorted(steps_at, k)
        lo, hi = steps_at[max(0, i - 1)], steps_at[min(i, len(steps_at) - 1)]
        if hi == lo:
            return elapsed[hi]
        return elapsed[lo] + (elapsed[hi] - elapsed[lo]) * (k - lo) / (hi - lo)

    print(f"default session, {n:,} steps: {n / t_pair:,.0f} steps/s with checkpoints")
    print(f"checkpoints: {len(pair.timeline)} (density {pair.timeline.density}/doubling, "
          f"base {pair.timeline.base}); training with them / without: "
          f"{t_pair / t_bare:.3f}x the time")  # fmt: skip
    memory = deep_bytes(pair.timeline)
    print(f"checkpoint memory: {memory / 2**20:.1f} MiB (target <= 64 MiB; the timeline's "
          f"own estimate {pair.timeline.nbytes / 2**20:.1f} MiB)")  # fmt: skip

    worst = 0.0
    for k in targets:
        t0 = time.perf_counter()
        pair.goto(k)
        cost = time.perf_counter() - t0
        assert pair.session.step_count == k
        ratio = cost / train_time(k)
        worst = max(worst, ratio)
        print(f"  goto {k:>7,}: {cost * 1e3:7.1f} ms = {ratio * 100:5.2f} % of training to it "
              f"({train_time(k):.1f} s)")  # fmt: skip
        pair.goto(n)  # back to the newest step (not timed)
    print(f"rewind: worst {worst * 100:.2f} % of the training time (target <= 2 %)")

    # branch speed: the same stretch solo (the recorded future replayed) and branched
    m = args.branch_steps
    solo = branch = 0.0
    for k in (n // 2, n // 4):  # (after a branch at n/2, n/4 is still on the recorded run)
        pair.goto(k)
        t0 = time.perf_counter()
        for _ in range(m):
            pair.step()
        solo += time.perf_counter() - t0
        pair.goto(k)
        pair.apply("bn toggle")
        assert pair.branch is not None
        t0 = time.perf_counter()
        for _ in range(m):
            pair.step()
        branch += time.perf_counter() - t0
    print(f"branch: {m / branch * 2:,.0f} steps/s of two nets vs {m / solo * 2:,.0f} solo: "
          f"{solo / branch:.2f}x solo speed (target >= 0.45x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
