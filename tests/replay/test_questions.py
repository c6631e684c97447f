"""Lesson questions: parsing (both languages, bad ones refused in one line), headless
answers measured at the reveal, ``--answers`` through the CLI, the score."""

from __future__ import annotations

import re

import pytest

from bntui.cli import main
from bntui.replay.headless import run_script
from bntui.replay.lesson_report import report_markdown
from bntui.replay.questions import parse_answers, parse_question, score
from bntui.replay.script import ScriptError, parse_script

# lr is set by the commands alone: the answers below hold on any seed and CPU
LESSON = """\
title = "questions"
[config]
depth = 2
width = 8
samples = 200
steps = 120
eval_every = 20
lr = 0.1
[[event]]
at = 40
do = ["lr *2"]
question = { text = "lr doubles. At the reveal lr is:", \
text_ko = "학습률이 두 배. 공개 때 학습률은:", \
choices = ["0.1", "0.2", "0.4"], choices_ko = ["0.1", "0.2", "0.4"], answer = 2, reveal = 100, \
window = 10, expect = { lr = "== 0.2" }, explain = "lr *2 once: 0.1 × 2.", \
explain_ko = "lr *2 한 번: 0.1 × 2." }
[[event]]
at = 100
do = ["lr *2"]
question = { text = "Again. At the end lr is:", choices = ["0.4", "0.2"], answer = 1, \
reveal = 120, window = 5, expect = { lr = "{op} 0.4" }, explain = "Twice: 0.1 × 4." }
"""


def _lesson(op: str = "==") -> str:
    return LESSON.replace("{op}", op)


def test_question_parsed_in_both_languages() -> None:
    script = parse_script(_lesson(), "q.toml")
    first, second = (e.question for e in script.questions)
    assert first is not None and second is not None
    assert first.text == "lr doubles. At the reveal lr is:"
    assert first.text_ko == "학습률이 두 배. 공개 때 학습률은:"
    assert first.choices == ("0.1", "0.2", "0.4") and first.choices_ko == ("0.1", "0.2", "0.4")
    assert (first.answer, first.reveal, first.window, first.right) == (2, 100, 10, "0.2")
    assert [str(c) for c in first.expect] == ["lr == 0.2"]
    assert first.explain_ko == "lr *2 한 번: 0.1 × 2."
    assert second.text_ko is None and second.choices_ko is None and second.answer == 1


GOOD = {
    "text": "What happens?",
    "choices": ["a", "b"],
    "answer": 1,
    "reveal": 50,
    "expect": {"loss": "> 0"},
    "explain": "because",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"choices": ["only one"]}, "list of 2–4 texts"),
        ({"choices": ["a", "b", "c", "d", "e"]}, "list of 2–4 texts"),
        ({"choices": ["a", 3]}, "choices 2 must be text"),
        ({"choices": ["a", "  "]}, "choices 2 is empty"),
        ({"choices": ["a", "x" * 61]}, "at most 60"),
        ({"answer": 0}, "choice number 1..2, got 0"),
        ({"answer": 3}, "choice number 1..2, got 3"),
        ({"answer": True}, "choice number 1..2"),
        ({"reveal": 10}, "(11..100), got 10"),
        ({"reveal": 101}, "(11..100), got 101"),
        ({"reveal": "50"}, "reveal must be a step"),
        ({"expect": {}}, "checks that decide the answer"),
        ({"expect": {"nope": "> 0"}}, "unknown metric 'nope'"),
        ({"expect": {"loss": "about 1"}}, "is not a comparison"),
        ({"choices_ko": ["가"]}, "list of 2–4 texts"),
        ({"choices_ko": ["가", "나", "다"]}, "choices_ko has 3 choices and choices 2"),
        ({"text_ko": 5}, "text_ko must be text"),
        ({"window": 0}, "window must be a whole number"),
        ({"hint": "x"}, "unknown question key 'hint'"),
        ({"explain": None}, "needs 'explain'"),
    ],
)
def test_bad_question_refused_with_one_line(change: dict, message: str) -> None:
    raw = {**GOOD, **change}
    raw = {k: v for k, v in raw.items() if v is not None}
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        parse_question(raw, at=10, last_step=100)
    assert "\n" not in str(info.value)


def test_bad_question_in_a_script_names_file_line_and_event() -> None:
    text = _lesson().replace("answer = 2", "answer = 7")
    with pytest.raises(ScriptError) as info:
        parse_script(text, "q.toml")
    assert str(info.value).startswith("q.toml:9: event 1 (at 40): question answer must be")
    with pytest.raises(ScriptError, match="question must be a table"):
        parse_script("[config]\nsteps = 9\n[[event]]\nat = 1\nquestion = 'x'\n", "q.toml")


