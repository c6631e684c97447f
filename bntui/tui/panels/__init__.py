"""The panels of the main screen."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from bntui.tui.render import asciify

_UNSET = object()


def set_border(widget: Widget, *, title: object = _UNSET, subtitle: object = _UNSET) -> None:
    """Set a widget's border title/subtitle only when the text changes.

    Assigning either one repaints the whole widget even with the same text; done every
    frame, that resends every panel to the terminal.
    """
    if title is not _UNSET and title != widget.border_title:
        widget.border_title = title  # type: ignore[assignment]
    if subtitle is not _UNSET and subtitle != widget.border_subtitle:
        widget.border_subtitle = subtitle  # type: ignore[assignment]


class Keyed:
    """What a panel that redraws only when its data changed (a frame key) holds: that key,
    and whether it draws in 7-bit ASCII (``--ascii``)."""

    ascii: bool = False
    _key: object = None

    def t(self, text: str) -> str:
        """UI text as shown: 7-bit under --ascii."""
        return asciify(text) if self.ascii else text

    def changed(self, key: object) -> bool:
        if key == self._key:
            return False
        self._key = key
        return True


class KeyedStatic(Keyed, Static):
    """A text panel that redraws only when its key, then its content, changed."""

    def __init__(
        self,
        *,
        ascii: bool = False,
        mono: bool = False,
        compact: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__("", id=id)
        self.ascii = ascii
        self.mono = mono or ascii
        self.compact = compact  # a side panel: short title and legend
        self._shown: Text | str | None = None

    def put(self, content: Text | str) -> None:
        """Show ``content`` if it differs from what is shown. The panel's size is set by
        the layout (1fr), never by its content, so no layout pass: a layout pass repaints
        the whole screen, which is most of the bytes sent to a slow terminal."""
        if content == self._shown:
            return
        self._shown = content
        self.update(content, layout=False)
