"""[ ] { } and a branch in a synchronous app at 80×24: status, timeline, message, save."""

from __future__ import annotations

import tomllib

from bntui.live.frame import Needs
from bntui.training.config import Config
from bntui.tui.app import BntuiApp

SIGMOID = Config(samples=300, activation="sigmoid", depth=3, width=16, bn=False, seed=0,
                 eval_every=20, stats_every=10)  # fmt: skip


def _text(app, selector: str) -> str:
    return str(app.main_screen.query_one(selector).render())


async def test_back_then_a_key_branches_and_the_save_replays_the_branch(tmp_path) -> None:
    record = tmp_path / "branch.toml"
    app = BntuiApp(SIGMOID, threaded=False, record=str(record))
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(100)
        await pilot.press("b")  # BN on at 100
        app.runner.step(100)
        await pilot.press("left_square_bracket")  # back to the event at 100
        await pilot.pause()
        frame = app.runner.frame(Needs())
        assert frame.step == 100 and frame.travel is not None and frame.travel.in_past
        assert "⏪ step 100 of 200 · the future is kept" in _text(app, "#status")
        row = _text(app, "#timeline")
        assert row.startswith("0 ━") and row.endswith("─ 200") and row.count("●") == 1
        await pilot.press("left_square_bracket")  # no earlier event: back a tenth (20 steps)
        await pilot.pause()
        assert app.runner.frame(Needs()).step == 80
        row = _text(app, "#timeline")
        assert row.index("●") < row.index("◆")  # the change at 100 lies ahead
        await pilot.press("right_curly_bracket")  # the newest step
        assert app.runner.frame(Needs()).step == 200 and app.runner.frame(Needs()).travel is None
        await pilot.press("left_curly_bracket")  # step 0
        app.runner.step(30)  # plays the recorded run (no change before 100)
        await pilot.press("l")  # lr /2 at a past step: a branch
        await pilot.pause()
        frame = app.runner.frame(Needs())
        assert frame.labels == ("branch", "recorded") and frame.twin is not None
        message = _text(app, "#message")
        assert "• branch: l (lr /2) at 30 · × recorded: b (bn toggle) at 100" in message
        app.runner.step(10)
        frame = app.runner.frame(Needs())
        assert frame.twin.step == 40
        assert [e.kind for e in frame.events if e.step == 30] == ["branch", "lr"]  # the log
        await pilot.press("ctrl+s")
    saved = tomllib.loads(record.read_text(encoding="utf-8"))
    assert saved["title"] == "Branch at step 30" and "× recorded" in saved["description"]
    assert [(e["at"], e["do"]) for e in saved["event"]] == [(30, ["lr /2"])]
    assert saved["config"]["steps"] == 40


def test_a_skip_that_reaches_a_lessons_goto_ends_there() -> None:
    """→ fast-forwards to the next event; bn-earlier's event at 1,800 goes back to 300 and
    branches. The fast-forward stopped at 1,800 only, so the new future then ran unpaced to
    1,800 as well and the learner never saw it start (seen live at 80×24)."""
    from bntui.live.runner import Runner
    from bntui.training.config import Config

    runner = Runner(Config(samples=200, depth=2, width=8, seed=1), threaded=False)
    runner.step(120)
    runner.fast_until = 120  # what → sets in the threaded app
    runner.send("goto 40")
    runner.step(0)
    assert runner.pair.step_count == 40 and runner.fast_until is None
