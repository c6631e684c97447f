"""Stress of the real threaded app (issue 12, "Also"): the worker trains while random keys
(palette with paging, help, the ``:`` prompt, keys nothing binds) and resizes between
20×8 and 200×60 arrive; fixed seeds. Pilot in-process, and the same in tmux (a real pty)
for two seeds; ``bench/stress.py`` runs ten.

Pilot's ``press`` waits for the whole process to go idle, which a training worker never
lets happen, so keys go through the driver as they would from a terminal, a few ms apart.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from textual import events
from textual.geometry import Size

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import stress
from tmuxdrive import have_tmux

from bntui.training.config import Config
from bntui.tui.app import BntuiApp
from bntui.tui.panels.charts import Chart, render_failures

SMALL = Config(samples=300, depth=3, width=16, seed=0)
CHARS = {"plus": "+", "minus": "-", "colon": ":", "question_mark": "?", "space": " "}


def key_event(name: str) -> events.Key:
    char = CHARS.get(name, name if len(name) == 1 else None)
    if name == "enter":
        char = "\r"
    return events.Key(name, char)


async def send(app: BntuiApp, name: str) -> None:
    app._driver.send_message(key_event(name))
    await asyncio.sleep(0.004)


async def resize(app: BntuiApp, w: int, h: int) -> None:
    size = Size(w, h)
    app._driver._size = size
    app.post_message(events.Resize(size, size))
    await asyncio.sleep(0.02)


async def settle(app: BntuiApp, seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


@pytest.mark.parametrize("seed", [0, 1])
async def test_threaded_app_survives_random_keys_and_resizes(seed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # s and ctrl+s write here
    rng = random.Random(seed)
    app = BntuiApp(SMALL, fps=4)  # threaded: the worker trains all along
    plan = stress.actions(rng, 500)
    async with app.run_test(size=(80, 24)):
        await settle(app)
        assert app.runner.alive
        n = 0
        for kind, value in plan:
            if kind == "resize":
                await resize(app, *value)
                n += 1
            else:
                for name in value:
                    await send(app, name)
                    n += 1
            assert app.is_running and app.runner.error is None, (n, kind, value)
        await resize(app, 80, 24)
        for _ in range(4):
            await send(app, "escape")
            await settle(app, 0.1)
        await settle(app)
        assert len(app.screen_stack) == 1 and not app._command_line_open()
        assert app.runner.alive and app.runner.session.step_count > 0
        assert render_failures(app) == 0, [c.last_trace for c in app.query(Chart)]
        assert app.painter.frames > 50  # frames were drawn all along
        start = time.perf_counter()
        await send(app, "q")
        while app.return_value is None and time.perf_counter() - start < 3:
            await asyncio.sleep(0.01)
        quit_seconds = time.perf_counter() - start
    assert n >= 500
    assert app.return_value == 0 and quit_seconds < 5.0, quit_seconds  # a hang bound
    assert not app.runner.alive


def test_every_random_key_reaches_tmux_as_one_key():
    """A Textual key name tmux does not know is typed letter by letter: time travel's
    "left_square_bracket" typed a "q" and quit the app mid-run (seed 1, ~313-377 actions,
    now and then). Every key of the stream maps to one tmux key."""
    for key in stress.app_keys():
        name = stress.tmux_name(key)
        assert len(name) == 1 or name[0].isupper() or name.startswith("C-"), (key, name)


def test_key_names_match_unicode_for_single_characters():
    """The sender writes characters the way a terminal would (a sanity check of the test)."""
    assert key_event("b").character == "b" and key_event("plus").character == "+"
    assert unicodedata.name(key_event("question_mark").character) == "QUESTION MARK"


@pytest.mark.skipif(not have_tmux(), reason="needs tmux")
@pytest.mark.parametrize("seed", [0, 1])
def test_tmux_random_keys_and_resizes(seed):
    result = stress.run(seed, 500)
    assert result.actions >= 500 and result.resizes > 0
    assert not result.crashed and not result.traceback, result.notes
    assert not result.chart_failed
    assert result.exit_status == 0 and result.quit_seconds is not None
    # q quits rather than hangs; how fast is bench/stress.py's figure (a timed bound here
    # failed at 1.19 s with the machine 4x oversubscribed)
    assert result.quit_seconds < 5.0, result.quit_seconds
