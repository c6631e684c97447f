"""What goes on a chart's axes and markers, as text: event labels cut to terminal cells
(wide characters padded for plotext, which gives every character one cell) and evenly
spaced round tick values with labels of one precision."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

from rich.cells import cell_len

from bntui.training.events import Event, EventKind
from bntui.tui.render import fmt_num

LABEL_CELLS = 16  # a marker label's width in terminal cells
# plotext gives every character one cell; a wide one (Korean, emoji) takes two on screen.
# In a label each wide character is followed by WIDE_PAD, which takes plotext's second
# cell and is removed from the drawn chart, so the rest of the row stays in place.
WIDE_PAD = "\ue000"


def event_label(event: Event) -> str:
    """A short chart label with the new value: 'BN off', 'depth 5', 'lr 0.2',
    'init std:0.01', 'BN after', 'NaN'."""
    if event.kind == EventKind.DIVERGED:
        return "NaN"
    if event.kind == EventKind.EARLY_STOP:
        return "stop"
    text = event.text
    if event.kind == EventKind.BN_POSITION:
        text = " ".join(text.split(" ", 2)[:2])  # "BN after the activation…" -> "BN after"
    elif "→" in text:
        head = {"activation": "act", "optimizer": "opt", "weight": "wd"}.get(
            text.split(" ", 1)[0], text.split(" ", 1)[0]
        )
        text = f"{head} {text.rsplit('→', 1)[1].strip()}"
        text = text.split(": ", 1)[0]  # "init std:0.01: fresh weights" -> "init std:0.01"
    return cut_cells(text, LABEL_CELLS)


def cut_cells(text: str, cells: int) -> str:
    """``text`` without zero-width and combining characters, cut to ``cells`` terminal
    cells (a wide character is never cut in half)."""
    out, used = [], 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf", "Cc", "Cs", "Co") or ch == WIDE_PAD:
            continue  # zero width (ZWJ, variation selectors, accents) or not text
        w = cell_len(ch)
        if w <= 0:
            continue
        if used + w > cells:
            break
        out.append(ch)
        used += w
    return "".join(out)


def padded(label: str) -> str:
    """``label`` with a WIDE_PAD after each wide character (see WIDE_PAD)."""
    return "".join(ch + WIDE_PAD if cell_len(ch) == 2 else ch for ch in label)


def nice_ticks(lo: float, hi: float, n: int) -> list[float]:
    """At most ``n`` evenly spaced round values (steps of 1, 2, 2.5 or 5 × 10^k) in [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    n = max(n, 2)
    raw = (hi - lo) / (n - 1)
    k = math.floor(math.log10(raw))
    step = next(m * 10.0**k for m in (1, 2, 2.5, 5, 10) if m * 10.0**k >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks = [i * step for i in range(first, math.floor(hi / step + 1e-9) + 1)]
    return [0.0 if abs(t) < step * 1e-9 else t for t in ticks]


def tick_labels(ticks: Sequence[float]) -> list[str]:
    """Labels with the same number of decimals (enough to tell the ticks apart)."""
    if len(ticks) < 2:
        return [fmt_num(t) for t in ticks]
    step = abs(ticks[1] - ticks[0])
    if step >= 1e4 or step < 1e-3:
        return [f"{t:.2g}" for t in ticks]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if f"{step:.{decimals}f}" != f"{step:.{decimals + 1}f}".rstrip("0").rstrip("."):
        decimals += 1  # 2.5 × 10^k needs one digit more
    return [f"{t:.{decimals}f}" for t in ticks]
