"""``bntui verify``: the seed texts' claims about BN, each a small paired experiment.

Every claim compares two arms (usually BN on / off) over the same seeds — the same seed
gives both arms the same data split and batch order — and turns the per-seed numbers
into a verdict with ``stats.verdict``: nothing here knows the answer in advance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bntui.experiments.space import trial_id
from bntui.experiments.stats import SKIPPED, mean_std, verdict
from bntui.training.config import Config

NEVER = 10**9  # an eval/statistics stride that never comes: only the final evaluation
INIT_SCALES = [float(f"{s:.4g}") for s in np.logspace(0, -4, 16)]


@dataclass
class Claim:
    """One claim: how to build its trials and how to read its two per-seed lists."""

    key: str
    name: str
    source: str
    setup: str
    metric: str
    criterion: str
    direction: str  # "greater" | "less" | "not-worse" (of arm a against arm b)
    a_label: str = "BN"
    b_label: str = "no BN"
    margin: float = 0.0
    fmt: str = ".3f"
    specs: dict[tuple, dict[str, Any]] = field(default_factory=dict)  # (arm, seed, x) -> spec
    reduce: Callable[[Claim, dict[tuple, dict[str, Any]], list[int]], tuple] | None = None
    skip_note: str = ""


def _spec(config: Config, measure: dict[str, Any] | None = None) -> dict[str, Any]:
    measure = measure or {}
    return {
        "trial": trial_id(config, measure),
        "params": {"bn": config.bn},
        "config": config.to_dict(),
        "measure": measure,
    }


def _base(**kw: Any) -> Config:
    return Config(**({"eval_every": NEVER, "stats_every": NEVER} | kw))


def _paired(claim: Claim, seeds: list[int], base: Config, measure: dict | None = None) -> None:
    """Arm a with BN, arm b without, for every seed."""
    for seed in seeds:
        for arm in ("a", "b"):
            c = base.replace(seed=seed, bn=arm == "a")
            claim.specs[(arm, seed, None)] = _spec(c, measure)


def _by_arm(value: Callable[[dict[str, Any]], float]):
    def reduce(claim: Claim, rows: dict[tuple, dict[str, Any]], seeds: list[int]) -> tuple:
        a = [value(rows[("a", s, None)]) for s in seeds]
        b = [value(rows[("b", s, None)]) for s in seeds]
        return a, b, {}, ""

    return reduce


def steps_claim(seeds: list[int], quick: bool) -> Claim:
    cap, target = (1500, 0.9) if quick else (4000, 0.9)
    base = _base(steps=cap, eval_every=20)
    c = Claim(
        "steps",
        "BN reaches a target accuracy in fewer steps",
        "004 (DLFS §6.3.1: 학습 속도 개선), 001",
        f"spiral, 4×32 ReLU, He init, SGD lr 0.1, batch 64; first eval (every 20 steps) "
        f"with val acc ≥ {target}; cap {cap}",
        "steps to target",
        "paired Δ (BN − no BN) 95 % CI < 0",
        "less",
        fmt=".0f",
    )
    _paired(c, seeds, base, {"target_acc": target})

    def reduce(claim, rows, seeds):
        def v(r):
            return r["steps_to_target"] if r.get("steps_to_target") else cap

        a = [v(rows[("a", s, None)]) for s in seeds]
        b = [v(rows[("b", s, None)]) for s in seeds]
        missed = [
            f"{lab} seed {s}"
            for arm, lab in (("a", "BN"), ("b", "no BN"))
            for s in seeds
            if not rows[(arm, s, None)].get("steps_to_target")
        ]
        note = f"not reached (counted as {cap}): {', '.join(missed)}" if missed else ""
        return a, b, {}, note

    c.reduce = reduce
    return c


def lr_claim(seeds: list[int], quick: bool) -> Claim:
    lrs = (
        [0.1, 0.3, 1.0, 3.0, 10.0, 30.0]
        if quick
        else [float(f"{v:.3g}") for v in np.logspace(-1, 1.5, 11)]
    )
    steps = 300 if quick else 800
    ok = 0.6
    c = Claim(
        "lr",
        "BN trains stably at higher learning rates",
        "001 (높은 학습률 사용이 가능), 004",
        f"spiral, 4×32 ReLU, He init, SGD, {steps} steps; "
        f"lr in {', '.join(f'{v:g}' for v in lrs)}; "
        f"stable = no divergence and val acc ≥ {ok}",
        "log10 largest stable lr",
        "paired Δ (BN − no BN) 95 % CI > 0",
        "greater",
        fmt=".2f",
    )
    for seed in seeds:
        for arm in ("a", "b"):
            for lr in lrs:
                cfg = _base(steps=steps, lr=lr, seed=seed, bn=arm == "a")
                c.specs[(arm, seed, lr)] = _spec(cfg)

    def reduce(claim, rows, seeds):
        floor = math.log10(lrs[0]) - 0.5  # nothing stable: below the smallest lr tried

        def best(arm, s):
            good = [
                lr
                for lr in lrs
                if not rows[(arm, s, lr)]["diverged"] and (rows[(arm, s, lr)]["val_acc"] or 0) >= ok
            ]
            return math.log10(max(good)) if good else floor

        a = [best("a", s) for s in seeds]
        b = [best("b", s) for s in seeds]
        return a, b, {"lrs": lrs}, ""

    c.reduce = reduce
    return c


def _images(path: str | None) -> dict[str, Any]:
    return {} if path is None else {"data": path, "dataset": "file"}


def init_claim(seeds: list[int], quick: bool, images: str | None = None) -> Claim:
    if images is None:
        steps, width, lr, what = (150 if quick else 500), 32, 0.1, "spiral"
    else:  # DLFS fig. 6-18 itself: 1,000 images, 5×100, lr 0.01, 20 epochs of batch 100
        steps, width, lr, what = (100 if quick else 200), 100, 0.01, images
    c = Claim(
        "init",
        "BN makes accuracy robust to the initial weight scale",
        "004 (DLFS fig. 6-18: 초기값에 크게 의존하지 않음)",
        f"{what}, 1,000 train, 5×{width} ReLU, SGD lr {lr:g}, batch 100, {steps} steps; "
        "init std:s for 16 s in logspace(0, −4, 16)",
        "val acc, mean over the 16 scales",
        "paired Δ (BN − no BN) 95 % CI > 0",
        "greater",
    )
    base = _base(steps=steps, depth=5, width=width, lr=lr, batch_size=100, train_size=1000,
                 **_images(images))  # fmt: skip
    for seed in seeds:
        for arm in ("a", "b"):
            for s in INIT_SCALES:
                cfg = base.replace(seed=seed, bn=arm == "a", init=f"std:{s:g}")
                c.specs[(arm, seed, s)] = _spec(cfg)

    def reduce(claim, rows, seeds):
        from bntui.experiments.stats import NOT_SUPPORTED, verdict

        per_scale = {}
        plain_ahead, plain_sig = [], []
        for s in INIT_SCALES:
            a = [rows[("a", seed, s)]["val_acc"] or 0.0 for seed in seeds]
            b = [rows[("b", seed, s)]["val_acc"] or 0.0 for seed in seeds]
            per_scale[f"{s:g}"] = {"bn": a, "plain": b}
            if mean_std(b)[0] > mean_std(a)[0]:
                plain_ahead.append(f"{s:g}")
                if verdict(a, b, claim="greater")[0] == NOT_SUPPORTED:
                    plain_sig.append(f"{s:g}")
        a = [
            float(np.mean([rows[("a", seed, s)]["val_acc"] or 0.0 for s in INIT_SCALES]))
            for seed in seeds
        ]
        b = [
            float(np.mean([rows[("b", seed, s)]["val_acc"] or 0.0 for s in INIT_SCALES]))
            for seed in seeds
        ]
        note = (
            f"plain ahead (mean) at std {', '.join(plain_ahead)}"
            + (f"; significantly at {', '.join(plain_sig)}" if plain_sig else "")
            if plain_ahead
            else "BN ahead (mean) at every scale"
        )
        return a, b, {"per_scale": per_scale}, note

    c.reduce = reduce
    return c


def gradient_claim(seeds: list[int], quick: bool) -> Claim:
    steps = 150 if quick else 400
    c = Claim(
        "gradient",
        "BN keeps the first layer's gradient from vanishing in a deep sigmoid net",
        "002 (Vanishing Gradient, Saturation Problem)",
        f"spiral, 8×32 sigmoid, init std:1, SGD lr 0.1, {steps} steps; |∇W₁| every 10 steps",
        "log10 mean |∇W₁|",
        "paired Δ (BN − no BN) 95 % CI > 0",
        "greater",
        fmt=".2f",
    )
    base = _base(steps=steps, depth=8, activation="sigmoid", init="std:1", stats_every=10)
    _paired(c, seeds, base, {"grad_l1": True})
    c.reduce = _by_arm(lambda r: math.log10(r["grad_l1"]) if r.get("grad_l1") else -12.0)
    return c


def _overfit_base(quick: bool, images: str | None = None) -> Config:
    if images is not None:  # DLFS §6.4.1: 300 images, 6×100, lr 0.01, 200 epochs of 100
        return _base(steps=300 if quick else 600, train_size=300, depth=6, width=100, lr=0.01,
                     batch_size=100, **_images(images))  # fmt: skip
    return _base(
        steps=600 if quick else 1500, noise=0.4, train_size=300, depth=4 if quick else 6,
        width=64 if quick else 100, batch_size=100,
    )  # fmt: skip


def gap_claim(seeds: list[int], quick: bool, images: str | None = None) -> Claim:
    base = _overfit_base(quick, images)
    what = "spiral noise 0.4" if images is None else images
    c = Claim(
        "gap",
        "BN narrows the train/val gap with 300 training samples (a regulariser)",
        "000 (Overfitting 해결), 004 (오버피팅 억제)",
        f"{what}, 300 train, {base.depth}×{base.width} ReLU, SGD lr {base.lr:g}, batch 100, "
        f"{base.steps} steps; gap = train acc (eval mode, all 300) − val acc",
        "train − val accuracy",
        "paired Δ (BN − no BN) 95 % CI < 0",
        "less",
    )
    _paired(c, seeds, base)
    c.reduce = _by_arm(lambda r: r["train_eval_acc"] - (r["val_acc"] or 0.0))
    return c


def dropout_claim(seeds: list[int], quick: bool, images: str | None = None) -> Claim:
    base = _overfit_base(quick, images).replace(bn=True)
    c = Claim(
        "dropout",
        "With BN, dropout is unnecessary (BN alone does as well as BN + dropout)",
        "004 (드롭아웃 필요성 감소)",
        "as the gap claim, BN on; arm b adds dropout 0.3",
        "val acc",
        "Δ (BN − BN+dropout) 95 % CI > −0.01",
        "not-worse",
        b_label="BN + dropout",
        margin=0.01,
    )
    for seed in seeds:
        c.specs[("a", seed, None)] = _spec(base.replace(seed=seed))
        c.specs[("b", seed, None)] = _spec(base.replace(seed=seed, dropout=0.3))
    c.reduce = _by_arm(lambda r: r["val_acc"] or 0.0)
    return c


def ics_claim(seeds: list[int], quick: bool) -> Claim:
    steps = 300 if quick else 1000
    c = Claim(
        "ics",
        "BN reduces internal covariate shift",
        "001, 002 (Internal Covariate Shift)",
        f"spiral, 4×32 ReLU, He, SGD lr 0.1, {steps} steps; then Santurkar et al. 2018 "
        "Def. 2.1 on 256 training samples: cos∠(G, G′) of layers 2..5",
        "mean cos∠(G, G′)",
        "paired Δ (BN − no BN) 95 % CI > 0",
        "greater",
    )
    _paired(c, seeds, _base(steps=steps), {"ics": 256})

    def reduce(claim, rows, seeds):
        def cos(r):
            vals = [v for v in (r.get("ics_cos") or [])[1:] if v is not None]
            return float(np.mean(vals)) if vals else math.nan

        def l2(r):
            vals = [v for v in (r.get("ics_l2") or [])[1:] if v is not None]
            return float(np.mean(vals)) if vals else math.nan

        a = [cos(rows[("a", s, None)]) for s in seeds]
        b = [cos(rows[("b", s, None)]) for s in seeds]
        la = [l2(rows[("a", s, None)]) for s in seeds]
        lb = [l2(rows[("b", s, None)]) for s in seeds]
        note = f"mean ‖G − G′‖₂: BN {mean_std(la)[0]:.3g}, no BN {mean_std(lb)[0]:.3g}"
        return a, b, {"l2_bn": la, "l2_plain": lb}, note

    c.reduce = reduce
    return c


def titanic_claim(seeds: list[int], quick: bool, path: str | None) -> Claim:
    c = Claim(
        "titanic",
        "BN raises Titanic accuracy (69 % → 71 % after 200 epochs in the text)",
        "001 (Titanic: Pclass, Fare, Age → Survived)",
        "Titanic CSV, Pclass/Fare/Age → Survived, 2×32 ReLU, SGD lr 0.1, batch 32, 200 epochs",
        "val acc",
        "paired Δ (BN − no BN) 95 % CI > 0",
        "greater",
    )
    if path is None:
        c.skip_note = "skipped: pass --titanic FILE (Kaggle's train.csv)"
        return c
    from bntui.training.session import Session

    base = _base(data=path, dataset="file", target="Survived", features=("Pclass", "Fare", "Age"),
                 depth=2, batch_size=32)  # fmt: skip
    epochs = 50 if quick else 200  # whole epochs: the last partial batch is used
    steps = Session(base.replace(epochs=epochs)).planned_steps  # bad file: one-line error
    c.setup = c.setup.replace("200 epochs", f"{epochs} epochs ({steps} steps)")
    _paired(c, seeds, base.replace(epochs=epochs))
    c.reduce = _by_arm(lambda r: r["val_acc"] or 0.0)
    return c


def claims(
    seeds: list[int], *, quick: bool, titanic: str | None = None, images: str | None = None
) -> list[Claim]:
    """Every claim; ``images`` (an IDX directory or .npz) moves the DLFS image claims
    (init scales, 300-sample gap, dropout) from the spiral to those images."""
    return [
        steps_claim(seeds, quick),
        lr_claim(seeds, quick),
        init_claim(seeds, quick, images),
        gradient_claim(seeds, quick),
        gap_claim(seeds, quick, images),
        dropout_claim(seeds, quick, images),
        ics_claim(seeds, quick),
        titanic_claim(seeds, quick, titanic),
    ]


def evaluate(claim: Claim, rows: dict[str, dict[str, Any]], seeds: list[int]) -> dict[str, Any]:
    """The claim's numbers and verdict, as one JSON-able dict."""
    out: dict[str, Any] = {
        "key": claim.key,
        "name": claim.name,
        "source": claim.source,
        "setup": claim.setup,
        "metric": claim.metric,
        "criterion": claim.criterion,
        "a": claim.a_label,
        "b": claim.b_label,
        "seeds": seeds,
    }
    if claim.reduce is None or not claim.specs:
        return out | {"verdict": SKIPPED, "note": claim.skip_note}
    by_key = {k: rows[s["trial"]] for k, s in claim.specs.items()}
    a, b, details, note = claim.reduce(claim, by_key, seeds)
    result, iv = verdict(a, b, claim=claim.direction, margin=claim.margin)
    return out | {
        "verdict": result,
        "values_a": a,
        "values_b": b,
        "diff": {"mean": iv.mean, "lo": iv.lo, "hi": iv.hi, "n": iv.n},
        "details": details,
        "note": note,
    }
