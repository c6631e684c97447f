"""The claim registry and its one verdict rule (``bntui.experiments.claims``).

The rule's expected verdicts are worked out by hand on small paired lists below."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest

from bntui.experiments.claims import (
    CLAIMS,
    MIXED,
    NOT_SUPPORTED,
    RULE,
    RULE_KO,
    SUPPORTED,
    TIE,
    claim,
    decide,
    need_of,
)

HANGUL = re.compile("[\uac00-\ud7a3]")


def test_need_is_the_ceiling_of_80_percent():
    assert [need_of(n) for n in (2, 3, 5, 10, 20)] == [2, 3, 4, 8, 16]


def test_supported_needs_both_the_sign_on_enough_seeds_and_the_margin():
    b = [0.0] * 10
    # +0.1 on 8 of 10 seeds, −0.05 on 2: mean 0.07 > margin 0.05, 8 wins ≥ 8
    a = [0.1] * 8 + [-0.05] * 2
    assert decide(a, b, direction="greater", margin=0.05).verdict == SUPPORTED
    # the same mean from 7 wins (1.0, 0, …): not enough seeds agree → mixed
    a7 = [0.1] * 7 + [-0.0333333] * 3
    d = decide(a7, b, direction="greater", margin=0.0)
    assert (d.wins, d.losses, d.verdict) == (7, 3, MIXED)
    # 10 wins but a mean below the margin: a tie (the effect is smaller than claimed)
    small = [0.01] * 10
    assert decide(small, b, direction="greater", margin=0.05).verdict == TIE


def test_not_supported_when_the_other_side_is_ahead():
    a, b = [0.5] * 5, [0.6, 0.6, 0.6, 0.6, 0.4]
    d = decide(a, b, direction="greater")
    assert (d.wins, d.ties, d.losses, d.verdict) == (1, 0, 4, NOT_SUPPORTED)
    # "less": the mirror image (a smaller than b claimed)
    assert decide(a, b, direction="less").verdict == SUPPORTED


def test_ties_are_ties():
    a = [0.333, 0.34, 0.33, 0.335, 0.336]
    b = [0.334, 0.338, 0.332, 0.335, 0.337]  # |d| ≤ 0.005 on every seed
    d = decide(a, b, direction="greater", margin=0.01, tie=0.005)
    assert (d.wins, d.ties, d.losses, d.verdict) == (0, 5, 0, TIE)
    assert decide([1.0, 2.0], [1.0, 2.0], direction="less").verdict == TIE


def test_not_worse_claims():
    b = [0.9] * 5
    assert decide([0.895, 0.9, 0.91, 0.89, 0.9], b, direction="not-worse",
                  margin=0.02).verdict == SUPPORTED  # fmt: skip
    assert decide([0.8] * 5, b, direction="not-worse", margin=0.02).verdict == NOT_SUPPORTED
    # mean within the margin but 2 of 5 seeds far below it: too few seeds agree
    assert decide([0.95, 0.95, 0.95, 0.87, 0.87], b, direction="not-worse",
                  margin=0.02).verdict == MIXED  # fmt: skip


def test_nan_or_bad_input_is_never_a_verdict_for_the_claim():
    assert decide([math.nan, 1.0], [0.0, 0.0], direction="greater").verdict == MIXED
    with pytest.raises(ValueError):
        decide([1.0], [1.0, 2.0], direction="greater")
    with pytest.raises(ValueError):
        decide([1.0], [0.0], direction="bigger")


def test_every_claim_is_complete_in_both_languages():
    assert list(CLAIMS)[:3] == ["steps", "lr", "init"]
    for c in CLAIMS.values():
        assert c.sentence and HANGUL.search(c.sentence_ko), c.id
        assert c.measure and HANGUL.search(c.measure_ko), c.id
        assert c.direction in ("greater", "less", "not-worse"), c.id
        assert c.margin >= 0 and c.tie >= 0 and c.seeds >= 10 and c.quick_seeds >= 2, c.id
        keys = [a.key for a in c.arms]
        assert len(keys) == len(set(keys)) >= 2, c.id
        assert all(HANGUL.search(a.label_ko) or a.label_ko.isascii() for a in c.arms)
        assert c.text("ko") == c.sentence_ko and c.text("en") == c.sentence
    # both ICS measures, each its own claim, citing what the paper found
    for key in ("ics-l2", "ics-cos"):
        assert "Santurkar" in claim(key).paper("en") and HANGUL.search(claim(key).paper("ko"))
    assert claim("ics-l2").direction == "less" and claim("ics-cos").direction == "greater"
    assert [a.key for a in claim("dropout").arms] == ["bn", "bn+dropout", "plain",
                                                       "plain+dropout"]  # fmt: skip
    with pytest.raises(KeyError, match="known"):
        claim("nope")


def test_the_rule_text_states_the_quorum_and_margin():
    assert "0.8" in RULE and "margin" in RULE and "Tie" in RULE
    assert "0.8" in RULE_KO and HANGUL.search(RULE_KO)


def test_the_registry_imports_without_textual_or_rich():
    code = (
        "import sys, bntui.experiments.claims as c; "
        "assert c.CLAIMS; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_quick_runs_the_seed_sensitive_claims_as_the_full_run():
    """gap, dropout and ICS: --quick trains the full run's very trials (setup and seeds),
    so quick and full cannot disagree there; the other claims run smaller in --quick."""
    from bntui.experiments.claims import seeds_for
    from bntui.experiments.verification import claims

    quick = {c.key: c for c in claims(None, quick=True)}
    full = {c.key: c for c in claims(None, quick=False)}
    same = {k for k in full if quick[k].specs == full[k].specs and quick[k].seeds == full[k].seeds}
    assert same == {"gap", "dropout", "ics-l2", "ics-cos"}
    assert {k for k, c in CLAIMS.items() if c.quick_as_full} == same
    for key in ("steps", "lr", "init", "gradient"):
        assert len(quick[key].seeds) == seeds_for(CLAIMS[key], quick=True) < 10
    assert len(claims([0, 1], quick=True)[4].seeds) == 2  # --seeds wins everywhere
