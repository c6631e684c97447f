"""Play a script without a screen: train as fast as possible, check ``expect``, write files.

``run_script(script)`` trains a fresh Session, applying each event's commands at its step
boundary (``do`` first, then the caption, as ``caption TEXT``), and measures the event's
``expect`` checks before its commands apply. ``write_outputs(result, out_dir)`` writes
``metrics.jsonl`` (byte-identical across runs: no wall-clock fields), ``events.jsonl`` and
``report.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bntui.captions import fill_values
from bntui.commands import CommandError
from bntui.config import Config
from bntui.frame import norm_label
from bntui.metrics import layer_metric
from bntui.pair import Pair
from bntui.player import DONE, Schedule, one_blas_thread, play
from bntui.replay.script import Check, Script, ScriptError, ScriptEvent
from bntui.replay.window import (
    RecordWindow,
    lesson_keep,
    lesson_metrics,
    metric_of,
    twin_entry,
)
from bntui.session import Session

FIGURE_METRICS = ("loss", "acc", "val_loss", "val_acc")


@dataclass(frozen=True)
class CheckResult:
    """One ``expect`` check as measured."""

    event: ScriptEvent
    check: Check
    measured: float | None  # None: never measured (not reached, layer missing)
    passed: bool
    note: str = ""


@dataclass(frozen=True)
class Figures:
    """Metrics averaged over the ``window`` steps before an event (or the run's end)."""

    label: str  # "event 3" or "end"
    step: int
    setup: str  # the experiment's settings at that point, e.g. "BN off · sigmoid · lr 0.1"
    values: dict[str, float | None]
    grad_norms: tuple[float | None, ...]  # per hidden layer


@dataclass
class ReplayResult:
    """Everything a headless replay produced."""

    script: Script
    session: Session
    steps: int  # steps planned (the lesson's, or the --steps cap)
    records: list[dict[str, Any]] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    figures: list[Figures] = field(default_factory=list)
    skipped: list[ScriptEvent] = field(default_factory=list)
    screenshots: list[tuple[ScriptEvent, str]] = field(default_factory=list)  # (event, status)
    notes: list[str] = field(default_factory=list)
    since: int = 0  # step of the last event that changed the experiment (``do``)
    pair: Any = None  # the Pair trained (compare mode: Twins; ``session`` is its primary)
    # each caption as filled at its step: (event, English, Korean or None)
    captions: list[tuple[ScriptEvent, str, str | None]] = field(default_factory=list)

    def caption(self, event: ScriptEvent) -> str | None:
        """The event's caption as filled when it applied, in the UI language."""
        from bntui.i18n import localized

        found = next(((en, ko) for e, en, ko in self.captions if e is event), None)
        return None if found is None else localized(*found)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]


# ---------------------------------------------------------------------- measuring
def metric_value(record: dict[str, Any], name: str) -> float | None:
    """A metric of one step record (``bntui.replay.window.metric_of``; None if absent)."""
    return metric_of(record, name)


def measure(
    records: list[dict[str, Any]], name: str, step: int, window: int, since: int = 0
) -> float | None:
    """Mean of a metric over the records of steps ``(max(step - window, since), step]``.

    ``since`` is the step of the last change to the experiment: nothing before it counts.
    Falls back to the last value measured before the window (a metric measured rarely);
    None when it was never measured. Non-finite values make the mean NaN (a diverged run).
    """
    if isinstance(records, RecordWindow):
        return records.measure(name, step, window, since)  # indexed: no scan
    values: list[float] = []
    latest: float | None = None
    for record in reversed(records):
        s = record["step"]
        if s > step:
            continue
        if s <= since:
            break
        value = metric_value(record, name)
        if value is None:
            continue
        if s > step - window:
            values.append(value)
        else:
            latest = value
            break
    if not values:
        return latest
    if not all(math.isfinite(v) for v in values):
        return math.nan
    return math.fsum(values) / len(values)  # the window's mean


def measure_check(
    records: list[dict[str, Any]], check: Check, step: int, window: int, since: int = 0
) -> tuple[float | None, str]:
    """The value a check compares: a metric's window mean, or a ratio of two such means."""
    values = [measure(records, t, step, window, since) for t in check.terms]
    if any(v is None for v in values):
        missing = next(t for t, v in zip(check.terms, values, strict=True) if v is None)
        return None, f"{missing} not measured by step {step}"
    if len(values) == 1:
        return values[0], ""
    num, den = values
    if den == 0:
        return math.nan, "division by zero"
    return num / den, ""  # ratio of the two window means


def setup_text(config: Config) -> str:
    """The settings that lessons change, in one short line."""
    norm = config.normalization
    name = "BN" if norm == "bn" else norm_label(norm)
    bn = "BN off" if norm == "none" else f"{name} {config.bn_position}"
    parts = [
        bn,
        config.activation,
        f"depth {config.depth}",
        f"lr {config.lr:g}",
        f"init {config.init}",
        config.optimizer,
    ]
    if config.dropout:
        parts.append(f"dropout {config.dropout:g}")
    if config.weight_decay:
        parts.append(f"wd {config.weight_decay:g}")
    if config.batch_size != Config().batch_size:
        parts.append(f"batch {config.batch_size}")
    return " · ".join(parts)


