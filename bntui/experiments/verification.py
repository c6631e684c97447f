"""``bntui verify``: each claim of the registry (``bntui.experiments.claims``) as a small
experiment. Every claim trains its registry arms on every seed (the same seed gives every
arm the same data split, batch order and initial weights), reduces each trial to the
registry's measure and turns the per-seed numbers into a verdict with ``decide``, the one
rule: nothing here knows the answer. Here: *how* a claim is set up and reduced; the
registry: *what* is claimed, its direction, margin and arms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bntui.experiments.claims import (
    CLAIMS,
    NOT_MEASURED,
    QUORUM,
    SUPPORTED,
    ClaimDef,
    decide,
    seeds_for,
)
from bntui.experiments.space import trial_id
from bntui.experiments.stats import mean_std, paired_interval
from bntui.training.config import Config

NEVER = 10**9  # an eval/statistics stride that never comes: only the final evaluation
INIT_SCALES = [float(f"{s:.4g}") for s in np.logspace(0, -4, 16)]
CHANCE_BAND = 0.05  # val acc below chance + this is "at chance"
REGIME = 100.0  # the gradient claim's regime: plain |∇W_last| / |∇W₁| at least this


@dataclass
class Reduced:
    """A claim's numbers: per arm and seed, the two compared sides, details, a note."""

    arms: dict[str, list[float]]
    a: list[float]
    b: list[float]
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""


Reducer = Callable[["Claim", dict[tuple, dict[str, Any]], list[int]], Reduced]


@dataclass
class Claim:
    """A registry claim made runnable: its trials and how they reduce to numbers."""

    d: ClaimDef
    setup: str
    specs: dict[tuple, dict[str, Any]] = field(default_factory=dict)  # (arm, seed, x) -> spec
    reduce: Reducer | None = None
    skip_note: str = ""
    seeds: list[int] = field(default_factory=list)  # set by ``claims`` / ``norm_claims``

    key = property(lambda self: self.d.id)
    fmt = property(lambda self: self.d.fmt)


def _spec(config: Config, measure: dict[str, Any] | None = None, **params: Any) -> dict:
    measure = measure or {}
    return {
        "trial": trial_id(config, measure),
        "params": {"bn": config.bn, **params},
        "config": config.to_dict(),
        "measure": measure,
    }


def _base(**kw: Any) -> Config:
    return Config(**({"eval_every": NEVER, "stats_every": NEVER} | kw))


def _arm_specs(c: Claim, seeds: list[int], base: Config, measure: dict | None = None) -> None:
    """Every registry arm of the claim on every seed."""
    for seed in seeds:
        for arm in c.d.arms:
            cfg = base.replace(seed=seed, **arm.config)
            c.specs[(arm.key, seed, None)] = _spec(cfg, measure, arm=arm.key)


def _per_arm(value: Callable[[dict[str, Any]], float]) -> Reducer:
    """Each arm's per-seed value; a = the first arm, b = the second (the registry's order)."""

    def reduce(claim: Claim, rows: dict[tuple, dict[str, Any]], seeds: list[int]) -> Reduced:
        arms = {a.key: [value(rows[(a.key, s, None)]) for s in seeds] for a in claim.d.arms}
        first, second = (a.key for a in claim.d.arms[:2])
        return Reduced(arms, arms[first], arms[second])

    return reduce


def _acc(row: dict[str, Any]) -> float:
    return row["val_acc"] or 0.0


def steps_claim(seeds: list[int], quick: bool) -> Claim:
    cap, target = (1500, 0.9) if quick else (4000, 0.9)
    c = Claim(
        CLAIMS["steps"],
        f"spiral, 4×32 ReLU, He init, SGD lr 0.1, batch 64; first eval (every 20 steps) "
        f"with val acc ≥ {target}; cap {cap}",
    )
    _arm_specs(c, seeds, _base(steps=cap, eval_every=20), {"target_acc": target})

    def reduce(claim: Claim, rows: dict, seeds: list[int]) -> Reduced:
        out = _per_arm(lambda r: r["steps_to_target"] or cap)(claim, rows, seeds)
        missed = [f"{a.label} seed {s}" for a in claim.d.arms for s in seeds
                  if not rows[(a.key, s, None)].get("steps_to_target")]  # fmt: skip
        out.note = f"not reached (counted as {cap}): {', '.join(missed)}" if missed else ""
        return out

    c.reduce = reduce
    return c


