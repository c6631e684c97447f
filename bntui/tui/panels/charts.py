"""Line charts (textual-plotext): loss/accuracy and a layer's percentile bands.

Each chart draws already-downsampled series (about two points per column) and a vertical
marker with a short label at every event, so redraw cost does not grow with history.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual_plotext import PlotextPlot

from bntui.i18n import N_, _
from bntui.live.frame import Frame
from bntui.training.events import Event, EventKind
from bntui.training.metrics import SeriesView
from bntui.tui.panels import Keyed, set_border
from bntui.tui.panels.axes import WIDE_PAD, event_label, nice_ticks, padded, tick_labels
from bntui.tui.render import fmt_num, fmt_signed
from bntui.tui.travel import cursor_index, in_past

# box-drawing → ASCII, for --ascii (plotext draws its frame and ticks with these)
ASCII_TABLE = str.maketrans("┌┐└┘─│┤├┬┴┼•⢄⣀⡀⠉", "++++-||++++*....")
UNMARKED = (
    EventKind.CAPTION,
    EventKind.WARNING,
    EventKind.BRANCH,
)  # not changes: log only, no chart marker
MERGE_CELLS = 3  # events closer than this many columns share one marker
LOSS_TITLE = {False: N_("Loss · train ⣿ / val •"), True: N_("Loss - train . / val x")}
LOG_TITLE = " · LOG y"  # appended to a chart title while its y axis is logarithmic


def render_failures(root: Any) -> int:
    """How many times the charts under ``root`` (an app or screen) failed to draw."""
    return sum(chart.failures for chart in root.query(Chart))


def _finite(view: SeriesView | None, *, positive: bool = False) -> tuple[list, list]:
    if view is None or not len(view):
        return [], []
    y = view.mean
    ok = np.isfinite(y) & (y > 0) if positive else np.isfinite(y)
    return view.step[ok].tolist(), y[ok].tolist()


class Chart(Keyed, PlotextPlot):
    """A PlotextPlot that redraws only when its data key changes; ASCII-able."""

    def __init__(self, *, ascii: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii = ascii
        self._key: object = None
        self.failures = 0  # renders that raised (a placeholder was shown instead)
        self.last_failure: str | None = None
        self.last_trace: str | None = None
        # plotext's build() turns a log axis' data into its logarithm in place, so a second
        # build of the same figure (a repaint without new data: a resize) took the log of
        # the logs (math domain error); every build after the first replays the drawing
        self._replay: Any = None
        self._fresh = False

    def drawn(self, replay: Any) -> None:
        """``replay()`` redraws the current figure from its data (see ``_replay``)."""
        self._replay, self._fresh = replay, True

    def new_figure(self) -> None:
        """Clear the plot; axes left and below only (a right/top frame line would stand
        against the panel border as a second bar)."""
        p = self.plt
        p.clear_figure()
        p.xaxes(True, False)
        p.yaxes(True, False)

    def render(self) -> Text:
        try:
            if not self._fresh and self._replay is not None:
                self._replay()
            self._fresh = False
            # textual-plotext's render, with the wide-character pads taken out
            self._plot.plotsize(self.size.width, self.size.height)
            self._plot._set_size(self.size.width, self.size.height)
            self._plot.theme(self._get_plotext_theme_name(self.app.theme))
            text = Text.from_ansi(self._plot.build().replace(WIDE_PAD, ""))
        except Exception as exc:
            # plotext raises ValueError/TypeError on some degenerate inputs (a log axis
            # meeting a value <= 0 after a blow-up and a resize); a chart library must
            # never take the app down with it, and a failure is counted and shown
            self.failures += 1
            self.last_failure = f"{type(exc).__name__}: {exc}"
            self.last_trace = traceback.format_exc()
            self.plt.clear_data()
            mark = "!" if self.ascii else "⚠"
            note = _("{mark} chart failed to draw ({kind}; {n} so far)")
            kind = type(exc).__name__
            return Text(note.format(mark=mark, kind=kind, n=self.failures), style="bold red")
        if self.ascii and isinstance(text, Text):
            text.plain = text.plain.translate(ASCII_TABLE)
        return text

    @property
    def points(self) -> int:
        """How many points a series may bring: about two per plot column."""
        return max(8, 2 * max(self.size.width - 8, 4))

    def _rows(self) -> int:
        """Plot rows (the chart's height less the x axis and its labels)."""
        return max(self.size.height - 2, 2)

    def _linear_y(self, lo: float, hi: float) -> float:
        """Evenly spaced round ticks; one spare row on top for the event labels."""
        if hi - lo < 1e-6 * max(1.0, abs(hi)):  # flat: a unit range around it
            lo, hi = lo - 0.5, hi + 0.5
        rows = self._rows()
        head = (hi - lo) / max(rows - 1, 1)  # the top row stays free of data
        n = max(2, min(6, rows // 2 + 1))
        ticks = nice_ticks(lo, hi, n)
        for more in range(1, 5):  # a coarse round step may leave one tick: take a finer one
            if len(ticks) >= 2:
                break
            ticks = nice_ticks(lo, hi, n + more)
        top = max([hi + head, *ticks])
        self.plt.ylim(min([lo, *ticks]), top)
        self.plt.yticks(ticks, tick_labels(ticks))
        return top

    def _decade_yticks(self, lo: float, hi: float) -> float:
        """Log axis: ticks at powers of ten, labelled 1e-2 … 1e20, the axis spanning whole
        decades so the lowest label sits on a plot row (not beside the step labels), and
        a spare row on top for the event labels."""
        k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        k1 = max(k1, k0 + 1)
        rows = self._rows()
        step = max(1, math.ceil((k1 - k0 + 1) / max(2, rows // 2)))
        ks = list(range(k0, k1 + 1, step))
        head = (k1 - k0) / max(rows - 1, 1)
        top = 10.0 ** (k1 + head)
        self.plt.ylim(k0, k1 + head)  # plotext takes a log axis' limits as log10 values
        self.plt.yticks([10.0**k for k in ks], [f"1e{k}" if k else "1" for k in ks])
        return top

    def _int_xticks(self, x0: float, x1: float) -> None:
        """Round, evenly spaced step ticks (plotext would print 1662.5)."""
        n = max(2, min(5, (self.size.width - 8) // 9))
        ticks: list[float] = []
        for more in range(4):  # a coarse round step may leave one tick: take a finer one
            ticks = [t for t in nice_ticks(x0, x1, n + more) if t == int(t)]
            if len(ticks) >= 2:
                break
        if len(ticks) < 2:
            ticks = sorted({math.floor(x0 + 0.5), math.floor(x1 + 0.5)})
        self.plt.xticks(ticks, [f"{t / 1000:.3g}k" if t >= 10000 else f"{t:.0f}" for t in ticks])

    def _markers(
        self, events: Sequence[Event], x0: float, x1: float, y_top: float, width: int
    ) -> None:
        """Vertical lines at events in [x0, x1], on the spare top row a label where it does
        not overlap; events closer than MERGE_CELLS columns are one marker ('3 events')."""
        p = self.plt
        span = max(x1 - x0, 1.0)
        shown = [e for e in events if e.kind not in UNMARKED and x0 <= e.step <= x1]
        groups: list[list[Event]] = []
        for e in shown:
            col = (e.step - x0) / span * width
            if groups and col - (groups[-1][0].step - x0) / span * width < MERGE_CELLS:
                groups[-1].append(e)
            else:
                groups.append([e])
        taken_until = math.inf
        for group in reversed(groups):  # newest first: it wins the label space
            e = group[-1]
            bad = any(g.kind == EventKind.DIVERGED for g in group)
            color = "red" if bad else "orange"
            p.vline(group[0].step, color)
            label = event_label(e) if len(group) == 1 else f"{len(group)} events"
            col = (group[0].step - x0) / span * width
            cells = cell_len(label)
            right = col + cells + 1 > width  # near the right edge: label to the left
            start = col - cells if right else col
            if start + cells + 1 < taken_until and start >= 0:
                align = "right" if right else "left"
                p.text(padded(label), x=group[0].step, y=y_top, color=color, alignment=align)
                taken_until = start


class LossChart(Chart):
    """Train loss (line) and validation loss (points) over steps, optional log-y."""

    _solo_title: object = None  # the title to restore when compare mode ends

    def show(self, frame: Frame, events: Sequence[Event], *, log_y: bool) -> None:
        size = (self.size.width, self.size.height)
        last_event = events[-1] if events else None
        train = frame.loss.get("loss")
        key = (frame.step, len(events), last_event, log_y, size, len(train or ()), frame.travel)
        if frame.twin is not None:
            key = (*key, frame.twin.step, frame.labels)
        if not self.changed(key):
            return
        if frame.twin is not None and frame.labels:
            self.drawn(lambda: self._pair(frame, events, log_y=log_y))
            self._pair(frame, events, log_y=log_y)
            return
        if self._solo_title is not None:  # compare mode ended: the solo title again
            set_border(self, title=self._solo_title)
            self._solo_title = None
        self.drawn(lambda: self._draw(frame, events, log_y))
        self._draw(frame, events, log_y)
        self.refresh()

    def _draw(self, frame: Frame, events: Sequence[Event], log_y: bool) -> None:
        """The solo chart (also what a repaint replays: see ``Chart.drawn``)."""
        train, val = frame.loss.get("loss"), frame.loss.get("val_loss")
        acc, val_acc = frame.loss.get("acc"), frame.loss.get("val_acc")
        p = self.plt
        self.new_figure()
        tx, ty = _finite(train)
        vx, vy = _finite(val)
        # a blow-up before NaN spans decades: a linear axis would flatten everything else
        pos = [y for y in ty + vy if y > 0]
        auto_log = bool(pos) and max(pos) / min(pos) > 1e3
        log_y = log_y or auto_log
        if log_y:
            tx, ty = _finite(train, positive=True)
            vx, vy = _finite(val, positive=True)
        if tx:
            p.plot(tx, ty, marker="." if self.ascii else "braille", color="cyan")
        if vx:
            p.scatter(vx, vy, marker="x" if self.ascii else "•", color="magenta")
        ys = ty + vy
        if log_y and ys:  # plotext cannot take a log axis with nothing on it
            p.yscale("log")
        if ys:
            x0 = min(tx[0] if tx else vx[0], vx[0] if vx else tx[0])
            x1 = max(frame.step, tx[-1] if tx else 0)
            if log_y:
                top = self._decade_yticks(min(ys), max(ys))
            else:
                top = self._linear_y(min(ys), max(ys))
            self._markers(events, x0, x1, top, max(self.size.width - 8, 1))
            _cursor(p, frame)
            p.xlim(x0, max(x1, x0 + 1))
            self._int_xticks(x0, max(x1, x0 + 1))
        set_border(self, title=self.t(_(LOSS_TITLE[self.ascii])) + (LOG_TITLE if log_y else ""))
        sub = _subtitle(train, val, acc, val_acc, width=self.size.width - 6, frame=frame)
        set_border(self, subtitle=self.t(sub))

    def _pair(self, frame: Frame, events: Sequence[Event], *, log_y: bool) -> None:
        """Compare mode: both twins' train loss (lines of glyphs) and val accuracy
        (points) on one chart; glyph and colour name the twin, lowercase/upper the series."""
        p = self.plt
        self.new_figure()
        twin = frame.twin
        assert twin is not None and frame.labels is not None
        xs: list[float] = []
        ys: list[float] = []
        for f, style in zip((frame, twin), PAIR_STYLES, strict=True):
            glyph, acc_glyph, color = style[self.ascii]
            tx, ty = _finite(f.loss.get("loss"), positive=log_y)
            vx, vy = _finite(f.loss.get("val_acc"), positive=log_y)
            if tx:
                p.plot(tx, ty, marker=glyph, color=color)
            if vx:
                p.scatter(vx, vy, marker=acc_glyph, color=color)
            xs += tx + vx
            ys += ty + vy
        if log_y and ys:
            p.yscale("log")
        if ys:
            x0, x1 = min(xs), max(max(xs), frame.step, min(xs) + 1)
            self._markers(events, x0, x1, max(ys), max(self.size.width - 8, 1))
            _cursor(p, frame)
            p.xlim(x0, x1)
            self._int_xticks(x0, x1)
            if log_y:
                self._decade_yticks(min(ys), max(ys))
        legend = [
            f"{style[self.ascii][0]}{style[self.ascii][1]} {label}"
            for style, label in zip(PAIR_STYLES, frame.labels, strict=True)
        ]
        if self._solo_title is None:
            self._solo_title = self.border_title
        set_border(self, title=self.t("Loss, val acc · " + "  ".join(legend)))
        sub = _pair_subtitle(frame, log_y, width=self.size.width - 6, ascii=self.ascii)
        set_border(self, subtitle=self.t(sub))
        self.refresh()


def _cursor(p: Any, frame: Frame) -> None:
    """At a past step: a line where the session stands on the recorded run."""
    if frame.travel is not None and frame.travel.in_past:
        p.vline(frame.step, "yellow")


# per twin: (train-loss glyph, val-acc glyph, colour) for (unicode, --ascii)
PAIR_STYLES = (
    {False: ("•", "o", "cyan"), True: ("*", "o", "cyan")},
    {False: ("×", "+", "magenta"), True: ("x", "+", "magenta")},
)


def _pair_subtitle(frame: Frame, log_y: bool, width: int | None = None, ascii: bool = False) -> str:
    """Each twin's last loss and val acc after its label; when that is wider than ``width``
    cells, after its glyph instead (the title's legend names them): long labels such as
    "branch · recorded" cut the second twin's numbers at 80 columns."""

    def last(v: SeriesView | None) -> float | None:
        return float(v.last[-1]) if v is not None and len(v) else None

    def text(names: Sequence[str]) -> str:
        parts = []
        for f, name in zip((frame, frame.twin), names, strict=True):
            acc = last(f.loss.get("val_acc")) if f is not None else None
            loss = last(f.loss.get("loss")) if f is not None else None
            pct = "–" if acc is None or not math.isfinite(acc) else f"{100 * acc:.0f}%"
            parts.append(f"{name} {fmt_num(loss)} {pct}")
        return " · ".join(parts) + (" · log" if log_y else "")

    full = text(frame.labels or ("", ""))
    if width is None or cell_len(full) <= width:
        return full
    return text([style[ascii][0] for style in PAIR_STYLES])


def _subtitle(
    train, val, acc, val_acc, width: int | None = None, frame: Frame | None = None
) -> str:
    """Last loss, val loss and accuracies (at a past step: at the cursor). When the text is
    wider than ``width`` cells (Korean words take two cells a syllable), the word "acc" goes
    first (the two percentages stay), then the val loss: a lesson caption quotes the val
    loss, so it stays on screen as long as it fits."""

    def last(v: SeriesView | None) -> float | None:
        i = cursor_index(frame, v) if frame is not None else None
        if i is not None and v is not None:
            return float(v.last[i])
        return float(v.last[-1]) if v is not None and len(v) else None

    def pct(x: float | None) -> str:
        return "—" if x is None or not math.isfinite(x) else f"{100 * x:.0f}%"

    accs = f"{pct(last(acc))}/{pct(last(val_acc))}"
    parts = [
        _("loss {x}").format(x=fmt_num(last(train))),
        _("val {x}").format(x=fmt_num(last(val))),
        _("acc {x}").format(x=accs),
    ]
    if width is not None and cell_len(" ".join(parts)) > width:
        parts[2] = accs
    if width is not None and cell_len(" ".join(parts)) > width:
        del parts[1]
    return " ".join(parts)


class BandsChart(Chart):
    """The selected layer's activation-input p15 / p50 / p85 over steps (BN paper fig. 1)."""

    def show(self, frame: Frame, events: Sequence[Event], selected: int) -> None:
        size = (self.size.width, self.size.height)
        layer = next((la for la in frame.layers if la.index == selected), None)
        bands = layer.bands if layer is not None else {}
        n = len(bands.get("p50") or ())
        key = (frame.step, selected, len(events), size, n, frame.norm, in_past(frame))
        set_border(self, title=self.t(self.title_for(frame, layer, selected)))
        # the statistics' own step when it lags the frame's (they come every stats_every)
        at = frame.stats_step
        lag = f" · @{at}" if at is not None and at != frame.step else ""
        if layer is not None and at is None:
            note = _("no statistics yet (every {n} steps)").format(n=frame.stats_every)
            set_border(self, subtitle=self.t(note))
        elif layer is not None and frame.bn:
            lm, ls = layer.last.get("pre_mean"), layer.last.get("pre_std")
            pre = f"pre-{frame.norm_label.replace(' ', '-')}"
            set_border(self, subtitle=self.t(f"{pre} μ{fmt_signed(lm)} σ{fmt_num(ls)}{lag}"))
        elif layer is not None:
            set_border(self, subtitle=self.t(_("no BN") + lag))
        else:
            set_border(self, subtitle=_("no hidden layer"))
        if not self.changed(key):
            return
        self.drawn(lambda: self._draw(bands, events, frame))
        self._draw(bands, events, frame)
        self.refresh()

    def title_for(self, frame: Frame, layer: Any, selected: int) -> str:
        """The title "L3 · p15 -0.61 · p50 0.02 · p85 0.66": the newest percentiles (what a
        caption's ``{L3.p15}`` quotes); without p50 when the full title would not fit."""
        last = layer.last if layer is not None else {}
        nums = {k: fmt_num(last.get(k)) for k in ("p15", "p50", "p85")}
        head = f"L{selected}"
        if frame.labels is not None:  # compare mode: the bands are the primary's
            head += f" · {PAIR_STYLES[0][False][0]} {frame.labels[0]}"
        # percentile names and numbers: the same in every language; in compare mode at
        # 80 columns the twin's label goes before a number would be cut (its glyph stays)
        short = f"p15 {nums['p15']} · p85 {nums['p85']}"
        glyph = f"L{selected} {PAIR_STYLES[0][self.ascii][0]}" if frame.labels else head
        candidates = (
            f"{head} · p15 {nums['p15']} · p50 {nums['p50']} · p85 {nums['p85']}",
            f"{head} · {short}",
            f"{glyph} · {short}",
        )
        room = max(self.size.width - 4, 0)
        return next((t for t in candidates if cell_len(t) <= room), candidates[-1])

    def _draw(self, bands: dict, events: Sequence[Event], frame: Frame) -> None:
        p = self.plt
        self.new_figure()
        styles = (("p15", "blue", "-"), ("p50", "green", "*"), ("p85", "blue", "-"))
        ys: list[float] = []
        xs: list[float] = []
        for name, color, ascii_marker in styles:
            x, y = _finite(bands.get(name))
            if x:
                marker = ascii_marker if self.ascii else "braille"  # order tells them apart
                p.plot(x, y, marker=marker, color=color)
                xs += x
                ys += y
        if ys:
            x0, x1 = min(xs), max(max(xs), min(xs) + 1)
            top = self._linear_y(min(ys), max(ys))
            self._markers(events, x0, x1, top, max(self.size.width - 8, 1))
            _cursor(p, frame)
            p.xlim(x0, x1)
            self._int_xticks(x0, x1)
