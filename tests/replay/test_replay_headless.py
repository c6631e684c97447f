"""Headless replays: window means measured by hand, caps, divergence, outputs, determinism."""

from __future__ import annotations

import math

import pytest

from bntui.export import ExportError
from bntui.replay.headless import measure, measure_check, run_script
from bntui.replay.lesson_report import write_outputs
from bntui.replay.script import parse_check, parse_script

RECORDS = [
    {"step": 1, "loss": 4.0},
    {"step": 2, "loss": 2.0, "layers": [{"std": 1.0}, {"std": 4.0}]},
    {"step": 3, "loss": 1.0, "val_acc": 0.5},
    {"step": 4, "loss": 3.0, "layers": [{"std": 3.0}, {"std": 2.0}]},
    {"step": 5, "loss": 5.0},
]


def test_measure_is_the_mean_over_the_window() -> None:
    assert measure(RECORDS, "loss", 5, 2) == pytest.approx((3.0 + 5.0) / 2)  # steps 4, 5
    assert measure(RECORDS, "loss", 4, 3) == pytest.approx((2.0 + 1.0 + 3.0) / 3)  # steps 2..4
    assert measure(RECORDS, "L1.std", 5, 10) == pytest.approx((1.0 + 3.0) / 2)
    assert measure(RECORDS, "L2.std", 5, 10) == pytest.approx((4.0 + 2.0) / 2)
    # since: nothing at or before the last change counts
    assert measure(RECORDS, "loss", 5, 10, since=3) == pytest.approx(4.0)
    assert measure(RECORDS, "val_acc", 5, 10, since=3) is None
    # a rarely measured metric falls back to its last value before the window
    assert measure(RECORDS, "val_acc", 5, 1) == 0.5
    assert measure(RECORDS, "L3.std", 5, 10) is None  # no such layer
    assert measure(RECORDS, "loss", 0, 10) is None  # nothing trained yet
    assert math.isnan(measure([*RECORDS, {"step": 6, "loss": math.inf}], "loss", 6, 3))


def test_ratio_check_is_a_ratio_of_window_means() -> None:
    check = parse_check("L1.std / L2.std", "< 1")
    value, note = measure_check(RECORDS, check, 5, 10)
    assert value == pytest.approx(2.0 / 3.0) and note == ""
    value, note = measure_check(RECORDS, parse_check("L1.std / L3.std", "< 1"), 5, 10)
    assert value is None and "L3.std not measured" in note


TINY = """\
title = "tiny"
description = "A test lesson."
[config]
depth = 2
width = 8
samples = 200
steps = 120
eval_every = 20
stats_every = 5
[[event]]
at = 0
caption = "start"
[[event]]
at = 60
expect = { val_acc = ">= 0.0", loss = "> 0", "L1.grad_norm / L2.grad_norm" = "> 0" }
do = ["bn off", "lr *2"]
caption = "BN off"
screenshot = "shot.svg"
[[event]]
at = 100
expect = { loss = "< 0" }
[[event]]
at = 120
caption = "end"
expect = { lr = "== 0.2" }
"""


def test_checks_measured_before_the_events_commands() -> None:
    result = run_script(parse_script(TINY, "tiny.toml"))
    session = result.session
    assert session.step_count == 120 and len(result.records) == 120
    assert [str(c.check) for c in result.checks] == [
        "val_acc >= 0",
        "loss > 0",
        "L1.grad_norm / L2.grad_norm > 0",
        "loss < 0",
        "lr == 0.2",
    ]
    assert [c.passed for c in result.checks] == [True, True, True, False, True]
    assert not result.passed and len(result.failed) == 1
    # the loss check at step 60 is the mean of the per-step losses of steps 1..60 (window 100)
    losses = [r["loss"] for r in result.records[:60]]
    assert result.checks[1].measured == pytest.approx(sum(losses) / 60)
    # commands land in the log at their step, the caption after the event's do commands
    assert session.log == [(0, "caption start"), (60, "bn off"), (60, "lr *2"),
                           (60, "caption BN off"), (120, "caption end")]  # fmt: skip
    assert result.records[60]["events"] == ["bn off", "lr *2", "caption BN off"]
    assert result.screenshots[0][1].startswith("not rendered")


def test_steps_cap_skips_later_events_with_a_note() -> None:
    result = run_script(parse_script(TINY, "tiny.toml"), steps=80)
    assert result.session.step_count == 80
    assert [e.at for e in result.skipped] == [100, 120]
    assert len(result.checks) == 3 and result.passed
    assert result.notes == ["--steps 80: 2 event(s) from step 100 on skipped"]


def test_divergence_stops_the_lesson_and_fails_later_checks() -> None:
    # ReLU at N(0, 1) weights without BN: activations grow ~4x per layer until they overflow
    bad = 'do = ["bn off", "width 32", "depth 6", "init std:1"]'
    text = TINY.replace('do = ["bn off", "lr *2"]', bad)
    result = run_script(parse_script(text, "tiny.toml"))
    assert result.session.diverged and result.session.step_count < 100
    late = [c for c in result.checks if c.event.at >= 100]
    assert late and all(not c.passed and c.note == "not reached" for c in late)
    assert any("diverged" in n for n in result.notes)


def test_two_runs_write_byte_identical_metrics(tmp_path) -> None:
    script = parse_script(TINY, "tiny.toml")
    outs = []
    for name in ("a", "b"):
        paths = write_outputs(run_script(script), tmp_path / name)
        outs.append([p.read_bytes() for p in paths])
    assert outs[0][0] == outs[1][0] and outs[0][0].count(b"\n") == 120
    assert outs[0][1] == outs[1][1]  # events.jsonl
    report = outs[0][2].decode()
    for part in ("# tiny", "A test lesson.", "| 60 | bn off, lr *2 | BN off |", "## Checks",
                 "`loss < 0`", "**FAIL**", "4 of 5 checks passed", "shot.svg"):  # fmt: skip
        assert part in report
    with pytest.raises(ExportError, match="exists; use --force"):
        write_outputs(run_script(script, steps=10), tmp_path / "a")
    write_outputs(run_script(script, steps=10), tmp_path / "a", force=True)
    assert (tmp_path / "a" / "metrics.jsonl").read_bytes().count(b"\n") == 10


def test_event_at_the_last_step_is_applied_and_rendered(tmp_path) -> None:
    """The caption, commands and screenshot of an event at the lesson's last step."""
    text = (
        "[config]\nsteps = 30\ndepth = 1\nwidth = 4\nsamples = 100\n"
        "[[event]]\nat = 30\ndo = ['bn off']\ncaption = 'the end'\nscreenshot = 'end.svg'\n"
    )
    rendered = []

    def render(session, script, event, path) -> str:
        rendered.append((session.step_count, session.config.bn, event.caption, path.name))
        return "written"

    result = run_script(parse_script(text), screenshot_dir=tmp_path, render=render)
    assert result.session.step_count == 30
    assert [(e.step, e.text) for e in result.session.events[-2:]] == [
        (30, "BN off"),
        (30, "the end"),
    ]
    assert rendered == [(30, False, "the end", "end.svg")]
    assert [status for _, status in result.screenshots] == ["written"]
