"""The Frame: one immutable snapshot of a session, everything the UI draws.

The runner builds a Frame under its lock with ``build_frame(session, needs, …)``: it only
copies (downsampled history views, last values, small histograms, a decision map), so the
training thread waits for microseconds, not for a redraw. The UI asks for what its visible
panels show through a ``Needs`` and renders the Frame at leisure; it never sees a Session.
No Textual and no Rich in here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from bntui.i18n.message import Joined, Msg, Text
from bntui.live.bn_internals import BNInternals, bn_internals
from bntui.nn.norm_layers import parse_norm
from bntui.training.commands import CommandError
from bntui.training.config import Config
from bntui.training.events import Event, EventKind
from bntui.training.measure import ICS_KEYS, SMOOTH_KEYS
from bntui.training.metrics import SeriesView, layer_metric, read_only
from bntui.training.timeline import Travel

LOSS_SERIES = ("loss", "val_loss", "acc", "val_acc")
SPARK_KEYS = ("mean", "std", "pre_mean", "pre_std")
BAND_KEYS = ("p15", "p50", "p85")
LAST_KEYS = (
    *SPARK_KEYS,
    *BAND_KEYS,
    "sat",
    "grad_norm",
    "grad_data",
    "update",
    "gamma",
    "beta",
)
ICS_WINDOW = 500  # steps: view 6's and the captions' ICS means cover the last this many
_NORM_LABEL = {"bn": "BN", "ln": "LN", "gn": "GN", "brn": "BRN", "noisy-bn": "noisy BN"}


def norm_label(spec: str) -> str:
    """How panels name a normalization: "bn" -> "BN", "gn" -> "GN:4", "none" -> "none"."""
    kind, groups = parse_norm(spec)
    if kind == "none":
        return "none"
    return _NORM_LABEL[kind] + (f":{groups}" if groups is not None else "")


# event kinds that leave the experiment as it was: statistics from before them still hold
NOT_CHANGES = (
    EventKind.CAPTION,
    EventKind.MARK,
    EventKind.WARNING,
    EventKind.DIVERGED,
    EventKind.EARLY_STOP,
)


class RunState(StrEnum):
    """Where the run stands (``Runner.state``, ``Frame.state``)."""

    RUNNING = "running"
    PAUSED = "paused"
    DIVERGED = "diverged"  # the loss is not finite: paused until a reset
    CRASHED = "crashed"  # the engine raised: paused until a reset
    STOPPED = "stopped"  # stopped early, or at the lesson's (or --steps) end


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
    internals: bool = False  # the BN internals of the selected layer (view 5)
    script: bool = False  # the initial config and the command log (to save a recording)
    diag_points: int = 0  # points of the ICS / smoothness series (view 6); 0 = hidden
    ics: bool = False  # the ICS window means (``Frame.ics``) without the series: a caption


@dataclass(frozen=True)
class LayerData:
    """Per hidden layer: downsampled sparklines / bands and the latest statistics."""

    index: int
    spark: dict[str, SeriesView | None] = field(default_factory=dict)
    bands: dict[str, SeriesView | None] = field(default_factory=dict)
    mini: dict[str, SeriesView | None] = field(default_factory=dict)
    grad: SeriesView | None = None
    last: dict[str, float | None] = field(default_factory=dict)  # None: no statistics yet


@dataclass(frozen=True)
class Histogram:
    """Histogram of one hidden layer's activation outputs (last forward pass)."""

    index: int
    counts: np.ndarray
    lo: float
    hi: float
    mean: float
    std: float
    zeros: float  # fraction of exact zeros (dead ReLU outputs)


@dataclass(frozen=True)
class ReplayState:
    """Where a live replay stands (None in a Frame when no lesson is playing)."""

    active: bool  # still following the script (False once the user took over)
    next_step: int | None  # the step of the next scheduled event (None: none left)
    total: int | None  # the lesson's last step
    finished: bool  # the lesson reached its last step with its last event applied


