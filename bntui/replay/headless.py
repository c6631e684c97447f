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

from bntui.live.captions import fill_values, from_frame
from bntui.live.frame import norm_label
from bntui.replay.script import Check, Script, ScriptError, ScriptEvent
from bntui.replay.window import (
    RecordWindow,
    lesson_keep,
    lesson_metrics,
    metric_of,
    twin_entry,
)
from bntui.training.commands import CommandError
from bntui.training.config import Config
from bntui.training.metrics import layer_metric
from bntui.training.pair import Pair
from bntui.training.player import Ending, Schedule, one_blas_thread, play
from bntui.training.session import Session

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


@dataclass(frozen=True)
class Reveal:
    """The step where a question's answer shows: its checks are measured there."""

    event: ScriptEvent


@dataclass
class Asked:
    """A question as played: the answer given (None: not answered) and what the run showed."""

    number: int  # 1-based, in the lesson's order
    event: ScriptEvent
    given: int | None = None
    checks: list[CheckResult] = field(default_factory=list)  # measured at the reveal

    @property
    def shown(self) -> bool:
        """True when the run showed the lesson's answer (every check of the question held)."""
        return bool(self.checks) and all(c.passed for c in self.checks)


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
    asked: list[Asked] = field(default_factory=list)  # the lesson's questions, in order
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
    answers: tuple[int, ...] | None = None,
    on_question: Callable[[Session, Asked, str], None] | None = None,
) -> ReplayResult:
    """Train the script's lesson headless (``steps`` caps it) and measure every check.

    Played by ``bntui.training.player.play``: each event at its step boundary, the last step's too.
    ``keep_records=False`` keeps only the records the checks need (flat memory): the
    caller then streams the rest through ``on_record``. ``on_slide(session or Pair, event,
    (caption, caption_ko))`` is called right after each caption event applied, with its
    captions as filled at that step.
    ``answers``: one choice per question (``--answers``); each question's checks are
    measured at its reveal step (before the commands of an event at that step).
    ``on_question(session, asked, "question" | "answer")``: at a question's step before
    its event's commands, and at its reveal after its checks (the slides draw them)."""
    pair = Pair(script.config, captions=from_frame)  # compare mode (config.compare): Twins
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
    given = list(answers) if answers is not None else [None] * len(script.questions)
    result.asked = [
        Asked(n, e, a) for n, (e, a) in enumerate(zip(script.questions, given, strict=True), 1)
    ]
    reveals = [
        (e.question.reveal, Reveal(e)) for e in script.questions if e.question.reveal <= total
    ]
    for a in result.asked:
        if a.event.question.reveal > total:  # type: ignore[union-attr]
            result.notes.append(f"--steps {total}: question {a.number}'s answer not measured")
    # stable sort: a reveal is measured before the commands of an event at its step
    pending = Schedule([*reveals, *((e.at, e) for e in script.events if e.at <= total)])

    def record(recs: list[dict[str, Any]]) -> None:
        for role, rec in zip(pair.roles, recs, strict=True):
            result.records.append(rec if role == "primary" else twin_entry(rec))
            if on_record is not None:
                on_record(rec)

    def apply(_at: int, event: ScriptEvent | Reveal) -> None:
        if isinstance(event, Reveal):
            _reveal(result, event.event)
            if on_question is not None:
                on_question(session, _asked(result, event.event), "answer")
            return
        if event.question is not None and on_question is not None:
            on_question(session, _asked(result, event), "question")
        texts = _apply_event(result, event, screenshot_dir, render)
        if on_slide is not None and texts is not None:
            # compare mode: the slides draw both twins (the Pair), as the screenshots do
            on_slide(pair if pair.twin is not None else session, event, texts)

    why = play(pair, pending, until=total, on_due=apply, on_record=record)
    if why != Ending.DONE:
        s = pair.step_count
        result.notes.append(f"training {why} at step {s}; the rest of the lesson was not played")
        left = [e for _at, e in pending if not isinstance(e, Reveal)]
        for event in left:
            for check in event.expect:
                result.checks.append(CheckResult(event, check, None, False, "not reached"))
        for _at, item in pending:
            if isinstance(item, Reveal):
                asked = _asked(result, item.event)
                for check in item.event.question.expect:  # type: ignore[union-attr]
                    failed = CheckResult(item.event, check, None, False, "not reached")
                    asked.checks.append(failed)
                    result.checks.append(failed)
        result.skipped += left
    end = pair.step_count
    if not result.figures or result.figures[-1].step != end:
        result.figures.append(_figures("end", session, result.records, end, 100, result.since))
    return result


