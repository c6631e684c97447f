"""Pure text renderers for the panels: sparklines, bars, histograms, the decision map.

Everything here is a plain function of numbers (no widgets, no app), so the panels stay
thin and these are easy to test. ``ascii=True`` variants use only 7-bit characters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text

SPARK = "▁▂▃▄▅▆▇█"
SPARK_ASCII = "_.-:=+*#"
# signed sparkline: the middle glyph is zero (reads without colour), lower bars negative
SIGNED_SPARK = "▁▂▃─▅▆▇"
SIGNED_SPARK_ASCII = "_.-'^"
EIGHTHS = " ▏▎▍▌▋▊▉█"
VBLOCKS = " ▁▂▃▄▅▆▇█"
VBLOCKS_ASCII = " .:-=+*#@"

# class colours for the decision map and point glyphs (colour never alone: glyphs too)
CLASS_RGB = [
    (86, 156, 214),
    (230, 126, 34),
    (106, 190, 48),
    (200, 80, 192),
    (220, 200, 60),
    (60, 200, 200),
    (230, 80, 80),
    (150, 150, 150),
    (170, 120, 80),
    (120, 120, 230),
]
CLASS_GLYPHS = "ox+*#%@&$="
REGION_GLYPHS = ".:-~^'`,;!"

# --ascii: every non-ASCII character the UI prints, mapped to a 7-bit equivalent (one table)
ASCII_TEXT: dict[str, str] = {
    "μ": "mu",
    "σ": "sd",
    "γ": "gamma",
    "β": "beta",
    "∇": "d",
    "·": "-",
    "÷": "/",
    "×": "x",
    "┆": "|",
    "−": "-",
    "–": "-",
    "—": "-",
    "→": "->",
    "…": "...",
    "▸": ">",
    "▶": ">",
    "‖": "||",
    "✖": "X",
    "■": "#",
    "●": "o",
    "•": "*",
    "»": ">",
    "◆": "*",
    "↑": "^",
    "↓": "v",
    "←": "<-",
    "⣿": ".",
    "░": ":",
    "━": "=",
    "≈": "~",
    "≤": "<=",
    "′": "'",
    "Δ": "d",
    "█": "#",
    "▁": "_",
    "▂": ".",
    "▃": "-",
    "▅": "=",
    "⣀": ".",
    "│": "|",
    "⇄": "<>",
    "±": "+-",
    "─": "-",
    "▆": "^",
}
_ASCII_TRANS = str.maketrans(ASCII_TEXT)


def asciify(text: str) -> str:
    """The 7-bit form of a UI string through the table (a user's Korean caption stays as is)."""
    return text.translate(_ASCII_TRANS)


def _nearest(x: float) -> int:
    """Round half up to an int (Python's round() would give a NumPy float for NumPy input)."""
    return math.floor(float(x) + 0.5)


def fmt_num(x: float | None, width: int = 0) -> str:
    """Compact number: 0.97, -1.4, 3.1e-02; '—' for missing (no value yet), 'NaN'/'inf'
    kept (a value that is not finite)."""
    if x is None:
        return "—".rjust(width)
    if math.isnan(x):
        text = "NaN"
    elif math.isinf(x):
        text = "inf" if x > 0 else "-inf"
    elif x != 0 and (abs(x) < 1e-2 or abs(x) >= 1e4):
        text = f"{x:.1e}"
    else:
        text = f"{x:.3g}"
    return text.rjust(width)


def fmt_signed(x: float | None, width: int = 0) -> str:
    """Like fmt_num but always with a sign (+0.02 / −0.01) for means."""
    if x is None or not math.isfinite(x):
        return fmt_num(x, width)
    body = fmt_num(abs(x))
    return (("−" if x < 0 else "+") + body).rjust(width)


def fixed(x: float | None, width: int, *, signed: bool = False) -> str:
    """A number in exactly ``width`` characters (fewer decimals, then e-notation, to fit)."""
    if x is None or not math.isfinite(x):
        return fmt_num(x).rjust(width)[:width]
    sign = "+" if signed else ""
    if x == 0 or abs(x) >= 0.005:  # plain decimals unless it would print as 0.00
        for decimals in (2, 1, 0):
            text = f"{x:{sign}.{decimals}f}"
            if len(text) <= width:
                return text.rjust(width)
    for decimals in (1, 0):
        text = f"{x:{sign}.{decimals}e}".replace("e+0", "e").replace("e-0", "e-")
        if len(text) <= width:
            return text.rjust(width)
    if abs(x) < 1:  # too small to print in the width: it is zero at this precision
        return ((sign and ("+" if x > 0 else "-")) + "0").rjust(width)
    return ("+" if x > 0 else "-").ljust(width, "9")[:width]


def fmt_rate(rate: float | None) -> str:
    """Steps per second as '2.1k/s', or '–' when unknown."""
    if rate is None or not math.isfinite(rate) or rate <= 0:
        return "–"
    if rate >= 1000:
        return f"{rate / 1000:.1f}k/s"
    return f"{rate:.0f}/s"


def fmt_pace(pace: float | None) -> str:
    """The pace asked for: '50/s', '1.6k/s', or 'max' (as fast as the machine goes)."""
    if pace is None:
        return "max"
    if pace >= 1000:
        return f"{pace / 1000:.3g}k/s"
    return f"{pace:.3g}/s"


def sparkline(values: Sequence[float] | np.ndarray, lo: float, hi: float, *, ascii: bool) -> str:
    """One character per value, scaled linearly from lo (lowest bar) to hi (highest bar)."""
    ramp = SPARK_ASCII if ascii else SPARK
    out = []
    span = hi - lo
    for v in values:
        if not math.isfinite(v):
            out.append("!" if ascii else "×")
            continue
        frac = 0.0 if span <= 0 else (v - lo) / span  # position in [lo, hi]
        k = _nearest(min(max(frac, 0.0), 1.0) * (len(ramp) - 1))
        out.append(ramp[k])
    return "".join(out)


def signed_sparkline(values: Sequence[float] | np.ndarray, top: float, *, ascii: bool) -> str:
    """One character per value on a -top..+top scale with zero in the middle: "─" (ASCII
    "-") is zero, lower bars are negative, higher bars positive; beyond ±top is clipped."""
    ramp = SIGNED_SPARK_ASCII if ascii else SIGNED_SPARK
    half = len(ramp) // 2
    out = []
    for v in values:
        if not math.isfinite(v):
            out.append("!" if ascii else "×")
            continue
        frac = 0.0 if top <= 0 else min(max(v / top, -1.0), 1.0)
        level = _nearest(abs(frac) * half)  # half away from zero: ±v draw as mirror images
        out.append(ramp[half + (level if frac >= 0 else -level)])
    return "".join(out)


def hbar(frac: float, width: int, *, ascii: bool) -> str:
    """A left-aligned horizontal bar filling ``frac`` of ``width`` cells (eighth-cell steps)."""
    if width <= 0:
        return ""
    frac = min(max(frac if math.isfinite(frac) else 0.0, 0.0), 1.0)
    if ascii:
        n = _nearest(frac * width)
        return ("#" * n).ljust(width)
    eighths = _nearest(frac * width * 8)  # total eighths of a cell
    full, part = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[part] if part and full < width else "")
    return text.ljust(width)