@dataclass(frozen=True)
class Frame:
    """Everything the UI draws, copied at one instant (all from the same step)."""

    version: int  # increases whenever anything visible changed
    state: RunState
    step: int
    epoch: int
    steps_per_sec: float
    config: Config
    is_2d: bool
    input_dim: int
    loss_last: float | None = None
    val_loss: float | None = None
    val_acc: float | None = None
    # divergence hint, early stop, last command error, worker error (a plain str is shown as
    # it is; a Msg is translated when drawn)
    message: Text | None = None
    pace: float | None = None  # the training pace asked for, steps/s (None: as fast as it goes)
    stats_step: int | None = None  # the step of the newest per-layer statistics shown
    stats_every: int = 1  # statistics come every this many steps (they lag by < this)
    hint: Msg | None = None  # a standing hint from the newest statistics (dead layer)
    change: tuple[int, Joined] | None = None  # (step, "BN on: L3 σ 0.46→1.00, …"): newest change
    events: tuple[Event, ...] = ()
    replay: ReplayState | None = None
    loss: dict[str, SeriesView | None] = field(default_factory=dict)
    layers: tuple[LayerData, ...] = ()
    decision: dict[str, Any] | None = None
    decision_error: Msg | None = None
    histograms: tuple[Histogram, ...] = ()
    internals: BNInternals | None = None  # with Needs(internals=True)
    initial_config: Config | None = None  # with Needs(script=True)
    log: tuple[tuple[int, str], ...] = ()  # with Needs(script=True)
    twin: Frame | None = None  # compare mode: the twin's loss, layers and last values
    labels: tuple[str, str] | None = None  # compare mode: (primary, twin) names
    diag: dict[str, SeriesView | None] = field(default_factory=dict)  # with diag_points
    travel: Travel | None = None  # at a past step or on a branch: the timeline
    # ICS over the last ICS_WINDOW steps (since the newest change), layers 2…head, every
    # measurement pooled: {"ics_l2": mean, "ics_cos": mean} (None: not measured there),
    # and the newest β-smoothness {"beta_smooth": value}: view 6's numbers
    ics: dict[str, float | None] = field(default_factory=dict)
    ics_from: int | None = None  # the first step the ``ics`` means cover

    @property
    def depth(self) -> int:
        return self.config.depth

    @property
    def bn(self) -> bool:
        """A normalization is in use (BN or another; False for "none", even with bn on)."""
        return self.config.normalization != "none"

    @property
    def norm(self) -> str:
        """The normalization in use ("bn", "ln", "gn:4", …, or "none" when BN is off)."""
        return self.config.normalization

    @property
    def norm_label(self) -> str:
        """The normalization as panels name it: "BN", "LN", "GN:4", "noisy BN", "none"."""
        return norm_label(self.config.normalization)

    @property
    def activation(self) -> str:
        return self.config.activation

    @property
    def script_steps(self) -> int:
        """How long a saved script runs: at a past step, the whole recorded timeline."""
        t = self.travel
        return t.newest if t is not None and t.in_past else self.step

    @property
    def caption(self) -> str | None:
        """The latest caption event's text (None before the first)."""
        event = self.caption_event
        return None if event is None else event.text

    @property
    def caption_event(self) -> Event | None:
        """The latest caption event (its ``command`` holds the template, ``text`` the
        caption as filled at its step, ``values`` what it quoted)."""
        return next((e for e in reversed(self.events) if e.kind == EventKind.CAPTION), None)


