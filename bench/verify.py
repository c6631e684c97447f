"""Benchmark: ``bntui verify`` with stacked trials (today's path) against the same run
with every trial on its own (the path before ``trial_stack``), side by side.

Each repeat runs both, one after the other (which goes first alternates), as fresh
processes (``bntui verify --json``, the pool as the user gets it) and checks that both
give the same per-seed numbers and verdicts for every claim. Prints the wall times, the
ratio old / new per pair and the machine's load average around each run: on a shared
machine the absolute seconds move with the load, the ratio much less.

    python bench/verify.py [--mode quick,full] [--repeats 1] [--jobs N] [--json OUT]

The per-trial path is today's code with ``trial_stack.groups`` making one task per trial
(``run_stack`` of one spec is ``run_trial``): the same trials, no stacks.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# the per-trial path: verify with one task per trial (``run_stack([spec])`` is run_trial)
SOLO = (
    "import sys\n"
    "import bntui.experiments.trial_stack as ts\n"
    "ts.groups = lambda specs: [[s] for s in sorted(specs, key=lambda s: "
    "-s['config'].get('steps', 0))]\n"
    "from bntui.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
STACKED = "import sys\nfrom bntui.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def load() -> float:
    return os.getloadavg()[0]


def run(code: str, mode: str, jobs: int | None, out: Path) -> tuple[float, float, float]:
    """(wall seconds, load before, load after) of one ``bntui verify`` process."""
    argv = ["verify", "-q", "--json", str(out), "--force"]
    if mode == "quick":
        argv.append("--quick")
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    before = load()
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"bntui verify failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, before, load()


def numbers(path: Path) -> dict:
    """Each claim's per-seed numbers and verdict (what must not change)."""
    doc = json.loads(path.read_text())
    keys = ("arms", "values_a", "values_b", "verdict", "details", "note")
    return {c["key"]: {k: c.get(k) for k in keys} for c in doc["claims"]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", default="quick,full", help="quick, full or both (comma-separated)")
    p.add_argument("--repeats", type=int, default=1, help="pairs per mode")
    p.add_argument("--jobs", type=int, default=None, help="verify --jobs (default: all CPUs)")
    p.add_argument("--json", help="write the measurements here")
    args = p.parse_args()
    modes = [m for m in args.mode.split(",") if m]
    if not modes or set(modes) - {"quick", "full"} or args.repeats < 1:
        print("bench/verify.py: --mode takes quick and/or full, --repeats >= 1", file=sys.stderr)
        return 2
    cpus = len(os.sched_getaffinity(0))
    print(f"bntui verify: stacked vs one trial per task; {cpus} CPUs, jobs {args.jobs or cpus}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            pairs = []
            for r in range(args.repeats):
                sides = [("stacked", STACKED), ("solo", SOLO)]
                if r % 2:
                    sides.reverse()
                got = {}
                for name, code in sides:
                    out = Path(tmp) / f"{mode}-{name}.json"
                    got[name] = (*run(code, mode, args.jobs, out), numbers(out))
                same = got["stacked"][3] == got["solo"][3]
                new, old = got["stacked"][0], got["solo"][0]
                pairs.append(old / new)
                row = {
                    "mode": mode,
                    "repeat": r,
                    "stacked_s": round(new, 1),
                    "solo_s": round(old, 1),
                    "ratio_solo_over_stacked": round(old / new, 2),
                    "load": [round(x, 2) for x in (*got["stacked"][1:3], *got["solo"][1:3])],
                    "same_numbers": same,
                    "verdicts": {k: v["verdict"] for k, v in got["stacked"][3].items()},
                }
                results.append(row)
                print(
                    f"  {mode:5} #{r}: stacked {new:6.1f} s (load {got['stacked'][1]:.1f}→"
                    f"{got['stacked'][2]:.1f})  one per task {old:6.1f} s (load "
                    f"{got['solo'][1]:.1f}→{got['solo'][2]:.1f})  ratio {old / new:4.2f}×  "
                    f"numbers {'identical' if same else 'DIFFER'}"
                )
                if not same:
                    print("  the per-seed numbers differ: the one-per-task path is the truth")
            print(f"  {mode}: median ratio {statistics.median(pairs):.2f}× over {len(pairs)}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0 if all(r["same_numbers"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