def guide_strip(
    value: float, width: int, lo: float, hi: float, guide: float, *, ascii: bool
) -> str:
    """A small axis lo..hi with the guide as '┆' and the value as '●' (clipped to the ends)."""
    if width < 3:
        return ""
    cells = ["-" if ascii else "·"] * width

    def col(v: float) -> int:
        return _nearest((min(max(v, lo), hi) - lo) / (hi - lo) * (width - 1))

    cells[col(guide)] = "|" if ascii else "┆"
    if math.isfinite(value):
        cells[col(value)] = "o" if ascii else "●"
    return "".join(cells)


def histogram_rows(counts: np.ndarray, height: int, *, ascii: bool) -> list[str]:
    """Vertical bars, one column per bin, ``height`` rows, top row first (eighth steps)."""
    top = float(counts.max()) if counts.size else 0.0
    fracs = (counts / top) if top > 0 else np.zeros(counts.shape)
    return _column_rows([float(f) for f in fracs], height, ascii=ascii)


def _column_rows(fracs: Sequence[float], height: int, *, ascii: bool) -> list[str]:
    """Columns filled to ``frac`` of ``height`` rows (eighth steps); NaN → '!' / '×' at the foot."""
    ramp = VBLOCKS_ASCII if ascii else VBLOCKS
    levels = len(ramp) - 1
    bad = "!" if ascii else "×"
    rows = []
    for r in range(height - 1, -1, -1):  # r = rows below this one
        line = []
        for f in fracs:
            if not math.isfinite(f):
                line.append(bad if r == 0 else " ")
                continue
            k = _nearest(min(max(f, 0.0), 1.0) * height * levels) - r * levels  # eighths left
            line.append(ramp[min(max(k, 0), levels)])
        rows.append("".join(line))
    return rows