def build_frame(
    session: Any,
    needs: Needs,
    *,
    version: int = 0,
    state: RunState = RunState.PAUSED,
    steps_per_sec: float = 0.0,
    pace: float | None = None,
    message: Text | None = None,
    hint: Msg | None = None,
    change: tuple[int, Joined] | None = None,
    replay: ReplayState | None = None,
    twin: Any = None,
    labels: tuple[str, str] | None = None,
    travel: Travel | None = None,
    past: Any = None,
) -> Frame:
    """Copy what ``needs`` asks for out of ``session`` (call under the runner's lock);
    the keywords are the runner's own fields; ``twin`` (compare mode) is the twin session,
    copied into ``Frame.twin`` with the same series (no decision map, histograms, script)."""
    h = session.history
    # at a past step (``past``: the whole recorded run) every chart draws the whole run, with
    # a cursor; the numbers (``LayerData.last``, the statistics' step) stay the session's own
    vh = past if past is not None else h
    c = session.config
    last = session.last_record or {}
    parts: dict[str, Any] = {"travel": travel} if travel is not None else {}
    if needs.loss_points:
        # validation points are drawn as separate markers: fewer of them keep the line visible
        parts["loss"] = {
            k: vh.view(k, needs.loss_points // (4 if k.startswith("val") else 1))
            for k in LOSS_SERIES
        }
    if needs.decision is not None:
        if not session.data.is_2d:
            parts["decision_error"] = not_2d(session)
        else:
            parts["decision"] = decision_grid(session, *needs.decision)
    if needs.hist_bins:
        parts["histograms"] = tuple(_histograms(session, needs.hist_bins))
    if needs.internals:
        parts["internals"] = bn_internals(session, needs.selected)
    if needs.script:
        parts["initial_config"] = session.initial_config
        parts["log"] = tuple(session.log)
    # statistics of the setup before the newest change are not shown under its label
    changes = [e for e in session.events if e.kind not in NOT_CHANGES and not e.no_effect]
    since = max((e.step for e in changes), default=-1)
    layers = tuple(_layer(h, i, needs, since, vh) for i in range(1, c.depth + 1))
    s1 = h.series.get(layer_metric(1, "std"))
    stats_step = s1.last_step if s1 is not None and s1.last_step > since else None
    if needs.diag_points:
        parts["diag"] = {k: vh.view(k, needs.diag_points) for k in diag_names(c.depth)}
    if c.ics_every and (needs.diag_points or needs.ics):
        parts["ics"], parts["ics_from"] = ics_means(h, c.depth, session.step_count, since)
    if twin is not None:
        lean = replace(needs, decision=None, hist_bins=0, script=False, internals=False)
        twin_state = (
            RunState.DIVERGED
            if twin.diverged
            else RunState.STOPPED
            if twin.stopped_early
            else state
        )
        parts["twin"] = build_frame(twin, lean, version=version, state=twin_state)
        parts["labels"] = labels
    return Frame(
        step=session.step_count,
        epoch=session.epoch,
        config=c,
        is_2d=bool(session.data.is_2d),
        input_dim=int(session.data.input_dim),
        loss_last=last.get("loss"),
        val_loss=session.last_val[0] if session.last_val else None,
        val_acc=session.last_val[1] if session.last_val else None,
        events=tuple(session.events),
        layers=layers,
        stats_step=stats_step,
        stats_every=c.stats_every,
        version=version,
        state=state,
        steps_per_sec=steps_per_sec,
        pace=pace,
        message=message,
        hint=hint,
        change=change,
        replay=replay,
        **parts,
    )


def not_2d(session: Any) -> Msg:
    """Why the decision view has no map: the data is not 2-D."""
    return Msg(
        "the decision boundary needs 2-D data ({dataset} has {inputs} inputs): try dataset next",
        dataset=session.config.dataset,
        inputs=int(session.data.input_dim),
    )


def diag_names(depth: int) -> tuple[str, ...]:
    """The ICS series of every Linear layer (hidden, then the head) and the smoothness ones."""
    ics = tuple(layer_metric(i, k) for i in range(1, depth + 2) for k in ICS_KEYS)
    return ics + SMOOTH_KEYS


def ics_means(
    h: Any, depth: int, step: int, since: int = -1, window: int = ICS_WINDOW
) -> tuple[dict[str, float | None], int | None]:
    """({"ics_l2": …, "ics_cos": …}, first step covered): Santurkar et al.'s ICS of layers
    2…head (layer 1 is always (0, 1)), every measurement in steps ``(max(step - window,
    since), step]`` pooled into one mean per measure, as view 6 prints it and a caption's
    ``{ics_cos}`` quotes it (the claim registry's ics-l2 / ics-cos measure, on one run).
    From the history's full-resolution buckets (a merged bucket counts once, at its mean)."""
    lo = max(step - window, since)
    means: dict[str, float | None] = {}
    first: int | None = None
    for key in ICS_KEYS:
        values: list[float] = []
        for i in range(2, depth + 2):
            view = h.view(layer_metric(i, key))
            if view is None or not len(view):
                continue
            inside = (view.step > lo) & (view.step <= step)
            if inside.any():
                first = min(int(view.step[inside][0]), first if first is not None else step)
            values += [float(v) for v in view.mean[inside]]
        means[key] = math.fsum(values) / len(values) if values else None
    beta = h.series.get("beta_smooth")
    means["beta_smooth"] = beta.last if beta is not None and beta.last_step > since else None
    return means, first


def _layer(h: Any, i: int, needs: Needs, since: int = -1, vh: Any = None) -> LayerData:
    """One layer's views (of ``vh``, the whole recorded run at a past step, else ``h``);
    ``last`` holds ``h``'s None for a statistic not computed yet, or not since the change at
    step ``since`` (NaN stays NaN: a non-finite value)."""
    vh = h if vh is None else vh

    def views(keys: tuple[str, ...], points: int) -> dict[str, SeriesView | None]:
        return {k: vh.view(layer_metric(i, k), points) for k in keys}

    banded = needs.band_points and (needs.band_layers == "all" or i == needs.selected)
    last: dict[str, float | None] = {}
    for k in LAST_KEYS:
        s = h.series.get(layer_metric(i, k))
        last[k] = s.last if s is not None and s.last_step > since else None
    return LayerData(
        i,
        spark=views(SPARK_KEYS, needs.spark_points) if needs.spark_points else {},
        bands=views(BAND_KEYS, needs.band_points) if banded else {},
        mini=views(BAND_KEYS, needs.mini_points) if needs.mini_points else {},
        grad=views(("grad_norm",), needs.grad_points)["grad_norm"] if needs.grad_points else None,
        last=last,
    )


def decision_grid(session: Any, cols: int, rows: int, *, margin: float = 0.1) -> dict[str, Any]:
    """Class probabilities (eval mode) over a cols×rows grid covering the 2-D training data,
    top row = largest y; with the training points and labels. Everything is a copy."""
    if not session.data.is_2d:
        raise CommandError("the decision boundary needs 2-D data")
    x = session.data.x_train
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = (hi - lo) * margin
    lo, hi = lo - pad, hi + pad
    gx = np.linspace(lo[0], hi[0], cols, dtype=session.dtype)
    gy = np.linspace(hi[1], lo[1], rows, dtype=session.dtype)
    xx, yy = np.meshgrid(gx, gy)
    proba = session.predict_proba(np.stack([xx.ravel(), yy.ravel()], axis=1))
    out = {
        "proba": proba.reshape(rows, cols, -1),
        "lo": lo,
        "hi": hi,
        "points": x,
        "labels": session.data.y_train,
    }
    return {k: read_only(np.array(v, copy=True)) for k, v in out.items()}


def _histograms(session: Any, bins: int) -> list[Histogram]:
    """np.histogram of every hidden layer's output on one common range (DLFS fig. 6-10)."""
    outs = [(i, a) for i, a in enumerate(session.layer_outputs(), start=1) if a is not None]
    outs = [(i, np.asarray(a, dtype=np.float64).ravel()) for i, a in outs]
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
                counts=read_only(counts),
                lo=lo,
                hi=hi,
                mean=float(fa.mean()) if fa.size else math.nan,
                std=float(fa.std()) if fa.size else math.nan,
                zeros=float(np.count_nonzero(a == 0)) / a.size if a.size else math.nan,
            )
        )
    return result
