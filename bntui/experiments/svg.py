"""A sweep's figure as a small standalone SVG (no plotting library): lines of the mean
over seeds, a band of mean ± std, a legend; dashes as well as colours tell lines apart."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from bntui.experiments.tables import DASHES, PALETTE, series

W, H = 760, 440
LEFT, RIGHT, TOP, BOTTOM = 70, 220, 40, 60


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * step:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def figure(
    rows: Sequence[dict[str, Any]], metric: str = "val_acc", x_key: str | None = None
) -> str:
    x_key, lines, categories, log = series(rows, metric, x_key)
    if not lines:
        raise ValueError("nothing varies: no figure to draw")
    fx = (lambda v: math.log10(v)) if log else (lambda v: v)
    xs = [fx(x) for s in lines for x in s.x]
    ys = [y for s in lines for y in s.lo + s.hi + s.mean if math.isfinite(y)]
    x0, x1 = min(xs), max(xs)
    y0, y1 = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    pad = 0.04 * (y1 - y0)
    y0, y1 = y0 - pad, y1 + pad
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(v: float) -> float:
        return LEFT + (fx(v) - x0) / (x1 - x0) * pw

    def py(v: float) -> float:
        return TOP + (1 - (v - y0) / (y1 - y0)) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="14">{escape(metric)} vs {escape(x_key)} '
        "(mean over seeds, band: ± std)</text>",
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>',
    ]
    for t in _ticks(y0, y1):
        y = py(t)
        out.append(
            f'<line x1="{LEFT - 4}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{t:.3g}</text>')
    if categories:
        xticks = [(i, c) for i, c in enumerate(categories)]
    elif log:
        xticks = [
            (10.0**e, f"1e{e}")
            for e in range(math.floor(x0), math.ceil(x1) + 1)
            if x0 - 1e-9 <= e <= x1 + 1e-9
        ]
    else:
        xticks = [(t, f"{t:.3g}") for t in _ticks(x0, x1)]
    for v, text in xticks:
        x = px(v)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP + ph}" y2="{TOP + ph + 4}" stroke="#444"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{TOP + ph + 18}" text-anchor="middle">{escape(text)}</text>'
        )
    out.append(
        f'<text x="{LEFT + pw / 2}" y="{H - 18}" text-anchor="middle">'
        f"{escape(x_key)}{' (log scale)' if log else ''}</text>"
    )
    for i, s in enumerate(lines):
        color, dash = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)]
        band = [(px(x), py(h)) for x, h in zip(s.x, s.hi, strict=True)]
        band += [(px(x), py(lo)) for x, lo in reversed(list(zip(s.x, s.lo, strict=True)))]
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in band)
        out.append(f'<polygon points="{pts}" fill="{color}" fill-opacity="0.15" stroke="none"/>')
        line = " ".join(f"{px(x):.1f},{py(m):.1f}" for x, m in zip(s.x, s.mean, strict=True))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2"{dash_attr}/>'
        )
        ly = TOP + 12 + 18 * i
        lx = LEFT + pw + 14
        out.append(
            f'<line x1="{lx}" x2="{lx + 28}" y1="{ly}" y2="{ly}" stroke="{color}" '
            f'stroke-width="2"{dash_attr}/>'
        )
        out.append(f'<text x="{lx + 34}" y="{ly + 4}">{escape(s.name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