def area_rows(
    values: Sequence[float], lo: float, hi: float, height: int, *, ascii: bool
) -> list[str]:
    """A tall sparkline: each value a column filled from ``lo`` up to it, top row first."""
    span = hi - lo
    # fraction of the height: linear between lo (empty) and hi (full)
    fracs = [(v - lo) / span if span > 0 else 0.0 for v in values]
    return _column_rows(fracs, height, ascii=ascii)


# braille dot bits by (column, row) inside a 2×4 cell
_BRAILLE_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def braille_lines(
    series: Sequence[Sequence[float]], lo: float, hi: float, width: int, height: int
) -> tuple[list[str], list[list[int]]]:
    """Line charts of several series in braille (2×4 dots per cell), top row first.

    Each series gives two points per cell column (x pixel = index); y pixels run from
    ``lo`` (bottom) to ``hi`` (top); consecutive points are joined by a vertical run so a
    line stays connected. Returns the rows and, per cell, the index of the last series
    that drew in it (-1: empty), so callers can colour cells by series.
    """
    px_w, px_h = 2 * width, 4 * height
    bits = [[0] * width for _ in range(height)]
    owner = [[-1] * width for _ in range(height)]
    span = (hi - lo) or 1.0

    def ypx(v: float) -> int:
        # value → pixel row counted from the top, clipped into the chart
        return min(max(px_h - 1 - math.floor((v - lo) / span * px_h), 0), px_h - 1)

    for k, values in enumerate(series):
        prev: int | None = None
        for x, v in enumerate(values[:px_w]):
            if not math.isfinite(v):
                prev = None
                continue
            y = ypx(v)
            lo_y, hi_y = (y, y) if prev is None else (min(prev, y), max(prev, y))
            for yy in range(lo_y, hi_y + 1):
                r, c = yy // 4, x // 2
                bits[r][c] |= _BRAILLE_BITS[x % 2][yy % 4]
                owner[r][c] = k
            prev = y
    rows = ["".join(chr(0x2800 + b) if b else " " for b in line) for line in bits]
    return rows, owner


