"""Every key binding and the `:` command line, each checked against the session state."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
from textual import events
from textual.widgets import ContentSwitcher, Input

from bntui.training.config import Config
from bntui.tui.app import BntuiApp
from bntui.tui.screens.help import HelpScreen

SMALL = Config(samples=300, depth=3, width=16, seed=0)  # as conftest's

# key -> (config field, its value in SMALL, then after each press), written out by hand
# from the documented orders (README, DESIGN): never computed with bntui's own tables
CONFIG_KEYS = {
    "b": ("bn", [True, False, True]),
    "N": ("normalization", ["bn", "ln", "gn", "brn", "noisy-bn", "none", "bn"]),
    "B": ("bn_position", ["before", "after", "before"]),
    "a": ("activation", ["relu", "leaky_relu", "elu", "gelu", "identity", "sigmoid", "tanh"]),
    "A": ("activation", ["relu", "tanh", "sigmoid", "identity", "gelu"]),
    "plus": ("depth", [3, 4, 5, 6]),
    "minus": ("depth", [3, 2, 1]),
    "w": ("width", [16, 8, 4, 2]),
    "W": ("width", [16, 32, 64]),
    "l": ("lr", [0.1, 0.05, 0.025, 0.0125]),
    "L": ("lr", [0.1, 0.2, 0.4]),
    "i": ("init", ["he", "xavier", "std:1", "std:0.01", "he"]),
    "o": ("optimizer", ["sgd", "momentum", "adam", "sgd"]),
    "p": ("dropout", [0.0, 0.1, 0.3, 0.5, 0.0]),
    "d": ("dataset", ["spiral", "moons", "circles", "xor", "blobs"]),
}


def config_of(app: BntuiApp):
    return app.runner.session.config


@pytest.mark.parametrize("key", list(CONFIG_KEYS))
async def test_config_keys(key: str, make_app) -> None:
    name, expected = CONFIG_KEYS[key]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(3)
        seen = [getattr(config_of(app), name)]
        for _ in expected[1:]:
            await pilot.press(key)
            await pilot.pause()
            seen.append(getattr(config_of(app), name))
        assert seen == pytest.approx(expected) if name == "lr" else seen == expected
        # an event per press for the chart and the log, and the net still trains afterwards
        events = [e for e in app.runner.session.events if e.step == 3]
        assert len(events) >= len(expected) - 1
        await pilot.press("n")
        assert app.runner.session.step_count == 4


async def test_reset_key_draws_fresh_weights(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(20)
        w0 = app.runner.session.model.blocks[0].linear.W.data.copy()
        await pilot.press("r")
        w1 = app.runner.session.model.blocks[0].linear.W.data.copy()
        assert not np.allclose(w0, w1)
        assert app.runner.session.events[-1].kind == "reset"


async def test_pause_step_select_logy_and_views(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.runner.paused  # synchronous apps start paused
        await pilot.press("space")
        assert not app.runner.paused
        await pilot.press("space")
        assert app.runner.paused
        await pilot.press("n", "n", "n")
        assert app.runner.session.step_count == 3
        assert app.selected == 3  # the last hidden layer, as in the BN paper's Figure 1
        await pilot.press("up", "up", "up")  # clamped at 1
        assert app.selected == 1
        await pilot.press("down")
        assert app.selected == 2
        await pilot.press("plus")  # a picked layer stays picked when depth changes
        assert app.selected == 2
        await pilot.press("y")
        assert app.log_y is True
        await pilot.press("y")
        assert app.log_y is False
        switcher = app.query_one("#views", ContentSwitcher)
        for key, view in (
            ("2", "decision"),
            ("3", "hist"),
            ("4", "log"),
            ("5", "internals"),
            ("1", "main"),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert app.view == view and switcher.current == view


async def test_screenshot_key_writes_svg(tmp_path: Path, monkeypatch, make_app) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(7)
        await pilot.press("s")
        target = tmp_path / "bntui-7.svg"
        assert target.exists() and target.read_text().lstrip().startswith("<svg")
        assert str(target) in (app.app_message or "")


async def test_record_key_writes_replay_script(tmp_path: Path, make_app) -> None:
    out = tmp_path / "session.toml"
    app = make_app(record=str(out))
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(5)
        await pilot.press("b")
        app.runner.step(5)
        await pilot.press("ctrl+s")
        script = tomllib.loads(out.read_text())
        assert script["event"] == [{"at": 5, "do": ["bn toggle"]}]
        assert script["config"]["depth"] == SMALL.depth


async def test_command_line_runs_reports_and_closes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        cmd = app.query_one("#cmd", Input)
        assert not cmd.display
        await pilot.press("colon")
        assert cmd.display and cmd.has_focus
        await pilot.press(*"lr 0.05", "enter")
        assert config_of(app).lr == pytest.approx(0.05)
        assert not cmd.display
        # a bad command: one-line error, the line stays open to fix it
        await pilot.press("colon", *"depth banana", "enter")
        assert cmd.display
        assert "depth" in app.query_one("#message").text and "\n" not in app.app_message
        assert config_of(app).depth == SMALL.depth
        # Enter on an empty line closes it (Escape may arrive late over SSH)
        cmd.value = ""
        await pilot.press("enter")
        assert not cmd.display
        # Escape closes it too, and keys go back to the app afterwards
        await pilot.press("colon", "b", "escape")
        assert not cmd.display and config_of(app).bn is SMALL.bn
        await pilot.press("b")
        assert config_of(app).bn is (not SMALL.bn)


async def test_help_screen_opens_and_closes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.press("enter")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_runs_an_action(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Toggle BN")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert config_of(app).bn is (not SMALL.bn)


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
async def test_quit_within_a_second_while_training(key: str) -> None:
    app = BntuiApp(SMALL, threaded=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        assert app.runner.alive
        await pilot.press(key)  # returns once the key is handled: the worker has stopped
        assert not app.runner.alive
    assert app.return_value == 0


async def test_command_line_text_is_never_taken_as_keys(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        # "q" and "b" inside a command are text: no quit, no BN toggle
        await pilot.press("colon", *"caption q and b", "enter")
        assert app.is_running and config_of(app).bn is SMALL.bn
        assert app.runner.session.events[-1].text == "q and b"
        # keys arriving before the Input has focus (fast typing over SSH) still go to it
        app.action_command_line()
        app.set_focus(None)
        for ch in "lr 0.2":
            app.post_message(events.Key("space" if ch == " " else ch, ch))
        app.post_message(events.Key("enter", None))
        await pilot.pause()
        assert config_of(app).lr == pytest.approx(0.2) and config_of(app).bn is SMALL.bn
