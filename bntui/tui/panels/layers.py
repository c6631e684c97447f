"""Per-layer text panels: activation drift (μ, σ sparklines) and gradient health.

Built as Rich Text by hand: a row per hidden layer, cheap to render, readable without
colour (numbers and glyphs carry the meaning; colour only repeats it).
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from bntui.tui.frame import Frame, LayerData
from bntui.tui.render import fixed, fmt_num, guide_strip, hbar, sparkline

GRAD_LOG_RANGE = (-6.0, 1.0)  # |∇W| bar: log10 from 1e-6 to 1e1
UPDATE_RANGE = (-6.0, 0.0)  # update:data strip, log10, with the −3 guide
UPDATE_GUIDE = -3.0


class LayerPanel(Static):
    """Base: redraw only when the frame key changes; window of rows around the selection."""

    def __init__(self, *, ascii: bool = False, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.ascii = ascii
        self._key: object = None

    def changed(self, key: object) -> bool:
        if key == self._key:
            return False
        self._key = key
        return True

    def window(self, layers: list[LayerData], selected: int, rows: int) -> list[LayerData]:
        """At most ``rows`` layers, scrolled so the selected one is visible."""
        if len(layers) <= rows:
            return layers
        start = min(max(selected - 1 - rows // 2, 0), len(layers) - rows)
        return layers[start : start + rows]

    def name_cell(self, index: int, selected: int) -> Text:
        mark = (">" if self.ascii else "▸") if index == selected else " "
        name = Text(f"{mark}L{index:<2}", style="bold reverse" if index == selected else "bold")
        return name + Text(" ")  # always 5 cells (depth <= 32)


class DriftPanel(LayerPanel):
    """Per hidden layer: |μ| and σ of the activation input over time (common scales)."""

    def spark_width(self) -> int:
        return self._layout(self.content_size.width, True)[0]

    def _layout(self, width: int, bn: bool) -> tuple[int, bool]:
        # "▸L1 " 4 | spark μ | " μ+0.02" 7 | " " | spark σ | " σ0.97" 6 | [" pre μ+0.17 σ1.13" 17]
        used = 5 + 7 + 1 + 6
        pre = bn and width - used >= 2 * 12 + 17
        k = max((width - used - (17 if pre else 0)) // 2, 3)
        return k, pre

    def show(self, frame: Frame, selected: int) -> None:
        width, height = self.content_size.width, self.content_size.height
        key = (frame.step, frame.depth, frame.bn, selected, width, height)
        self.border_title = "Drift · act input |μ|, σ" + (" · BN on" if frame.bn else " · BN off")
        self.set_class(frame.bn, "bn-on")
        self.set_class(not frame.bn, "bn-off")
        if not self.changed(key):
            return
        k, pre = self._layout(width, frame.bn)
        if not frame.layers:
            self.update("depth 0: no hidden layer (press + to add one)")
            return
        m_top = max([0.5] + [_max_abs(la, "mean") for la in frame.layers])
        s_top = max([1.5] + [_max_abs(la, "std") for la in frame.layers])
        self.border_subtitle = f"scales |μ| 0..{m_top:.2g}  σ 0..{s_top:.2g}"
        out = Text(no_wrap=True, overflow="crop")
        two_lines = frame.bn and not pre and height >= 2 * len(frame.layers)
        per_layer = 2 if two_lines else 1
        for n, la in enumerate(self.window(frame.layers, selected, max(height // per_layer, 1))):
            if n:
                out.append("\n")
            out.append_text(self.name_cell(la.index, selected))
            mu = _values(la, "mean")[-k:]
            sd = _values(la, "std")[-k:]
            out.append(sparkline([abs(v) for v in mu], 0, m_top, ascii=self.ascii).ljust(k))
            out.append(" μ" + fixed(la.last.get("mean"), 5, signed=True))
            out.append(" ")
            sigma_style = "green" if frame.bn else "yellow"
            out.append(sparkline(sd, 0, s_top, ascii=self.ascii).ljust(k), style=sigma_style)
            out.append(" σ" + fixed(la.last.get("std"), 4))
            if pre:
                out.append(
                    f" pre μ{fixed(la.last.get('pre_mean'), 5, signed=True)}"
                    f" σ{fixed(la.last.get('pre_std'), 4)}",
                    style="dim",
                )
            if two_lines:  # the same layer before BN: this is what drifts
                out.append("\n")
                out.append(" pre ", style="dim")
                pm = _values(la, "pre_mean")[-k:]
                ps = _values(la, "pre_std")[-k:]
                out.append(sparkline([abs(v) for v in pm], 0, m_top, ascii=self.ascii).ljust(k))
                out.append(" μ" + fixed(la.last.get("pre_mean"), 5, signed=True), style="dim")
                out.append(" ")
                out.append(sparkline(ps, 0, s_top, ascii=self.ascii).ljust(k), style="dim")
                out.append(" σ" + fixed(la.last.get("pre_std"), 4), style="dim")
        self.update(out)


def _values(layer: LayerData, key: str) -> list[float]:
    view = layer.spark.get(key)
    return [] if view is None else view.mean.tolist()


def _max_abs(layer: LayerData, key: str) -> float:
    vals = [abs(v) for v in _values(layer, key) if math.isfinite(v)]
    return max(vals, default=0.0)


class GradPanel(LayerPanel):
    """Per hidden layer: |∇W| on a log bar, update:data against the −3 guide, dead/sat share."""

    def show(self, frame: Frame, selected: int) -> None:
        width, height = self.content_size.width, self.content_size.height
        key = (frame.step, frame.depth, frame.activation, selected, width, height)
        self.border_title = "Gradients · |∇W| log · update"
        sat_word = "sat" if frame.activation in ("sigmoid", "tanh") else "dead"
        if frame.activation == "identity":
            sat_word = "–"
        guide = "|=-3" if self.ascii else "┆=−3"
        self.border_subtitle = f"norm · log10 upd:data {guide} · {sat_word}"
        if not self.changed(key):
            return
        if not frame.layers:
            self.update("depth 0: no hidden layer (press + to add one)")
            return
        # "▸L1  " 5 | bar | " 3.1e-02" 8 | [" g:d 0.04" 9] | " " strip | " −2.9" 5 | " 12%" 5
        used = 5 + 8 + 1 + 5 + 5
        show_gd = width - used >= 9 + 24
        free = max(width - used - (9 if show_gd else 0), 6)
        bar_w = max(free // 2, 3)
        strip_w = max(free - bar_w, 3)
        lo, hi = GRAD_LOG_RANGE
        out = Text(no_wrap=True, overflow="crop")
        for n, la in enumerate(self.window(frame.layers, selected, max(height, 1))):
            if n:
                out.append("\n")
            out.append_text(self.name_cell(la.index, selected))
            g = la.last.get("grad_norm", math.nan)
            frac = (math.log10(g) - lo) / (hi - lo) if math.isfinite(g) and g > 0 else 0.0
            out.append(hbar(frac, bar_w, ascii=self.ascii), style="cyan")
            out.append(f" {g:7.1e}" if math.isfinite(g) else " " + fmt_num(g, 7))
            if show_gd:
                out.append(" g:d " + fixed(la.last.get("grad_data"), 4), style="dim")
            u = la.last.get("update", math.nan)
            ulo, uhi = UPDATE_RANGE
            out.append(" ")
            out.append(guide_strip(u, strip_w, ulo, uhi, UPDATE_GUIDE, ascii=self.ascii))
            style = "green" if -4 <= u <= -2 else ("red" if u > -2 else "yellow")
            out.append(" " + (fixed(u, 4) if math.isfinite(u) else "   –"), style=style)
            sat = la.last.get("sat", math.nan)
            pct = f" {min(100 * sat, 100):3.0f}%" if math.isfinite(sat) else "    –"
            out.append(pct, style="dim")
        self.update(out)
