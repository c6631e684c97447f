"""The BN internals view (key 5): batch vs running statistics of the selected layer,
gamma and beta, and one batch's output in train mode vs eval mode (seed 003, DLFS eq. 6.7).
"""

from __future__ import annotations

import math

from rich.text import Text

from bntui.i18n import N_, _
from bntui.i18n.message import Msg, render
from bntui.live.bn_internals import BNInternals
from bntui.live.frame import Frame
from bntui.tui.panels import KeyedStatic, set_border
from bntui.tui.render import fixed, fmt_num

# (header, BNInternals field, signed) — the per-unit table, left to right
COLUMNS = (
    ("μ_B", "mu_b", True),
    ("run μ", "run_mean", True),
    ("lag μ", "lag_mu", True),
    ("σ_B", "sigma_b", False),
    ("run σ", "run_std", False),
    ("lag σ", "lag_sigma", True),
    ("γ", "gamma", False),
    ("β", "beta", True),
    ("train", "y_train", True),
    ("eval", "y_eval", True),
    ("diff", "diff", True),
)
DERIVED = ("lag_mu", "lag_sigma", "diff")  # shown bold: the differences the view is about
CELL = 6  # characters per number; 5 where 6 would not fit (80 columns)
UNIT = 6  # the unit number column (" unit ", "    1 ")
NOTES = {  # what "train mode" means in the table for the BN variants
    "noisy-bn": N_(
        "noisy BN: train mode here is BN with batch statistics, the random s, t left out"
    ),
    "brn": N_("BRN: train mode corrects μ_B, σ_B by r, d from the running statistics (as now)"),
}


def cell_width(columns: int) -> int:
    """CELL when the table (unit column, then a space and a number per column) fits in
    ``columns`` cells, else one less: at 80 columns the panel has 78 and 6 needs 83."""
    return CELL if UNIT + len(COLUMNS) * (CELL + 1) <= columns else CELL - 1


def _row(bi: BNInternals, j: int) -> dict[str, float]:
    """Unit ``j``'s values; the lags are running minus batch (how far the running
    statistics trail this batch), diff is train minus eval."""
    row = {k: float(getattr(bi, k)[j]) for _h, k, _s in COLUMNS if k not in DERIVED}
    row["lag_mu"] = row["run_mean"] - row["mu_b"]
    row["lag_sigma"] = row["run_std"] - row["sigma_b"]
    row["diff"] = row["y_train"] - row["y_eval"]
    return row


class InternalsView(KeyedStatic):
    """Per unit: μ_B, σ_B vs the running statistics, γ, β and train vs eval output."""

    def show(self, frame: Frame) -> None:
        bi = frame.internals
        layer = bi.layer if bi is not None else 0
        title = _("BN internals · L{layer} · {norm} · step {step}").format(
            layer=layer, norm=frame.norm_label, step=frame.step
        )
        set_border(self, title=self.t(title))
        height = max(self.content_size.height, 1)
        if not self.changed((frame.step, frame.config, layer, self.content_size)):
            return
        if bi is None or frame.depth == 0:
            self.put(_("depth 0: no hidden layer (press + to add one)"))
            return
        if not bi.applies:
            self.put(self._explain(bi.reason))
            return
        out = Text(no_wrap=True, overflow="crop")
        head = _("last training batch ({n} samples): μ_B, σ_B vs the running statistics;")
        out.append(self.t(head.format(n=bi.batch_size)), style="dim")
        out.append("\n")
        out.append(self.t(_("sample 1's output in train mode (μ_B, σ_B) and eval mode (running)")),
                   style="dim")  # fmt: skip
        out.append("\n")
        cell = cell_width(self.content_size.width)
        heads = "".join(h.rjust(cell + 1) for h, _k, _s in COLUMNS)
        out.append(self.t(" unit " + heads), "bold")
        note = NOTES.get(bi.norm.partition(":")[0])
        footer_rows = 7 + (note is not None)
        units = len(bi.mu_b) if bi.mu_b is not None else 0
        shown = max(min(units, height - 3 - footer_rows), 1)
        for j in range(shown):
            out.append("\n")
            out.append(f"{j + 1:>5} ")
            row = _row(bi, j)
            for _h, key, signed in COLUMNS:
                text = " " + fixed(row[key], cell, signed=signed)
                out.append(text, style="bold" if key in DERIVED else "")
        if shown < units:
            out.append("\n")
            out.append(self.t(_("… {k} more units (a taller terminal shows them)")
                              .format(k=units - shown)), "dim")  # fmt: skip
        self._footer(out, bi, frame)
        if note is not None:
            out.append("\n")
            out.append(self.t(_(note)), style="dim")
        self.put(out)

    def _footer(self, out: Text, bi: BNInternals, frame: Frame) -> None:
        out.append("\n\n")
        out.append(
            self.t(_("train − eval on the whole batch: RMS {d}").format(d=fixed(bi.diff_rms, 6)))
        )
        out.append("\n")
        # the layer's mean γ and β as its statistics hold them: what {L3.gamma} quotes
        last = frame.layers[bi.layer - 1].last if 0 < bi.layer <= len(frame.layers) else {}
        means = _("L{layer} mean over its units: γ {gamma} · β {beta}").format(
            layer=bi.layer, gamma=fmt_num(last.get("gamma")), beta=fmt_num(last.get("beta"))
        )
        out.append(self.t(means), style="bold")
        out.append("\n")
        spread = _(
            "{m} fresh batches of {b}: sd(μ_B − run μ)/run σ {mu}, sd(σ_B/run σ) {sg}"
        ).format(
            m=bi.batches,
            b=bi.sample_size,
            mu=fixed(bi.mu_spread, 5),
            sg=fixed(bi.sigma_spread, 5),
        )
        out.append(self.t(spread))
        out.append("\n")
        gap = bi.gap
        acc = _(
            "accuracy on them: train mode {t}, eval mode {e}, gap {g} ({d} of predictions differ)"
        ).format(t=_pct(bi.acc_train), e=_pct(bi.acc_eval), g=_pp(gap), d=_pct(bi.disagree))
        out.append(self.t(acc), style="bold yellow" if abs(gap) >= 0.05 else "")
        out.append("\n")
        hint = _("smaller batches: μ_B, σ_B scatter more, train and eval part (batch-size /2)")
        out.append(self.t(hint), style="dim")

    def _explain(self, reason: Msg | None) -> Text:
        out = Text()
        out.append(self.t(_("This view shows, for a batch normalization (bn, brn, noisy-bn):")))
        out.append("\n")
        for line in (
            _("· batch μ_B and σ_B per unit beside the running mean and std, and their lag"),
            _("· γ and β; one batch's output in train mode vs eval mode, and the difference"),
            _("· how batch statistics scatter around running ones, and the train/eval gap"),
        ):
            out.append(self.t(line) + "\n")
        out.append("\n")
        why = render(reason, _) or ""
        out.append(self.t(_("It does not apply here:") + " " + why), style="bold")
        out.append("\n")
        out.append(self.t(_("Try norm bn (or press N to cycle the normalization).")), style="dim")
        return out


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{100 * x:.0f}%"


def _pp(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{100 * x:+.0f} pp"
