"""The ``:`` command line and the command palette: typed commands into the vocabulary."""

from __future__ import annotations

import contextlib
from functools import partial

from textual import events, work
from textual.await_complete import AwaitComplete
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Input

from bntui.tui.keys import palette_entries


class BntuiCommands(Provider):
    """Command palette entries: every key's action, by name (from the key table)."""

    async def discover(self) -> Hits:
        for title, action in palette_entries():
            yield DiscoveryHit(title, partial(self._run, action))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action in palette_entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action))

    async def _run(self, action: str) -> None:
        await self.app.run_action(action)


class SafeCommandPalette(CommandPalette):
    """Textual's palette, guarded against a crash seen in textual 8.2.8.

    ``OptionList._move_page`` indexes the list's lines, which are empty when the list is
    laid out with no room (a terminal resized very small, or a resize while the list is
    being rebuilt): page up / page down then raise KeyError or IndexError and the app
    dies. Here a page move with no lines does nothing. And a search that finishes after
    the palette was dismissed (Esc right after typing) sets ``_list_visible``, whose
    watcher queries children that are gone (NoMatches): ignored here. A second Enter
    queued behind the one that ran a command dismisses the palette twice (ScreenStackError:
    "Can't pop screen"): dismissing a palette that is not on top does nothing.
    """

    async def _dispatch_message(self, message: Message) -> None:
        """A key, timer or submit that was queued before the palette was dismissed finds
        its children gone (``NoMatches: 'CommandList'``, seen in the threaded random-key
        stress run under load): nothing is left for it to do. While the palette's list is
        still there a NoMatches is a real error and is raised."""
        try:
            await super()._dispatch_message(message)
        except NoMatches:
            if self.query(CommandList):
                raise

    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        """Textual's search worker (started on mount and on every keystroke), guarded like
        the messages above: ctrl+p then Esc at once under load dismissed the palette before
        the worker looked up its CommandList, and the worker's error ended the app."""
        gather = CommandPalette._gather_commands.__wrapped__  # type: ignore[attr-defined]
        try:
            await gather(self, search_value)
        except NoMatches:
            if self.query(CommandList):
                raise

    async def _watch__show_busy(self) -> None:  # the busy timer may fire after dismissal
        with contextlib.suppress(NoMatches):
            await super()._watch__show_busy()

    def dismiss(self, result: object = None) -> AwaitComplete:  # type: ignore[override]
        if self.app.screen is not self or len(self.app.screen_stack) < 2:
            return AwaitComplete()  # already dismissed
        return super().dismiss(result)  # type: ignore[arg-type]

    def _watch__list_visible(self) -> None:
        with contextlib.suppress(NoMatches):
            super()._watch__list_visible()

    def _refresh_command_list(self, command_list, commands, clear_current: bool) -> None:  # type: ignore[no-untyped-def]
        if not self.is_attached or not command_list.is_attached:
            return  # dismissed while the search ran
        with contextlib.suppress(NoMatches):
            super()._refresh_command_list(command_list, commands, clear_current)

    def _action_command_list(self, action: str) -> None:
        if action in ("page_up", "page_down"):
            command_list = self.query_one(CommandList)
            if not command_list._lines:
                return  # nothing laid out: nothing to page through
            with contextlib.suppress(IndexError, KeyError):  # out of step mid-rebuild
                super()._action_command_list(action)
            return
        super()._action_command_list(action)


class CommandLine(Input):
    """A one-line prompt, focusable only while open: a closed line must never eat keys."""

    def __init__(self, placeholder: str, *, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, select_on_focus=False)

    def on_mount(self) -> None:
        self.cursor_blink = False
        self.can_focus = False

    @property
    def is_open(self) -> bool:
        return self.has_class("open")

    def open(self) -> None:
        self.value = ""
        self.add_class("open")
        self.can_focus = True
        self.focus()

    def close(self) -> None:
        self.value = ""
        self.remove_class("open")
        self.can_focus = False
        self.blur()  # on its own screen: a modal on top would later restore focus to it

    async def type_key(self, event: events.Key) -> None:
        """Type a key that reached the app before the line had focus (fast typing, pasted
        text, SSH): it belongs to the line, not to the app's bindings."""
        if event.key == "enter":
            await self.action_submit()
        elif event.key == "backspace":
            self.action_delete_left()
        elif event.is_printable and event.character:
            self.insert_text_at_cursor(event.character)
