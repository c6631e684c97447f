"""The command vocabulary: parsing, normalization, errors."""

import pytest

from bntui.training.commands import VOCABULARY, Command, CommandError, cycle, parse, resolve_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bn off", "bn off"),
        ("  BN   Toggle ", "bn toggle"),
        ("act leaky-relu", "activation leaky_relu"),
        ("depth +1", "depth +1"),
        ("depth 6", "depth 6"),
        ("lr *2", "lr *2"),
        ("lr / 2", "lr /2"),
        ("lr 1e-3", "lr 0.001"),
        ("init STD:0.010", "init std:0.01"),
        ("wd 0.0001", "weight-decay 0.0001"),
        ("dropout 0.5", "dropout 0.5"),
        ("dropout next", "dropout next"),
        ("max-norm off", "max-norm off"),
        ("mark  BN   on here", "mark BN on here"),
        ("caption 배치 정규화", "caption 배치 정규화"),
        ("reset", "reset"),
        ("dataset moons", "dataset moons"),
    ],
)
def test_parse_normalizes(text, expected):
    assert str(parse(text)) == expected
    assert parse(expected) == parse(text)  # the canonical text parses to the same command


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty command"),
        ("bn of", "bn: expected one of on, off, toggle"),
        ("bm on", "unknown command 'bm' \\(did you mean 'bn'"),
        ("depth 40", "depth: expected a value in 0..32"),
        ("depth x", "depth: expected a whole number"),
        ("lr 0", "lr: expected a positive number"),
        ("lr -1", "lr: expected a positive number"),
        ("lr nan", "lr: expected a positive number"),
        ("dropout 1", "dropout: expected a value below 1"),
        ("init foo", "unknown init"),
        ("reset now", "reset: takes no argument"),
        ("mark", "mark: expected some text"),
        ("lr", "lr: expected a number"),
    ],
)
def test_parse_errors_are_one_line(text, message):
    with pytest.raises(CommandError, match=message) as info:
        parse(text)
    assert "\n" not in str(info.value)


def test_every_verb_has_help():
    for verb, (_check, help_line) in VOCABULARY.items():
        assert help_line.startswith(verb)


def test_cycle_and_resolve():
    assert cycle(("a", "b", "c"), "c", "next") == "a"
    assert cycle(("a", "b", "c"), "a", "prev") == "c"
    assert resolve_number("*2", 0.1) == pytest.approx(0.2)
    assert resolve_number("/2", 0.1) == pytest.approx(0.05)
    assert resolve_number("-1", 4) == 3
    assert resolve_number("7", 4) == 7
    assert str(Command("bn", "on")) == "bn on"
