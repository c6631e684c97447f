"""Per-layer text panels: activation drift (μ, σ sparklines) and gradient health.

Built as Rich Text by hand: a row per hidden layer, cheap to render, readable without
colour (numbers and glyphs carry the meaning; colour only repeats it). Rows to spare
(tall terminals) go to small charts per layer: p15/p50/p85 bands in the drift panel,
the |∇W| history on a log scale in the gradient panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import groupby

from rich.cells import cell_len
from rich.text import Text

from bntui.i18n import _
from bntui.live.frame import Frame, LayerData
from bntui.tui.panels import KeyedStatic, set_border
from bntui.tui.render import (
    area_rows,
    band_rows,
    braille_lines,
    fixed,
    fmt_num,
    guide_strip,
    hbar,
    signed_sparkline,
    sparkline,
)
from bntui.tui.travel import cursor_column, mark_cursor

TWIN_GLYPHS = ("•", "×")  # primary, twin: the glyph names a twin on every panel (NO_COLOR)
TWIN_STYLES = ("bold cyan", "bold #ff6ad5")  # the pink stays light under NO_COLOR


def pair_legend(labels: tuple[str, str]) -> str:
    """ "• bn × plain": each twin's glyph before its name."""
    return f"{TWIN_GLYPHS[0]} {labels[0]} {TWIN_GLYPHS[1]} {labels[1]}"


GRAD_LOG_RANGE = (-6.0, 1.0)  # |∇W| bar: log10 from 1e-6 to 1e1
UPDATE_RANGE = (-6.0, 0.0)  # update:data strip, log10, with the −3 guide
UPDATE_GUIDE = -3.0
NAME_CELLS = 5  # "▸L1  ": every row starts with this many cells (labels of charts too)
MIN_CHART_ROWS = 2  # a per-layer chart needs at least this many spare rows
MAX_CHART_ROWS = 8