@dataclass
class BranchResult:
    """What ``run_branch`` trained: the Pair (its ``branch`` holds both futures)."""

    pair: Pair
    at: int
    steps: int
    last: dict[str, dict[str, Any]] = field(default_factory=dict)  # twin -> its last record


@one_blas_thread()
def run_branch(
    script: Script,
    at: int,
    do: list[str],
    *,
    steps: int | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> BranchResult:
    """Play the lesson to step ``at``, then run two futures in lockstep: ``"branch"`` (the
    commands ``do`` at ``at``) and ``"recorded"`` (the lesson's own events from ``at`` on).

    Every record goes to ``on_record`` with a ``"twin"`` field after ``"step"``: the
    steps up to ``at`` once, as ``"recorded"``, so the ``"recorded"`` rows are the plain
    replay's rows, and after ``at`` one row per future. Captions and checks are not
    measured (the report is the plain replay's)."""
    pair = Pair(script.config, captions=from_frame)
    if pair.twin is not None:
        raise ScriptError("--branch-at: not in compare mode (compare already trains two)")
    planned = pair.session.planned_steps
    total = planned if steps is None else min(steps, planned)
    if not 0 <= at <= total:
        raise ScriptError(f"--branch-at {at}: the lesson runs steps 0..{total}")
    result = BranchResult(pair, at, total)

    def record(recs: list[dict[str, Any]]) -> None:
        for rec in recs:
            row = rec if "twin" in rec else {"step": rec["step"], "twin": "recorded", **rec}
            result.last[row["twin"]] = row
            if on_record is not None:
                on_record(row)

    def apply(_at: int, event: ScriptEvent) -> None:
        for command in event.commands():
            try:
                pair.apply(command)
            except CommandError as exc:
                raise ScriptError(f"{script.where(event)}: {exc}") from None

    events = [e for e in script.events if e.at <= total]
    play(pair, Schedule((e.at, e) for e in events if e.at < at), until=at, on_due=apply,
         on_record=record)  # fmt: skip
    future = [(e.at, c) for e in events if e.at >= at for c in e.commands()]
    pair.record_future(future, total)
    for command in do:
        pair.apply(command)  # the first starts the branch, the rest go to it
    while pair.step_count < total and not (pair.diverged or pair.stopped_early):
        record(pair.step())
    return result


def _add_figures(result: ReplayResult, figures: Figures) -> None:
    """Append, merging with the previous row when two events share a step."""
    last = result.figures[-1] if result.figures else None
    if last is not None and last.step == figures.step:
        label = last.label + ", " + figures.label.removeprefix("event ")
        result.figures[-1] = Figures(label, last.step, last.setup, last.values, last.grad_norms)
    else:
        result.figures.append(figures)


def _asked(result: ReplayResult, event: ScriptEvent) -> Asked:
    return next(a for a in result.asked if a.event is event)


def _reveal(result: ReplayResult, event: ScriptEvent) -> None:
    """Measure a question's checks at its reveal step: they decide its answer."""
    question = event.question
    assert question is not None
    asked = _asked(result, event)
    step = result.session.step_count
    for check in question.expect:
        value, note = measure_check(result.records, check, step, question.window, result.since)
        note = note or f"question {asked.number}'s answer, at step {step:,}"
        done = CheckResult(event, check, value, check.holds(value), note)
        asked.checks.append(done)
        result.checks.append(done)


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
    if any(c.split()[0] == "goto" for c in event.commands()):  # time travel: steps restart
        keep = result.records.keep if isinstance(result.records, RecordWindow) else None
        result.records = RecordWindow(lesson_metrics(result.script), keep)  # type: ignore[assignment]
        result.since = session.step_count
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
