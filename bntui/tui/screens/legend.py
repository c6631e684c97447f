"""The `e` screen: what every glyph, colour, ratio and guide line of each panel means.

Plain words, one line per mark, grouped by panel in screen order. Opened on the panel
of the current view; it scrolls (↑ ↓ PgUp PgDn) and says so in its frame.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bntui.i18n import N_, _

# (panel, [(mark as drawn, what it means)]) — the marks are the ones the panels draw
LEGEND: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        N_("Status line (top)"),
        (
            (
                N_("▶ running ‖ paused"),
                N_("training state; ✖ diverged (loss not finite), ■ stopped"),
            ),
            ("step:1200 ep:8", N_("batches trained so far; epochs = passes over the training set")),
            ("46/s", N_("steps per second measured over the last half second")),
            ("pace:50/s", N_("the pace asked for: < halves it, > doubles it, max = unpaced")),
            (
                "BN:on / BN:off",
                N_("batch normalization in every hidden layer (green on, yellow off)"),
            ),
            ("pos: act: depth: …", N_("the experiment now: BN before/after the activation, …")),
        ),
    ),
    (
        N_("Loss"),
        (
            (N_("⣿ cyan line"), N_("training loss of each batch (buckets averaged)")),
            (
                N_("• magenta dots"),
                N_("validation loss, every 50 steps, in eval mode (running stats)"),
            ),
            (
                N_("│ orange line"),
                N_("an event (a command) at that step, labelled with its new value"),
            ),
            (N_("│ red line"), N_("the loss stopped being finite (divergence)")),
            ("log y", N_("a logarithmic y axis: y toggles it; automatic when losses span >1000×")),
            ("acc 92%/90%", N_("accuracy on the last training batch / on the validation set")),
            ("—", N_("no value yet (statistics come every 30 steps, validation every 50)")),
        ),
    ),
    (
        N_("Drift · activation input"),
        (
            ("L3  ▸L3", N_("hidden layer 3; ▸ marks the selected layer (↑ ↓ choose)")),
            (
                N_("▁─▆ first"),
                N_(
                    "μ over time: mean of the activation's input; ─ is zero, lower bars are "
                    "negative, higher bars positive (scale ±m in the frame)"
                ),
            ),
            (
                N_("▁▂▃ second"),
                N_("σ over time: its standard deviation (green BN on, yellow BN off)"),
            ),
            ("μ+0.02 σ0.97", N_("the latest values; with BN on, σ ≈ γ and μ ≈ β")),
            ("pre μ σ", N_("the same before BN (the Linear output): what BN takes away")),
            ("p15 ⣀ p50 ⣀ p85", N_("tall panels: 15th/50th/85th percentile over time (BN fig. 1)")),
            ("×", N_("a value that is not finite (NaN or ±inf)")),
        ),
    ),
    (
        N_("Gradients"),
        (
            (N_("████ bar"), N_("‖∇W‖, the size of the weight gradient, log scale 1e-6 … 1e1")),
            ("1.1e-04", N_("its value: tiny in the first layers = vanishing gradients")),
            ("g:d 0.04", N_("grad:data = std(∇W) / std(W) (wide panels only)")),
            ("···●┆··· -3.3", N_("update:data = log10 of how much one step moves W relative to W")),
            ("┆", N_("the −3 guide: a step changes the weights by about 1/1000")),
            (
                N_("green / yellow / red"),
                N_("−4…−2 healthy; below −4 barely learning; above −2 too big"),
            ),
            ("sat %", N_("sigmoid/tanh: share of outputs stuck near the bounds (σ′ ≈ 0)")),
            ("dead %", N_("ReLU: share of units whose input is ≤ 0 for the whole batch")),
            ("▁▃▅ 1e-6..1e0", N_("tall panels: ‖∇W‖ over time, one decade scale for all layers")),
        ),
    ),
    (
        N_("Percentile bands (selected layer)"),
        (
            (
                N_("blue lines"),
                N_("p15 and p85 of the activation input: the middle 70 % of values"),
            ),
            (N_("green line"), N_("p50, the median")),
            ("pre-BN μ σ", N_("mean and std before BN of the same layer (BN on only)")),
            (
                "@330",
                N_("the statistics are of step 330: they come every 30 steps and lag by less"),
            ),
        ),
    ),
    (
        N_("Message line (bottom)"),
        (
            ("Δ BN on: L3 σ …", N_("what the last event changed: statistics after vs just before")),
            ("|∇W| L1 ×8000", N_("the layer whose gradient moved most, by that factor")),
            (N_("yellow text"), N_("a note; it disappears after a few seconds")),
            (N_("red text"), N_("divergence or an error, with what to try")),
        ),
    ),
)


def legend_table(ascii: bool = False) -> Table:
    """The legend as one Rich grid: a panel heading, then mark | meaning rows."""
    from bntui.tui.render import asciify

    t = asciify if ascii else str
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=16)
    # fold, not ellipsis: Rich's ellipsis crops a wrapped line that fills the column
    # exactly and ends in a space (seen with Hangul at 80 columns)
    grid.add_column(overflow="fold")
    for n, (panel, rows) in enumerate(LEGEND):
        if n:
            grid.add_row("", "")
        grid.add_row(Text(t(_(panel)), style="bold underline"), "")
        for mark, what in rows:
            grid.add_row(t(_(mark)), t(_(what)))
    return grid


class LegendScreen(ModalScreen[None]):
    """Every panel's marks in plain words; e, Esc, Enter or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,e,enter,q", "dismiss", "close", show=True),
    ]

    def __init__(self, ascii: bool = False) -> None:
        super().__init__()
        self.ascii = ascii

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="legend-body"):
            yield Static(legend_table(self.ascii), id="legend-table")

    def on_mount(self) -> None:
        for body in self.query("#legend-body"):  # none if the screen closed before it mounted
            body.focus()  # so ↑ ↓ PgUp PgDn scroll it, as its frame says
            body.border_title = _("bntui · what the panels show")
            body.border_subtitle = _("↑ ↓ PgDn scroll · e / Esc closes")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
