"""The timeline on screen: the status line's "⏪ step 300 of 2,000", the one-row timeline.

The engine's ``Travel`` (in ``Frame.travel``) says where the session stands: its step, the
newest step of the timeline, the steps of the changes (the recorded future's included)
and, on a branch, its step. The keys ``[`` ``]`` ``{`` ``}`` send ``goto prev|next|start|
end`` (the engine finds the step); nothing here touches the session.
"""

from __future__ import annotations

from bntui.i18n import _
from bntui.live.frame import Frame


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