def test_answers_measured_at_the_reveal_before_that_steps_commands() -> None:
    result = run_script(parse_script(_lesson(), "q.toml"), answers=(2, 2))
    first, second = result.asked
    # at step 100 the second event doubles lr again: the first reveal sees 0.2, not 0.4
    assert [c.measured for c in first.checks] == [pytest.approx(0.2)]
    assert [c.measured for c in second.checks] == [pytest.approx(0.4)]
    assert first.shown and second.shown and result.passed
    assert (first.given, second.given) == (2, 2)
    assert "question 1's answer, at step 100" in first.checks[0].note
    got = score([a.event.question for a in result.asked], [a.given for a in result.asked])
    assert (got.right, got.asked) == (1, 2)
    assert [(n, given) for n, _q, given in got.misses] == [(2, 2)]
    report = report_markdown(result)
    parts = ("## Questions", "1. 0.1", "2. 0.2 ← expected", "Answered 2: right.")
    parts += ("Answered 2: **wrong**.", "Why: Twice: 0.1 × 4.", "1 of 2 predictions right.")
    for part in parts:
        assert part in report


def test_a_claim_the_run_does_not_show_fails_the_lesson() -> None:
    result = run_script(parse_script(_lesson(op="<"), "q.toml"))
    assert not result.asked[1].shown and not result.passed
    report = report_markdown(result)
    assert "**the run did not show it**" in report
    assert "Not answered (`--answers 1,2,…` answers them)." in report


def test_a_cap_before_the_reveal_leaves_the_answer_unmeasured() -> None:
    result = run_script(parse_script(_lesson(), "q.toml"), steps=110)
    second = result.asked[1]
    assert second.checks == [] and not second.shown and result.asked[0].shown
    assert "--steps 110: question 2's answer not measured" in result.notes


def test_parse_answers() -> None:
    assert parse_answers("1, 3,2", 3) == (1, 3, 2)
    with pytest.raises(ValueError, match="gave 2 answer"):
        parse_answers("1,2", 3)
    with pytest.raises(ValueError, match="choice numbers separated by commas"):
        parse_answers("1,b", 2)


def _run(tmp_path, capsys, *extra: str, op: str = "==") -> tuple[int, str, str]:
    path = tmp_path / "q.toml"
    path.write_text(_lesson(op), encoding="utf-8")
    code = main(["replay", str(path), "--headless", *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_answers_right_and_wrong(tmp_path, capsys) -> None:
    out_dir = tmp_path / "out"
    code, out, _err = _run(tmp_path, capsys, "--answers", "2,1", "--out", str(out_dir))
    assert code == 0
    assert "2 of 2 predictions right" in out
    assert "2 of 2 predictions right." in (out_dir / "report.md").read_text()
    code, out, _err = _run(tmp_path, capsys, "--answers", "3,1")
    assert code == 1  # a wrong prediction: the flow's test fails
    assert "1 of 2 predictions right" in out and "you: 3 wrong" in out
    assert "Q1: lr *2 once: 0.1 × 2." in out  # the reason for the miss
    code, out, _err = _run(tmp_path, capsys)
    assert code == 0 and "predictions right" not in out  # not answered: the checks decide


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ("1", "--answers gave 1 answer(s); the lesson asks 2"),
        ("1,5", "--answers: question 2 has choices 1..2, got 5"),
        ("x", "--answers takes choice numbers separated by commas, e.g. 1,3,2; got 'x'"),
    ],
)
def test_cli_bad_answers_exit_2_before_training(tmp_path, capsys, answers, message) -> None:
    code, out, err = _run(tmp_path, capsys, "--answers", answers)
    assert code == 2
    assert err.strip().splitlines() == [f"bntui: error: {message}"]
    assert "checks passed" not in out


def test_cli_answers_need_headless(tmp_path, capsys) -> None:
    path = tmp_path / "q.toml"
    path.write_text(_lesson(), encoding="utf-8")
    assert main(["replay", str(path), "--answers", "1,1"]) == 2
    assert "--answers needs --headless" in capsys.readouterr().err


def test_slides_ask_then_answer(tmp_path, capsys) -> None:
    out = tmp_path / "slides"
    code, _out, _err = _run(tmp_path, capsys, "--quiet", "--slides", str(out))
    assert code == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    shown = re.findall(r"<figcaption>(.*?)</figcaption>", page)
    steps = [int(s) for s in re.findall(r'data-step="(\d+)"', page)]
    assert shown == [
        "Q1: lr doubles. At the reveal lr is: 1. 0.1 · 2. 0.2 · 3. 0.4",
        "Q1, answer: 2. 0.2. lr *2 once: 0.1 × 2.",
        "Q2: Again. At the end lr is: 1. 0.4 · 2. 0.2",
        "Q2, answer: 1. 0.4. Twice: 0.1 × 4.",
    ]
    assert steps == [40, 100, 100, 120]
    assert sorted(p.name for p in out.iterdir()) == [
        "index.html", "slide-01.svg", "slide-02.svg", "slide-03.svg", "slide-04.svg"
    ]  # fmt: skip
