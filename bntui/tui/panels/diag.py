"""View 6: internal covariate shift per layer over time and the smoothness of the loss
(Santurkar, Tsipras, Ilyas & Madry 2018), for both twins in compare mode.

Every series is drawn on one scale shared by the twins (so the two columns compare), and
every row ends with its last value: readable without colour.
"""

from __future__ import annotations

import math

from rich.cells import cell_len
from rich.text import Text

from bntui.i18n import _, language
from bntui.live.frame import Frame
from bntui.training.metrics import SeriesView, layer_metric
from bntui.tui.panels import KeyedStatic, set_border
from bntui.tui.panels.layer_rows import TWIN_GLYPHS, TWIN_STYLES
from bntui.tui.render import area_rows, fixed, fmt_num, sparkline
from bntui.tui.travel import cursor_column, mark_cursor, points_to_cursor

NAME = 11  # cells of a row's name ("L5 (head)  ", "β-smooth   ")
VALUE = 20  # cells of a column's last values (" cos 0.98 l2 5.5e-03": never cut)
SMOOTH_ROWS = (
    ("landscape", "loss range"),  # hi - lo of L(w - s·g) over the step sizes
    ("grad_pred", "grad pred"),  # max ‖g(w - s·g) - g(w)‖
    ("beta_smooth", "β-smooth"),  # max ‖Δg‖ / ‖s·g‖
)
# the series whose steps place a smoothness row's cursor
SMOOTH_VIEW = {"landscape": "landscape_hi", "grad_pred": "grad_pred", "beta_smooth": "beta_smooth"}


def _values(view: SeriesView | None) -> list[float]:
    return [] if view is None or not len(view) else view.mean.tolist()


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def paper_note() -> str:
    """What Santurkar et al. found about ICS, from the claim registry (both languages)."""
    from bntui.experiments.claims import claim

    return claim("ics-cos").paper(language()) + "."


ICS_CLAIMS = ("ics-l2", "ics-cos")  # the registry's claims this view measures


def run_note(
    measured: list[tuple[str, bool, float | None, float | None]], span: tuple[int, int] | None
) -> str:
    """What this run measured, beside the paper: ``measured`` holds per twin (label, BN on,
    mean cos∠(G, G′), mean ‖G − G′‖) over steps ``span`` of layers 2…head (``Frame.ics``,
    the numbers a lesson caption's ``{ics_cos}`` quotes). Then, per registry claim
    (ics-l2, ics-cos), whether this run goes its way: the registry's direction and tie
    decide the word (``run_outcome``), the same word a caption's ``{claim:ID:run}`` prints."""
    from bntui.experiments.claims import claim, run_outcome, run_word

    have = [m for m in measured if m[2] is not None and m[3] is not None]
    if not have or span is None:
        return _("This run: ICS not measured yet (:ics-every 50).")
    nums = " · ".join(f"{lab} cos {c:.3f} ‖G − G′‖ {l2:.3g}" for lab, _bn, c, l2 in have)
    head = _("This run, steps {a}–{b}, layers 2…head:").format(a=f"{span[0]:,}", b=f"{span[1]:,}")
    bn = [m for m in have if m[1]]
    plain = [m for m in have if not m[1]]
    if len(have) == 2 and len(bn) == 1 and len(plain) == 1:
        (_l1, _b1, c1, d1), (_l2, _b2, c2, d2) = bn[0], plain[0]
        lang = language()
        verdicts = []
        for cid, a, b in (("ics-l2", d1, d2), ("ics-cos", c1, c2)):
            c = claim(cid)
            said = c.text(lang).partition(": ")[2] or c.text(lang)
            word = run_word(run_outcome(c, a, b), lang)
            verdicts.append(_("“{claim}”: this run {word}.").format(claim=said, word=word))
        return f"{head} {nums}. " + " ".join(verdicts)
    return f"{head} {nums}. " + _("Compare with BN flipped (c) to measure BN's effect.")


