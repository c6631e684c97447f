"""Parsing and validating replay scripts: fields, checks, and file:line error messages."""

from __future__ import annotations

import math

import pytest

from bntui.replay.script import (
    Check,
    ScriptError,
    check_metric,
    lesson_names,
    load_script,
    parse_check,
    parse_script,
)

GOOD = """\
title = "A  lesson"
description = "What it shows."

[config]
depth = 3
bn = false
steps = 400

[[event]]
at = 0
caption = "첫 번째 캡션:   한국어  text"

[[event]]
at = 200
do = ["BN  on", "lr *2", "act tanh"]
caption = "after"
screenshot = "after.svg"
pause = 2.5
window = 50
expect = { val_acc = ">= 0.8", "L1.grad_norm / L3.grad_norm" = "< 0.5", L2 = { std = "!= 0" } }

[[event]]
at = 200
do = "mark here"
"""


def test_parses_fields_and_normalizes_commands() -> None:
    s = parse_script(GOOD, "good.toml")
    assert s.title == "A lesson"
    assert s.config.depth == 3 and s.config.bn is False and s.config.steps == 400
    e0, e1, e2 = s.events
    assert (e0.index, e0.at, e0.line, e0.caption) == (1, 0, 9, "첫 번째 캡션: 한국어 text")
    assert e1.do == ("bn on", "lr *2", "activation tanh")
    assert (e1.screenshot, e1.pause, e1.window, e1.line) == ("after.svg", 2.5, 50, 13)
    assert [str(c) for c in e1.expect] == [
        "val_acc >= 0.8",
        "L1.grad_norm / L3.grad_norm < 0.5",
        "L2.std != 0",
    ]
    assert e2.do == ("mark here",)
    # do first, then the caption; events in file order
    assert s.schedule() == [
        (0, "caption 첫 번째 캡션: 한국어 text"),
        (200, "bn on"),
        (200, "lr *2"),
        (200, "activation tanh"),
        (200, "caption after"),
        (200, "mark here"),
    ]
    assert s.schedule(100) == [(0, "caption 첫 번째 캡션: 한국어 text")]
    assert s.where(e1) == "good.toml:13: event 2 (at 200)"


@pytest.mark.parametrize(
    ("op", "value", "measured", "expected"),
    [
        (">=", 0.8, 0.8, True),
        (">=", 0.8, 0.7999, False),
        ("<=", 0.8, 0.8, True),
        ("<=", 0.8, 0.81, False),
        (">", 1.0, 1.0, False),
        (">", 1.0, 1.5, True),
        ("<", 1.0, 1.0, False),
        ("<", 1.0, -3.0, True),
        ("==", 0.3, 0.1 + 0.2, True),  # float equality within rounding
        ("!=", 0.3, 0.1 + 0.2, False),
        ("!=", 0.3, 0.31, True),
        (">=", 0.0, math.nan, False),  # NaN never passes
        ("!=", 0.0, math.nan, False),
        (">=", 0.0, None, False),  # never measured never passes
    ],
)
def test_check_operators(op: str, value: float, measured, expected: bool) -> None:
    assert Check("acc", ("acc",), op, value).holds(measured) is expected


def test_parse_check_forms() -> None:
    c = parse_check("L1.grad_norm/L6.grad_norm", "<1e-2")
    assert (c.metric, c.terms, c.op, c.value) == (
        "L1.grad_norm / L6.grad_norm",
        ("L1.grad_norm", "L6.grad_norm"),
        "<",
        0.01,
    )
    assert parse_check("epoch", 3).op == "=="  # a bare number means equality
    for key, raw, part in [
        ("val_acc", "~ 0.8", "is not a comparison"),
        ("val_acc", ">= abc", "is not a number"),
        ("val_acc", ">= inf", "finite"),
        ("val_acc", True, "comparison as text"),
        ("a / b / c", ">= 1", "ratio"),
        ("L0.std", ">= 1", "out of range"),
        ("L2.stdd", ">= 1", "did you mean 'L2.std'"),
        ("accuracy", ">= 1", "unknown metric"),
    ]:
        with pytest.raises(ValueError) as info:
            parse_check(key, raw)
        assert part in str(info.value)
    for ok in ("loss", "val_loss", "lr", "L32.p85", "L1.sat", "L4.update"):
        check_metric(ok)


def _error(text: str) -> str:
    with pytest.raises(ScriptError) as info:
        parse_script(text, "lesson.toml")
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title = "x"\n[config\n', "lesson.toml:2: "),
        (
            'title = "x"\n\n[[event]]\nat = 5\ndo = ["bn of"]\n',
            "lesson.toml:3: event 1 (at 5): bn: expected one of on, off, toggle, got 'of'",
        ),
        (
            '[[event]]\nat = 5\n[[event]]\nat = 9\ndo = ["bnn on"]\n',
            "lesson.toml:3: event 2 (at 9): unknown command 'bnn' (did you mean 'bn'?)",
        ),
        (
            "[[event]]\nat = 50\n\n[[event]]\nat = 20\n",
            "lesson.toml:4: event 2 (at 20): 'at' goes backwards (20 after 50)",
        ),
        (
            'title = "t"\n[config]\ndepth = 3\nwidht = 4\n',
            "lesson.toml:4: [config]: unknown setting 'widht' (did you mean 'width'?)",
        ),
        ('[config]\nlr = "fast"\n', "lesson.toml:2: [config]: lr must be a number"),
        ("[config]\ndepth = 99\n", "lesson.toml:2: [config]: depth must be in 0..32, got 99"),
        ("[[event]]\nat = 1\ncaptoin = 'x'\n", "event 1 (at 1): unknown key 'captoin'"),
        ("[[event]]\ndo = ['bn on']\n", "lesson.toml:1: event 1 (no 'at'): needs 'at = STEP'"),
        ("[[event]]\nat = 99999\n", "past the lesson's end (config steps = 3000)"),
        ("[[event]]\nat = 1\nexpect = { val_ac = '>= 1' }\n", "did you mean 'val_acc'?"),
        ("[[event]]\nat = 1\nscreenshot = '../x.svg'\n", "plain file name"),
        ("[[event]]\nat = 1\npause = -1\n", "pause must be"),
        ("[[event]]\nat = 1\nwindow = 0\n", "window must be"),
        ('titel = "x"\n', "lesson.toml:1: unknown key 'titel' (did you mean 'title'?)"),
        ('[config]\nnorm = "lm"\n', "lesson.toml:2: [config]: unknown norm 'lm'"),
        ('[config]\nnorm = "gn:5"\n', "groups do not divide width 32"),
        ("[[event]]\nat = 1\ndo = ['norm bm']\n", "event 1 (at 1): norm: unknown norm 'bm'"),
    ],
)
def test_errors_name_file_line_and_event(text: str, expected: str) -> None:
    assert expected in _error(text)