def lr_claim(seeds: list[int], quick: bool) -> Claim:
    lrs = (
        [0.1, 0.3, 1.0, 3.0, 10.0, 30.0]
        if quick
        else [float(f"{v:.3g}") for v in np.logspace(-1, 1.5, 11)]
    )
    steps, ok = (300 if quick else 800), 0.6
    c = Claim(
        CLAIMS["lr"],
        f"spiral, 4×32 ReLU, He init, SGD, {steps} steps; lr in "
        f"{', '.join(f'{v:g}' for v in lrs)}; stable = no divergence and val acc ≥ {ok}",
    )
    for seed in seeds:
        for arm in c.d.arms:
            for lr in lrs:
                cfg = _base(steps=steps, lr=lr, seed=seed, **arm.config)
                c.specs[(arm.key, seed, lr)] = _spec(cfg, arm=arm.key, lr=lr)

    def reduce(claim: Claim, rows: dict, seeds: list[int]) -> Reduced:
        floor = math.log10(lrs[0]) - 0.5  # nothing stable: below the smallest lr tried

        def best(arm: str, s: int) -> float:
            good = [lr for lr in lrs if not rows[(arm, s, lr)]["diverged"]
                    and _acc(rows[(arm, s, lr)]) >= ok]  # fmt: skip
            return math.log10(max(good)) if good else floor

        arms = {a.key: [best(a.key, s) for s in seeds] for a in claim.d.arms}
        return Reduced(arms, arms["bn"], arms["plain"], {"lrs": lrs})

    c.reduce = reduce
    return c


def _images(path: str | None) -> dict[str, Any]:
    return {} if path is None else {"data": path, "dataset": "file"}


def at_chance(acc: float, classes: int) -> bool:
    """A val accuracy no better than guessing (within ``CHANCE_BAND`` of 1/classes)."""
    return acc < 1.0 / classes + CHANCE_BAND


def init_claim(seeds: list[int], quick: bool, images: str | None = None) -> Claim:
    if images is None:
        steps, width, lr, what = (150 if quick else 500), 32, 0.1, "spiral"
    else:  # DLFS fig. 6-18 itself: 1,000 images, 5×100, lr 0.01, 20 epochs of batch 100
        steps, width, lr, what = (100 if quick else 200), 100, 0.01, images
    c = Claim(
        CLAIMS["init"],
        f"{what}, 1,000 train, 5×{width} ReLU, SGD lr {lr:g}, batch 100, {steps} steps; "
        "init std:s for 16 s in logspace(0, −4, 16)",
    )
    base = _base(steps=steps, depth=5, width=width, lr=lr, batch_size=100, train_size=1000,
                 **_images(images))  # fmt: skip
    for seed in seeds:
        for arm in c.d.arms:
            for s in INIT_SCALES:
                cfg = base.replace(seed=seed, init=f"std:{s:g}", **arm.config)
                c.specs[(arm.key, seed, s)] = _spec(cfg, arm=arm.key, init=s)

    def reduce(claim: Claim, rows: dict, seeds: list[int]) -> Reduced:
        d = claim.d
        per_scale: dict[str, dict[str, Any]] = {}
        for s in INIT_SCALES:
            bn = [_acc(rows[("bn", seed, s)]) for seed in seeds]
            plain = [_acc(rows[("plain", seed, s)]) for seed in seeds]
            classes = [rows[("bn", seed, s)].get("classes") or 3 for seed in seeds]
            chance = [at_chance(x, k) and at_chance(y, k)
                      for x, y, k in zip(bn, plain, classes, strict=True)]  # fmt: skip
            # both arms at chance: a tie, whatever the noise between two guessers
            plain_tied = [x if c else y for x, y, c in zip(bn, plain, chance, strict=True)]
            dec = decide(bn, plain_tied, direction="greater", margin=d.margin, tie=d.tie)
            per_scale[f"{s:g}"] = {"bn": bn, "plain": plain, "both_at_chance": chance,
                                   **dec.to_dict()}  # fmt: skip
        arms = {a.key: [float(np.mean([_acc(rows[(a.key, seed, s)]) for s in INIT_SCALES]))
                        for seed in seeds] for a in d.arms}  # fmt: skip
        groups: dict[str, list[str]] = {}
        for s, row in per_scale.items():
            groups.setdefault(row["verdict"], []).append(s)
        words = {SUPPORTED: "BN ahead", "not supported": "plain ahead", "tie": "tie",
                 "mixed": "mixed"}  # fmt: skip
        note = "per scale: " + "; ".join(
            f"{words[v]} at std {', '.join(ss)}" for v, ss in groups.items()
        )
        return Reduced(arms, arms["bn"], arms["plain"], {"per_scale": per_scale}, note)

    c.reduce = reduce
    return c


