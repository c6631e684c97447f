"""``expect`` checks of a lesson: a metric (or a ratio of two) compared with a number.

``parse_check("val_acc", ">= 0.8")`` gives a ``Check``; metric names are the step
record's (``loss``, ``val_acc``, …) or a hidden layer's statistic (``L2.grad_norm``).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

from bntui.replay.window import POOLED_ICS
from bntui.training.config import MAX_DEPTH
from bntui.training.measure import ICS_KEYS, SMOOTH_KEYS
from bntui.training.metrics import LAYER_KEYS

RECORD_METRICS = (
    "loss",
    "acc",
    "val_loss",
    "val_acc",
    "lr",
    "epoch",
    "penalty",
    "train_eval_acc",
)
OPERATORS = (">=", "<=", "==", "!=", ">", "<")
_LAYER_METRIC = re.compile(r"^L(\d+)\.([a-z_0-9]+)$")
_CHECK = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Check:
    """One ``expect`` entry: a metric (or a ratio of two) compared with a number."""

    metric: str  # as written (normalized spaces), e.g. "L1.grad_norm / L6.grad_norm"
    terms: tuple[str, ...]  # one metric name, or (numerator, denominator)
    op: str
    value: float

    def holds(self, measured: float | None) -> bool:
        """True when the measured value satisfies the comparison (None or NaN never does)."""
        if measured is None or math.isnan(measured):
            return False
        a, b = measured, self.value
        return {
            ">=": a >= b,
            "<=": a <= b,
            ">": a > b,
            "<": a < b,
            "==": math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
            "!=": not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12),
        }[self.op]

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


def check_metric(name: str) -> None:
    """Raise ValueError unless ``name`` is a known metric (``val_acc``, ``L2.grad_norm``,
    ``L5.ics_cos``, ``beta_smooth``, ``ics_cos`` / ``ics_l2``: layers 2…head pooled, as view
    6 and a caption's ``{ics_cos}`` show them; ``twin:NAME`` for the twin's in compare
    mode)."""
    name = name.removeprefix("twin:")
    if name in RECORD_METRICS or name in SMOOTH_KEYS or name in POOLED_ICS:
        return
    m = _LAYER_METRIC.match(name)
    if m:
        layer, key = int(m.group(1)), m.group(2)
        top = MAX_DEPTH + 1 if key in ICS_KEYS else MAX_DEPTH  # ICS: the head too
        if not 1 <= layer <= top:
            raise ValueError(f"layer {layer} out of range 1..{top} in {name!r}")
        if key in LAYER_KEYS or key in ICS_KEYS:
            return
        close = difflib.get_close_matches(key, LAYER_KEYS, n=1)
        hint = f" (did you mean 'L{layer}.{close[0]}'?)" if close else ""
        raise ValueError(f"unknown layer metric {name!r}{hint}")
    options = [*RECORD_METRICS, "L1.grad_norm"]
    close = difflib.get_close_matches(name, options, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(
        f"unknown metric {name!r}{hint}; use {', '.join(RECORD_METRICS)} or L<i>.<stat> "
        f"({', '.join(LAYER_KEYS)})"
    )


def parse_check(key: str, raw: Any) -> Check:
    """``("val_acc", ">= 0.8")`` -> Check; raises ValueError with a one-line message."""
    terms = tuple(t.strip() for t in key.split("/"))
    if len(terms) > 2 or not all(terms):
        raise ValueError(f"expect {key!r}: use one metric or a ratio 'A / B'")
    for t in terms:
        check_metric(t)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError(f'expect {key!r}: give a comparison as text, e.g. ">= 0.8"')
    if isinstance(raw, int | float):
        op, number = "==", float(raw)
    else:
        m = _CHECK.match(raw)
        if not m:
            raise ValueError(
                f"expect {key!r}: {raw!r} is not a comparison; use one of "
                f'{", ".join(OPERATORS)} and a number, e.g. ">= 0.8"'
            )
        op = m.group(1)
        try:
            number = float(m.group(2))
        except ValueError:
            raise ValueError(f"expect {key!r}: {m.group(2)!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"expect {key!r}: the threshold must be a finite number")
    return Check(" / ".join(terms), terms, op, number)


def _flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{L1 = {grad_norm = "> 0"}}`` (unquoted dotted keys) -> [("L1.grad_norm", "> 0")]."""
    out: list[tuple[str, Any]] = []
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out += _flatten(value, name)
        else:
            out.append((name, value))
    return out