def _figures(label: str, session: Session, records, step: int, window: int, since: int) -> Figures:
    values = {m: measure(records, m, step, window, since) for m in FIGURE_METRICS}
    grads = tuple(
        measure(records, layer_metric(i, "grad_norm"), step, window, since)
        for i in range(1, session.model.depth + 1)
    )
    return Figures(label, step, setup_text(session.config), values, grads)


# ---------------------------------------------------------------------- screenshots
# render(session or, in compare mode, the Pair, script, event, path) -> "written" / "failed: …";
# the CLI passes one that draws the TUI (this module knows no UI)
Renderer = Callable[[Any, Script, ScriptEvent, Path], str]


# ---------------------------------------------------------------------- running
@one_blas_thread()
def run_script(
    script: Script,
    *,
    steps: int | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    screenshot_dir: Path | None = None,
    render: Renderer | None = None,
    keep_records: bool = True,
    on_slide: Callable[[Any, ScriptEvent, tuple[str, str | None]], None] | None = None,
) -> ReplayResult:
    """Train the script's lesson headless (``steps`` caps it) and measure every check.

    Played by ``bntui.player.play``: each event at its step boundary, the last step's too.
    ``keep_records=False`` keeps only the records the checks need (flat memory): the
    caller then streams the rest through ``on_record``. ``on_slide(session or Pair, event,
    (caption, caption_ko))`` is called right after each caption event applied, with its
    captions as filled at that step."""
    pair = Pair(script.config)  # compare mode (config.compare): Twins
    session = pair.session
    planned = session.planned_steps  # ``steps``, or what ``epochs`` whole passes take
    total = planned if steps is None else min(steps, planned)
    result = ReplayResult(script, session, total)
    result.pair = pair
    keep = None if keep_records else lesson_keep(script)
    result.records = RecordWindow(lesson_metrics(script), keep)  # type: ignore[assignment]
    result.skipped = [e for e in script.events if e.at > total]
    if result.skipped:
        first = result.skipped[0]
        result.notes.append(
            f"--steps {total}: {len(result.skipped)} event(s) from step {first.at} on skipped"
        )
    pending = Schedule((e.at, e) for e in script.events if e.at <= total)

    def record(recs: list[dict[str, Any]]) -> None:
        for role, rec in zip(pair.roles, recs, strict=True):
            result.records.append(rec if role == "primary" else twin_entry(rec))
            if on_record is not None:
                on_record(rec)

    def apply(_at: int, event: ScriptEvent) -> None:
        texts = _apply_event(result, event, screenshot_dir, render)
        if on_slide is not None and texts is not None:
            # compare mode: the slides draw both twins (the Pair), as the screenshots do
            on_slide(pair if pair.twin is not None else session, event, texts)

    why = play(pair, pending, until=total, on_due=apply, on_record=record)
    if why != DONE:
        s = pair.step_count
        result.notes.append(f"training {why} at step {s}; the rest of the lesson was not played")
        left = [e for _at, e in pending]
        for event in left:
            for check in event.expect:
                result.checks.append(CheckResult(event, check, None, False, "not reached"))
        result.skipped += left
    end = pair.step_count
    if not result.figures or result.figures[-1].step != end:
        result.figures.append(_figures("end", session, result.records, end, 100, result.since))
    return result


def _add_figures(result: ReplayResult, figures: Figures) -> None:
    """Append, merging with the previous row when two events share a step."""
    last = result.figures[-1] if result.figures else None
    if last is not None and last.step == figures.step:
        label = last.label + ", " + figures.label.removeprefix("event ")
        result.figures[-1] = Figures(label, last.step, last.setup, last.values, last.grad_norms)
    else:
        result.figures.append(figures)


def _apply_event(
    result: ReplayResult, event: ScriptEvent, screenshot_dir: Path | None, render: Renderer | None
) -> tuple[str, str | None] | None:
    """Measure the event's checks, apply its commands; its captions as filled (or None)."""
    session, records = result.session, result.records
    step = session.step_count
    for check in event.expect:
        value, note = measure_check(records, check, step, event.window, result.since)
        result.checks.append(CheckResult(event, check, value, check.holds(value), note))
    if step > 0:
        label = f"event {event.index}"
        _add_figures(result, _figures(label, session, records, step, event.window, result.since))
    if any(not c.startswith("mark ") for c in event.do):
        result.since = step
    texts = None
    for command in event.commands():
        try:
            done = result.pair.apply(command) if result.pair is not None else session.apply(command)
        except CommandError as exc:
            raise ScriptError(f"{result.script.where(event)}: {exc}") from None
        if done.kind == "caption":
            ko = event.caption_ko and fill_values(event.caption_ko, dict(done.values))
            texts = (done.text, ko or None)
            result.captions.append((event, *texts))
    if event.screenshot:
        if screenshot_dir is None:
            status = "not rendered (no --out directory)"
        elif render is None:
            status = "not rendered (no renderer)"
        else:
            path = screenshot_dir / event.screenshot
            twins = result.pair is not None and result.pair.twin is not None
            status = render(result.pair if twins else session, result.script, event, path)
        result.screenshots.append((event, status))
    return texts
