"""Small statistics for paired experiments: mean ± std and a paired t interval (reported
beside every verify verdict as information). The verdicts come from the one rule,
``bntui.experiments.claims.decide``.

No SciPy: the two-sided 95 % Student t quantiles below are the standard table values
(df 1..30); above 30 a Cornish-Fisher expansion of the normal quantile is within 1e-3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bntui.experiments.claims import MIXED, NOT_MEASURED, NOT_SUPPORTED, SUPPORTED, TIE

SKIPPED = NOT_MEASURED  # a claim whose data was not given (verify --titanic FILE)
__all__ = ["MIXED", "NOT_SUPPORTED", "SKIPPED", "SUPPORTED", "TIE", "mean_std", "paired_interval"]

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
