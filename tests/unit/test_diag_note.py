"""View 6's sentence: what Santurkar et al. found (from the claim registry) beside what this
run measured, with comparison words that follow the numbers — never a fixed conclusion."""

from __future__ import annotations

import pytest

from bntui import i18n
from bntui.experiments.claims import claim
from bntui.tui.panels.diag import VALUE, paper_note, run_note


def test_the_paper_sentence_comes_from_the_registry():
    assert paper_note().startswith(claim("ics-cos").paper("en"))
    try:
        i18n.set_language("ko")
        assert paper_note().startswith(claim("ics-cos").paper("ko"))
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize(
    ("bn", "plain", "l2_word", "cos_word"),
    [
        ((0.99, 0.01), (0.95, 0.05), "agrees", "agrees"),
        ((0.90, 0.08), (0.97, 0.02), "does not agree", "does not agree"),
        ((0.99, 0.08), (0.97, 0.02), "does not agree", "agrees"),
    ],
)
def test_the_run_sentence_says_what_the_numbers_say(bn, plain, l2_word, cos_word):
    text = run_note([("bn", True, *bn), ("plain", False, *plain)], (1010, 1500))
    assert f"cos {bn[0]:.3f}" in text and f"cos {plain[0]:.3f}" in text
    assert "steps 1,010–1,500" in text
    assert f"“‖G − G′‖ is smaller with BN”: this run {l2_word}." in text
    assert f"“cos∠(G, G′) is closer to 1 with BN”: this run {cos_word}." in text
    assert "did not reduce" not in text
    # the twins in the other order: the same words (they are about BN, not position)
    flipped = run_note([("plain", False, *plain), ("bn", True, *bn)], (1010, 1500))
    assert f"this run {l2_word}." in flipped and f"this run {cos_word}." in flipped


def test_the_run_words_are_the_registry_rule_in_korean_too():
    try:
        i18n.set_language("ko")
        text = run_note([("bn", True, 0.99, 0.01), ("plain", False, 0.95, 0.05)], (10, 500))
    finally:
        i18n.set_language("en")
    assert claim("ics-cos").text("ko").partition(": ")[2] in text
    assert "이번 실행은 일치합니다." in text


def test_solo_and_unmeasured_runs_say_so():
    solo = run_note([("bn", True, 0.98, 0.03)], (10, 500))
    assert "cos 0.980" in solo and "(c)" in solo and "agrees" not in solo
    assert "not measured" in run_note([("bn", True, None, None)], None)


def test_the_value_column_holds_cos_and_l2_uncut():
    from bntui.tui.render import fixed, fmt_num

    for cos, l2 in ((0.98, 5.5e-3), (-0.5, 123.0), (1.0, 0.0211)):
        cell = f" cos {fixed(cos, 4)} l2 {fmt_num(l2)}"
        assert len(cell) <= VALUE, cell
