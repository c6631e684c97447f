"""What a sweep runs: ``--param`` grids, ``--random`` draws, seeds, and stable trial ids."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bntui.errors import BntuiError
from bntui.training.config import Config, ConfigError, coerce, field_type

DISTRIBUTIONS = ("loguniform", "uniform", "choice")


class SweepError(BntuiError):
    """A sweep that cannot run as given (bad --param, --random, results file...)."""


def _key(raw: str, flag: str) -> str:
    name = raw.strip().replace("-", "_")
    known = Config.__dataclass_fields__
    if name not in known:
        import difflib

        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f" (did you mean {close[0].replace('_', '-')!r}?)" if close else ""
        raise SweepError(f"{flag}: unknown setting {raw.strip()!r}{hint}")
    if name == "seed":
        raise SweepError(f"{flag}: use --seeds N to vary the seed")
    return name


def parse_param(text: str) -> tuple[str, list[Any]]:
    """``"init=std:1,std:0.1"`` -> ("init", ["std:1", "std:0.1"]), each value coerced."""
    key, sep, values = text.partition("=")
    if not sep or not values.strip():
        raise SweepError(f"--param expects KEY=V1,V2,..., got {text!r}")
    name = _key(key, "--param")
    if field_type(name) is tuple:
        raise SweepError(f"--param: {key.strip()} takes a list; it cannot be swept")
    out: list[Any] = []
    for raw in values.split(","):
        if not raw.strip():
            raise SweepError(f"--param {key.strip()}: empty value in {values!r}")
        try:
            value = coerce(name, raw.strip())
        except ConfigError as exc:
            raise SweepError(f"--param {exc}") from None
        if value not in out:
            out.append(value)
    return name, out


@dataclass(frozen=True)
class RandomSpec:
    """One ``--random`` axis: KEY=loguniform:LO:HI | uniform:LO:HI | choice:A,B,..."""

    key: str
    kind: str
    lo: float = 0.0
    hi: float = 0.0
    choices: tuple[Any, ...] = ()

    def draw(self, rng: np.random.Generator) -> Any:
        if self.kind == "choice":
            return self.choices[int(rng.integers(len(self.choices)))]
        if self.kind == "loguniform":
            value = math.exp(rng.uniform(math.log(self.lo), math.log(self.hi)))
        else:
            value = rng.uniform(self.lo, self.hi)
        if field_type(self.key) is int:
            return round(value)
        return float(f"{value:.4g}")  # readable, and the same text gives the same trial id


def parse_random(text: str) -> RandomSpec:
    key, sep, spec = text.partition("=")
    kind, _, rest = spec.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in DISTRIBUTIONS or not rest:
        raise SweepError(
            f"--random expects KEY=loguniform:LO:HI, KEY=uniform:LO:HI or KEY=choice:A,B; "
            f"got {text!r}"
        )
    name = _key(key, "--random")
    if kind == "choice":
        _, values = parse_param(f"{name}={rest}")
        return RandomSpec(name, kind, choices=tuple(values))
    if field_type(name) not in (int, float):
        raise SweepError(f"--random {key.strip()}: {kind} needs a numeric setting; use choice:")
    parts = rest.split(":")
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise SweepError(
            f"--random {key.strip()}: {kind} needs LO:HI numbers, got {rest!r}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise SweepError(f"--random {key.strip()}: need finite LO < HI, got {rest!r}")
    if kind == "loguniform" and lo <= 0:
        raise SweepError(f"--random {key.strip()}: loguniform needs LO > 0, got {lo:g}")
    return RandomSpec(name, kind, lo, hi)


def points(
    grid: list[tuple[str, list[Any]]],
    randoms: list[RandomSpec],
    trials: int,
    seed: int,
) -> list[dict[str, Any]]:
    """Every parameter setting: the grid's product, times ``trials`` random draws.

    The draws come from their own stream of ``seed``, so a rerun (``--resume``) draws the
    same values and finds the same trial ids."""
    keys = [k for k, _ in grid] + [r.key for r in randoms]
    if len(set(keys)) != len(keys):
        raise SweepError("a setting is given twice in --param/--random")
    grid_points = [
        dict(zip([k for k, _ in grid], combo, strict=True))
        for combo in itertools.product(*(v for _, v in grid))
    ]
    if not randoms:
        return grid_points
    if trials < 1:
        raise SweepError("--random needs --trials N (N >= 1)")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    draws = [{r.key: r.draw(rng) for r in randoms} for _ in range(trials)]
    return [g | d for d in draws for g in grid_points]


def trial_id(config: Config, measure: dict[str, Any] | None = None) -> str:
    """A hash of the whole canonical config (seed and steps included) and what is measured:
    the same experiment always gets the same id, on any machine."""
    doc = {"config": config.to_dict(), "measure": measure or {}}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_config(base: Config, params: dict[str, Any], seed: int) -> Config:
    try:
        return base.replace(**params, seed=seed)
    except ConfigError as exc:
        where = ", ".join(f"{k}={v}" for k, v in params.items())
        raise SweepError(f"{where}: {exc}") from None
