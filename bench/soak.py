"""Long-session soak: memory and CPU must stay flat.

Two modes:

``python bench/soak.py [--steps 1000000] [--every 50000]``
    trains a tiny net headless for N steps in this process and prints the resident set
    size (VmRSS from /proc/self/status) every ``--every`` steps, with the history's size.
    Exit status 1 if RSS grew by more than ``--max-growth-mb`` after the first sample
    (the first interval includes warm-up allocations).

``python bench/soak.py --tui MINUTES [--sample 30] [--size 100x30]``
    runs ``bntui`` (default fps) in a detached tmux session for MINUTES, sampling its RSS
    and CPU% (from /proc/PID/stat, over each interval) every ``--sample`` seconds, then
    presses ``q`` and checks that it exits. Exit status 1 if RSS grew by more than
    ``--max-growth-mb`` or the app did not exit.

Both print a table and a JSON summary line (prefixed ``soak:``) for the notes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size in MiB, from /proc/<pid>/status (VmRSS is in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, in seconds (fields 14 and 15 of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # skip "pid (comm) "
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 overall)
    return ticks / os.sysconf("SC_CLK_TCK")


def soak_headless(steps: int, every: int, max_growth: float) -> int:
    from bntui.training.config import Config
    from bntui.training.session import Session

    config = Config(samples=200, depth=2, width=8, batch_size=16, steps=steps, seed=0)
    s = Session(config)
    rows = [(0, rss_mb(), 0, 0.0)]
    print(f"{'step':>9}  {'RSS MiB':>8}  {'history pts':>11}  {'steps/s':>8}")
    print(f"{0:>9,}  {rows[0][1]:>8.1f}  {0:>11}  {'':>8}")
    t_last = time.perf_counter()
    t0 = t_last
    while s.step_count < steps:
        for _ in range(min(every, steps - s.step_count)):
            s.step()
            if s.diverged or s.stopped_early:
                print(f"stopped at {s.step_count}: diverged={s.diverged}", file=sys.stderr)
                return 1
        now = time.perf_counter()
        rate = every / max(now - t_last, 1e-9)
        t_last = now
        points = sum(len(series.view().last) for series in s.history.series.values())
        rows.append((s.step_count, rss_mb(), points, rate))
        print(f"{s.step_count:>9,}  {rows[-1][1]:>8.1f}  {points:>11,}  {rate:>8,.0f}", flush=True)
    warm = rows[1][1] if len(rows) > 1 else rows[0][1]
    growth = max(r[1] for r in rows[1:]) - warm if len(rows) > 1 else 0.0
    summary = {
        "mode": "headless",
        "steps": s.step_count,
        "seconds": round(time.perf_counter() - t0, 1),
        "rss_start_mb": round(rows[0][1], 1),
        "rss_after_first_interval_mb": round(warm, 1),
        "rss_end_mb": round(rows[-1][1], 1),
        "rss_max_mb": round(max(r[1] for r in rows), 1),
        "growth_after_warmup_mb": round(growth, 2),
        "history_points_end": rows[-1][2],
        "events": len(s.events),
        "log": len(s.log),
    }
    print("soak: " + json.dumps(summary))
    return 0 if growth <= max_growth else 1


def soak_tui(minutes: float, sample: float, size: str, max_growth: float) -> int:
    if shutil.which("tmux") is None:
        print("soak: tmux is not installed", file=sys.stderr)
        return 2
    cols, rows_ = size.lower().split("x")
    name = f"bntui-soak-{os.getpid()}"
    cmd = f"exec {sys.executable} -m bntui --samples 1500"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", cols, "-y", rows_, cmd], check=True
    )
    try:
        out = subprocess.run(
            ["tmux", "list-panes", "-t", name, "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        )
        pid = int(out.stdout.split()[0])
        time.sleep(3)  # start-up
        samples = []
        t_end = time.monotonic() + minutes * 60
        last_cpu, last_t = cpu_seconds(pid), time.monotonic()
        print(f"{'min':>6}  {'RSS MiB':>8}  {'CPU %':>6}")
        while True:
            time.sleep(min(sample, max(t_end - time.monotonic(), 0.1)))
            now, cpu = time.monotonic(), cpu_seconds(pid)
            pct = 100 * (cpu - last_cpu) / (now - last_t)  # % of one core over the interval
            last_cpu, last_t = cpu, now
            elapsed = minutes * 60 - (t_end - now)
            samples.append((elapsed / 60, rss_mb(pid), pct))
            print(f"{samples[-1][0]:>6.1f}  {samples[-1][1]:>8.1f}  {pct:>6.1f}", flush=True)
            if now >= t_end:
                break
        screen = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True
        ).stdout
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)
        t_q = time.monotonic()
        exited = False
        while time.monotonic() - t_q < 5:
            if not Path(f"/proc/{pid}").exists():
                exited = True
                break
            time.sleep(0.05)
        quit_s = time.monotonic() - t_q
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    first = samples[0][1]
    growth = max(s[1] for s in samples) - first
    half = len(samples) // 2
    summary = {
        "mode": "tui",
        "minutes": minutes,
        "size": size,
        "rss_first_sample_mb": round(first, 1),
        "rss_end_mb": round(samples[-1][1], 1),
        "rss_max_mb": round(max(s[1] for s in samples), 1),
        "growth_mb": round(growth, 2),
        "cpu_pct_first_half": round(sum(s[2] for s in samples[:half]) / max(half, 1), 1),
        "cpu_pct_second_half": round(
            sum(s[2] for s in samples[half:]) / max(len(samples) - half, 1), 1
        ),
        "exited_on_q": exited,
        "quit_seconds": round(quit_s, 2),
        "status_line": screen.splitlines()[0].strip() if screen else "",
    }
    print("soak: " + json.dumps(summary, ensure_ascii=False))
    return 0 if growth <= max_growth and exited else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1_000_000)
    p.add_argument("--every", type=int, default=50_000)
    p.add_argument("--tui", type=float, metavar="MINUTES", help="soak the TUI in tmux instead")
    p.add_argument("--sample", type=float, default=30.0, help="TUI: seconds between samples")
    p.add_argument("--size", default="100x30", help="TUI: terminal size, e.g. 100x30")
    p.add_argument("--max-growth-mb", type=float, default=10.0)
    a = p.parse_args(argv)
    if a.tui is not None:
        return soak_tui(a.tui, a.sample, a.size, a.max_growth_mb)
    return soak_headless(a.steps, a.every, a.max_growth_mb)


if __name__ == "__main__":
    sys.exit(main())
