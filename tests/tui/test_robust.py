"""Failure paths: a crashing worker, a diverging run, tiny terminals."""

from __future__ import annotations

import asyncio
import math

from bntui.training.config import Config
from bntui.tui.app import BntuiApp


def _boom() -> dict:
    raise RuntimeError("engine exploded")


async def test_worker_error_is_shown_synchronous(make_app, monkeypatch) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        monkeypatch.setattr(app.runner.session, "step", _boom)
        await pilot.press("n")
        await pilot.pause()
        assert app.runner.state == "crashed"
        message = app.query_one("#message").text
        assert "RuntimeError: engine exploded" in message
        assert "crashed" in str(app.query_one("#status").render())
        # the app still answers keys: a reset clears the error
        monkeypatch.undo()
        await pilot.press("r")
        assert app.runner.state == "paused" and app.runner.error is None


async def test_worker_error_is_shown_threaded(monkeypatch) -> None:
    app = BntuiApp(Config(samples=300, depth=2, width=8), threaded=True, fps=10)
    monkeypatch.setattr(app.runner.session, "step", _boom)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(40):  # up to 2 s for the worker to fail and the UI to pull
            await asyncio.sleep(0.05)
            if app.query_one("#message").text:
                break
        assert "engine exploded" in app.query_one("#message").text
        await pilot.press("q")
    assert not app.runner.alive


async def test_forced_nan_pauses_with_hint(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(5)
        await pilot.press("colon", *"lr 1e6", "enter")
        app.runner.step(50)
        await pilot.pause()
        snap = app.runner.frame()
        assert snap.state == "diverged"
        assert not math.isfinite(app.runner.session.last_record["loss"])
        step = snap.step
        app.runner.step(10)  # training refuses to go on while diverged
        assert app.runner.session.step_count == step
        app.pull()
        message = app.query_one("#message").text
        # the engine names commands; the TUI shows each with its key
        assert "l (lr /2)" in message and "b (bn on)" in message and "r (reset)" in message
        # the chart marks it: a 'diverged' event at the step it happened
        kinds = [e.kind for e in app.runner.session.events]
        assert kinds[-1] == "diverged"


async def test_too_small_terminal_and_back(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(30)
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        note = app.query_one("#too-small")
        assert note.display and app.main_screen.has_class("too-small")
        assert "terminal too small (need 80×24)" in str(note.render())
        assert not app.query_one("#views").display
        await pilot.press("n")  # keys still work while small
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not app.main_screen.has_class("too-small")
        assert app.query_one("#views").display
        assert app.runner.session.step_count == 31


async def test_fps_is_clamped_and_redraws_only_on_change(make_app) -> None:
    app = make_app(fps=100)
    assert app.fps == 30
    async with app.run_test(size=(80, 24)) as pilot:
        app.pull()
        frames = app.frames
        app.pull()
        app.pull()
        assert app.frames == frames  # nothing changed: no read of the session, no redraw
        await pilot.press("n")
        assert app.frames == frames + 1
