"""The interval arithmetic on hand-made paired data (values worked out by hand below)."""

import math

import pytest

from bntui.experiments.stats import mean_std, paired_interval, t975


def test_t_quantiles_match_the_printed_table():
    # Student t, two-sided 95 %: standard table values
    assert t975(1) == 12.706
    assert t975(4) == 2.776
    assert t975(30) == 2.042
    assert t975(40) == pytest.approx(2.021, abs=1e-3)
    assert t975(120) == pytest.approx(1.980, abs=1e-3)
    with pytest.raises(ValueError):
        t975(0)


def test_mean_std_by_hand():
    assert mean_std([2.0, 4.0, 6.0]) == (4.0, 2.0)  # deviations -2, 0, 2: sqrt(8/2)
    assert mean_std([5.0]) == (5.0, 0.0)
    m, s = mean_std([])
    assert math.isnan(m) and math.isnan(s)


def test_paired_interval_by_hand():
    # differences 1, 2, 3: mean 2, sd 1, half width t(2) / sqrt(3) = 4.303 / 1.7320508
    iv = paired_interval([11.0, 12.0, 13.0], [10.0, 10.0, 10.0])
    assert iv.n == 3 and iv.mean == 2.0
    assert iv.lo == pytest.approx(2 - 2.484338, abs=1e-6)
    assert iv.hi == pytest.approx(2 + 2.484338, abs=1e-6)
    with pytest.raises(ValueError):
        paired_interval([1.0], [1.0, 2.0])


# the verdict rule itself (claims.decide) is tested in test_claims.py
