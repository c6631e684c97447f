"""The training pace keys: < halves it, > doubles it, up to "max" (as fast as it goes)."""

from __future__ import annotations

import math

from bntui.i18n import _

MAX_PACE = 100_000  # steps/s: > beyond it means "as fast as it goes"


def next_pace(
    pace: float | None, measured: float | None, factor: float
) -> tuple[float | None, str | None]:
    """(the new pace, None) or (unchanged, a note why not). ``pace`` None is "max"; from
    max, < starts at the power of two below half the measured rate."""
    if pace is None:
        if factor >= 1:
            return None, _("already at full speed (pace max); < slows down")
        rate = measured or MAX_PACE
        return max(1.0, float(2 ** math.floor(math.log2(max(rate, 2) / 2)))), None
    new = pace * factor
    if new < 1:
        return pace, _("slowest pace is 1 step/s (space pauses)")
    return (None if new > MAX_PACE else new), None
