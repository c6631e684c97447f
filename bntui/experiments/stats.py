"""Small statistics for paired experiments: mean ± std, a paired t interval (reported
beside every verify verdict as information), and the one verdict rule, ``decide``
(``RULE`` states it; ``bntui.experiments.claims`` documents it with the registry).

No SciPy: the two-sided 95 % Student t quantiles below are the standard table values
(df 1..30); above 30 a Cornish-Fisher expansion of the normal quantile is within 1e-3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SUPPORTED, NOT_SUPPORTED, TIE, MIXED = "supported", "not supported", "tie", "mixed"
NOT_MEASURED = "not measured"
VERDICTS = (SUPPORTED, NOT_SUPPORTED, TIE, MIXED, NOT_MEASURED)
VERDICTS_KO = {
    SUPPORTED: "지지됨",
    NOT_SUPPORTED: "지지되지 않음",
    TIE: "동률",
    MIXED: "엇갈림",
    NOT_MEASURED: "측정 안 함",
}
QUORUM = 0.8

RULE = (
    "Verdict rule, per claim: d = a − b on each seed (b − a for a claimed decrease); a seed "
    "is a win when d > tie, a loss when d < −tie, else a tie; need = ⌈0.8·N⌉ of the N "
    "seeds. Supported: mean d > margin and ≥ need wins. Not supported: mean d < −margin "
    "and ≥ need losses (the other side is ahead). Tie: |mean d| ≤ margin. Mixed: "
    "otherwise. 'Not worse' claims (a ≥ b − margin): supported when mean d ≥ −margin and "
    "≥ need seeds have d ≥ −margin; not supported when mean d < −margin and ≥ need seeds "
    "have d < −margin; mixed otherwise. Each claim's margin and tie are in the registry "
    "(bntui/experiments/claims.py) and in --json."
)
RULE_KO = (
    "판정 규칙 (주장마다): 시드마다 d = a − b (감소를 주장하면 b − a); d > tie 이면 승, "
    "d < −tie 이면 패, 나머지는 무승부; N 개 시드 중 need = ⌈0.8·N⌉. 지지됨: d 평균 > "
    "margin 이고 승 ≥ need. 지지되지 않음: d 평균 < −margin 이고 패 ≥ need (반대쪽이 앞섬). "
    "동률: |d 평균| ≤ margin. 엇갈림: 그 밖. '나쁘지 않음' 주장 (a ≥ b − margin): d 평균 "
    "≥ −margin 이고 need 개 이상의 시드에서 d ≥ −margin 이면 지지됨, d 평균 < −margin 이고 "
    "need 개 이상의 시드에서 d < −margin 이면 지지되지 않음, 그 밖은 엇갈림. 주장마다의 "
    "margin 과 tie 는 등록부 (bntui/experiments/claims.py) 와 --json 에 있습니다."
)


SKIPPED = NOT_MEASURED  # a claim whose data was not given (verify --titanic FILE)

T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError("t quantile needs df >= 1")
    if df <= len(T975):
        return T975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n-1; 0 for a single value)."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    m = math.fsum(values) / n
    if n == 1:
        return m, 0.0
    return m, math.sqrt(math.fsum((v - m) ** 2 for v in values) / (n - 1))


@dataclass(frozen=True)
class Interval:
    """The mean paired difference a − b and its two-sided 95 % t interval."""

    n: int
    mean: float
    lo: float
    hi: float


def paired_interval(a: Sequence[float], b: Sequence[float]) -> Interval:
    """95 % t interval of mean(a_i − b_i); a and b are paired by position (by seed)."""
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} and {len(b)}")
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    n = len(diffs)
    m, s = mean_std(diffs)
    if n < 2:
        return Interval(n, m, -math.inf, math.inf)  # one pair says nothing about spread
    half = t975(n - 1) * s / math.sqrt(n)
    return Interval(n, m, m - half, m + half)


@dataclass(frozen=True)
class Decision:
    """A verdict and the counts it came from."""

    verdict: str
    n: int
    wins: int
    ties: int
    losses: int
    need: int
    mean: float  # mean of d oriented so that a positive value is the claimed direction

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "n": self.n,
            "wins": self.wins,
            "ties": self.ties,
            "losses": self.losses,
            "need": self.need,
            "mean_d": self.mean,
        }


def need_of(n: int, quorum: float = QUORUM) -> int:
    """Seeds that must agree: ⌈quorum·n⌉ (at least 1)."""
    return max(1, math.ceil(quorum * n - 1e-9))


def decide(
    a: Sequence[float],
    b: Sequence[float],
    *,
    direction: str,
    margin: float = 0.0,
    tie: float = 0.0,
    quorum: float = QUORUM,
) -> Decision:
    """The verdict on paired per-seed numbers ``a`` and ``b`` (see the module docstring).
    A NaN on any seed makes the claim mixed (nothing is concluded from a broken run)."""
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} and {len(b)}")
    if direction not in ("greater", "less", "not-worse"):
        raise ValueError(f"unknown claim direction {direction!r}")
    n = len(a)
    need = need_of(n, quorum)
    sign = -1.0 if direction == "less" else 1.0
    d = [sign * (x - y) for x, y in zip(a, b, strict=True)]
    if n == 0 or any(not math.isfinite(v) for v in d):
        return Decision(MIXED, n, 0, 0, 0, need, math.nan)
    mean = math.fsum(d) / n
    if direction == "not-worse":
        ok = sum(v >= -margin for v in d)
        bad = n - ok
        if mean >= -margin and ok >= need:
            verdict = SUPPORTED
        elif mean < -margin and bad >= need:
            verdict = NOT_SUPPORTED
        else:
            verdict = MIXED
        return Decision(verdict, n, ok, 0, bad, need, mean)
    wins = sum(v > tie for v in d)
    losses = sum(v < -tie for v in d)
    ties = n - wins - losses
    if mean > margin and wins >= need:
        verdict = SUPPORTED
    elif mean < -margin and losses >= need:
        verdict = NOT_SUPPORTED
    elif abs(mean) <= margin:
        verdict = TIE
    else:
        verdict = MIXED
    return Decision(verdict, n, wins, ties, losses, need, mean)
