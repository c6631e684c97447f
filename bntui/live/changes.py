"""What an event changed, in numbers: "BN on: L3 σ 0.46→1.00, |∇W| L1 ×8000".

After a command changes the experiment, the per-layer statistics of the old setup are
kept (``before``); the first statistics record computed after it (``after``, at most
``stats_every`` steps later) closes the change, and ``summary`` says in one line what moved
most. The runner shows the line in the TUI; ``bntui run`` lists every change. No Textual,
no Rich, no translation: plain numbers in, one ``Joined`` line out (its words are ``Msg``
the UI translates when it draws).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bntui.i18n.message import Joined, Msg
from bntui.training.metrics import layer_metric

# verbs that only label the run: they change no statistic
NOTES = ("caption", "mark")
KEYS = ("std", "grad_norm", "sat", "loss")

Stats = dict[int, dict[str, float]]  # layer index (1-based) -> key -> value


@dataclass(frozen=True)
class Change:
    """One closed change: what was applied at ``step`` and the numbers around it."""

    step: int  # the step the command(s) were applied at
    label: str  # what was applied, e.g. "BN on" (events' texts joined by "; ")
    commands: tuple[str, ...]
    before: Stats
    after: Stats
    after_step: int  # the step of the first statistics of the new setup
    loss_before: float | None = None
    loss_after: float | None = None
    val_before: float | None = None
    val_after: float | None = None

    @property
    def summary(self) -> Joined:
        """The label, then what moved: "BN on: L3 σ 0.46→1.00, |∇W| L1 ×8000"."""
        return summarize(self.label, self.before, self.after)

    @property
    def moves(self) -> Joined:
        """What moved, without the label: "L3 σ 0.46→1.00, |∇W| L1 ×8000"."""
        return moves(self.before, self.after)


def history_stats(history: Any, depth: int) -> Stats:
    """The newest per-layer statistics kept in a session's ``History``."""
    out: Stats = {}
    for i in range(1, depth + 1):
        row = {}
        for k in KEYS[:3]:
            s = history.series.get(layer_metric(i, k))
            if s is not None and s.count:
                row[k] = s.last
        if row:
            out[i] = row
    return out


def record_stats(record: Mapping[str, Any]) -> Stats:
    """The per-layer statistics of one step record ({} when it has none)."""
    return {
        i: {k: float(layer[k]) for k in KEYS[:3] if k in layer}
        for i, layer in enumerate(record.get("layers", ()), start=1)
    }


def _num(x: float) -> str:
    """0.46, 1.00, 12.3, 9.04e+09: two decimals where they read well, else 3 digits."""
    return f"{x:.2f}" if 0.01 <= abs(x) < 100 or x == 0 else f"{x:.3g}"


def _ratio(before: float, after: float) -> str:
    """'×8000' or '÷12' (3 significant digits), for magnitudes that span decades."""
    if before <= 0 or after <= 0:
        return f"{before:.2g}→{after:.2g}"
    r = after / before
    big = r if r >= 1 else 1 / r
    text = f"{big:.0f}" if 100 <= big < 1e6 else f"{big:.3g}"
    return ("×" if r >= 1 else "÷") + text


def summarize(label: str, before: Stats, after: Stats) -> Joined:
    """One line: the label, then what moved (``moves``)."""
    return Joined((label, moves(before, after)), ": ")


def moves(before: Stats, after: Stats) -> Joined:
    """The layer whose σ moved most, the layer whose |∇W| moved most (by ratio), a
    saturation/dead share that moved by 10 points or more, the new layers."""
    common = [i for i in sorted(after) if i in before]
    parts: list[str | Msg] = []
    added = [i for i in sorted(after) if i not in before]

    def moved(key: str, log: bool) -> tuple[int, float, float] | None:
        best: tuple[float, int, float, float] | None = None
        for i in common:
            b, a = before[i].get(key), after[i].get(key)
            if b is None or a is None or not (math.isfinite(b) and math.isfinite(a)):
                continue
            score = abs(math.log10(max(a, 1e-30) / max(b, 1e-30))) if log else abs(a - b)
            if best is None or score > best[0]:
                best = (score, i, b, a)
        return None if best is None else best[1:]

    sd = moved("std", log=True)
    if sd is not None and abs(sd[2] - sd[1]) >= 0.01:
        parts.append(f"L{sd[0]} σ {_num(sd[1])}→{_num(sd[2])}")
    grad = moved("grad_norm", log=True)
    if grad is not None and grad[1] > 0 and abs(math.log10(max(grad[2], 1e-30) / grad[1])) > 0.05:
        parts.append(f"|∇W| L{grad[0]} {_ratio(grad[1], grad[2])}")
    sat = moved("sat", log=False)
    if sat is not None and abs(sat[2] - sat[1]) >= 0.10:
        parts.append(Msg("sat/dead L{n} {a}→{b}", n=sat[0], a=f"{sat[1]:.0%}", b=f"{sat[2]:.0%}"))
    if added:
        if len(added) == 1:
            parts.append(Msg("new L{n}", n=added[0]))
        else:
            parts.append(Msg("new L{a}–L{b}", a=added[0], b=added[-1]))
    if not parts:
        parts.append(Msg("statistics moved little (σ, |∇W| within 12 %)"))
    return Joined(tuple(parts), ", ")


@dataclass
class Tracker:
    """Collects changes: ``applied`` before a command, ``record`` for every step record."""

    pending: dict[str, Any] | None = None
    changes: list[Change] = field(default_factory=list)

    def applied(
        self,
        step: int,
        command: str,
        text: str,
        before: Stats,
        *,
        loss: float | None = None,
        val: float | None = None,
    ) -> None:
        """A command was applied at ``step``; ``before``: the statistics just before it."""
        if command.split(" ", 1)[0] in NOTES:
            return
        p = self.pending
        if p is not None and p["step"] == step:  # several commands at one step: one change
            p["labels"].append(text)
            p["commands"].append(command)
            return
        self.pending = {
            "step": step,
            "labels": [text],
            "commands": [command],
            "before": before,
            "loss": loss,
            "val": val,
        }

    def record(self, record: Mapping[str, Any], val: float | None = None) -> Change | None:
        """Close the pending change with the first statistics after it (None otherwise)."""
        p = self.pending
        if p is None or "layers" not in record or record["step"] <= p["step"]:
            return None
        self.pending = None
        change = Change(
            step=p["step"],
            label="; ".join(p["labels"]),
            commands=tuple(p["commands"]),
            before=p["before"],
            after=record_stats(record),
            after_step=int(record["step"]),
            loss_before=p["loss"],
            loss_after=record.get("loss"),
            val_before=p["val"],
            val_after=val,
        )
        self.changes.append(change)
        return change


DEAD_SHARE = 0.9  # a layer with this share of dead units (ReLU family) gets a hint


def dead_hint(activation: str, layers: list[dict[str, float]]) -> Msg | None:
    """A hint like the divergence one when ≥ 90 % of a layer's units are dead (ReLU)."""
    if activation not in ("relu",):
        return None
    dead = [(i, d["sat"]) for i, d in enumerate(layers, start=1) if d.get("sat", 0) >= DEAD_SHARE]
    if not dead:
        return None
    i, share = max(dead, key=lambda t: t[1])
    return Msg(
        "L{n}: {share} of units dead (input ≤ 0 on the whole batch, so no gradient "
        "reaches them): try lr /2, bn on or reset",
        n=i,
        share=f"{share:.0%}",
    )
