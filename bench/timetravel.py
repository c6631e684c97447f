"""Time travel costs on a default session (issue 22), every figure a ratio measured here.

    PYTHONPATH=. python bench/timetravel.py [--steps 100000] [--branch-steps 2000]

1. rewind: ``goto k`` from the newest step, for k spread over the whole run, early steps
   included, and for the worst step near each k (the one just before the next checkpoint:
   the longest replay), as a fraction of the time training to k took without checkpoints
   (target <= 2 %; each goto timed 3 times, the median kept). Below some step the fixed
   cost of a restore alone is more than 2 % of the training: those rows print the
   absolute time, and the line "floor" says where the target starts to hold;
2. checkpoint memory for the whole run (target <= 64 MiB): every array and container
   the checkpoints hold, counted once (history blocks are shared between checkpoints);
3. branch speed: steps/s of a branch (two nets in lockstep) over the solo steps/s on the
   same stretch of the run, measured side by side, alternating (target >= 0.45x);
4. the checkpoints' own cost: training with the timeline over training without it, for
   the whole run and for its first 1,000 steps (where checkpoints are densest).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from bntui.training.config import Config
from bntui.training.pair import Pair
from bntui.training.player import one_blas_thread
from bntui.training.timeline import Timeline, reachable_bytes


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
    early = (10, 30, 100, 300, 600, 1000, 3000)
    fractions = (0.1, 0.25, 0.5, 0.75, 0.9, 0.999)
    targets = sorted({k for k in early if k < n} | {int(n * f) for f in fractions} | {n // 3 + 17})

    # training, with and without checkpoints, alternating chunks so both share the noise
    pair = Pair(config, timeline=Timeline())  # as the live runner has it
    bare = Pair(config)  # headless: only the checkpoint at step 0
    chunk = 10
    elapsed = {0: 0.0}
    t_pair = t_bare = 0.0
    early_ratio = None
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
        elapsed[bare.step_count] = t_bare
        if early_ratio is None and bare.step_count >= 1000:
            early_ratio = t_pair / t_bare
        chunk = max(10, min(n // 200, bare.step_count // 10))  # fine-grained early on
    steps_at = sorted(elapsed)

    def train_time(k: int) -> float:  # time training to k took (interpolated in a chunk)
        i = np.searchsorted(steps_at, k)
        lo, hi = steps_at[max(0, i - 1)], steps_at[min(i, len(steps_at) - 1)]
        if hi == lo:
            return elapsed[hi]
        return elapsed[lo] + (elapsed[hi] - elapsed[lo]) * (k - lo) / (hi - lo)

    tl = pair.timeline
    print(f"default session, {n:,} steps: {n / t_bare:,.0f} steps/s without checkpoints")
    print(f"checkpoints: {len(tl)} (one every max({tl.base}, step // {tl.density}) steps); "
          f"training with them / without: {t_pair / t_bare:.3f}x the time"
          + (f" ({early_ratio:.2f}x over the first ~1,000)" if early_ratio else ""))  # fmt: skip
    memory = deep_bytes(tl)
    print(f"checkpoint memory: {memory / 2**20:.1f} MiB (target <= 64 MiB; the timeline's "
          f"own estimate {tl.nbytes / 2**20:.1f} MiB)")  # fmt: skip

    def timed_goto(k: int) -> tuple[float, float]:
        """The goto's cost and, side by side, one training step's (100 steps of the bare
        run timed after each goto: two evaluations, three statistics strides), medians of 3."""
        costs, steps = [], []
        for _ in range(3):
            pair.goto(n)  # back to the newest step (not timed)
            t0 = time.perf_counter()
            pair.goto(k)
            costs.append(time.perf_counter() - t0)
            assert pair.session.step_count == k
            t0 = time.perf_counter()
            for _ in range(100):
                bare.step()
            steps.append((time.perf_counter() - t0) / 100)
        return sorted(costs)[1], sorted(steps)[1]

    print("  goto k: its cost; as a % of training to k as it ran above (then), and of k steps")
    print("  at the speed measured beside the goto (now: the verdict, same load)")
    rows = []
    for k in targets:
        nxt = [s for s in tl.steps if s > k]
        for step in (k, nxt[0] - 1) if nxt and nxt[0] - 1 > k else (k,):
            cost, per_step = timed_goto(step)
            then, now = cost / train_time(step), cost / (step * per_step)
            rows.append((step, cost, now))
            replay = step - tl.before(step, strictly=False).step
            print(f"  goto {step:>7,}: {cost * 1e3:7.2f} ms = {then * 100:6.2f} % then, "
                  f"{now * 100:6.2f} % now (replays {replay} steps)"
                  + ("" if step == k else "  (the worst step near the row above)"))  # fmt: skip
    pair.goto(n)
    worst = max(rows, key=lambda r: r[2])
    failing = [r for r in rows if r[2] > 0.02]
    print(f"rewind: worst {worst[2] * 100:.2f} % of the training time (now), at step "
          f"{worst[0]:,} (target <= 2 %)")  # fmt: skip
    if failing:
        last = max(r[0] for r in failing)
        within = [r for r in rows if r[0] > last]
        print(f"floor: rewinds to steps <= {last:,} miss 2 % (they cost "
              f"{min(r[1] for r in failing) * 1e3:.1f}-{max(r[1] for r in failing) * 1e3:.1f} ms); "
              f"the {len(within)} measured after step {last:,} are within it")  # fmt: skip
    else:
        print("floor: none (every measured rewind is within 2 %)")

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
