"""The panels of the main screen."""

from __future__ import annotations

from textual.widget import Widget

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
