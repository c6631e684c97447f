"""Live replays in the app: → skips, ← restarts, keys take over; a recording replays exactly."""

from __future__ import annotations

from pathlib import Path

from bntui.export import dumps_record
from bntui.replay.headless import run_script
from bntui.replay.script import load_script
from bntui.training.config import Config
from bntui.tui.app import BntuiApp

SMALL = Config(samples=300, depth=3, width=16, seed=3, steps=400)
SCHEDULE = [
    (0, "caption 배치 정규화 없이 시작"),
    (40, "bn off"),
    (40, "caption BN off"),
    (90, "lr *2"),
]


def replay_app(**kw) -> BntuiApp:
    return BntuiApp(
        SMALL, threaded=False, schedule=SCHEDULE, steps_per_second=50, max_steps=400, **kw
    )


def log_of(app: BntuiApp) -> list[tuple[int, str]]:
    return list(app.runner.session.log)


async def test_next_event_restart_and_caption() -> None:
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(5)
        app.pull()
        assert app.query_one("#caption").text == "배치 정규화 없이 시작"
        await pilot.press("right")  # trains to step 40 and plays its event
        assert app.runner.session.step_count == 40
        assert log_of(app)[-2:] == [(40, "bn off"), (40, "caption BN off")]
        app.pull()
        assert app.query_one("#caption").text == "BN off"
        assert "next @90 (→)" in str(app.query_one("#status").render())
        await pilot.press("left")  # a fresh session, the whole schedule again
        assert (app.runner.session.step_count, app.runner.session.config.bn) == (0, SMALL.bn)
        assert list(app.runner.schedule) == sorted(SCHEDULE, key=lambda t: t[0])
        assert app.runner.steps_per_second == 50


async def test_experiment_key_takes_over() -> None:
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(10)
        await pilot.press("a")
        r = app.runner
        assert list(r.schedule) == [] and r.max_steps is None
        assert r.steps_per_second == 50  # a live session keeps its pace (< > change it)
        assert "took over" in app.query_one("#message").text
        r.step(100)  # the dropped events never happen
        assert [c for _, c in log_of(app)] == ["caption 배치 정규화 없이 시작", "activation next"]
        assert not app.check_action("next_event", ())  # → is a replay key only
        await pilot.press("left")  # ← still restarts the lesson
        assert r.schedule and app.replaying


async def test_recorded_live_session_replays_byte_identical(tmp_path: Path) -> None:
    """A dozen mixed keys during a replay, saved with ctrl+s, replayed headless: same bytes."""
    out = tmp_path / "live.toml"
    app = replay_app(record=str(out), keep_records=True)
    keys = ["right", "b", "plus", "l", "a", "minus", "w", "o", "p", "B", "L", "i"]
    async with app.run_test(size=(80, 24)) as pilot:
        for n, key in enumerate(keys):
            app.runner.step(7 + n)
            await pilot.press(key)
        app.runner.step(25)
        await pilot.press("ctrl+s")
        assert out.exists(), app.app_message
        live = [dumps_record(r) for r in app.runner.records]
        steps = app.runner.session.step_count
    kinds = {c.split()[0] for _, c in log_of(app)}
    assert {"bn", "depth", "lr", "activation", "caption"} <= kinds
    result = run_script(load_script(str(out)), steps=steps)
    assert [dumps_record(r) for r in result.records] == live
    assert len(live) == steps


async def test_pause_hold_and_space() -> None:
    holds = {(40, "caption BN off"): 30.0}
    app = replay_app(holds=holds)
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(60)  # stops at the hold: step 40, paused
        assert app.runner.session.step_count == 40 and app.runner.paused
        await pilot.press("right")  # → ends the hold and goes on to the next event
        assert app.runner.session.step_count == 90


async def test_takeover_clears_the_lesson_caption() -> None:
    app = replay_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(5)
        app.pull()
        assert app.query_one("#caption").text == "배치 정규화 없이 시작"
        await pilot.press("a")  # the user's session now: the lesson's caption is not theirs
        app.pull()
        assert app.query_one("#caption").text is None


async def test_replay_status_keeps_two_rows_at_80_columns() -> None:
    """The replay label is short under 120 columns: the status line of a lesson with a long
    configuration (batch renorm, lr 0.02, pace shown) stays two rows at 80×24 (it wrapped to
    three and pushed a layer row off the panels); wide terminals keep the long label."""
    schedule = [(0, "norm brn"), (0, "lr 0.02"), (0, "caption x"), (4400, "lr 0.01")]
    for size, label, rows in (((80, 24), "next @4400 (→)", 2), ((160, 40), "next event @4400", 2)):
        config = SMALL.replace(steps=4500, compare="bn")
        app = BntuiApp(
            config, threaded=False, schedule=schedule, steps_per_second=24.4, max_steps=4500
        )
        async with app.run_test(size=size) as pilot:
            app.runner.step(2)
            app.pull()
            await pilot.pause()
            status = app.query_one("#status")
            assert label in str(status.render())
            assert status.size.height <= rows, (size, status.size.height)
            await pilot.press("6")  # the longest view name, "ICS & smoothness"
            app.pull()
            await pilot.pause()
            assert status.size.height <= rows, (size, "view 6", status.size.height)
