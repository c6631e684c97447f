"""One frame of data for the panels, copied out of the Session under the runner's lock.

``collect(session, needs)`` is what the app passes to ``runner.read``: it only copies
(downsampled history views, last values, small histograms), so the training thread waits
for microseconds, not for a redraw. Panels then render from the ``Frame`` at leisure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bntui.metrics import SeriesView

LOSS_SERIES = ("loss", "val_loss", "acc", "val_acc")
SPARK_KEYS = ("mean", "std", "pre_mean", "pre_std")
BAND_KEYS = ("p15", "p50", "p85")
LAST_KEYS = (
    "mean",
    "std",
    "pre_mean",
    "pre_std",
    "p15",
    "p50",
    "p85",
    "sat",
    "grad_norm",
    "grad_data",
    "update",
    "gamma",
    "beta",
)


@dataclass(frozen=True)
class Needs:
    """What the visible panels want this frame (point counts follow their widths)."""

    loss_points: int = 0  # 0 = loss chart hidden
    spark_points: int = 0  # points per drift sparkline
    band_points: int = 0  # points of the selected layer's percentile chart
    band_layers: str = "selected"  # "selected" or "all"
    mini_points: int = 0  # points of every layer's small p15/p50/p85 chart (drift panel)
    grad_points: int = 0  # points of every layer's |∇W| history (gradient panel)
    selected: int = 1  # 1-based layer index
    decision: tuple[int, int] | None = None  # (cols, pixel rows) when the map is visible
    hist_bins: int = 0  # 0 = histograms hidden


@dataclass
class LayerData:
    """Per hidden layer: downsampled sparklines / bands and the latest statistics."""

    index: int
    spark: dict[str, SeriesView | None] = field(default_factory=dict)
    bands: dict[str, SeriesView | None] = field(default_factory=dict)
    mini: dict[str, SeriesView | None] = field(default_factory=dict)
    grad: SeriesView | None = None
    last: dict[str, float] = field(default_factory=dict)


@dataclass
class Histogram:
    """Histogram of one hidden layer's activation outputs (last forward pass)."""

    index: int
    counts: np.ndarray
    lo: float
    hi: float
    mean: float
    std: float
    zeros: float  # fraction of exact zeros (dead ReLU outputs)


@dataclass
class Frame:
    """Everything the panels draw, copied at one instant."""

    step: int
    depth: int
    bn: bool
    activation: str
    is_2d: bool
    loss: dict[str, SeriesView | None] = field(default_factory=dict)
    layers: list[LayerData] = field(default_factory=list)
    decision: dict[str, Any] | None = None
    decision_error: str | None = None
    histograms: list[Histogram] = field(default_factory=list)


def collect(session: Any, needs: Needs) -> Frame:
    """Copy what ``needs`` asks for out of ``session`` (call under the runner's lock)."""
    h = session.history
    c = session.config
    frame = Frame(
        step=session.step_count,
        depth=c.depth,
        bn=c.bn,
        activation=c.activation,
        is_2d=bool(session.data.is_2d),
    )
    if needs.loss_points:
        # validation points are drawn as separate markers: fewer of them keep the line visible
        frame.loss = {
            k: h.view(k, needs.loss_points // (4 if k.startswith("val") else 1))
            for k in LOSS_SERIES
        }
    for i in range(1, c.depth + 1):
        layer = LayerData(i)
        if needs.spark_points:
            layer.spark = {k: h.view(f"L{i}.{k}", needs.spark_points) for k in SPARK_KEYS}
        if needs.band_points and (needs.band_layers == "all" or i == needs.selected):
            layer.bands = {k: h.view(f"L{i}.{k}", needs.band_points) for k in BAND_KEYS}
        if needs.mini_points:
            layer.mini = {k: h.view(f"L{i}.{k}", needs.mini_points) for k in BAND_KEYS}
        if needs.grad_points:
            layer.grad = h.view(f"L{i}.grad_norm", needs.grad_points)
        for k in LAST_KEYS:
            s = h.series.get(f"L{i}.{k}")
            layer.last[k] = s.last if s is not None else math.nan
        frame.layers.append(layer)
    if needs.decision is not None:
        if not frame.is_2d:
            frame.decision_error = (
                f"the decision boundary needs 2-D data ({c.dataset} has "
                f"{session.data.input_dim} inputs): press d for a 2-D set"
            )
        else:
            frame.decision = _decision(session, *needs.decision)
    if needs.hist_bins:
        frame.histograms = _histograms(session, needs.hist_bins)
    return frame


def _decision(session: Any, cols: int, pixel_rows: int) -> dict[str, Any]:
    """session.decision_grid, copied out (eval passes leave the blocks' taps alone)."""
    grid = session.decision_grid(cols, pixel_rows)
    return {
        "proba": np.array(grid["proba"], copy=True),
        "lo": np.array(grid["lo"], copy=True),
        "hi": np.array(grid["hi"], copy=True),
        "points": np.array(grid["points"], copy=True),
        "labels": np.array(grid["labels"], copy=True),
    }


def _histograms(session: Any, bins: int) -> list[Histogram]:
    """np.histogram of every hidden layer's act_out on one common range (DLFS fig. 6-10)."""
    outs = [(i, b.act_out) for i, b in enumerate(session.model.blocks, start=1)]
    outs = [(i, np.asarray(a, dtype=np.float64).ravel()) for i, a in outs if a is not None]
    finite = [a[np.isfinite(a)] for _, a in outs]
    act = session.config.activation
    if act == "sigmoid":
        lo, hi = 0.0, 1.0  # the activation's own range, as in the book's figures
    elif act == "tanh":
        lo, hi = -1.0, 1.0
    else:
        nonempty = [a for a in finite if a.size]
        if not nonempty:
            return []
        allv = np.concatenate(nonempty)
        lo = float(np.percentile(allv, 0.5))
        hi = float(np.percentile(allv, 99.5))
        if act in ("relu",):
            lo = min(lo, 0.0)
        if hi <= lo:
            hi = lo + 1.0
    result = []
    for (i, a), fa in zip(outs, finite, strict=True):
        # ReLU: the exact zeros (often half) would flatten everything else; they are
        # reported as a fraction instead
        shown = fa[fa != 0] if act == "relu" else fa
        counts, _ = np.histogram(np.clip(shown, lo, hi), bins=bins, range=(lo, hi))
        result.append(
            Histogram(
                index=i,
                counts=counts,
                lo=lo,
                hi=hi,
                mean=float(fa.mean()) if fa.size else math.nan,
                std=float(fa.std()) if fa.size else math.nan,
                zeros=float(np.count_nonzero(a == 0)) / a.size if a.size else math.nan,
            )
        )
    return result
