"""``bntui verify`` claims about BN's successors (issue 16): BN's batch dependence
(Wu & He 2018, Group Normalization, fig. 1) and noisy BN (Santurkar et al. 2018, §2.1).

Same machinery as ``bntui.experiments.verification``: the registry's claims (``claims.py``),
per-seed numbers, the one verdict rule; nothing here knows the answer in advance.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bntui.experiments.claims import CLAIMS
from bntui.experiments.stats import mean_std
from bntui.experiments.verification import Claim, Reduced, _base, _spec, planned
from bntui.training.config import Config

BATCH_NORMS_COMPARED = ("bn", "brn", "gn", "ln", "none")
FULL_BATCHES = (2, 4, 8, 16, 32, 64, 128)
QUICK_BATCHES = (2, 4, 64, 128)


def _norm_config(base: Config, norm: str, **kw: Any) -> Config:
    # "none" is BN off (the norm key keeps its value): the same spelling as --norm none
    return base.replace(norm=norm, bn=norm != "none", **kw)


def small_batch_claim(seeds: list[int], quick: bool) -> Claim:
    batches = QUICK_BATCHES if quick else FULL_BATCHES
    epochs = 6 if quick else 20
    base_lr = 0.1
    base = _base()
    n_train = round(base.samples * (1 - base.val_fraction))
    c = Claim(
        CLAIMS["small-batch"],
        f"spiral, 4×32 ReLU, He, SGD, {epochs} epochs of {n_train} at every batch size "
        f"B in {', '.join(map(str, batches))}, lr {base_lr:g}·min(1, B/32) (linear "
        f"scaling); norms {', '.join(BATCH_NORMS_COMPARED)}; val acc in eval mode",
    )
    for seed in seeds:
        for norm in BATCH_NORMS_COMPARED:
            for b in batches:
                steps = epochs * math.ceil(n_train / b)
                cfg = _norm_config(
                    base, norm, seed=seed, batch_size=b, steps=steps, lr=base_lr * min(1, b / 32)
                )
                c.specs[(norm, seed, b)] = _spec(cfg) | {"params": {"norm": norm, "batch": b}}

    def reduce(claim: Claim, rows: dict[tuple, dict[str, Any]], seeds: list[int]) -> Reduced:
        def acc(norm: str, s: int, b: int) -> float:
            return rows[(norm, s, b)]["val_acc"] or 0.0

        def drop(norm: str, s: int) -> float:
            big = np.mean([acc(norm, s, b) for b in batches[-2:]])
            small = np.mean([acc(norm, s, b) for b in batches[:2]])
            return float(big - small)

        a = [drop("bn", s) for s in seeds]
        b = [max(drop("gn", s), drop("ln", s)) for s in seeds]
        table = {
            norm: {str(bs): [acc(norm, s, bs) for s in seeds] for bs in batches}
            for norm in BATCH_NORMS_COMPARED
        }
        drops = {norm: [drop(norm, s) for s in seeds] for norm in BATCH_NORMS_COMPARED}
        note = "mean val-acc drop (large − small B): " + ", ".join(
            f"{n} {mean_std(v)[0]:+.3f}" for n, v in drops.items()
        )
        details = {"batches": list(batches), "val_acc": table, "drop": drops}
        return Reduced(drops, a, b, details, note)

    c.reduce = reduce
    return c


def noisy_bn_claim(seeds: list[int], quick: bool) -> Claim:
    steps = 600 if quick else 1500
    tail = 100 if quick else 200
    c = Claim(
        CLAIMS["noisy-bn"],
        f"spiral, 4×32 ReLU, He, SGD lr 0.1, batch 64, {steps} steps; noisy BN: per-unit "
        "scale ~ N(1.5, 0.5²), shift ~ N(0.5, 0.5²) drawn every step; training accuracy "
        f"in train mode, mean over the last {tail} steps",
    )
    base = _base(steps=steps)
    for seed in seeds:
        for arm, norm in (("a", "noisy-bn"), ("b", "bn")):
            spec = _spec(_norm_config(base, norm, seed=seed), {"train_tail": tail})
            c.specs[(arm, seed, None)] = spec | {"params": {"norm": norm}}

    def reduce(claim: Claim, rows: dict[tuple, dict[str, Any]], seeds: list[int]) -> Reduced:
        a = [rows[("a", s, None)].get("train_tail_acc") or 0.0 for s in seeds]
        b = [rows[("b", s, None)].get("train_tail_acc") or 0.0 for s in seeds]
        va = [rows[("a", s, None)]["val_acc"] or 0.0 for s in seeds]
        vb = [rows[("b", s, None)]["val_acc"] or 0.0 for s in seeds]
        note = (
            f"val acc in eval mode (no noise): noisy BN {mean_std(va)[0]:.3f}, BN "
            f"{mean_std(vb)[0]:.3f} — eval mode drops the noise the net was trained with"
        )
        arms = {"noisy-bn": a, "bn": b}
        return Reduced(arms, a, b, {"val_acc_noisy": va, "val_acc_bn": vb}, note)

    c.reduce = reduce
    return c


def norm_claims(seeds: list[int] | None, *, quick: bool) -> list[Claim]:
    """The normalization claims, after ``verify.claims`` (``seeds`` None: the registry's)."""
    return [
        planned("small-batch", seeds, quick, small_batch_claim),
        planned("noisy-bn", seeds, quick, noisy_bn_claim),
    ]


def batch_table(result: dict[str, Any]) -> list[str]:
    """The small-batch claim's per-norm, per-batch val accuracy (mean ± std over seeds)."""
    details = result.get("details") or {}
    table = details.get("val_acc")
    if not table:
        return []
    batches = [str(b) for b in details["batches"]]
    # 6 + 10 cells per batch size: the 7 of a full run fit 80 columns
    lines = ["norm  " + "".join(f"B={b:<8}" for b in batches).rstrip()]
    for norm, by_batch in table.items():
        cells = []
        for b in batches:
            m, s = mean_std(by_batch[b])
            cells.append(f"{m:.2f}±{s:.2f}".ljust(10))
        lines.append((f"{norm:<6}" + "".join(cells)).rstrip())
    return lines