class LayerPanel(KeyedStatic):
    """Base: redraw only when the frame key changes; window of rows around the selection."""

    def window(self, layers: list[LayerData], selected: int, rows: int) -> list[LayerData]:
        """At most ``rows`` layers, scrolled so the selected one is visible."""
        if len(layers) <= rows:
            return layers
        start = min(max(selected - 1 - rows // 2, 0), len(layers) - rows)
        return layers[start : start + rows]

    def name_cell(self, index: int, selected: int, glyph: str = " ") -> Text:
        mark = (">" if self.ascii else "▸") if index == selected else " "
        name = Text()
        name.append(f"{mark}L{index:<2}", style="bold reverse" if index == selected else "bold")
        name.append(glyph, style=TWIN_STYLES[0] if glyph != " " else "")
        return name  # always 5 cells (depth <= 32)

    def twin_cell(self) -> Text:
        """The name cell of a twin's row: "    ×" (the glyph alone names the twin)."""
        cell = Text(" " * (NAME_CELLS - 1))
        cell.append(self.t(TWIN_GLYPHS[1]), style=TWIN_STYLES[1])
        return cell

    def chart_width(self) -> int:
        """Columns of a per-layer chart (one point per column)."""
        return max(self.content_size.width - NAME_CELLS, 4)


def _spare_rows(height: int, depth: int, base: int) -> int:
    """Rows each layer's chart gets after its ``base`` text rows (0: no chart)."""
    extra = height // max(depth, 1) - base
    return min(extra, MAX_CHART_ROWS) if extra >= MIN_CHART_ROWS else 0


def _styled(line: str, styles: dict[str, str]) -> Text:
    """One chart row, each run of equal glyphs styled by its glyph."""
    out = Text()
    for ch, run in groupby(line):
        out.append("".join(run), style=styles.get(ch, ""))
    return out


def _axis_label(value: float, width: int = NAME_CELLS) -> str:
    return fixed(value, width - 1).rjust(width - 1) + " "


@dataclass(frozen=True)
class DriftPlan:
    """How the drift panel lays out: sparkline width, pre-BN inline, two lines, chart rows."""

    spark: int
    pre_inline: bool
    two_lines: bool
    chart_rows: int


class DriftPanel(LayerPanel):
    """Per hidden layer: μ (signed, zero in the middle) and σ of the activation input over
    time (common scales)."""

    def plan(self, depth: int, bn: bool, *, paired: bool = False) -> DriftPlan:
        """The layout for this size: what fits in the panel's width and height
        (``paired``: compare mode, a twin's row under each layer's)."""
        width, height = self.content_size.width, self.content_size.height
        if paired:
            height //= 2
        mu, sd = self.t("μ"), self.t("σ")
        # "▸L1  " | spark μ | " μ+0.02" | " " | spark σ | " σ0.97" | [" pre μ+0.17 σ1.13"]
        used = NAME_CELLS + (1 + len(mu) + 5) + 1 + (1 + len(sd) + 4)
        pre_len = 5 + len(mu) + 5 + 1 + len(sd) + 4
        pre = bn and width - used >= 2 * 12 + pre_len
        k = max((width - used - (pre_len if pre else 0)) // 2, 3)
        two_lines = bn and not pre and height >= 2 * depth and not paired
        chart_rows = _spare_rows(height, depth, 2 if two_lines else 1)
        return DriftPlan(k, pre, two_lines, chart_rows)

    def show(self, frame: Frame, selected: int) -> None:
        width, height = self.content_size.width, self.content_size.height
        twin = frame.twin
        key = (frame.step, frame.depth, frame.norm, selected, width, height, twin is not None)
        label = frame.norm_label
        on = "BN on" if label == "BN" else ("BN off" if label == "none" else label)
        title = _("Drift · act input μ, σ") + " · " + on
        if twin is not None and frame.labels:
            title = _("Drift · μ, σ") + " · " + self.t(pair_legend(frame.labels))
        if self.ascii:  # "mu"/"sd" are longer: a shorter title keeps it whole at 80 columns
            title = _("Drift: act input mean, sd") if width >= 44 else _("Drift mean, sd")
            title += " " + on
        set_border(self, title=title)
        self.set_class(frame.bn, "bn-on")
        self.set_class(not frame.bn, "bn-off")
        if not self.changed(key):
            return
        plan = self.plan(frame.depth, frame.bn, paired=twin is not None)
        if not frame.layers:
            self.put(_("depth 0: no hidden layer (press + to add one)"))
            return
        k, mu, sd = plan.spark, self.t("μ"), self.t("σ")
        both = [*frame.layers, *(twin.layers if twin is not None else ())]
        m_top = max([0.5] + [_max_abs(la, "mean") for la in both])
        s_top = max([1.5] + [_max_abs(la, "std") for la in both])
        legend = ""
        if plan.chart_rows:
            legend = "  p15 : p85 = p50" if self.ascii else "  p15 ⣀ p50 ⣀ p85"
        scales = _("scales μ ±{m}  σ 0..{s}").format(m=f"{m_top:.2g}", s=f"{s_top:.2g}")
        set_border(self, subtitle=self.t(scales) + legend)
        per_layer = (2 if plan.two_lines or twin is not None else 1) + plan.chart_rows
        lines: list[Text] = []
        span = _band_span(frame.layers) if plan.chart_rows else (0.0, 1.0)
        twins = {la.index: la for la in twin.layers} if twin is not None else {}
        for la in self.window(frame.layers, selected, max(height // per_layer, 1)):
            name = self.name_cell(la.index, selected)
            if twin is not None:  # "▸L1 •" then "    ×": the glyph names the twin
                name = self.name_cell(la.index, selected, glyph=self.t(TWIN_GLYPHS[0]))
            lines.append(self._row(name, la, frame.bn, plan, m_top, s_top, frame))
            if twin is not None:
                other = twins.get(la.index)
                tname = self.twin_cell()
                lines.append(
                    self._row(tname, other, twin.bn, plan, m_top, s_top, twin)
                    if other is not None
                    else tname + Text(" (no such layer)", style="dim")
                )
            if plan.two_lines:  # the same layer before BN: this is what drifts
                pre_row = Text("  pre", style="dim")
                pm, ps = _values(la, "pre_mean"), _values(la, "pre_std")
                start = len(pre_row)
                pre_row.append(self._spark(pm, k, m_top))
                mark_cursor(pre_row, start, cursor_column(frame, la.spark.get("pre_mean"), k))
                pre_row.append(
                    f" {mu}" + fixed(la.last.get("pre_mean"), 5, signed=True) + " ", style="dim"
                )
                start = len(pre_row)
                pre_row.append(sparkline(ps[-k:], 0, s_top, ascii=self.ascii).ljust(k), "dim")
                mark_cursor(pre_row, start, cursor_column(frame, la.spark.get("pre_std"), k))
                pre_row.append(f" {sd}" + fixed(la.last.get("pre_std"), 4), style="dim")
                lines.append(pre_row)
            if plan.chart_rows:
                lines.extend(self._bands(la, plan.chart_rows, width - NAME_CELLS, *span, frame))
        out = Text("\n", no_wrap=True, overflow="crop").join(lines)
        self.put(out)

    def _row(
        self, row: Text, la: LayerData, bn: bool, plan: DriftPlan, m_top: float, s_top: float,
        frame: Frame,
    ) -> Text:  # fmt: skip
        """One layer's μ (signed) and σ sparklines with their last values, after its name
        cell (at a past step: the whole recorded run, the cursor's cell in reverse video)."""
        k, mu, sd = plan.spark, self.t("μ"), self.t("σ")
        start = len(row)
        row.append(self._spark(_values(la, "mean"), k, m_top))
        mark_cursor(row, start, cursor_column(frame, la.spark.get("mean"), k))
        row.append(f" {mu}" + fixed(la.last.get("mean"), 5, signed=True) + " ")
        sigma_style = "green" if bn else "yellow"
        row.append(sparkline(_values(la, "std")[-k:], 0, s_top, ascii=self.ascii).ljust(k))
        row.stylize(sigma_style, len(row) - k, len(row))
        mark_cursor(row, len(row) - k, cursor_column(frame, la.spark.get("std"), k))
        row.append(f" {sd}" + fixed(la.last.get("std"), 4))
        if plan.pre_inline and bn:
            pre = f" pre {mu}{fixed(la.last.get('pre_mean'), 5, signed=True)}"
            row.append(pre + f" {sd}{fixed(la.last.get('pre_std'), 4)}", style="dim")
        return row

    def _spark(self, values: list[float], k: int, top: float) -> str:
        """Signed μ: "─" is zero, a mean falling below zero draws as falling bars."""
        return signed_sparkline(values[-k:], top, ascii=self.ascii).ljust(k)

    def _bands(
        self, layer: LayerData, rows: int, width: int, lo: float, hi: float, frame: Frame
    ) -> list[Text]:
        """A small p15/p50/p85 chart of one layer (braille lines; ASCII: shaded band)."""
        views = [layer.mini.get(name) for name in ("p15", "p50", "p85")]
        if any(v is None or not len(v) for v in views):
            return [Text(" " * NAME_CELLS + _("(no statistics yet)"), style="dim")] + [
                Text("") for _r in range(rows - 1)
            ]
        per_cell = 1 if self.ascii else 2  # (braille: two points a cell)
        column = cursor_column(frame, views[1], per_cell * width, per_cell)
        if self.ascii:
            p15, p50, p85 = (v.mean[-width:].tolist() for v in views)  # type: ignore[union-attr]
            chart = band_rows(p15, p50, p85, lo, hi, rows, ascii=True)
            styled = [_styled(line, {":": "blue", "=": "bold green", "!": "red"}) for line in chart]
        else:
            series = [v.mean[-2 * width :].tolist() for v in views]  # type: ignore[union-attr]
            chart, owner = braille_lines(series, lo, hi, width, rows)
            colours = {0: "blue", 1: "bold green", 2: "blue"}
            styled = []
            for line, who in zip(chart, owner, strict=True):
                row = Text()
                for (k, _zero), run in groupby(
                    zip(who, line, strict=True), key=lambda t: (t[0], 0)
                ):
                    row.append("".join(ch for _w, ch in run), style=colours.get(k, ""))
                styled.append(row)
        out = []
        for r, line in enumerate(styled):
            label = _axis_label(hi) if r == 0 else (_axis_label(lo) if r == rows - 1 else "")
            row = Text(label.rjust(NAME_CELLS) if label else " " * NAME_CELLS, style="dim")
            row.append_text(line)
            out.append(mark_cursor(row, NAME_CELLS, column))
        return out


def _band_span(layers: list[LayerData]) -> tuple[float, float]:
    """One value scale for every layer's band chart (p15 lowest .. p85 highest)."""
    vals = [
        v
        for la in layers
        for name in ("p15", "p85")
        if (view := la.mini.get(name)) is not None
        for v in view.mean.tolist()
        if math.isfinite(v)
    ]
    lo, hi = (min(vals), max(vals)) if vals else (-1.0, 1.0)
    if hi - lo < 1e-6:  # a flat band: centre it in a unit range
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _values(layer: LayerData, key: str) -> list[float]:
    view = layer.spark.get(key)
    return [] if view is None else view.mean.tolist()


def _max_abs(layer: LayerData, key: str) -> float:
    vals = [abs(v) for v in _values(layer, key) if math.isfinite(v)]
    return max(vals, default=0.0)


class GradPanel(LayerPanel):
    """Per hidden layer: |∇W| on a log bar, update:data against the −3 guide, dead/sat share."""

    def chart_rows(self, depth: int) -> int:
        """Rows of |∇W| history per layer that the height leaves over (0: none)."""
        extra = self.content_size.height // max(depth, 1) - 1
        return min(extra, MAX_CHART_ROWS) if extra >= 1 else 0

    def show(self, frame: Frame, selected: int) -> None:
        width, height = self.content_size.width, self.content_size.height
        twin = frame.twin
        key = (frame.step, frame.depth, frame.activation, selected, width, height, twin is not None)
        title = _("Gradients · |∇W| log · update")
        if twin is not None and frame.labels:
            title = _("Gradients · |∇W|") + " · " + pair_legend(frame.labels)
        set_border(self, title=self.t(title))
        sat_word = _("sat") if frame.activation in ("sigmoid", "tanh") else _("dead")
        if frame.activation == "identity":
            sat_word = "–"
        if not self.changed(key):
            return
        if not frame.layers:
            self.put(_("depth 0: no hidden layer (press + to add one)"))
            return
        rows = self.chart_rows(2 * frame.depth if twin is not None else frame.depth)
        span = _log_span([*frame.layers, *(twin.layers if twin else ())]) if rows else (0, 0)
        sub = f"norm · log10 upd:data ┆=−3 · {sat_word}"
        if rows:
            history = f"▁▃▅ |∇W| 1e{span[0]}..1e{span[1]}"
            short = f"┆=−3 · {sat_word} · |∇W| 1e{span[0]}..1e{span[1]}"
            sub = f"{sub} · {history}" if cell_len(sub) + cell_len(history) + 7 <= width else short
        set_border(self, subtitle=self.t(sub))
        # "▸L1  " 5 | bar | " 3.1e-02" 8 | [" g:d 0.04" 9] | " " strip | " −2.9" 5 | " 12%" 5
        used = NAME_CELLS + 8 + 1 + 5 + 5
        show_gd = width - used >= 9 + 24
        free = max(width - used - (9 if show_gd else 0), 6)
        bar_w = max(free // 2, 3)
        strip_w = max(free - bar_w, 3)
        lines: list[Text] = []
        per_layer = (1 + rows) * (2 if twin is not None else 1)
        twins = {la.index: la for la in twin.layers} if twin is not None else {}
        for la in self.window(frame.layers, selected, max(height // per_layer, 1)):
            glyph = self.t(TWIN_GLYPHS[0]) if twin is not None else " "
            name = self.name_cell(la.index, selected, glyph)
            lines.append(self._row(name, la, bar_w, strip_w, show_gd))
            if rows:
                lines.extend(self._history(la, rows, width - NAME_CELLS, *span, frame=frame))
            other = twins.get(la.index)
            if other is not None:  # compare mode: the twin's bar right under
                tname = self.twin_cell()
                lines.append(self._row(tname, other, bar_w, strip_w, show_gd, TWIN_STYLES[1]))
                if rows:
                    twin_rows = self._history(
                        other, rows, width - NAME_CELLS, *span, TWIN_STYLES[1], frame=twin
                    )
                    lines.extend(twin_rows)
        self.put(Text("\n", no_wrap=True, overflow="crop").join(lines))

    def _row(
        self, row: Text, la: LayerData, bar_w: int, strip_w: int, show_gd: bool,
        bar_style: str = "cyan",
    ) -> Text:  # fmt: skip
        """One layer's |∇W| bar, update:data strip and dead/saturated share ("—": no
        statistics yet, or none since the last change; "–": no finite value)."""
        lo, hi = GRAD_LOG_RANGE
        g = la.last.get("grad_norm")
        ok = g is not None and math.isfinite(g)
        frac = (math.log10(g) - lo) / (hi - lo) if ok and g > 0 else 0.0  # type: ignore[operator,arg-type]
        row.append(hbar(frac, bar_w, ascii=self.ascii), style=bar_style)
        row.append(f" {g:7.1e}" if ok else " " + fmt_num(g, 7))
        if show_gd:
            row.append(" g:d " + fixed(la.last.get("grad_data"), 4), style="dim")
        u_raw = la.last.get("update")
        u = math.nan if u_raw is None else u_raw
        ulo, uhi = UPDATE_RANGE
        row.append(" ")
        row.append(guide_strip(u, strip_w, ulo, uhi, UPDATE_GUIDE, ascii=self.ascii))
        style = "green" if -4 <= u <= -2 else ("red" if u > -2 else "yellow")
        missing = "   —" if u_raw is None else "   –"
        row.append(" " + (fixed(u, 4) if math.isfinite(u) else missing), style=style)
        sat = la.last.get("sat")
        if sat is None:
            pct = "    —"
        else:
            pct = f" {min(100 * sat, 100):3.0f}%" if math.isfinite(sat) else "    –"
        row.append(self.t(pct), style="dim")
        return row

    def _history(
        self, layer: LayerData, rows: int, width: int, lo: int, hi: int, style: str = "cyan",
        *, frame: Frame | None = None,
    ) -> list[Text]:  # fmt: skip
        """log10 |∇W| over time as a filled area on the panel's common decade scale (at a
        past step: the whole recorded run, the cursor's column in reverse video)."""
        column = cursor_column(frame, layer.grad, width) if frame is not None else None
        view = layer.grad
        vals = [] if view is None else view.mean[-width:].tolist()
        # log10 of the norm; a zero/NaN norm is drawn as a gap at the foot ('×')
        logs = [math.log10(v) if math.isfinite(v) and v > 0 else math.nan for v in vals]
        chart = area_rows(logs, lo, hi, rows, ascii=self.ascii)
        out = []
        for r, line in enumerate(chart):
            label = ""  # a one-row history has its scale in the subtitle only
            if rows > 1 and r in (0, rows - 1):
                label = f"1e{hi if r == 0 else lo}"
            row = Text(label.rjust(NAME_CELLS - 1) + " ", style="dim")
            row.append(line.ljust(width), style=style.replace("bold ", ""))
            out.append(mark_cursor(row, NAME_CELLS, column))
        return out


def _log_span(layers: list[LayerData]) -> tuple[int, int]:
    """Whole decades covering every layer's |∇W| history (one scale: layers compare)."""
    logs = [
        math.log10(v)
        for la in layers
        if la.grad is not None
        for v in la.grad.mean.tolist()
        if math.isfinite(v) and v > 0
    ]
    if not logs:
        return -4, 0
    lo, hi = math.floor(min(logs)), math.ceil(max(logs))
    return lo, max(hi, lo + 1)