class DiagView(KeyedStatic):
    """ICS (cos∠(G, G′) per Linear layer) and smoothness bands, one column per twin."""

    def bar_cells(self, paired: bool) -> int:
        """Cells of a twin's bars (what the painter asks for: one point a cell, so the
        bars span the whole run, recorded future included at a past step)."""
        cw = max((self.content_size.width - NAME) // (2 if paired else 1), VALUE + 4)
        return cw - VALUE - 1

    def show(self, frame: Frame) -> None:
        width, height = self.content_size.width, self.content_size.height
        twin = frame.twin
        frames = [frame] if twin is None else [frame, twin]
        labels = frame.labels or (("bn" if frame.bn else "plain"),)
        key = (frame.step, frame.depth, width, height, twin.step if twin else None, labels)
        set_border(self, title=self.t(_("ICS & smoothness · step {n}").format(n=frame.step)))
        c = frame.config
        every = f"ICS every {c.ics_every or 'off'} · smoothness every {c.smooth_every or 'off'}"
        set_border(self, subtitle=self.t(every))
        if not self.changed(key):
            return
        notes: list[str] = []
        cols = len(frames)
        cw = max((width - NAME) // cols, VALUE + 4)
        k = cw - VALUE - 1  # sparkline cells
        lines: list[Text] = []
        head = Text(" " * NAME)
        for n, label in enumerate(labels[:cols]):
            glyph = TWIN_GLYPHS[n] if twin is not None else ""
            head.append(self.t(f"{glyph} {label}".strip()).ljust(cw), style=TWIN_STYLES[n])
        # ---------------------------------------------------------------- ICS
        names = [layer_metric(i, "ics_cos") for i in range(1, frame.depth + 2)]
        cos_all = _finite([v for f in frames for n in names for v in _values(f.diag.get(n))])
        # bars: 1 - cos (0 = no shift), up to the 95th percentile of both twins (one early
        # outlier would flatten the rest; higher values are drawn full)
        shifts = sorted(1.0 - v for v in cos_all)
        top = max(0.01, shifts[int(0.95 * (len(shifts) - 1))]) if shifts else 1.0
        title = _("ICS: bars 1 − cos∠(G, G′) per layer (0 = no shift), full at {top}").format(
            top=fmt_num(top)
        )
        lines.append(Text(self.t(title), style="bold"))
        lines.append(head)
        if not cos_all:
            hint = _("not measured: type :ics-every 50 (a measurement ≈ 3–8 steps)")
            lines.append(Text(" " * NAME + self.t(hint), style="dim"))
        else:
            n_lin = frame.depth + 1
            longest = max(len(_values(f.diag.get(n))) for f in frames for n in names)
            kk = max(min(k, longest), 4)
            span = (frame.ics_from, frame.step) if frame.ics_from is not None else None
            notes = [paper_note(), run_note(self._measured(frames, labels), span)]
            note_rows = sum(-(-cell_len(t) // max(width, 1)) for t in notes)  # Hangul: 2
            room = max(height - 8 - note_rows, 1)  # rows left for the ICS layers
            tall = min(max(room // n_lin, 1), 4)  # a wide, tall screen: taller ICS bars
            for i in range(1, n_lin + 1)[:room]:
                name = f"L{i}" + (" (head)" if i == n_lin else "")
                block = [Text(" " * NAME) for _ in range(tall - 1)]
                row = Text(name.ljust(NAME), style="bold")
                for n, f in enumerate(frames):
                    view = f.diag.get(layer_metric(i, "ics_cos"))
                    cos = _values(view)
                    l2 = _values(f.diag.get(layer_metric(i, "ics_l2")))
                    shift = [1.0 - v for v in cos[-kk:]]
                    style = TWIN_STYLES[n].replace("bold ", "")
                    bars = area_rows(shift, 0.0, top, tall, ascii=self.ascii)
                    column = cursor_column(f, view, kk)
                    for line, text in zip(block, bars, strict=False):
                        start = len(line)
                        line.append(text.ljust(kk), style=style)
                        mark_cursor(line, start, column)
                        line.append(" " * (VALUE + 1 + cw - kk - VALUE - 1))
                    start = len(row)
                    row.append(bars[-1].ljust(kk), style=style)
                    mark_cursor(row, start, column)
                    cos, l2 = cos[: points_to_cursor(f, view)], l2[: points_to_cursor(f, view)]
                    last_cos = cos[-1] if cos else None
                    last_l2 = l2[-1] if l2 else None
                    cell = f" cos {fixed(last_cos, 4)} l2 {fmt_num(last_l2)}"
                    row.append(cell[:VALUE].ljust(cw - kk))
                lines.extend([*block, row])
        # ---------------------------------------------------------------- smoothness
        lines.append(Text(self.t(_("Smoothness along the gradient (Fig. 4)")), style="bold"))
        series = {
            "landscape": [self._range(f) for f in frames],
            "grad_pred": [_values(f.diag.get("grad_pred")) for f in frames],
            "beta_smooth": [_values(f.diag.get("beta_smooth")) for f in frames],
        }
        if not any(series["beta_smooth"]):
            hint = _("not measured: type :smooth-every 50")
            lines.append(Text(" " * NAME + self.t(hint), style="dim"))
        else:
            longest = max(len(vals) for per_twin in series.values() for vals in per_twin)
            kk = max(min(k, longest), 4)
            for metric, label in SMOOTH_ROWS:
                per_twin = series[metric]
                top = max([1e-12, *_finite([v for vals in per_twin for v in vals])])
                row = Text(self.t(label).ljust(NAME), style="bold")
                for n, vals in enumerate(per_twin):
                    spark = sparkline(vals[-kk:], 0.0, top, ascii=self.ascii).ljust(kk)
                    start = len(row)
                    row.append(spark, style=TWIN_STYLES[n].replace("bold ", ""))
                    view = frames[n].diag.get(SMOOTH_VIEW[metric])
                    mark_cursor(row, start, cursor_column(frames[n], view, kk))
                    upto = points_to_cursor(frames[n], view)
                    if upto is not None:  # at a past step: the value at the cursor
                        vals = vals[:upto]
                        last = vals[-1] if vals else None
                    else:
                        last = self._last(frames[n], metric) if vals else None
                    row.append(f" {fmt_num(last)}"[:VALUE].ljust(cw - kk))
                lines.append(row)
            lines.append(Text(" " * NAME + self.t(_("scales: 0..max of both twins")), "dim"))
        for text in notes or [paper_note(), run_note([], None)]:
            lines.append(Text(self.t(text), style="italic"))
        self.put(Text("\n", no_wrap=False, overflow="fold").join(lines))

    @staticmethod
    def _measured(
        frames: list[Frame], labels: tuple[str, ...]
    ) -> list[tuple[str, bool, float | None, float | None]]:
        """Per twin: (label, BN on, mean cos, mean l2) of layers 2…head over the frame's ICS
        window (``Frame.ics``: the last ``ICS_WINDOW`` steps, whatever the width)."""
        return [
            (label, bool(f.bn), f.ics.get("ics_cos"), f.ics.get("ics_l2"))
            for f, label in zip(frames, labels, strict=False)
        ]

    @staticmethod
    def _last(f: Frame, metric: str) -> float | None:
        """The newest measurement (not a bucket's mean): what ``{beta_smooth}`` quotes."""
        if metric == "landscape":
            lo, hi = f.diag.get("landscape_lo"), f.diag.get("landscape_hi")
            return float(hi.last[-1] - lo.last[-1]) if lo is not None and hi is not None else None
        view = f.diag.get(metric)
        return float(view.last[-1]) if view is not None and len(view) else None

    @staticmethod
    def _range(f: Frame) -> list[float]:
        """landscape_hi - landscape_lo over time: the loss range along the gradient."""
        lo, hi = _values(f.diag.get("landscape_lo")), _values(f.diag.get("landscape_hi"))
        return [b - a for a, b in zip(lo, hi, strict=False)]
