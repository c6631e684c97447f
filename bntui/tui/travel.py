"""The timeline on screen: where ``[`` ``]`` ``{`` ``}`` go, and the one-row timeline.

The engine's ``Travel`` (in ``Frame.travel``) says where the session stands: its step, the
newest step of the timeline, the steps of the changes (the recorded future's included)
and, on a branch, its step. Keys turn into ``goto STEP`` commands; nothing here touches
the session.
"""

from __future__ import annotations

from bntui.frame import Frame
from bntui.i18n import _


def target(frame: Frame, where: str) -> int:
    """The step a travel key goes to: ``prev``/``next`` the previous/next change (or a
    tenth of the timeline when there is none), ``start`` step 0, ``end`` the newest."""
    t = frame.travel
    step = frame.step
    newest = t.newest if t is not None else step
    marks = t.marks if t is not None else tuple(e.step for e in frame.events if e.command)
    tenth = max(1, newest // 10)
    if where == "start":
        return 0
    if where == "end":
        return newest
    if where == "prev":
        earlier = [m for m in marks if m < step]
        return earlier[-1] if earlier else max(0, step - tenth)
    later = [m for m in marks if step < m <= newest]
    return later[0] if later else min(newest, step + tenth)


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
