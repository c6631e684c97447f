"""The step records a headless lesson keeps: bounded memory, window means in O(log n).

A lesson's ``expect`` checks and figures average a metric over the ``window`` steps
before an event. Keeping every record and scanning back for each check grows without
bound (a 10⁹-step lesson) and is quadratic (20,000 checks with large windows).
``RecordWindow`` keeps, per metric that a check or figure asks for, the steps, values and
prefix sums — only for the last ``keep`` steps (plus the one value before them, for a
metric measured rarely) when ``keep`` is given — so each window mean is two bisections.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

EXACT_UP_TO = 4096  # windows up to this many values are summed exactly (math.fsum)


TWIN = "twin:"  # compare mode: "twin:val_acc" is the twin's metric (its record under this key)
POOLED_ICS = ("ics_l2", "ics_cos")  # mean over layers 2…head of one record (Frame.ics)


def pooled_ics(record: dict[str, Any], key: str) -> float | None:
    """The mean of ``L2.<key>`` … ``L<head>.<key>`` in one record (None: not measured at
    that step): a window of these is the pooled mean view 6 prints and ``{ics_cos}`` quotes."""
    values = [
        float(v)
        for name, v in record.items()
        if name.endswith("." + key) and name[:1] == "L" and name[1:].split(".", 1)[0] != "1"
    ]
    return math.fsum(values) / len(values) if values else None


def metric_of(record: dict[str, Any], name: str) -> float | None:
    """``val_acc``, ``L2.grad_norm`` or ``L2.ics_cos`` of one step record (None if absent);
    ``twin:NAME`` the same metric of the twin (compare mode, ``twin_entry``)."""
    if name.startswith(TWIN):
        inner = record.get(TWIN)
        return None if inner is None else metric_of(inner, name[len(TWIN) :])
    if name in POOLED_ICS:
        return pooled_ics(record, name)
    if name in record:  # top-level fields, the ICS ones (L2.ics_cos) too
        value = record[name]
    elif name[:1] == "L" and "." in name and name[1:].split(".", 1)[0].isdigit():
        layer, key = name[1:].split(".", 1)
        layers = record.get("layers")
        i = int(layer) - 1
        value = layers[i].get(key) if layers and i < len(layers) else None
    else:
        value = record.get(name)
    return None if value is None else float(value)


class _Series:
    """One metric: its steps, values and prefix sums (finite values; non-finite counted)."""

    __slots__ = ("bad", "steps", "sums", "values")

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.values: list[float] = []
        self.sums: list[float] = [0.0]  # sums[k]: sum of the finite values[:k]
        self.bad: list[int] = [0]  # bad[k]: how many of values[:k] are not finite

    def add(self, step: int, value: float) -> None:
        finite = math.isfinite(value)
        self.steps.append(step)
        self.values.append(value)
        self.sums.append(self.sums[-1] + (value if finite else 0.0))
        self.bad.append(self.bad[-1] + (not finite))

    def trim(self, before: int) -> None:
        """Forget values of steps <= ``before``, except the last of them (a fallback)."""
        drop = bisect_right(self.steps, before) - 1
        if drop <= max(64, len(self.steps) // 2):
            return  # amortized: compact only when half the list is dead
        base_sum, base_bad = self.sums[drop], self.bad[drop]
        del self.steps[:drop], self.values[:drop]
        self.sums = [s - base_sum for s in self.sums[drop:]]  # re-based: no precision drift
        self.bad = [b - base_bad for b in self.bad[drop:]]

    def mean(self, step: int, window: int, since: int) -> float | None:
        lo = max(step - window, since)
        i, j = bisect_right(self.steps, lo), bisect_right(self.steps, step)
        if i == j:  # nothing in the window: the last value before it, after ``since``
            return self.values[i - 1] if i > 0 and self.steps[i - 1] > since else None
        if self.bad[j] - self.bad[i]:
            return math.nan
        if j - i <= EXACT_UP_TO:
            return math.fsum(self.values[i:j]) / (j - i)
        return (self.sums[j] - self.sums[i]) / (j - i)


class RecordWindow:
    """A sequence of step records (all, or the last ``keep``) with indexed window means.

    ``names`` are the metrics indexed as records arrive; others are indexed when asked
    for, over the records kept. ``total`` counts every record appended.
    """

    def __init__(self, names: Iterable[str], keep: int | None = None) -> None:
        self.keep = keep
        self._records: deque[dict[str, Any]] = deque(maxlen=keep)
        self._series = {name: _Series() for name in names}
        self.total = 0
        self.last_with_layers: dict[str, Any] | None = None

    def append(self, record: dict[str, Any]) -> None:
        self._records.append(record)
        self.total += 1
        step = record["step"]
        for name, series in self._series.items():
            value = metric_of(record, name)
            if value is not None:
                series.add(step, value)
        if record.get("layers"):
            self.last_with_layers = record
        if self.keep is not None and self.total % self.keep == 0:
            for series in self._series.values():
                series.trim(step - self.keep)

    def measure(self, name: str, step: int, window: int, since: int = 0) -> float | None:
        """Mean of ``name`` over steps ``(max(step - window, since), step]`` (see measure)."""
        series = self._series.get(name)
        if series is None:  # not indexed: index it now over the records kept
            series = _Series()
            for record in self._records:
                value = metric_of(record, name)
                if value is not None:
                    series.add(record["step"], value)
        return series.mean(step, window, since)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._records)

    def __reversed__(self) -> Iterator[dict[str, Any]]:
        return reversed(self._records)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return list(self._records)[index]
        return self._records[index]


def lesson_metrics(script: Any, max_depth: int | None = None) -> list[str]:
    """The metrics a lesson's checks and figures measure (grad norms of every layer)."""
    if max_depth is None:
        from bntui.training.config import MAX_DEPTH

        max_depth = MAX_DEPTH
    names = ["loss", "acc", "val_loss", "val_acc"]
    names += [f"L{i}.grad_norm" for i in range(1, max_depth + 1)]
    for event in script.events:
        question = getattr(event, "question", None)
        for check in (*event.expect, *(question.expect if question else ())):
            names += [t for t in check.terms if t not in names]
    return names


def twin_entry(record: dict[str, Any]) -> dict[str, Any]:
    """How a twin's record is kept beside the primary's: under ``twin:`` (``metric_of``)."""
    return {"step": record["step"], TWIN: record}


def unwrapped(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The records as written to a metrics file (a twin's out of its ``twin_entry``)."""
    for record in records:
        yield record.get(TWIN, record)


def lesson_keep(script: Any, end_window: int = 100) -> int:
    """Records a lesson needs to keep: its largest window (and the end figures') + 1,
    twice over in compare mode (a record per twin and step)."""
    twins = 2 if getattr(script.config, "compare", None) else 1
    windows = [e.window for e in script.events]
    windows += [e.question.window for e in script.events if getattr(e, "question", None)]
    return twins * (max([end_window, *windows]) + 1)


def tee(*writers: Any) -> Callable[[dict[str, Any]], None] | None:
    """One ``on_record`` callback writing to every writer given (None ones skipped)."""
    live = [w for w in writers if w is not None]
    if not live:
        return None

    def write(record: dict[str, Any]) -> None:
        for w in live:
            w.write(record)

    return write
