"""Cost of compare mode, ICS logging and smoothness logging, on the engine nets a-d.

``python bench/diagnostics.py [--nets a,b,c,d] [--repeats 3] [--seconds 1.5]``
``python bench/diagnostics.py ics [--depth 4 --activation relu ...]``: the ICS lesson's
measurement, BN vs plain twins over seeds 0-4 (``measure``).

Four sides per net, measured side by side in one run (interleaved chunks, one BLAS
thread, validation passes off, per-layer statistics at the default stride on every side):

  solo    Session(BN on).step()
  twins   Twins(BN on vs plain).step()       — one lockstep step = one step of each twin
  ics     MeasuredSession(ics_every=10)      — ICS of every Linear layer every 10 steps
  smooth  MeasuredSession(smooth_every=50)   — loss/gradient at 4 step sizes every 50 steps

Each figure is steps per CPU second of this process (median over repeats: on a shared
machine, time spent waiting for a core is not the code's) and a ratio to solo (median of
the paired ratios). "one call" is the cost of one measurement in solo step-times,
k = (1 / ratio - 1) * stride; the stride that keeps the cost <= 10 % is 9 k.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import calibrate, interleaved, median, quiet_gc
from engine import NETS, NO_EVAL, ROUNDS, _blas1, cleanup, net_config

ICS_EVERY, SMOOTH_EVERY = 10, 50


def sides(key: str) -> dict[str, object]:
    from bntui.training.session import Session
    from bntui.training.twins import MeasuredSession, Twins

    config = net_config(NETS[key], eval_every=NO_EVAL)
    return {
        "solo": Session(config),
        "twins": Twins(config),
        "ics": MeasuredSession(config, ics_every=ICS_EVERY),
        "smooth": MeasuredSession(config, smooth_every=SMOOTH_EVERY),
    }


def hook_calls(session) -> dict[str, object]:
    """One measurement as Session's hook would make it: right after a training pass's
    backward on the batch (``grads_ready``), on a trained copy of the solo net."""
    import copy

    from bntui.nn.diagnostics import ics, smoothness

    s = copy.deepcopy(session)
    x, y = s.data.x_train[: s.config.batch_size], s.data.y_train[: s.config.batch_size]
    s.model.loss(x, y, train=True)
    s.model.backward()
    m, lr = s.model, s.config.lr
    return {
        "ics_hook": lambda: ics(m, x, y, lr, grads_ready=True),
        "smooth_hook": lambda: smoothness(m, x, y, lr, grads_ready=True),
    }


def run(nets: list[str], repeats: int, seconds: float) -> list[dict[str, object]]:
    rows = []
    with quiet_gc(), _blas1():
        for key in nets:
            s = sides(key)
            for obj in s.values():
                for _ in range(SMOOTH_EVERY):
                    obj.step()  # type: ignore[attr-defined]
            calls = hook_calls(s["solo"])
            n = calibrate(s["solo"].step, seconds)  # type: ignore[attr-defined]
            unit = SMOOTH_EVERY * ROUNDS  # whole strides in every chunk
            n = max(unit, n - n % unit)
            res: dict[str, list[float]] = {k: [] for k in [*s, *calls]}
            for r in range(repeats):
                todo = {k: (obj.step, n) for k, obj in s.items()}  # type: ignore[attr-defined]
                todo.update({k: (f, max(ROUNDS, n // 8)) for k, f in calls.items()})
                got = interleaved(todo, ROUNDS, r % 4, clock=time.process_time)  # type: ignore[arg-type]
                for k, v in got.items():
                    res[k].append(v)
            solo = res["solo"]
            row: dict[str, object] = {"net": key, "label": NETS[key].label, "solo": median(solo)}
            for k, stride in (("twins", 1), ("ics", ICS_EVERY), ("smooth", SMOOTH_EVERY)):
                ratio = median(a / b for a, b in zip(res[k], solo, strict=True))
                row[k] = median(res[k])
                row[k + "_ratio"] = ratio
                if k != "twins":
                    row[k + "_call"] = (1 / ratio - 1) * stride if ratio > 0 else math.nan
            for k in calls:  # calls/s -> one call in solo step-times
                row[k] = median(a / b for a, b in zip(solo, res[k], strict=True))
            rows.append(row)
    return rows


def measure(seeds: range, steps: int, every: int, **fields: object) -> list[dict[str, object]]:
    """BN vs plain twins per seed: ICS (l2, cos) per Linear layer averaged over the logged
    steps, and beta-smoothness / gradient predictiveness (mean and max over the log)."""
    from bntui.training.config import Config
    from bntui.training.twins import Twins

    out = []
    for seed in seeds:
        config = Config(seed=seed, steps=steps, **fields)  # type: ignore[arg-type]
        tw = Twins(config, ics_every=every, smooth_every=every)
        recs = list(tw.run(steps))
        for label, s in zip(tw.labels, tw.sessions, strict=True):
            mine = [r for r in recs if r["twin"] == label]
            logged = [r for r in mine if "L1.ics_l2" in r]
            n_lin = s.config.depth + 1

            def mean(key: str, rows: list = logged) -> float:
                vals = [float(r[key]) for r in rows if key in r]
                return sum(vals) / len(vals) if vals else math.nan

            row: dict[str, object] = {"seed": seed, "twin": label, "points": len(logged)}
            row["l2"] = [mean(f"L{i}.ics_l2") for i in range(1, n_lin + 1)]
            row["cos"] = [mean(f"L{i}.ics_cos") for i in range(1, n_lin + 1)]
            row["beta"] = mean("beta_smooth")
            row["beta_max"] = max(float(r["beta_smooth"]) for r in logged)
            row["pred"] = mean("grad_pred")
            row["range"] = mean("landscape_hi") - mean("landscape_lo")
            row["val_acc"] = s.last_val[1] if s.last_val else math.nan
            row["diverged"] = s.diverged
            out.append(row)
    return out


def print_measure(rows: list[dict[str, object]]) -> None:
    for r in rows:
        l2 = " ".join(f"{v:.3g}" for v in r["l2"])  # type: ignore[union-attr]
        cos = " ".join(f"{v:.4f}" for v in r["cos"])  # type: ignore[union-attr]
        print(
            f"seed {r['seed']} {r['twin']:<6} n={r['points']:<3} l2 [{l2}]  cos [{cos}]  "
            f"beta {r['beta']:.3g} (max {r['beta_max']:.3g})  grad_pred {r['pred']:.3g}  "
            f"loss range {r['range']:.3g}  val_acc {r['val_acc']}"
            + ("  DIVERGED" if r["diverged"] else "")
        )


def print_summary(rows: list[dict[str, object]]) -> None:
    """Per twin, the mean over seeds (and how many seeds have the twin's cos below the
    other's in every layer past the first)."""
    labels = list(dict.fromkeys(str(r["twin"]) for r in rows))
    by = {t: [r for r in rows if r["twin"] == t] for t in labels}
    for t, rs in by.items():
        n = len(rs)
        l2 = [sum(r["l2"][i] for r in rs) / n for i in range(len(rs[0]["l2"]))]  # type: ignore[index]
        cos = [sum(r["cos"][i] for r in rs) / n for i in range(len(rs[0]["cos"]))]  # type: ignore[index]
        beta = sum(float(r["beta"]) for r in rs) / n  # type: ignore[arg-type]
        print(
            f"mean over {n} seeds, {t:<6} l2 [{' '.join(f'{v:.3g}' for v in l2)}]  "
            f"cos [{' '.join(f'{v:.4f}' for v in cos)}]  beta {beta:.3g}"
        )
    if len(labels) == 2:
        a, b = by[labels[0]], by[labels[1]]
        lower = sum(
            all(x < y for x, y in zip(ra["cos"][1:], rb["cos"][1:], strict=True))  # type: ignore[index]
            for ra, rb in zip(a, b, strict=True)
        )
        smoother = sum(float(ra["beta"]) < float(rb["beta"]) for ra, rb in zip(a, b, strict=True))  # type: ignore[arg-type]
        print(
            f"seeds where {labels[0]} has lower cos than {labels[1]} in every layer > 1: "
            f"{lower}/{len(a)}; lower mean beta: {smoother}/{len(a)}"
        )


def main_measure(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="diagnostics.py ics")
    ap.add_argument("--dataset", default="spiral")
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--activation", default="relu")
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=5)
    a = ap.parse_args(argv)
    fields = dict(dataset=a.dataset, depth=a.depth, width=a.width, activation=a.activation)
    print(f"{fields} lr {a.lr} steps {a.steps}, ICS/smoothness every {a.every}, BN on vs off")
    rows = measure(range(a.seeds), a.steps, a.every, lr=a.lr, bn=True, **fields)
    print_measure(rows)
    print_summary(rows)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ics"]:
        return main_measure(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", default="a,b,c,d")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.5, help="per side per repeat")
    args = ap.parse_args(argv)
    nets = [n.strip() for n in args.nets.split(",") if n.strip()]
    bad = [n for n in nets if n not in NETS]
    if bad or args.repeats < 1 or args.seconds <= 0:
        print(f"bench: error: unknown nets {bad} or bad repeats/seconds", file=sys.stderr)
        return 2
    try:
        rows = run(nets, args.repeats, args.seconds)
    finally:
        cleanup()
    print(
        f"{'net':<28}{'solo/s':>9}{'twins/s':>9}{'ratio':>7}"
        f"{'ics10/s':>9}{'ratio':>7}{'call':>7}{'sm50/s':>9}{'ratio':>7}{'call':>7}"
        f"{'ics@hook':>9}{'sm@hook':>8}"
    )
    for r in rows:
        print(
            f"{r['net'] + ' ' + str(r['label']):<28}{r['solo']:>9.0f}{r['twins']:>9.0f}"
            f"{r['twins_ratio']:>7.3f}{r['ics']:>9.0f}{r['ics_ratio']:>7.3f}{r['ics_call']:>7.1f}"
            f"{r['smooth']:>9.0f}{r['smooth_ratio']:>7.3f}{r['smooth_call']:>7.1f}"
            f"{r['ics_hook']:>9.1f}{r['smooth_hook']:>8.1f}"
        )
    print(
        "ratio: steps/s over solo's (paired median); call: one measurement in solo "
        "step-times (MeasuredSession, fresh pass); @hook: one call with grads_ready (as a "
        "Session hook after backward would), in solo step-times; <= 10 % cost needs a "
        "stride >= 9 x call"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
