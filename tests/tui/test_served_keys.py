"""In a browser tab (bntui serve) ctrl+s, ctrl+p and ctrl+q are the browser's: `S` and `P`
stand in for the first two (q quits), and the footer shows them there."""

from __future__ import annotations

import tomllib
from pathlib import Path

from screen_helpers import screen_text
from textual.command import CommandPalette


def footer_line(app) -> str:
    return screen_text(app).rstrip("\n").splitlines()[-1]


async def test_the_footer_shows_S_and_P_in_a_browser_tab(make_app, monkeypatch) -> None:
    monkeypatch.setenv("BNTUI_SERVED", "1")
    app = make_app()
    async with app.run_test(size=(160, 24)) as pilot:
        await pilot.pause()
        line = footer_line(app)
    assert "S save script" in line and "P palette" in line, line


async def test_a_terminal_footer_does_not(make_app, monkeypatch) -> None:
    monkeypatch.delenv("BNTUI_SERVED", raising=False)
    app = make_app()
    async with app.run_test(size=(160, 24)) as pilot:
        await pilot.pause()
        line = footer_line(app)
    assert "save script" not in line and "palette" not in line, line


async def test_S_saves_the_script_and_P_opens_the_palette(tmp_path: Path, make_app) -> None:
    out = tmp_path / "session.toml"
    app = make_app(record=str(out))
    async with app.run_test(size=(80, 24)) as pilot:
        app.runner.step(3)
        await pilot.press("b")
        app.runner.step(2)
        await pilot.press("S")
        assert tomllib.loads(out.read_text())["event"] == [{"at": 3, "do": ["bn toggle"]}]
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
