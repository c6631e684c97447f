"""Showing sweep results: a table per setting, a terminal chart (plotext), an SVG figure.

Everything here works from result rows alone, so ``bntui sweep --show DIR`` redraws a
finished (or interrupted) sweep without running anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bntui.experiments.stats import mean_std

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 3", "10 4")
MARKERS = ("●", "x", "+", "◆", "o", "*")
MAX_LINES = 8


def numeric(value: Any) -> float | None:
    """A number to plot a setting at: numbers as they are, ``std:s`` as s, on/off as 1/0."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.lower().startswith("std:"):
        try:
            return float(value[4:])
        except ValueError:
            return None
    return None


def label(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


@dataclass
class Group:
    params: dict[str, Any]
    rows: list[dict[str, Any]]

    def values(self, metric: str) -> list[float]:
        return [r[metric] for r in self.rows if r.get(metric) is not None]

    def stat(self, metric: str) -> tuple[float, float]:
        return mean_std(self.values(metric))


def swept_keys(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The settings the rows vary, in the order of the first row's params."""
    keys: list[str] = []
    for r in rows:
        for k in r.get("params", {}):
            if k not in keys:
                keys.append(k)
    return keys


def groups(rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> list[Group]:
    """Rows grouped by setting (the seeds of one setting together), in first-seen order."""
    out: dict[tuple, Group] = {}
    for r in rows:
        params = r.get("params", {})
        key = tuple(repr(params.get(k)) for k in keys)
        out.setdefault(key, Group({k: params.get(k) for k in keys}, [])).rows.append(r)
    return list(out.values())


def _sort_key(g: Group, keys: Sequence[str]) -> tuple:
    parts = []
    for k in keys:
        v = g.params.get(k)
        n = numeric(v)
        parts.append((0, n, "") if n is not None else (1, 0.0, label(v)))
    return tuple(parts)


def table(rows: Sequence[dict[str, Any]], metric: str = "val_acc", *, limit: int = 40):
    """A Rich table: one line per setting, mean ± std over its seeds."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    keys = swept_keys(rows)
    gs = groups(rows, keys)
    if len(gs) > limit:  # a random search: the best settings first
        sign = 1 if metric == "val_loss" else -1
        gs.sort(key=lambda g: sign * _nan_last(g.stat(metric)[0], sign))
        title = f"best {limit // 2} of {len(gs)} settings by {metric} (mean over seeds)"
        gs = gs[: limit // 2]
    else:
        gs.sort(key=lambda g: _sort_key(g, keys))
        title = f"{len(rows)} trials, {len(gs)} settings: mean ± std over seeds"
    t = Table(
        title=title + "; train acc in eval mode on the whole training set",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for k in keys:
        t.add_column(escape(k.replace("_", "-")), no_wrap=True)  # a results file's text
    for col in ("seeds", "val acc", "train acc", "val loss", "diverged"):
        t.add_column(col, justify="right", no_wrap=True)
    for g in gs:
        cells = [escape(label(g.params[k])) for k in keys]
        cells.append(str(len(g.rows)))
        for m, fmt in (("val_acc", ".3f"), ("train_eval_acc", ".3f"), ("val_loss", ".3f")):
            vals = g.values(m)
            if not vals:
                cells.append("–")
                continue
            mu, sd = mean_std(vals)
            cells.append(f"{mu:{fmt}} ± {sd:{fmt}}" if len(vals) > 1 else f"{mu:{fmt}}")
        cells.append(str(sum(bool(r.get("diverged")) for r in g.rows)))
        t.add_row(*cells)
    return t


def _nan_last(value: float, sign: int) -> float:
    return value if math.isfinite(value) else -sign * math.inf


@dataclass
class Series:
    name: str
    x: list[float]
    mean: list[float]
    lo: list[float]
    hi: list[float]


def series(
    rows: Sequence[dict[str, Any]], metric: str, x_key: str | None = None
) -> tuple[str | None, list[Series], list[str] | None, bool]:
    """(x key, one Series per other setting, category names or None, log x?)."""
    keys = swept_keys(rows)
    varied = [k for k in keys if len({repr(r["params"].get(k)) for r in rows}) > 1]
    if x_key is None:
        nums = [k for k in varied if all(numeric(r["params"].get(k)) is not None for r in rows)]
        x_key = nums[0] if nums else (varied[0] if varied else None)
    if x_key is None:
        return None, [], None, False
    xs = [r["params"].get(x_key) for r in rows]
    categories = None
    if any(numeric(v) is None for v in xs):
        categories = sorted({label(v) for v in xs})
    # one line per combination of the other settings, except settings with many values
    # (random-search axes): those are not lines, their points fall on the x key's line
    others = [
        k for k in keys if k != x_key and len({repr(r["params"].get(k)) for r in rows}) <= MAX_LINES
    ]
    out = []
    for line in groups(rows, others):
        points: dict[float, list[float]] = {}
        for r in line.rows:
            v = r["params"].get(x_key)
            x = categories.index(label(v)) if categories else numeric(v)
            if r.get(metric) is not None:
                points.setdefault(x, []).append(r[metric])
        xs_sorted = sorted(points)
        if not xs_sorted:  # no value of the metric on this line: nothing to draw
            continue
        stats = [mean_std(points[x]) for x in xs_sorted]
        name = " ".join(f"{k}={label(line.params[k])}" for k in others) or metric
        out.append(
            Series(
                name,
                xs_sorted,
                [m for m, _ in stats],
                [m - s for m, s in stats],
                [m + s for m, s in stats],
            )
        )
    positive = categories is None and all(x > 0 for s in out for x in s.x)
    span = [x for s in out for x in s.x]
    log = positive and bool(span) and max(span) / min(span) >= 50
    return x_key, out, categories, log


def chart(
    rows: Sequence[dict[str, Any]],
    metric: str = "val_acc",
    x_key: str | None = None,
    *,
    width: int = 100,
    height: int = 24,
    color: bool = True,
) -> str:
    """The metric against the swept setting: one line per other setting (mean over seeds,
    dotted mean ± std), as terminal text; "" when nothing varies."""
    import plotext as plt

    x_key, lines, categories, log = series(rows, metric, x_key)
    if not lines:
        return ""
    plt.clear_figure()
    plt.plot_size(width, height)
    plt.theme("pro" if color else "clear")
    if log:
        plt.xscale("log")
    colors = ("blue+", "red+", "green+", "magenta+", "orange+", "cyan+")
    many_points = max(len(s.x) for s in lines) > 40
    for i, s in enumerate(lines):  # the spreads first: the means are drawn over them
        c = colors[i % len(colors)]
        if not many_points and any(h > lo for h, lo in zip(s.hi, s.lo, strict=True)):
            plt.plot(s.x, s.lo, marker="·", color=c)
            plt.plot(s.x, s.hi, marker="·", color=c)
    for i, s in enumerate(lines):
        draw = plt.scatter if many_points else plt.plot
        marker, c = MARKERS[i % len(MARKERS)], colors[i % len(colors)]
        draw(s.x, s.mean, label=s.name, marker=marker, color=c)
    if categories:
        plt.xticks(list(range(len(categories))), categories)
    plt.title(f"{metric} vs {x_key} (mean over seeds; dotted: ± std)")
    plt.xlabel(x_key + (" (log)" if log else ""))
    text = plt.build()
    plt.clear_figure()
    return text if color else plt.uncolorize(text)
