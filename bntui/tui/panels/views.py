"""Whole-area views: decision boundary, activation histograms, event log."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from bntui.i18n import _
from bntui.i18n.message import render
from bntui.live.frame import Frame
from bntui.training.events import Event, EventKind
from bntui.tui.keys import with_keys
from bntui.tui.panels import KeyedStatic, set_border
from bntui.tui.render import (
    CLASS_GLYPHS,
    CLASS_RGB,
    decision_map,
    fmt_num,
    histogram_rows,
)

KIND_GLYPH = {
    EventKind.DIVERGED: "✖",
    EventKind.CAPTION: "»",
    EventKind.MARK: "◆",
    EventKind.EARLY_STOP: "■",
}


class DecisionView(KeyedStatic):
    """The classifier over the plane (half-block heat map) with the training points."""

    def grid_size(self) -> tuple[int, int]:
        """(cols, pixel rows) of the decision map to ask for: 1 row left for the legend."""
        w, h = self.content_size.width, self.content_size.height
        return max(w, 4), max(2 * (h - 1), 2)

    def show(self, frame: Frame) -> None:
        title = _("Boundary") if self.compact else _("Decision boundary")
        if frame.labels is not None:  # compare mode: the map is the primary's
            title += f" · • {frame.labels[0]}"
        coarse = ""
        if frame.decision is not None and "computed" in frame.decision:
            c, r = frame.decision["computed"]
            rows, cols = frame.decision["proba"].shape[:2]
            if (c, r) != (cols, rows):  # a big net: made coarser to keep the worker's budget
                coarse = " · " + _("coarse {cols}×{rows}").format(cols=c, rows=r)
        step = _("step {n}").format(n=frame.step)
        set_border(self, title=self.t(f"{title} · {step}{coarse}"))
        if not self.changed((frame.step, self.content_size, frame.decision_error)):
            return
        if frame.decision is None:
            why = render(frame.decision_error, _)
            self.put(self.t(with_keys(why) or _("no decision map yet")))
            return
        d = frame.decision
        text = decision_map(d["proba"], d["points"], d["labels"], d["lo"], d["hi"], mono=self.mono)
        n_classes = d["proba"].shape[2]
        legend = Text("\n")
        word = "" if self.compact else _("class") + " "
        for c in range(n_classes):
            r, g, b = CLASS_RGB[c % 10]
            style = "bold" if self.mono else f"bold rgb({r},{g},{b})"
            legend.append(f"{CLASS_GLYPHS[c % 10]} {word}{c}  ", style=style)
        if not self.compact:
            legend.append(_("(glyph = training point; shade = prediction)"), style="dim")
        self.put(text + legend)


class HistogramView(KeyedStatic):
    """Histograms of each hidden layer's activation outputs, side by side (DLFS 6-10..6-14)."""

    def layout_for(self, depth: int) -> tuple[int, int, int]:
        """(bins, per_row, bar_height) that fit ``depth`` histograms in the view."""
        w, h = self.content_size.width, self.content_size.height
        depth = max(depth, 1)
        per_row = max(1, min(depth, w // 18))
        rows = -(-depth // per_row)
        bins = max(w // per_row - 2, 8)
        bar_h = max((h - rows * 3) // rows, 1)
        return bins, per_row, bar_h

    def show(self, frame: Frame) -> None:
        title = _("Activation histograms · {act} · step {n}").format(
            act=frame.activation, n=frame.step
        )
        set_border(self, title=self.t(title))
        key = (frame.step, frame.depth, frame.activation, self.content_size)
        if not self.changed(key):
            return
        if not frame.histograms:
            self.put(_("no activations yet: step once (n) or depth 0"))
            return
        bins, per_row, bar_h = self.layout_for(len(frame.histograms))
        out = Text(no_wrap=True, overflow="crop")
        first = True
        for start in range(0, len(frame.histograms), per_row):
            chunk = frame.histograms[start : start + per_row]
            blocks = []
            for hist in chunk:
                rows = histogram_rows(hist.counts[:bins], bar_h, ascii=self.ascii)
                head = self.t(f"L{hist.index} μ{fmt_num(hist.mean)} σ{fmt_num(hist.std)}")
                if frame.activation == "relu":
                    head += f" 0s:{100 * hist.zeros:.0f}%"
                foot = self.t(
                    fmt_num(hist.lo).ljust(bins // 2) + fmt_num(hist.hi).rjust(bins - bins // 2)
                )
                blocks.append([head[:bins].ljust(bins), *rows, foot[:bins]])
            for line_no in range(bar_h + 2):
                if not first:
                    out.append("\n")
                first = False
                for b, block in enumerate(blocks):
                    style = "green" if 0 < line_no <= bar_h else ("bold" if line_no == 0 else "dim")
                    out.append(("  " if b else "") + block[line_no], style=style)
            out.append("\n")
        self.put(out)


class EventLog(KeyedStatic):
    """Every change as a line, newest at the bottom: step, glyph, what happened."""

    def show(self, events: Sequence[Event]) -> None:
        height = max(self.content_size.height, 1)
        key = (len(events), events[-1] if events else None, self.content_size)
        set_border(self, title=_("Events ({n})").format(n=len(events)))
        if not self.changed(key):
            return
        if not events:
            self.put(Text(_("no events yet: every change of the net logs here"), "dim"))
            return
        out = Text(no_wrap=True, overflow="ellipsis")
        for n, e in enumerate(events[-height:]):
            if n:
                out.append("\n")
            glyph = KIND_GLYPH.get(e.kind, "#" if self.ascii else "•")
            if self.ascii and not glyph.isascii():
                glyph = "!" if e.kind == EventKind.DIVERGED else ">"
            style = {EventKind.DIVERGED: "bold red", EventKind.CAPTION: "italic"}.get(e.kind, "")
            out.append(f"{e.step:>7} ", style="dim")
            out.append(self.t(f"{glyph} {e.text}"), style=style)
        self.put(out)
