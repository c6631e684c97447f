"""Issue 12 item 10: page up / page down in the command palette after the terminal was
resized so small that the option list has no lines crashed the app (textual 8.2.8:
``OptionList._move_page`` indexes the empty line list). bntui's palette guards it."""

from __future__ import annotations

import pytest
from textual.command import CommandList, CommandPalette
from textual.css.query import NoMatches

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


async def test_messages_queued_behind_a_dismissal_are_dropped():
    """The threaded random-key stress run (under load) died with ``NoMatches: 'CommandList'``:
    a key, a submit and the no-matches timer queued for the palette ran after Esc had
    dismissed it and its children were gone. Those messages now find nothing to do."""
    from textual import events
    from textual.widgets import Input

    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p", "z", "z")  # a search with no matches starts its timer
        palette = app.screen
        assert isinstance(palette, SafeCommandPalette)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not palette and not palette.query(CommandList)
        with pytest.raises(NoMatches):
            palette.query_one(CommandList)  # what the stock handlers would do now
        await palette._dispatch_message(events.Key("down", None))
        await palette._dispatch_message(events.Key("pagedown", None))
        await palette._dispatch_message(Input.Submitted(Input(), "x"))
        await palette._watch__show_busy()  # the busy timer firing late
        await pilot.pause(0.7)  # past the no-matches countdown
        await pilot.press("q")
    assert app.return_code == 0


async def test_a_search_worker_that_outlives_the_palette_is_quiet():
    """The stress run's crash (seed 1, ~313 actions under load): the search worker Textual
    starts on mount ran after Esc had removed the palette's CommandList; its NoMatches ended
    the app. The worker now finds nothing to do."""
    app = BntuiApp(SMALL, threaded=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        palette = app.screen
        assert isinstance(palette, SafeCommandPalette)
        await pilot.press("escape")
        await pilot.pause()
        assert not palette.query(CommandList)
        worker = palette._gather_commands("b")
        await worker.wait()
        await pilot.pause()
        assert app.is_running
        await pilot.press("q")
    assert app.return_code == 0