def test_lesson_config_takes_a_norm() -> None:
    text = '[config]\nnorm = "gn:2"\n[[event]]\nat = 3\ndo = ["norm ln", "norm next"]\n'
    script = parse_script(text, "lesson.toml")
    assert script.config.norm == "gn:2" and script.config.normalization == "gn:2"
    assert script.events[0].do == ("norm ln", "norm next")


def test_load_missing_file_and_unknown_lesson(tmp_path) -> None:
    with pytest.raises(ScriptError, match=r"nothere\.toml: no such file"):
        load_script(tmp_path / "nothere.toml")
    with pytest.raises(ScriptError, match="did you mean 'relu-family'"):
        load_script("relu-famly")
    with pytest.raises(ScriptError, match="is a directory"):
        load_script(tmp_path)


def test_bundled_lessons_are_found_by_name() -> None:
    names = lesson_names()
    for required in (
        "sigmoid-vanishing",
        "covariate-shift",
        "init-scale",
        "learning-rate",
        "overfitting",
        "train-vs-eval",
        "relu-family",
    ):
        assert required in names
        script = load_script(required)
        assert script.source == f"demos/{required}.toml"
        assert script.title and script.description
        assert any(e.caption for e in script.events)
        assert any(e.expect for e in script.events)
        # every lesson teaches in both languages: English caption, Korean caption_ko
        assert script.title_ko and script.description_ko
        for e in script.events:
            if e.caption:
                assert not any("\uac00" <= ch <= "\ud7a3" for ch in e.caption), e.caption
                assert e.caption_ko and any("\uac00" <= ch <= "\ud7a3" for ch in e.caption_ko)


SHOWN = """\
[config]
depth = 4
steps = 400

[[event]]
at = 0
caption = "main"

[[event]]
at = 100
caption = "the ICS view at layer 3"
view = 6
layer = "L3"

[[event]]
at = 200
caption = "back to the main view"
view = 1
"""


def test_view_and_layer_show_what_the_caption_talks_about() -> None:
    s = parse_script(SHOWN, "shown.toml")
    assert [(e.view, e.layer) for e in s.events] == [(None, None), (6, 3), (1, None)]
    assert s.shows == {"the ICS view at layer 3": (6, 3), "back to the main view": (1, None)}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('view = 0\nlayer = "L3"', "view must be a view number 1..6 (the keys 1–6), got 0"),
        ('view = true\nlayer = "L3"', "view must be a view number 1..6 (the keys 1–6), got True"),
        ('view = 6\nlayer = "3"', "layer must name a hidden layer L1..L32, e.g. \"L3\", got '3'"),
        ('view = 6\nlayer = "L33"', "layer must name a hidden layer L1..L32"),
    ],
)
def test_bad_view_or_layer_names_file_line_and_event(change: str, message: str) -> None:
    with pytest.raises(ScriptError) as err:
        parse_script(SHOWN.replace('view = 6\nlayer = "L3"', change), "shown.toml")
    assert str(err.value).startswith("shown.toml:9: event 2 (at 100): ")
    assert message in str(err.value)


def test_view_needs_a_caption_and_one_caption_one_view() -> None:
    with pytest.raises(ScriptError, match="view and layer show what a caption talks about"):
        parse_script(SHOWN.replace('caption = "the ICS view at layer 3"\n', ""), "shown.toml")
    twice = SHOWN.replace("back to the main view", "the ICS view at layer 3")
    with pytest.raises(ScriptError, match="event 3: the same caption as event 2 with another view"):
        parse_script(twice, "shown.toml")


def test_a_caption_quotes_registry_claims_by_id() -> None:
    text = SHOWN.replace(
        'caption = "main"', 'caption = "{claim:ics-cos}: this run {claim:ics-cos:run}"'
    )
    s = parse_script(text, "claims.toml")
    assert s.events[0].caption.startswith("{claim:ics-cos}")
    for bad, why in (
        ("{claim:nope}", "unknown claim 'nope'; the registry has steps, lr, init"),
        ("{claim:steps:run}", "a lesson run does not measure claim 'steps' (only ics-l2, ics-cos)"),
        (
            "{claim:ics-cos:why}",
            "use {claim:ics-cos}, {claim:ics-cos:paper} or {claim:ics-cos:run}",
        ),
    ):
        with pytest.raises(ScriptError) as err:
            parse_script(SHOWN.replace('caption = "main"', f'caption = "{bad}"'), "claims.toml")
        assert str(err.value).startswith("claims.toml:5: event 1 (at 0): caption: ")
        assert why in str(err.value)