def gradient_claim(seeds: list[int], quick: bool) -> Claim:
    steps = 150 if quick else 400
    c = Claim(
        CLAIMS["gradient"],
        f"spiral, 8×32 sigmoid, Xavier init, SGD lr 0.1, {steps} steps; |∇W| of L1 and L8 "
        "every 10 steps",
    )
    base = _base(steps=steps, depth=8, activation="sigmoid", init="xavier", stats_every=10)
    _arm_specs(c, seeds, base, {"grad_l1": True})

    def log_g(r: dict[str, Any]) -> float:
        return math.log10(r["grad_l1"]) if r.get("grad_l1") else -12.0

    def reduce(claim: Claim, rows: dict, seeds: list[int]) -> Reduced:
        out = _per_arm(log_g)(claim, rows, seeds)
        ratio = {}
        for a in claim.d.arms:
            ratio[a.key] = [
                (rows[(a.key, s, None)].get("grad_last") or math.nan)
                / (rows[(a.key, s, None)].get("grad_l1") or math.nan)
                for s in seeds
            ]
        plain = [r for r in ratio["plain"] if math.isfinite(r)]
        low = min(plain) if plain else math.nan
        inside = bool(plain) and low >= REGIME
        out.details = {"last_over_first": ratio, "regime": REGIME, "in_regime": inside}
        out.note = (
            f"regime: no BN's |∇W₈| / |∇W₁| is {low:,.0f}× at least (median "
            f"{float(np.median(plain)) if plain else math.nan:,.0f}×); "
            + ("≥ 100× as required" if inside else "BELOW the 100× the claim needs")
        )
        return out

    c.reduce = reduce
    return c


def _overfit_base(quick: bool, images: str | None = None) -> Config:
    if images is not None:  # DLFS §6.4.1: 300 images, 6×100, lr 0.01, 200 epochs of 100
        return _base(steps=300 if quick else 600, train_size=300, depth=6, width=100, lr=0.01,
                     batch_size=100, **_images(images))  # fmt: skip
    return _base(
        steps=600 if quick else 1500, noise=0.4, train_size=300, depth=4 if quick else 6,
        width=64 if quick else 100, batch_size=100,
    )  # fmt: skip


def _overfit_setup(base: Config, images: str | None) -> str:
    what = "spiral noise 0.4" if images is None else images
    return (
        f"{what}, 300 train, {base.depth}×{base.width} ReLU, SGD lr {base.lr:g}, "
        f"batch 100, {base.steps} steps"
    )


def gap_claim(seeds: list[int], quick: bool, images: str | None = None) -> Claim:
    base = _overfit_base(quick, images)
    c = Claim(
        CLAIMS["gap"],
        _overfit_setup(base, images) + "; gap = train acc (eval mode, all 300) − val acc",
    )
    _arm_specs(c, seeds, base)
    c.reduce = _per_arm(lambda r: r["train_eval_acc"] - _acc(r))
    return c


def dropout_claim(seeds: list[int], quick: bool, images: str | None = None) -> Claim:
    base = _overfit_base(quick, images)
    c = Claim(
        CLAIMS["dropout"],
        _overfit_setup(base, images) + "; 2×2: BN on/off × dropout 0/0.3",
    )
    _arm_specs(c, seeds, base)

    def reduce(claim: Claim, rows: dict, seeds: list[int]) -> Reduced:
        arms = {a.key: [_acc(rows[(a.key, s, None)]) for s in seeds] for a in claim.d.arms}
        gain_bn = [x - y for x, y in zip(arms["bn+dropout"], arms["bn"], strict=True)]
        gain_plain = [x - y for x, y in zip(arms["plain+dropout"], arms["plain"], strict=True)]
        helps = mean_std(gain_plain)[0]
        note = f"dropout's mean gain: with BN {mean_std(gain_bn)[0]:+.3f}, without {helps:+.3f}"
        if helps <= 0:
            note += " — it does not help even without BN here: nothing for BN to make unneeded"
        return Reduced(arms, gain_bn, gain_plain, {}, note)

    c.reduce = reduce
    return c


ICS_EVERY = 50


def ics_claim(key: str, kind: str, seeds: list[int], quick: bool) -> Claim:
    """ICS by one measure (``kind``: l2 or cos); both claims share their trials."""
    steps = 300 if quick else 1000
    c = Claim(
        CLAIMS[key],
        f"spiral, 4×32 ReLU, He, momentum 0.9 lr 0.02, batch 64, {steps} steps; Santurkar et "
        f"al. Def. 2.1 with the momentum update on the step's batch every {ICS_EVERY} steps",
    )
    _arm_specs(c, seeds, _base(steps=steps, ics_every=ICS_EVERY), {"ics_run": True})

    def value(r: dict[str, Any]) -> float:
        v = r.get(f"ics_run_{kind}")
        return math.nan if v is None else v

    c.reduce = _per_arm(value)
    return c


