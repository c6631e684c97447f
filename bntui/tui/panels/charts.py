"""Line charts (textual-plotext): loss/accuracy and a layer's percentile bands.

Each chart draws already-downsampled series (about two points per column) and a vertical
marker with a short label at every event, so redraw cost does not grow with history.
"""

from __future__ import annotations

import math
import traceback
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual_plotext import PlotextPlot

from bntui.events import Event
from bntui.frame import Frame
from bntui.i18n import _
from bntui.metrics import SeriesView
from bntui.tui.panels import Keyed, set_border
from bntui.tui.render import fmt_num, fmt_signed

# box-drawing → ASCII, for --ascii (plotext draws its frame and ticks with these)
ASCII_TABLE = str.maketrans("┌┐└┘─│┤├┬┴┼•⢄⣀⡀⠉", "++++-||++++*....")
UNMARKED = ("caption",)  # event kinds that are not changes: log only, no chart marker
LABEL_CELLS = 14  # a marker label's width in terminal cells
# plotext gives every character one cell; a wide one (Korean, emoji) takes two on screen.
# In a label each wide character is followed by WIDE_PAD, which takes plotext's second
# cell and is removed from the drawn chart, so the rest of the row stays in place.
WIDE_PAD = "\ue000"


def event_label(event: Event) -> str:
    """A short chart label: 'BN off', 'depth 5', 'lr 0.2', 'NaN'."""
    if event.kind == "diverged":
        return "NaN"
    if event.kind == "early-stop":
        return "stop"
    text = event.text
    if "→" in text:
        head = text.split(" ", 1)[0]
        text = f"{head} {text.rsplit('→', 1)[1].strip()}"
    text = text.split(":", 1)[0] if event.kind in ("init", "seed", "reset") else text
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

    def _decade_yticks(self, lo: float, hi: float) -> None:
        """Log axis ticks at powers of ten, labelled 1e-2 … 1e20 (plotext would print every
        digit of 3.7e20 and take half the chart's width)."""
        k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        step = max(1, math.ceil((k1 - k0 + 1) / max(2, (self.size.height - 3) // 2)))
        ks = list(range(k0, k1 + 1, step))
        self.plt.yticks([10.0**k for k in ks], [f"1e{k}" if k else "1" for k in ks])

    def _int_xticks(self, x0: float, x1: float) -> None:
        """Whole-number step ticks (plotext would print 1662.5)."""
        n = max(2, min(5, (self.size.width - 8) // 9))
        ticks = sorted({math.floor(x0 + (x1 - x0) * i / (n - 1) + 0.5) for i in range(n)})
        self.plt.xticks(ticks, [f"{t / 1000:.3g}k" if t >= 10000 else str(t) for t in ticks])

    def _markers(
        self, events: Sequence[Event], x0: float, x1: float, y_top: float, width: int
    ) -> None:
        """Vertical lines at events in [x0, x1], labels where they do not overlap."""
        p = self.plt
        span = max(x1 - x0, 1.0)
        taken_until = math.inf
        for e in reversed(events):  # newest first: it wins the label space
            if e.kind in UNMARKED or not (x0 <= e.step <= x1):
                continue
            color = "red" if e.kind in ("diverged", "error") else "orange"
            p.vline(e.step, color)
            label = event_label(e)
            cells = cell_len(label)
            col = (e.step - x0) / span * width
            right = col + cells + 1 > width  # near the right edge: label to the left
            start = col - cells if right else col
            if start + cells + 1 < taken_until:
                align = "right" if right else "left"
                p.text(padded(label), x=e.step, y=y_top, color=color, alignment=align)
                taken_until = start


class LossChart(Chart):
    """Train loss (line) and validation loss (points) over steps, optional log-y."""

    def show(self, frame: Frame, events: Sequence[Event], *, log_y: bool) -> None:
        size = (self.size.width, self.size.height)
        last_event = events[-1] if events else None
        train = frame.loss.get("loss")
        key = (frame.step, len(events), last_event, log_y, size, len(train or ()))
        if not self.changed(key):
            return
        self.drawn(lambda: self._draw(frame, events, log_y))
        self._draw(frame, events, log_y)
        self.refresh()

    def _draw(self, frame: Frame, events: Sequence[Event], log_y: bool) -> None:
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
            self._markers(events, x0, x1, max(ys), max(self.size.width - 8, 1))
            p.xlim(x0, max(x1, x0 + 1))
            self._int_xticks(x0, max(x1, x0 + 1))
            if log_y:
                self._decade_yticks(min(ys), max(ys))
        set_border(self, subtitle=self.t(_subtitle(train, val, acc, val_acc, log_y)))


def _subtitle(train, val, acc, val_acc, log_y: bool) -> str:
    def last(v: SeriesView | None) -> float | None:
        return float(v.last[-1]) if v is not None and len(v) else None

    def pct(x: float | None) -> str:
        return "–" if x is None or not math.isfinite(x) else f"{100 * x:.0f}%"

    parts = [
        f"loss {fmt_num(last(train))}",
        f"val {fmt_num(last(val))}",
        f"acc {pct(last(acc))}/{pct(last(val_acc))}",
    ]
    return " ".join(parts) + (" · log" if log_y else "")


class BandsChart(Chart):
    """The selected layer's activation-input p15 / p50 / p85 over steps (BN paper fig. 1)."""

    def show(self, frame: Frame, events: Sequence[Event], selected: int) -> None:
        size = (self.size.width, self.size.height)
        layer = next((la for la in frame.layers if la.index == selected), None)
        bands = layer.bands if layer is not None else {}
        n = len(bands.get("p50") or ())
        key = (frame.step, selected, len(events), size, n, frame.bn)
        set_border(self, title=self.t(f"L{selected} · act input p15 / p50 / p85"))
        if layer is not None and frame.bn:
            lm, ls = layer.last.get("pre_mean"), layer.last.get("pre_std")
            set_border(self, subtitle=self.t(f"pre-BN μ{fmt_signed(lm)} σ{fmt_num(ls)}"))
        elif layer is not None:
            set_border(self, subtitle="no BN")
        else:
            set_border(self, subtitle="no hidden layer")
        if not self.changed(key):
            return
        self.drawn(lambda: self._draw(bands, events))
        self._draw(bands, events)
        self.refresh()

    def _draw(self, bands: dict, events: Sequence[Event]) -> None:
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
            self._markers(events, x0, x1, max(ys), max(self.size.width - 8, 1))
            p.xlim(x0, x1)
            self._int_xticks(x0, x1)
