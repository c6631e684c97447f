"""``bntui replay`` / ``bntui demos`` through ``bntui.cli.main``: outputs, exit codes, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from bntui.cli import main

LESSON = """\
title = "cli lesson"
[config]
depth = 2
width = 8
samples = 200
steps = 100
eval_every = 20
[[event]]
at = 0
caption = "start"
[[event]]
at = 50
do = ["bn off"]
expect = { loss = "> 0" }
[[event]]
at = 100
expect = { val_acc = "{op} 0.0" }
"""


def _script(tmp_path, op: str = ">=", name: str = "lesson.toml"):
    path = tmp_path / name
    path.write_text(LESSON.replace("{op}", op), encoding="utf-8")
    return path


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bntui: error: ")
    return lines[0]


def test_headless_writes_outputs_and_passes(tmp_path, capsys) -> None:
    script, out = _script(tmp_path), tmp_path / "out"
    metrics, model = str(tmp_path / "m.csv"), str(tmp_path / "w.npz")
    argv = ["replay", str(script), "--headless", "--out", str(out)]
    code = main([*argv, "--metrics", metrics, "--save-model", model])
    assert code == 0
    assert "ok: 2/2 checks passed" in capsys.readouterr().out
    rows = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["step"] for r in rows] == list(range(1, 101))
    events = [json.loads(r) for r in (out / "events.jsonl").read_text().splitlines()]
    assert [e["command"] for e in events] == ["caption start", "bn off"]
    assert "# cli lesson" in (out / "report.md").read_text()
    csv_lines = (tmp_path / "m.csv").read_text().splitlines()
    assert csv_lines[0].startswith("step,epoch,lr,loss,acc") and len(csv_lines) == 101
    with np.load(tmp_path / "w.npz", allow_pickle=False) as arrays:
        assert "config_toml" in arrays.files
    # never overwrite without --force; with it, fine
    assert main(["replay", str(script), "--headless", "--out", str(out)]) == 2
    assert "exists; use --force" in _one_error_line(capsys)
    assert main(["replay", str(script), "--headless", "--out", str(out), "--force"]) == 0


def test_failed_expect_exits_1(tmp_path, capsys) -> None:
    assert main(["replay", str(_script(tmp_path, op="<")), "--headless", "--quiet"]) == 1
    assert "FAILED: 1/2 checks passed" in capsys.readouterr().out


def test_steps_cap_and_config_flags(tmp_path, capsys) -> None:
    out = tmp_path / "o"
    code = main(["replay", str(_script(tmp_path)), "--headless", "--steps", "60",
                 "--seed", "3", "--out", str(out)])  # fmt: skip
    assert code == 0
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 60
    report = (out / "report.md").read_text()
    assert "`seed = 3`" in report and "(skipped)" in report and "--steps 60" in report


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title = 'x'\n[config\n", "lesson.toml:2: "),
        (
            "[[event]]\nat = 10\n[[event]]\nat = 20\ndo = ['bn of']\n",
            "lesson.toml:3: event 2 (at 20): bn: expected one of on, off, toggle, got 'of'",
        ),
        (
            "[[event]]\nat = 30\n[[event]]\nat = 20\n",
            "lesson.toml:3: event 2 (at 20): 'at' goes backwards (20 after 30)",
        ),
        ("[config]\nsteps = 10\nbatchsize = 4\n", "lesson.toml:3: [config]: unknown setting"),
        ("[config]\nactivation = 'relux'\n", "lesson.toml:2: [config]: unknown activation"),
        (
            "[[event]]\nat = 0\n[[event]]\nat = 5\ncaption = 'Claimed: {claim:ics-speed}'\n",
            "lesson.toml:3: event 2 (at 5): caption: {claim:ics-speed}: unknown claim "
            "'ics-speed'; the registry has steps, lr,",
        ),
        (
            "[[event]]\nat = 5\ncaption = 'x'\nview = 7\n",
            "lesson.toml:1: event 1 (at 5): view must be a view number 1..6",
        ),
    ],
)
def test_malformed_scripts_exit_2_with_one_line(tmp_path, capsys, text: str, expected: str) -> None:
    path = tmp_path / "lesson.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["replay", str(path), "--headless"]) == 2
    line = _one_error_line(capsys)
    assert f"{tmp_path}/{expected}" in line


def test_missing_file_and_unknown_lesson(tmp_path, capsys) -> None:
    assert main(["replay", str(tmp_path / "gone.toml"), "--headless"]) == 2
    assert _one_error_line(capsys).endswith("gone.toml: no such file")
    assert main(["replay", "sigmoid-vanishin", "--headless"]) == 2
    assert "did you mean 'sigmoid-vanishing'" in _one_error_line(capsys)
    assert main(["replay", str(_script(tmp_path)), "--out", str(tmp_path / "x")]) == 2
    assert "--out needs --headless" in _one_error_line(capsys)


def test_demos_lists_every_lesson(capsys) -> None:
    from bntui.replay.script import lesson_names

    assert main(["demos"]) == 0
    out = capsys.readouterr().out
    for name in lesson_names():
        assert name in out


def test_live_app_gets_the_schedule(tmp_path) -> None:
    pytest.importorskip("bntui.tui.app")
    import argparse

    from bntui.cli.replay import live_runner
    from bntui.replay.script import load_script

    script = load_script(_script(tmp_path))
    args = argparse.Namespace(fps=2.0, ascii=False, paused=False, record=None)
    runner = live_runner(script, 60, 5.0, args)
    assert list(runner.schedule) == [(0, "caption start"), (50, "bn off")]
    assert (runner.steps_per_second, runner.max_steps) == (5.0, 60)
    runner.stop()


def test_screenshot_rendered_by_the_tui(tmp_path) -> None:
    from bntui.cli.replay import render_screenshot
    from bntui.replay.script import load_script
    from bntui.training.player import play_commands
    from bntui.training.session import Session

    script = load_script(_script(tmp_path))
    session = Session(script.config)
    play_commands(session, script.schedule(), until=50)  # the state at event 2 (step 50)
    path = tmp_path / "shot.svg"
    status = render_screenshot(session, script, script.events[1], path)
    assert status == "written", status
    svg = path.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "step:50" in svg.replace("&#160;", " ")


def test_no_traceback_in_a_subprocess(tmp_path) -> None:
    path = tmp_path / "lesson.toml"
    path.write_text("[[event]]\nat = 5\ndo = ['depht 3']\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bntui.cli", "replay", str(path), "--headless"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"bntui: error: {path}:1: event 1 (at 5): unknown command 'depht' "
        "(did you mean 'depth'?); try 'help'"
    )


def test_live_replay_refuses_without_a_terminal(tmp_path, capsys) -> None:
    # under pytest stdin/stdout are not a terminal: the live view must refuse, not hang
    assert main(["replay", str(_script(tmp_path))]) == 2
    assert "add --headless" in _one_error_line(capsys)


def test_live_pause_holds_the_runner(tmp_path) -> None:
    pytest.importorskip("bntui.tui.app")
    import argparse
    import time

    from bntui.cli.replay import live_runner
    from bntui.replay.script import load_script

    path = tmp_path / "p.toml"
    path.write_text(
        "[config]\nsteps = 20\ndepth = 1\nwidth = 4\nsamples = 100\n"
        "[[event]]\nat = 2\ncaption = 'hold'\npause = 0.2\n",
        encoding="utf-8",
    )
    args = argparse.Namespace(fps=2.0, ascii=False, paused=False, record=None)
    runner = live_runner(load_script(path), 20, 50.0, args)
    runner.threaded = False  # drive it by hand; the worker thread is never started
    runner.step(1)
    assert not runner.paused
    runner.step(1)  # reaching step 2 applies its caption, then the runner holds
    assert runner.paused and runner.session.log == [(2, "caption hold")]
    deadline = time.monotonic() + 5
    while runner.paused and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not runner.paused  # released after ~0.2 s


def test_a_caption_quoting_numbers_holds_the_live_screen_still() -> None:
    """While a live lesson trains on, a quoted per-batch loss changes at the next step
    (sigmoid-vanishing at 1,800: the caption said 0.325, the screen six steps later 0.172);
    such a caption holds still QUOTE_HOLD seconds unless the lesson sets its own pause."""
    from bntui.cli.replay import QUOTE_HOLD, live_holds
    from bntui.replay.script import parse_script

    script = parse_script(
        """
[config]
steps = 100
[[event]]
at = 10
caption = "plain words"
[[event]]
at = 20
caption = "loss {loss}"
[[event]]
at = 30
caption = "loss {loss}"
pause = 7
""",
        "t.toml",
    )
    assert live_holds(script, 100) == {
        (20, "caption loss {loss}"): QUOTE_HOLD,
        (30, "caption loss {loss}"): 7,
    }
