"""Issue 12 item 10: page up / page down in the command palette after the terminal was
resized so small that the option list has no lines crashed the app (textual 8.2.8:
``OptionList._move_page`` indexes the empty line list). bntui's palette guards it."""

from __future__ import annotations

import pytest
from textual.command import CommandList, CommandPalette

from bntui.training.config import Config
from bntui.tui.app import BntuiApp
from bntui.tui.commandline import SafeCommandPalette

SMALL = Config(samples=200, depth=2, width=8, seed=1)


async def open_palette_and_shrink(app, pilot) -> CommandList:
    await pilot.press("ctrl+p", "b")
    await pilot.pause(0.3)
    await pilot.press("down")  # an option highlighted
    command_list = app.screen.query_one(CommandList)
    assert command_list.option_count > 0 and command_list.highlighted is not None
    await pilot.resize_terminal(20, 3)  # the list gets no room: no lines
    assert not command_list._lines
    return command_list


@pytest.mark.parametrize("key", ["pageup", "pagedown"])
async def test_page_keys_in_a_squeezed_palette_do_not_crash(key):
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_palette_and_shrink(app, pilot)
        assert isinstance(app.screen, SafeCommandPalette)
        await pilot.press(key, key)
        await pilot.resize_terminal(80, 24)
        await pilot.press("escape")
        assert not isinstance(app.screen, CommandPalette)
        await pilot.press("q")
    assert app.return_code == 0


async def test_the_stock_palette_crashes_there(monkeypatch):
    """The reproduction: Textual's own palette dies on the same keys (if this starts to
    pass, Textual fixed it and the guard can go)."""
    app = BntuiApp(SMALL, threaded=False)
    monkeypatch.setattr(app, "action_command_palette", lambda: app.push_screen(CommandPalette()))
    with pytest.raises((KeyError, IndexError)):
        async with app.run_test(size=(80, 24)) as pilot:
            await open_palette_and_shrink(app, pilot)
            await pilot.press("pageup")
            await pilot.pause()