def titanic_claim(seeds: list[int], quick: bool, path: str | None) -> Claim:
    setup = "Titanic CSV, Pclass/Fare/Age → Survived, 2×32 ReLU, SGD lr 0.1, batch 32"
    c = Claim(CLAIMS["titanic"], setup + ", 200 epochs")
    if path is None:
        c.skip_note = "not measured: pass --titanic FILE (Kaggle's train.csv)"
        return c
    from bntui.training.session import Session

    base = _base(data=path, dataset="file", target="Survived", features=("Pclass", "Fare", "Age"),
                 depth=2, batch_size=32)  # fmt: skip
    epochs = 50 if quick else 200  # whole epochs: the last partial batch is used
    steps = Session(base.replace(epochs=epochs)).planned_steps  # bad file: one-line error
    c.setup = f"{setup}, {epochs} epochs ({steps} steps)"
    _arm_specs(c, seeds, base.replace(epochs=epochs))

    def reduce(claim: Claim, rows: dict, seeds: list[int]) -> Reduced:
        out = _per_arm(_acc)(claim, rows, seeds)
        out.note = (
            f"mean val acc: BN {mean_std(out.a)[0]:.3f}, no BN {mean_std(out.b)[0]:.3f} "
            "(the text: 0.71 and 0.69)"
        )
        return out

    c.reduce = reduce
    return c


def seeds_of(key: str, seeds: list[int] | None, quick: bool) -> list[int]:
    """A claim's seeds: ``seeds`` (``--seeds``) when given, else the registry's count."""
    return list(range(seeds_for(CLAIMS[key], quick=quick))) if seeds is None else seeds


def quick_for(key: str, quick: bool) -> bool:
    """Whether the claim runs its quick setup (``quick_as_full`` claims never do)."""
    return quick and not CLAIMS[key].quick_as_full


def planned(key: str, seeds: list[int] | None, quick: bool, build: Callable) -> Claim:
    """``build(seeds, quick)`` with the claim's seeds and setup; the Claim keeps its seeds."""
    mine = seeds_of(key, seeds, quick)
    c = build(mine, quick_for(key, quick))
    c.seeds = mine
    return c


def claims(
    seeds: list[int] | None,
    *,
    quick: bool,
    titanic: str | None = None,
    images: str | None = None,
) -> list[Claim]:
    """Every claim but the normalization ones (``verify_norms``); ``seeds``: every claim's
    seeds, or None for each claim's registry count; ``images`` (an IDX directory or .npz)
    moves the DLFS image claims (init scales, 300-sample gap, dropout) from the spiral to
    those images."""
    return [
        planned("steps", seeds, quick, steps_claim),
        planned("lr", seeds, quick, lr_claim),
        planned("init", seeds, quick, lambda s, q: init_claim(s, q, images)),
        planned("gradient", seeds, quick, gradient_claim),
        planned("gap", seeds, quick, lambda s, q: gap_claim(s, q, images)),
        planned("dropout", seeds, quick, lambda s, q: dropout_claim(s, q, images)),
        planned("ics-l2", seeds, quick, lambda s, q: ics_claim("ics-l2", "l2", s, q)),
        planned("ics-cos", seeds, quick, lambda s, q: ics_claim("ics-cos", "cos", s, q)),
        planned("titanic", seeds, quick, lambda s, q: titanic_claim(s, q, titanic)),
    ]


def evaluate(
    claim: Claim, rows: dict[str, dict[str, Any]], seeds: list[int] | None = None
) -> dict[str, Any]:
    """The claim's numbers and verdict, as one JSON-able dict: the registry's statement,
    every arm's per-seed numbers, the compared sides ``a`` and ``b``, the rule's counts
    and the verdict they give. ``seeds``: the claim's own (``claim.seeds``) by default."""
    seeds = claim.seeds if seeds is None else seeds
    d = claim.d
    out: dict[str, Any] = {
        "key": d.id,
        "name": d.sentence,
        "name_ko": d.sentence_ko,
        "source": d.source,
        "quote": d.quote,
        "setup": claim.setup,
        "metric": d.measure,
        "metric_ko": d.measure_ko,
        "effect": d.effect,
        "direction": d.direction,
        "margin": d.margin,
        "tie": d.tie,
        "quorum": QUORUM,
        "a": d.a_label,
        "b": d.b_label,
        "arm_labels": {a.key: a.label for a in d.arms},
        "seeds": seeds,
    }
    if claim.reduce is None or not claim.specs:
        return out | {"verdict": NOT_MEASURED, "note": claim.skip_note}
    by_key = {k: rows[s["trial"]] for k, s in claim.specs.items()}
    r = claim.reduce(claim, by_key, seeds)
    dec = decide(r.a, r.b, direction=d.direction, margin=d.margin, tie=d.tie)
    iv = paired_interval(r.a, r.b)
    return out | {
        "arms": r.arms,
        "values_a": r.a,
        "values_b": r.b,
        **dec.to_dict(),
        "diff": {"mean": iv.mean, "lo": iv.lo, "hi": iv.hi, "n": iv.n},
        "details": r.details,
        "note": r.note,
    }
