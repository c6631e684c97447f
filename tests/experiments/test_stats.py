"""The verdict arithmetic on hand-made paired data (values worked out by hand below)."""

import math

import pytest

from bntui.experiments.stats import (
    MIXED,
    NOT_SUPPORTED,
    SUPPORTED,
    mean_std,
    paired_interval,
    t975,
    verdict,
)


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


def test_pairing_is_by_seed_not_by_pooled_samples():
    # a and b overlap a lot as pools, but a is ahead by 0.1 on every seed
    a = [0.5, 0.7, 0.9, 0.6, 0.8]
    b = [0.4, 0.6, 0.8, 0.5, 0.7]
    assert verdict(a, b, claim="greater")[0] == SUPPORTED
    assert verdict(a, b, claim="less")[0] == NOT_SUPPORTED


def test_verdicts_in_both_directions_and_mixed():
    up = ([1.0, 1.2, 1.1, 1.3, 1.2], [0.0, 0.1, 0.0, 0.2, 0.1])
    assert verdict(*up, claim="greater")[0] == SUPPORTED
    assert verdict(*up, claim="less")[0] == NOT_SUPPORTED
    noisy = ([1.0, -1.0, 0.5, -0.4, 0.1], [0.0] * 5)  # mean 0.04, sd ~0.75: spans 0
    assert verdict(*noisy, claim="greater")[0] == MIXED
    assert verdict(*noisy, claim="less")[0] == MIXED


def test_non_inferiority_margin():
    # differences -0.004 .. 0.004 around 0: inside a margin of 0.01 -> supported
    a = [0.900, 0.904, 0.896, 0.902, 0.898]
    b = [0.900] * 5
    assert verdict(a, b, claim="not-worse", margin=0.01)[0] == SUPPORTED
    # clearly 0.05 worse on every seed -> not supported
    worse = [x - 0.05 for x in a]
    assert verdict(worse, b, claim="not-worse", margin=0.01)[0] == NOT_SUPPORTED
    # about 0.01 worse with spread: the interval straddles -0.01 -> mixed
    edge = [0.890, 0.895, 0.885, 0.891, 0.889]
    assert verdict(edge, b, claim="not-worse", margin=0.01)[0] == MIXED


def test_one_pair_or_nan_is_never_a_verdict_for_the_claim():
    assert verdict([1.0], [0.0], claim="greater")[0] == MIXED
    assert verdict([math.nan, 1.0], [0.0, 0.0], claim="greater")[0] == MIXED
    with pytest.raises(ValueError):
        verdict([1.0, 2.0], [0.0, 0.0], claim="bigger")