def band_rows(
    p15: Sequence[float],
    p50: Sequence[float],
    p85: Sequence[float],
    lo: float,
    hi: float,
    height: int,
    *,
    ascii: bool,
) -> list[str]:
    """Percentile bands over time: p15..p85 shaded, the median as a bar, top row first.

    Row ``r`` (0 = bottom) covers values ``lo + [r, r+1) * (hi - lo) / height``; a column's
    band fills every row its [p15, p85] interval touches, the median's row gets the bar.
    """
    shade, median = (":", "=") if ascii else ("░", "━")
    bad = "!" if ascii else "×"
    span = (hi - lo) or 1.0
    grid = [[" "] * len(p50) for _ in range(height)]  # grid[r] with r = 0 at the bottom

    def row(v: float) -> int:
        # which row a value falls in, clipped to the chart
        return min(max(math.floor((v - lo) / span * height), 0), height - 1)

    for j, (a, m, b) in enumerate(zip(p15, p50, p85, strict=True)):
        if not (math.isfinite(a) and math.isfinite(m) and math.isfinite(b)):
            grid[0][j] = bad
            continue
        for r in range(row(min(a, b)), row(max(a, b)) + 1):
            grid[r][j] = shade
        grid[row(m)][j] = median
    return ["".join(line) for line in reversed(grid)]


def _blend(rgb: tuple[int, int, int], bg: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    # linear mix: t = 1 gives the class colour, t = 0 the background
    return tuple(_nearest(b + (c - b) * t) for c, b in zip(rgb, bg, strict=True))  # type: ignore


def decision_map(
    proba: np.ndarray,
    points: np.ndarray,
    labels: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    mono: bool,
    bg: tuple[int, int, int] = (20, 20, 28),
    max_points: int = 400,
) -> Text:
    """The classifier over the plane: half-block cells (2 pixels each) plus training points.

    ``proba`` has shape (2 * rows, cols, classes), top row = largest y. In ``mono`` mode
    (NO_COLOR or --ascii) each cell shows its predicted class as a glyph instead of colour.
    """
    py, cols, _ = proba.shape
    rows = py // 2
    proba = np.nan_to_num(proba, nan=0.0)  # a diverged net: undecided, never a crash
    pred = proba.argmax(axis=2)
    conf = proba.max(axis=2)
    n_classes = proba.shape[2]
    # confidence 1/k (undecided) .. 1 (sure) mapped to colour strength 0.15 .. 0.75
    strength = 0.15 + 0.6 * np.clip((conf - 1 / n_classes) / (1 - 1 / n_classes), 0, 1)
    # training points → cells (a deterministic subsample, every k-th point)
    stride = max(1, len(points) // max_points)
    pts, labs = points[::stride], labels[::stride]
    cx_px = ((pts[:, 0] - lo[0]) / (hi[0] - lo[0]) * (cols - 1)).round().astype(int)
    cx = np.clip(cx_px, 0, cols - 1)
    cy_px = ((hi[1] - pts[:, 1]) / (hi[1] - lo[1]) * (py - 1)).round().astype(int)
    cy = np.clip(cy_px // 2, 0, rows - 1)
    marks = {(int(y), int(x)): int(c) for y, x, c in zip(cy, cx, labs, strict=True)}
    text = Text(no_wrap=True, overflow="crop")
    for r in range(rows):
        for c in range(cols):
            top, bot = 2 * r, 2 * r + 1
            mark = marks.get((r, c))
            if mono:
                if mark is not None:
                    text.append(CLASS_GLYPHS[mark % 10], Style(bold=True))
                else:
                    text.append(REGION_GLYPHS[int(pred[top, c]) % 10], Style(dim=True))
                continue
            ct = _blend(CLASS_RGB[int(pred[top, c]) % 10], bg, float(strength[top, c]))
            cb = _blend(CLASS_RGB[int(pred[bot, c]) % 10], bg, float(strength[bot, c]))
            if mark is not None:
                fg = CLASS_RGB[mark % 10]
                style = Style(bold=True, color=_rgb(fg), bgcolor=_rgb(_mid(ct, cb)))
                text.append(CLASS_GLYPHS[mark % 10], style)
            else:
                text.append("▀", Style(color=_rgb(ct), bgcolor=_rgb(cb)))
        if r < rows - 1:
            text.append("\n")
    return text


def _mid(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    return tuple((x + y) // 2 for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _rgb(c: tuple[int, int, int]) -> Color:
    return Color.from_rgb(*c)
