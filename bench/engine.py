"""Engine benchmarks: parts 1 (steps/s, side by side), 2 (statistics cost) and 7 (RSS).

The nets are the issue's (one spec each, every other Config field at its default):

  a  2 -> 4 x 32 ReLU -> 3, batch 64 (spiral)  — the app's default experiment
  b  2 -> 10 x 64 ReLU -> 3, batch 128 (spiral) — a deep net
  c  784 -> 5 x 100 ReLU -> 10, batch 100 (MNIST-sized synthetic, 10,000 rows like
     MNIST's t10k set: 8,000 train / 2,000 validation) — DLFS ch. 6
  d  784 -> 3 x 100 sigmoid -> 10, batch 60 (the same data) — BLAS-bound

plus, in part 1, every bundled lesson's [config]. Part 1 times, per case, in worker
processes (``sides.py``) and interleaved rounds: bntui end to end as ``bntui run`` trains
(its loop, default evaluation and statistics strides), the bare ``Session.step()``,
PyTorch CPU with the same evaluation and the bare PyTorch step, and the previous engine
(``versions.PREVIOUS``) end to end and bare. Chunks hold whole evaluation, statistics and
train-sample periods, so every chunk of a side does the same work. Everything runs with
one BLAS / intra-op thread.

Run as a script for the RSS child: ``python bench/engine.py rss --steps N``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Row, calibrate, check, interleaved, median, quiet_gc, rss_kib
from torch_net import torch_available

NO_EVAL = 10**9  # eval_every beyond any benchmark run: no validation passes
ROUNDS = 6  # alternating chunks per measurement (see common.interleaved)


@dataclass(frozen=True)
class Net:
    """A benchmark net: a label and the Config fields that differ from the defaults."""

    key: str
    label: str
    fields: dict[str, Any]
    wide_data: bool = False  # needs the 784-D synthetic .npz


NETS = {
    "a": Net("a", "2-4x32-3 relu b64", dict(depth=4, width=32, activation="relu", batch_size=64)),
    "b": Net(
        "b", "2-10x64-3 relu b128", dict(depth=10, width=64, activation="relu", batch_size=128)
    ),
    "c": Net(
        "c",
        "784-5x100-10 relu b100",
        dict(depth=5, width=100, activation="relu", batch_size=100),
        wide_data=True,
    ),
    "d": Net(
        "d",
        "784-3x100-10 sigmoid b60",
        dict(depth=3, width=100, activation="sigmoid", batch_size=60),
        wide_data=True,
    ),
}


class WideData:
    """A 784-feature, 10-class synthetic set saved as .npz (uint8 'images', like MNIST).

    Class prototypes plus noise, so the net actually learns; made once per run.
    """

    def __init__(self, n: int = 10000, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        protos = rng.uniform(0, 255, size=(10, 784))
        y = rng.integers(0, 10, size=n)
        x = np.clip(protos[y] + rng.normal(0, 60, size=(n, 784)), 0, 255).astype(np.uint8)
        self._dir = tempfile.TemporaryDirectory(prefix="bntui-bench-")
        self.path = os.path.join(self._dir.name, "wide.npz")
        np.savez(self.path, x=x, y=y.astype(np.int64))

    def cleanup(self) -> None:
        self._dir.cleanup()


_WIDE: WideData | None = None


def net_config(net: Net, **changes: Any):
    """The Config of a benchmark net (with changes, e.g. bn=False)."""
    from bntui.training.config import Config

    global _WIDE
    fields = dict(net.fields)
    if net.wide_data:
        if _WIDE is None:
            _WIDE = WideData()
        fields.update(dataset="file", data=_WIDE.path)
    fields.update(changes)
    return Config(**fields)


def cleanup() -> None:
    global _WIDE
    if _WIDE is not None:
        _WIDE.cleanup()
        _WIDE = None


def make_session(net: Net, **changes: Any):
    from bntui.training.session import Session

    return Session(net_config(net, **changes))


# the same net in PyTorch: bench/torch_net.py (TorchTrainer, torch_available)


def _blas1():
    """A context with one BLAS thread for NumPy (the trainer's setting)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


# --------------------------------------------------------------------------- part 1

# the sides of part 1: (worker, kind); "cur" is this checkout, "prev" the previous engine
SIDES = (
    ("bntui", "cur", "e2e"),
    ("bare", "cur", "bare"),
    ("torch", "cur", "torch"),
    ("torch-bare", "cur", "torch-bare"),
    ("prev", "prev", "e2e"),
    ("prev-bare", "prev", "bare"),
)
# the guard's sides (mode "quick"): the end-to-end ratios it watches, nothing else, so its
# two minutes go to more rounds (a median over more pairs) rather than to unwatched sides
GUARD_SIDES = ("bntui", "torch", "prev")
# targets, end to end: (vs PyTorch, vs the previous engine) per net
TARGETS = {"a": (2.5, None), "c": (1.5, 1.0)}


def lesson_fields() -> dict[str, dict[str, Any]]:
    """Each bundled lesson's [config] (what its replay trains), without its length."""
    import tomllib

    import bntui

    out = {}
    for path in sorted((Path(bntui.__file__).parent / "demos").glob("*.toml")):
        config = dict(tomllib.loads(path.read_text(encoding="utf-8")).get("config", {}))
        for key in ("steps", "epochs"):
            config.pop(key, None)
        out[path.stem] = config
    return out


def case_fields(key: str, bn: bool | None, lessons: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The Config fields of a case (a net with BN on/off, or a lesson's config)."""
    if key in NETS:
        fields = dict(NETS[key].fields, bn=bool(bn))
        if NETS[key].wide_data:
            global _WIDE
            if _WIDE is None:
                _WIDE = WideData()
            fields.update(dataset="file", data=_WIDE.path)
        return fields
    return dict(lessons[key])


def _unit(fields: dict[str, Any], mode: str) -> int:
    """Steps per chunk unit: whole evaluation and statistics periods (in full runs whole
    train-sample evaluation periods too), so every chunk of a side does the same work;
    10 steps in a smoke run (``--quick`` alone: the figures mean nothing there)."""
    from sides import lcm

    from bntui.training.config import Config
    from bntui.training.session import TRAIN_EVAL_EVALS

    if mode == "smoke":
        return 10
    c = Config(**fields)
    strides = [c.eval_every, c.stats_every] + [k for k in (c.ics_every, c.smooth_every) if k]
    if mode == "full":
        strides.append(c.eval_every * TRAIN_EVAL_EVALS)
    return lcm(*strides)


def part_engine(
    cases: list[tuple[str, bool | None]],
    repeats: int,
    seconds: float,
    *,
    mode: str = "full",
    previous: str | None = None,
) -> list[Row]:
    """Steps/s of each case's sides, measured in interleaved rounds; ratios paired per round.

    ``cases``: (net key, BN on/off) or (lesson name, None). ``mode``: "full", "quick"
    (the guard's: whole evaluation periods, no train-sample period) or "smoke" (tiny
    chunks). ``previous``: the commit of
    the previous engine (default ``versions.PREVIOUS``); its side is skipped, with a note,
    when it cannot be extracted.
    """
    import versions
    from sides import SideError, Worker

    lessons = lesson_fields()
    workers: dict[str, Worker] = {}
    prev_note = ""
    try:
        workers["cur"] = Worker(HERE_ROOT, "this checkout")
        commit = previous or versions.PREVIOUS
        try:
            workers["prev"] = Worker(versions.extract(commit), f"engine at {commit}")
        except (versions.VersionError, SideError) as exc:
            prev_note = f"previous engine skipped: {exc}"
        results = []
        for key, bn in cases:
            t0 = time.perf_counter()
            results.append(_measure_case(workers, key, bn, lessons, repeats, seconds, mode))
            label = key if bn is None else f"{key} BN {'on' if bn else 'off'}"
            print(f"    {label}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    finally:
        for w in workers.values():
            w.close()
    rows: list[Row] = []
    torch_version = torch_available()
    for (key, bn), res in zip(cases, results, strict=True):
        rows += _case_rows(key, bn, res, torch_version, prev_note, previous or None)
    return rows


HERE_ROOT = Path(__file__).resolve().parents[1]


def _measure_case(workers, key, bn, lessons, repeats, seconds, mode) -> dict[str, Any]:
    from sides import SideError

    fields = case_fields(key, bn, lessons)
    name = f"{key}.{'on' if bn else 'off'}" if bn is not None else key
    made: dict[str, str] = {}
    why: dict[str, str] = {}
    for side, wkey, kind in SIDES:
        if mode == "quick" and side not in GUARD_SIDES:
            continue
        w = workers.get(wkey)
        if w is None:
            why[side] = "not available"
            continue
        try:
            made[side] = w.make(f"{name}:{side}", kind, fields)
        except SideError as exc:
            why[side] = str(exc)
    unit = _unit(fields, mode)
    steps: dict[str, int] = {}
    for side in list(made):
        w = workers[dict((s, wk) for s, wk, _k in SIDES)[side]]
        try:
            w.seconds(f"{name}:{side}", 5 if mode == "smoke" else 20)  # warm up
            t = w.seconds(f"{name}:{side}", unit)
        except SideError as exc:
            why[side] = str(exc)
            del made[side]
            continue
        per_unit = max(1, round(seconds / max(t, 1e-9)))
        steps[side] = (
            unit * per_unit if side in ("bntui", "torch", "prev") else max(20, int(unit * per_unit))
        )
    rates: dict[str, list[float]] = {side: [] for side in made}
    order = list(made)
    for r in range(repeats):
        k = r % max(len(order), 1)
        for side in order[k:] + order[:k]:
            w = workers[dict((s, wk) for s, wk, _k in SIDES)[side]]
            # the guard times CPU seconds: a side descheduled by other load is not slower
            took = w.seconds(f"{name}:{side}", steps[side], cpu=mode == "quick")
            rates[side].append(steps[side] / took)
    for side in made:
        w = workers[dict((s, wk) for s, wk, _k in SIDES)[side]]
        w.ask(op="drop", name=f"{name}:{side}")
    return {"rates": rates, "paths": made, "why": why, "unit": unit, "mode": mode}


def _paired(res: dict[str, Any], a: str, b: str) -> float | None:
    ra, rb = res["rates"].get(a), res["rates"].get(b)
    if not ra or not rb:
        return None
    return median(x / y for x, y in zip(ra, rb, strict=True))


def _case_rows(key, bn, res, torch_version, prev_note, previous) -> list[Row]:
    import versions

    commit = previous or versions.PREVIOUS
    rid = f"engine.{key}.{'bn_on' if bn else 'bn_off'}" if bn is not None else f"lesson.{key}"
    case = (
        f"net {key} BN {'on ' if bn else 'off'} ({NETS[key].label})"
        if bn is not None
        else f"lesson {key}"
    )
    rates, why = res["rates"], res["why"]
    need_torch, need_prev = TARGETS.get(key, (None, None)) if bn is not None else (None, None)
    torch_label = "torch" if torch_version else "torch not installed"
    if "torch" not in rates and torch_version:
        torch_label = f"torch: {why.get('torch', 'n/a')}"
    rows = []

    def row(suffix, label, side, ref_side, ref_label, need, note=""):
        ratio = _paired(res, side, ref_side)
        value = median(rates[side]) if rates.get(side) else None
        ref = median(rates[ref_side]) if rates.get(ref_side) else None
        rows.append(
            Row(
                id=rid + suffix,
                part=1,
                case=case + label,
                value=value,
                unit="steps/s",
                ref=ref,
                ref_label=ref_label if ref is not None else f"{ref_label}: n/a",
                ratio=ratio,
                target=f">= {need:.1f}x" if need else "",
                met=check(ratio, ">=", need) if need else None,
                note=note,
                samples=rates.get(side, []),
            )
        )

    prev_why = prev_note or why.get("prev", "")
    path = res["paths"].get("bntui", why.get("bntui", ""))
    row("", ", end to end", "bntui", "torch", torch_label, need_torch,
        note=f"chunks of whole {res['unit']}-step periods; {path}")  # fmt: skip
    row(".prev", ", end to end vs previous", "bntui", "prev", f"engine@{commit}", need_prev,
        note=prev_why if "prev" not in rates else "")  # fmt: skip
    if res.get("mode") != "quick":  # the guard times no bare step
        row(".bare", ", bare step", "bare", "torch-bare", "torch bare", None)
        row(".bare_prev", ", bare step vs previous", "bare", "prev-bare",
            f"engine@{commit} bare", None)  # fmt: skip
    return rows


# --------------------------------------------------------------------------- part 2


def part_stats(nets: list[str], repeats: int, seconds: float) -> list[Row]:
    """Throughput with statistics at the default stride vs none (BN on), and at stride 1."""
    from bntui.training.config import Config

    stride = Config().stats_every
    cases = []
    for key in nets:
        net = NETS[key]
        trio = {
            "default": make_session(net, eval_every=NO_EVAL, stats_every=stride),
            "every": make_session(net, eval_every=NO_EVAL, stats_every=1),
            "none": make_session(net, eval_every=NO_EVAL, stats_every=NO_EVAL),
        }
        cases.append((key, trio))
    rows = []
    with quiet_gc(), _blas1():
        sizes = {}
        for key, trio in cases:
            for s in trio.values():
                for _ in range(2 * stride):
                    s.step()
            # the same number of steps for all three (a multiple of the stride)
            n = calibrate(trio["none"].step, seconds)
            # a multiple of stride x rounds, so every chunk holds whole strides
            unit = stride * ROUNDS
            sizes[key] = max(unit, n - n % unit)
        res: dict[str, dict[str, list[float]]] = {
            key: {"default": [], "every": [], "none": []} for key, _ in cases
        }
        for r in range(repeats):
            for key, trio in cases:
                n = sizes[key]
                got = interleaved({k: (sess.step, n) for k, sess in trio.items()}, ROUNDS, r % 2)
                for name, value in got.items():
                    res[key][name].append(value)
    for key, _trio in cases:
        d = res[key]
        paired = [a / b for a, b in zip(d["default"], d["none"], strict=True)]
        paired1 = [a / b for a, b in zip(d["every"], d["none"], strict=True)]
        ratio, ratio1 = median(paired), median(paired1)
        # stats cost per stats-step, in step-times: (t1 - t0) / t0 = 1/ratio1 - 1;
        # cost at stride s is k/s / (1 + k/s) <= 5 %  <=>  s >= 19 k
        k = 1.0 / ratio1 - 1.0 if ratio1 > 0 else math.nan
        need = math.ceil(19 * k) if math.isfinite(k) and k > 0 else 1
        rows.append(
            Row(
                id=f"stats.{key}",
                part=2,
                case=f"net {key} BN on, stats every {stride}",
                value=median(d["default"]),
                unit="steps/s",
                ref=median(d["none"]),
                ref_label="no stats",
                ratio=ratio,
                target=">= 0.95x",
                met=check(ratio, ">=", 0.95),
                note=(
                    f"cost {100 * (1 - ratio):.1f} %; every step: {100 * (1 - ratio1):.0f} % "
                    f"(one stats pass = {k:.2f} steps); stride >= {need} keeps it <= 5 %"
                ),
                samples=d["default"],
            )
        )
    return rows


# --------------------------------------------------------------------------- part 7


def rss_child(steps: int) -> dict[str, Any]:
    """In a fresh process: RSS after the first step and after ``steps`` headless steps."""
    from bntui.training.session import Session

    with _blas1():
        s = Session(net_config(NETS["a"]))
        s.step()
        gc.collect()
        before = rss_kib()
        peak = before
        t0 = time.perf_counter()
        chunk = max(1, steps // 20)
        done = 1
        while done < steps:
            n = min(chunk, steps - done)
            for _ in range(n):
                s.step()
            done += n
            peak = max(peak, rss_kib())
        seconds = time.perf_counter() - t0
        gc.collect()
        after = rss_kib()
    return {
        "steps": done,
        "before_kib": before,
        "after_kib": after,
        "peak_kib": peak,
        "seconds": seconds,
        "history_bytes": s.history.nbytes,
        "diverged": s.diverged,
    }


def part_rss(steps: int) -> list[Row]:
    """RSS growth over ``steps`` headless steps on net a (default config), in a fresh process."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "rss", "--steps", str(steps)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return [
            Row("rss.a", 7, f"net a, {steps:,} steps", None, "MB", note=f"child failed: {tail}")
        ]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    growth = (out["after_kib"] - out["before_kib"]) / 1024
    limit = 20.0
    return [
        Row(
            id="rss.a",
            part=7,
            case=f"net a, RSS growth over {out['steps']:,} steps",
            value=growth,
            unit="MB",
            ref=out["before_kib"] / 1024,
            ref_label="RSS before",
            target=f"<= {limit:.0f} MB",
            met=check(growth, "<=", limit),
            note=(
                f"before {out['before_kib'] / 1024:.1f} MB, after {out['after_kib'] / 1024:.1f}"
                f" MB, peak {out['peak_kib'] / 1024:.1f} MB; history "
                f"{out['history_bytes'] / 1e6:.2f} MB; {out['steps'] / out['seconds']:,.0f}"
                f" steps/s" + ("; DIVERGED" if out["diverged"] else "")
            ),
        )
    ]


def _main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="engine benchmark child processes")
    p.add_argument("what", choices=["rss"])
    p.add_argument("--steps", type=int, default=1_000_000)
    a = p.parse_args(argv)
    try:
        print(json.dumps(rss_child(a.steps)))
    finally:
        cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
