"""``bntui replay FILE --headless --branch-at STEP --do CMD --out DIR``: both futures."""

from __future__ import annotations

import json

import pytest

from bntui.cli import main
from bntui.export import dumps_record

LESSON = """\
title = "branch lesson"
[config]
activation = "sigmoid"
depth = 3
width = 8
samples = 200
steps = 120
bn = false
eval_every = 20
stats_every = 10
[[event]]
at = 0
caption = "start"
[[event]]
at = 80
do = ["bn on"]
"""


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_both_futures_and_the_recorded_one_is_the_plain_replay(tmp_path, capsys) -> None:
    lesson = tmp_path / "lesson.toml"
    lesson.write_text(LESSON, encoding="utf-8")
    assert main(["replay", str(lesson), "--headless", "--out", str(tmp_path / "plain")]) == 0
    argv = ["replay", str(lesson), "--headless", "--branch-at", "30", "--do", "bn on"]
    assert main([*argv, "--do", "lr *2", "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "branch at step 30" in out and "bn on at 80" in out
    rows = _rows(tmp_path / "b" / "metrics.jsonl")
    assert all(list(r)[:2] == ["step", "twin"] for r in rows)
    recorded = [r for r in rows if r["twin"] == "recorded"]
    branch = [r for r in rows if r["twin"] == "branch"]
    assert [r["step"] for r in recorded] == list(range(1, 121))
    assert [r["step"] for r in branch] == list(range(31, 121))
    # the recorded rows, without their "twin" field, are the plain replay's bytes
    plain = (tmp_path / "plain" / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    assert [dumps_record({k: v for k, v in r.items() if k != "twin"}) for r in recorded] == plain
    # the branch took its commands at 30 (lr doubled there), the recorded future did not
    assert branch[0]["lr"] == 0.2 and recorded[30]["lr"] == 0.1
    assert branch[0]["loss"] != recorded[30]["loss"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--branch-at", "30"], "--branch-at STEP and --do CMD go together"),
        (["--do", "bn on"], "--branch-at STEP and --do CMD go together"),
        (["--branch-at", "30", "--do", "bn maybe"], "--do: bn: expected one of"),
        (["--branch-at", "500", "--do", "bn on"], "the lesson runs steps 0..120"),
        (["--branch-at", "30", "--do", "goto 3"], "goto is not a change"),
    ],
)
def test_bad_branch_flags_exit_2(tmp_path, capsys, extra, expected) -> None:
    lesson = tmp_path / "lesson.toml"
    lesson.write_text(LESSON, encoding="utf-8")
    assert main(["replay", str(lesson), "--headless", *extra]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and err.count("\n") == 1
