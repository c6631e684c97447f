"""The help screen says where the session is autosaved (and opens with an autosave set:
the stress test found it crashing when the note was added)."""

from __future__ import annotations

from bntui.training.config import Config
from bntui.tui.app import BntuiApp
from bntui.tui.screens.help import HelpScreen


async def test_help_names_the_autosave_file(tmp_path):
    auto = tmp_path / "state" / "last-session.toml"
    app = BntuiApp(Config(samples=200, depth=2, width=8, seed=1), threaded=False, autosave=auto)
    async with app.run_test(size=(100, 40)) as pilot:
        assert str(auto) in (app.app_message or "")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        note = str(app.screen.query_one("#help-autosave").render())
        assert str(auto) in note and "--resume-last" in note
        await pilot.press("escape", "q")
    assert app.return_value == 0
