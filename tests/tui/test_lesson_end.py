"""A lesson's last event is applied live, and the lesson ends in a clear 'finished' state."""

from __future__ import annotations

import time

import pytest

from bntui.live.captions import parse_template
from bntui.replay.script import lesson_names, load_script
from bntui.training.config import Config
from bntui.tui.app import BntuiApp
from bntui.tui.painter import FINISHED

SMALL = Config(samples=200, depth=2, width=8, seed=1, steps=60)
SCHEDULE = [(0, "caption start"), (30, "bn off"), (60, "caption the end")]


def status(app: BntuiApp) -> str:
    return str(app.query_one("#status").render())


async def test_last_event_applied_and_finished_state() -> None:
    app = BntuiApp(SMALL, threaded=False, schedule=SCHEDULE, steps_per_second=50, max_steps=60)
    async with app.run_test(size=(100, 30)) as pilot:
        app.runner.step(59)
        app.pull()
        assert "next @60 (→)" in status(app) and FINISHED not in status(app)
        app.runner.step(10)  # the lesson stops at its last step, with that step's event
        app.pull()
        assert app.runner.session.step_count == 60
        assert app.query_one("#caption").text == "the end"
        assert app.runner.session.log[-1] == (60, "caption the end")
        assert FINISHED in status(app) and "stopped" in status(app)
        assert app.runner.frame().replay.finished
        await pilot.press("b")  # any experiment key takes over: training goes on
        app.runner.step(5)
        app.pull()
        assert app.runner.session.step_count == 65 and FINISHED not in status(app)
        assert "took over" in app.query_one("#message").text
        await pilot.press("left")  # ← starts the lesson over
        assert app.runner.session.step_count == 0 and app.replaying


async def test_threaded_lesson_at_full_speed_ends_finished() -> None:
    app = BntuiApp(SMALL, threaded=True, schedule=SCHEDULE, max_steps=60, fps=10)
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 20
        while not app.runner.frame().replay.finished and time.monotonic() < deadline:
            await pilot.pause(0.05)
        app.pull()
        assert app.runner.frame().replay.finished
        assert app.query_one("#caption").text == "the end"
        assert FINISHED in status(app)
        await pilot.press("q")


@pytest.mark.parametrize("name", lesson_names())
async def test_every_lesson_shows_its_last_caption(name: str) -> None:
    """Played to its end (synchronously: at the fastest speed there is, deterministic)."""
    script = load_script(name)
    total = script.config.steps
    last = [e.caption for e in script.events if e.caption][-1]
    app = BntuiApp(
        script.config,
        threaded=False,
        schedule=script.schedule(total),
        steps_per_second=1e6,
        max_steps=total,
    )
    async with app.run_test(size=(80, 24)):
        while app.runner.session.step_count < total and not app.runner.session.diverged:
            app.runner.step(total)  # a `pause` hold stops a step(); the next one goes on
        app.pull()
        s = app.runner.session
        # init-scale ends, by design, in a divergence a few steps after its last event
        assert s.step_count == total or (s.diverged and s.log[-1][0] <= s.step_count)
        event = next(e for e in reversed(s.events) if e.kind == "caption")
        filled = parse_template(last).fill(dict(event.values).get)  # at its own step
        assert event.command == f"caption {last}" and event.text == filled
        assert app.query_one("#caption").text == filled and "{" not in filled
        assert FINISHED in status(app)
