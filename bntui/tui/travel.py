"""The timeline on screen: the status line's "⏪ step 300 of 2,000", the one-row timeline.

The engine's ``Travel`` (in ``Frame.travel``) says where the session stands: its step, the
newest step of the timeline, the steps of the changes (the recorded future's included)
and, on a branch, its step. The keys ``[`` ``]`` ``{`` ``}`` send ``goto prev|next|start|
end`` (the engine finds the step); nothing here touches the session.

At a past step every history the panels draw is the whole recorded run (``build_frame``'s
``past``); the cursor helpers here find where the session stands on one: the plotext
charts draw a line there, the text histories (sparklines, areas, small band charts) show
that cell in reverse video, and a panel's numbers are the cursor's.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from bntui.i18n import _
from bntui.live.frame import Frame
from bntui.training.metrics import SeriesView

CURSOR_STYLE = "reverse"


def in_past(frame: Frame) -> bool:
    return frame.travel is not None and frame.travel.in_past


def cursor_index(frame: Frame, view: SeriesView | None) -> int | None:
    """At a past step: the point of ``view`` where the session stands (the first bucket
    ending at or after its step; None: not at a past step, or the run is not that long)."""
    if not in_past(frame) or view is None or not len(view):
        return None
    i = int(np.searchsorted(view.step, frame.step, side="left"))
    return i if i < len(view) else None


def points_to_cursor(frame: Frame, view: SeriesView | None) -> int | None:
    """How many of ``view``'s points lie up to the cursor (None: all, not in the past)."""
    i = cursor_index(frame, view)
    return None if i is None else i + 1


def cursor_column(
    frame: Frame, view: SeriesView | None, shown: int, per_cell: int = 1
) -> int | None:
    """The cell of the cursor in a history drawn from the last ``shown`` points of ``view``,
    ``per_cell`` points a cell (None: no cursor, or not among them)."""
    i = cursor_index(frame, view)
    if i is None or view is None:
        return None
    start = max(0, len(view) - shown)
    return None if i < start else (i - start) // per_cell


def mark_cursor(text: Text, start: int, column: int | None) -> Text:
    """``text`` with the cell ``start + column`` in reverse video (no cursor: unchanged)."""
    if column is not None:
        text.stylize(CURSOR_STYLE, start + column, start + column + 1)
    return text


def status(frame: Frame) -> str | None:
    """The travel part of the status line (None at the newest step, not on a branch)."""
    t = frame.travel
    if t is None or not t.in_past:
        return None
    return _("⏪ step {step:,} of {newest:,} · the future is kept").format(
        step=frame.step, newest=t.newest
    )


def timeline_row(frame: Frame, width: int, *, ascii: bool = False) -> str | None:
    """``0 ━━━━━━●──◆────◆──── 2,000``: the run so far (thick), the recorded future (thin),
    the changes (◆), where the session stands (●) and, on a branch, its step (┃)."""
    t = frame.travel
    if t is None or width < 20:
        return None
    left, right = "0 ", f" {t.newest:,}"
    cells = max(width - len(left) - len(right), 4)
    span = max(t.newest, 1)

    def col(step: int) -> int:
        return min(cells - 1, max(0, round(step / span * (cells - 1))))

    here = col(frame.step)
    done, todo, mark, cursor, fork = ("=", "-", "*", "@", "|") if ascii else "━─◆●┃"
    row = [done if i <= here else todo for i in range(cells)]
    for m in t.marks:
        row[col(m)] = mark
    if t.branch_at is not None:
        row[col(t.branch_at)] = fork
    row[here] = cursor
    return left + "".join(row) + right
