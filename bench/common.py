"""Shared pieces of the benchmark suite: result rows, timing, RSS, the table and JSON.

Every figure is a median over repeats; every comparison is measured side by side in the
same run (interleaved, so both sides share the machine's noise) and reported as a ratio.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PART_NAMES = {
    1: "engine",
    2: "stats",
    3: "tui",
    4: "latency",
    5: "bytes",
    6: "chart",
    7: "rss",
    8: "startup",
}
PART_TITLES = {
    1: "steps/s: bntui end to end (as `bntui run` trains) and bare step, vs PyTorch CPU "
    "(1 thread, same evaluation) and vs the previous engine",
    2: "cost of per-layer statistics at the default stride",
    3: "training steps/s with the TUI running vs headless",
    4: "key press -> status token change",
    5: "bytes/s written to a real pty at 80x24",
    6: "one chart redraw: 1 M vs 1 k steps of history",
    7: "RSS before/after headless steps on net a",
    8: "start-up of `bntui` to its first frame",
}


class BenchError(Exception):
    """A benchmark could not run (bad option, missing file); the message says why."""


@dataclass
class Row:
    """One line of the table (and one entry of results.json)."""

    id: str  # stable key for --compare, e.g. "engine.a.bn_on"
    part: int
    case: str  # human label
    value: float | None  # the measured figure (median), None when it could not be measured
    unit: str
    ref: float | None = None  # the side-by-side reference figure (median), if any
    ref_label: str = ""  # what the reference is ("torch", "headless", "not installed")
    ratio: float | None = None  # value / ref (median of paired ratios where paired)
    target: str = ""  # e.g. ">= 2.0x"
    met: bool | None = None  # None: no target, or not measurable
    note: str = ""
    samples: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def median(xs: Iterable[float]) -> float:
    """Median of finite values (NaN when there are none)."""
    vals = [x for x in xs if x is not None and math.isfinite(x)]
    return statistics.median(vals) if vals else math.nan


def check(value: float | None, op: str, limit: float) -> bool | None:
    """Compare a figure against a target ('>=' or '<='); None when it is missing."""
    if value is None or not math.isfinite(value):
        return None
    return value >= limit if op == ">=" else value <= limit


def rate(step: Callable[[], Any], n: int) -> float:
    """Calls per second of ``step`` over ``n`` calls (wall clock, perf_counter)."""
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return n / (time.perf_counter() - t0)


def interleaved(
    sides: dict[str, tuple[Callable[[], Any], int]],
    rounds: int,
    offset: int = 0,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Calls per second of each side, measured in ``rounds`` alternating chunks.

    ``sides`` maps a name to (step function, calls in total); each round runs every side
    for its share of calls, in turn, so a burst of load on this shared machine hits all
    sides alike. The order rotates every round (and by ``offset``), so each side follows
    each other side equally often (what one side leaves in the caches and the allocator
    must not bias the next). ``clock``: wall time by default; ``time.process_time`` counts
    only what this process computed (steadier when other processes load the machine).
    """
    names = list(sides)
    spent = dict.fromkeys(names, 0.0)
    done = dict.fromkeys(names, 0)
    for r in range(rounds):
        k = (r + offset) % len(names)
        for name in names[k:] + names[:k]:
            step, total = sides[name]
            n = max(1, total // rounds)
            t0 = clock()
            for _ in range(n):
                step()
            spent[name] += clock() - t0
            done[name] += n
    return {name: done[name] / spent[name] for name in sides}


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    """Collect, then freeze what exists (torch, numpy, the sessions) out of the collector's
    sight while measuring, so a full collection costs what the measured code made, not
    what importing torch made; unfrozen afterwards."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def calibrate(step: Callable[[], Any], seconds: float, *, probe: int = 10) -> int:
    """How many calls of ``step`` take about ``seconds`` (at least ``probe``)."""
    r = rate(step, probe)
    return max(probe, int(r * seconds))


def rss_kib() -> int:
    """Resident set size of this process in KiB (Linux /proc; ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def environment() -> dict[str, Any]:
    """What the figures depend on: versions, CPU, BLAS threads (recorded, not changed)."""
    import numpy as np

    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP", "MKL"))},
    }
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = threadpool_info()
    except Exception as exc:  # threadpoolctl is a dependency, but never fail the run on it
        info["threadpools"] = f"unavailable: {exc}"
    try:
        import textual

        info["textual"] = textual.__version__
    except Exception:
        info["textual"] = None
    return info


# --------------------------------------------------------------------------- output


def _fmt_num(x: float | None, unit: str = "") -> str:
    if x is None or not math.isfinite(x):
        return "–"
    if unit == "%":
        return f"{x:+.1f} %"
    if abs(x) >= 100:
        s = f"{x:,.0f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    elif abs(x) >= 0.1:
        s = f"{x:.2f}"
    else:
        s = f"{x:.3g}"
    return f"{s} {unit}".rstrip()


def _status(row: Row) -> str:
    if not row.target:
        return ""
    if row.met is None:
        return "n/a"
    return "met" if row.met else "NOT MET"


def format_table(rows: list[Row]) -> str:
    """The one table: a line per row, grouped by part, with targets and met/not met."""
    head = ("#", "case", "figure", "reference", "ratio", "target", "status")
    lines = []
    for r in rows:
        ref = r.ref_label
        if r.ref is not None and math.isfinite(r.ref):
            ref = f"{r.ref_label} {_fmt_num(r.ref, r.unit)}".strip()
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None and math.isfinite(r.ratio) else ""
        lines.append(
            (
                str(r.part),
                r.case,
                _fmt_num(r.value, r.unit),
                ref,
                ratio,
                r.target,
                _status(r),
            )
        )
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    right = {2, 3, 4}

    def fmt(cols: tuple[str, ...]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cols, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    out = [fmt(head), "  ".join("-" * w for w in widths)]
    last_part = None
    for r, cols in zip(rows, lines, strict=True):
        if r.part != last_part:
            out.append(f"[{r.part}] {PART_TITLES.get(r.part, '')}")
            last_part = r.part
        out.append(fmt(cols))
        if r.note:
            out.append(" " * (widths[0] + 2) + "  · " + r.note)
    return "\n".join(out)


def save_results(path: Path, rows: list[Row], meta: dict[str, Any]) -> None:
    """Write results.json atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"meta": meta, "rows": [r.to_dict() for r in rows]}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def load_results(path: Path) -> dict[str, Any]:
    """Read a results.json written by an earlier run; BenchError when unusable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchError(f"--compare: no such file: {path}") from None
    except (OSError, ValueError) as exc:
        raise BenchError(f"--compare: cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise BenchError(f"--compare: {path} is not a bench results file (no 'rows' list)")
    return data


def format_compare(rows: list[Row], old: dict[str, Any]) -> str:
    """Deltas of this run against an older results.json, row by row (matched by id)."""
    old_rows = {r.get("id"): r for r in old["rows"] if isinstance(r, dict)}
    lines = [f"compared with a run from {old.get('meta', {}).get('time', '?')}:"]
    width = max([len(r.case) for r in rows] + [4])
    for r in rows:
        o = old_rows.get(r.id)
        if o is None:
            lines.append(f"  {r.case.ljust(width)}  (new row)")
            continue
        parts = [_delta(o.get("value"), r.value, r.unit)]
        if r.ratio is not None or o.get("ratio") is not None:
            parts.append("ratio " + _delta(o.get("ratio"), r.ratio, "x"))
        lines.append(f"  {r.case.ljust(width)}  " + "   ".join(parts))
    gone = sorted(set(old_rows) - {r.id for r in rows}, key=str)
    for rid in gone:
        lines.append(f"  {rid}: only in the old run")
    return "\n".join(lines)


def _delta(old: float | None, new: float | None, unit: str) -> str:
    if old is None or new is None or not (math.isfinite(old) and math.isfinite(new)):
        return f"{_fmt_num(old, unit)} -> {_fmt_num(new, unit)}"
    pct = f" ({(new - old) / abs(old) * 100:+.1f} %)" if old else ""
    return f"{_fmt_num(old, unit)} -> {_fmt_num(new, unit)}{pct}"
