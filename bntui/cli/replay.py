"""``bntui replay`` and ``bntui demos``: lessons headless (with their report) or live.

``bntui replay SCRIPT --headless --out DIR`` plays a lesson as fast as possible and writes
metrics.jsonl, events.jsonl and report.md (exit status 1 when an ``expect`` fails);
without ``--headless`` it plays the lesson live in the TUI. SCRIPT is a .toml file or the
name of a bundled lesson (``bntui demos`` lists them). Flags for Config fields override
the script's ``[config]``; ``--steps N`` caps the lesson (later events are skipped).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bntui.cli.parser import LIVE_MINUTES, UsageError, given_flags
from bntui.cli.run import model_arrays
from bntui.cli.signals import deferred
from bntui.cli.tui import run_live
from bntui.i18n import N_, _, language, localized
from bntui.live.captions import parse_template
from bntui.live.runner import Runner
from bntui.replay.script import Script, ScriptEvent
from bntui.training.config import Config
from bntui.training.pair import Pair
from bntui.training.session import Session

if TYPE_CHECKING:
    from bntui.replay.slides import Slide


def dispatch(args: argparse.Namespace) -> int:
    """Run ``replay`` or ``demos``; returns the exit status."""
    if args.cmd == "demos":
        return cmd_demos()
    return cmd_replay(args)


def cmd_demos() -> int:
    from rich.console import Console
    from rich.table import Table

    from bntui.replay.script import lesson_names, load_script

    table = Table(title=_("bundled lessons (bntui replay NAME)"), title_justify="left")
    table.add_column(_("name"), no_wrap=True)
    # fold, not ellipsis: rich cuts a wrapped line of wide (Korean) text short otherwise
    table.add_column(_("title"), overflow="fold")
    table.add_column(_("steps"), justify="right")
    table.add_column(_("what it shows"), overflow="fold")
    for name in lesson_names():
        script = load_script(name)
        description = localized(script.description, script.description_ko) or ""
        # the first sentence (Korean sentences end in "다." too)
        first = description.split(". ")[0].split("\n")[0].rstrip(".")
        title = localized(script.title, script.title_ko)
        table.add_row(name, title, f"{script.config.steps:,}", first)
    Console().print(table)
    return 0


def script_with_overrides(args: argparse.Namespace) -> tuple[Script, int | None]:
    """Load SCRIPT and apply ``--config FILE`` and config flags; returns (script, step cap)."""
    import dataclasses

    from bntui.replay.script import load_script
    from bntui.training.config import load_toml

    script = load_script(args.script)
    given = given_flags(args)
    cap = given.pop("steps", None)
    values = script.config.to_dict()
    if args.config:
        doc = load_toml(args.config)
        table = doc.get("config", doc)
        values |= {k: v for k, v in table.items() if k != "steps"}
    values |= given
    if values != script.config.to_dict():
        config = Config.from_dict(values, where="command line")
        script = dataclasses.replace(script, config=config)
    from bntui.training.memory import check_memory, check_schedule

    check_memory(script.config)
    events = script.events
    check_schedule(script.config, ((script.where(e), c) for e in events for c in e.do))
    steps = None
    if cap is not None:
        from bntui.training.config import coerce

        steps = coerce("steps", cap)
        if steps < 0:
            raise UsageError(f"--steps must be >= 0, got {steps}")
    return script, steps


def cmd_replay(args: argparse.Namespace) -> int:
    if not args.headless:
        if args.answers is not None:
            raise UsageError("--answers needs --headless (live, press the choice's number)")
        for flag in ("out", "metrics", "save_model", "slides"):
            if getattr(args, flag):
                name = "--" + flag.replace("_", "-")
                raise UsageError(f"{name} needs --headless (live replays write no files yet)")
    branch_at, do = getattr(args, "branch_at", None), getattr(args, "do", None)
    if (branch_at is None) != (not do):
        raise UsageError("--branch-at STEP and --do CMD go together")
    if branch_at is not None and not args.headless:
        raise UsageError("--branch-at needs --headless (in the app: goto STEP, then a key)")
    if branch_at is not None:
        from bntui.training.commands import CommandError, parse

        try:
            do = [str(parse(text)) for text in do]
        except CommandError as exc:
            raise UsageError(f"--do: {exc}") from None
        if any(text.split()[0] == "goto" for text in do):
            raise UsageError("--do: goto is not a change (give a command such as 'bn on')")
    script, steps = script_with_overrides(args)
    if args.headless:
        from bntui.cli.signals import interrupts

        with interrupts():  # SIGTERM/SIGHUP: the ctrl+c path
            if branch_at is not None:
                return replay_branch(args, script, steps, branch_at, do)
            return replay_headless(args, script, steps)
    return replay_live(args, script, steps)


def replay_headless(args: argparse.Namespace, script: Script, steps: int | None) -> int:
    from bntui.export import ExportError, check_target, open_metrics, save_model
    from bntui.replay.headless import run_script
    from bntui.replay.lesson_report import write_outputs

    # refuse to overwrite before training, not after
    out = Path(args.out) if args.out else None
    if out is not None:
        if out.exists() and not out.is_dir():
            raise ExportError(f"{out}: exists and is not a directory")
        for name in ("metrics.jsonl", "events.jsonl", "report.md"):
            if (out / name).exists():
                check_target(out / name, force=args.force)
    if args.save_model:
        check_target(args.save_model, force=args.force)
    if out is not None:
        from bntui.replay.script import check_screenshots

        check_screenshots(script, out)  # a lesson never replaces a file
        try:
            out.mkdir(parents=True, exist_ok=True)  # screenshots are written while playing
        except OSError as exc:
            raise ExportError(f"{out}: cannot create ({exc.strerror or exc})") from None
    from bntui.replay.window import tee

    answers = lesson_answers(args, script)  # a bad --answers: status 2 before training
    slides = SlideWriter(script, Path(args.slides)) if args.slides else None
    started = time.perf_counter()
    lesson_metrics = out / "metrics.jsonl" if out is not None else None
    with (
        open_metrics(args.metrics, force=args.force) as writer,
        open_metrics(lesson_metrics, force=args.force) as streamed,  # rows as they come
    ):
        result = run_script(
            script,
            steps=steps,
            on_record=_both(tee(writer, streamed)),
            screenshot_dir=out,
            keep_records=False,  # flat memory: only what the checks need is kept
            render=render_screenshot,
            on_slide=slides.shoot if slides is not None else None,
            answers=answers,
            on_question=slides.shoot_question if slides is not None else None,
        )
    elapsed = time.perf_counter() - started
    if out is not None:
        write_outputs(result, out, force=args.force, metrics_written=True)
    if args.save_model:
        save_model(args.save_model, model_arrays(result.session), force=args.force)
    print_result(result, elapsed, out=out, quiet=args.quiet)
    if slides is not None:
        print(slides.finish())
    wrong = answers is not None and any(
        not a.event.question.is_right(a.given)  # type: ignore[union-attr]
        for a in result.asked
    )
    return 0 if result.passed and not wrong else 1


def lesson_answers(args: argparse.Namespace, script: Script) -> tuple[int, ...] | None:
    """``--answers 1,3,2`` checked against the lesson's questions (UsageError: status 2)."""
    if getattr(args, "answers", None) is None:
        return None
    from bntui.replay.questions import parse_answers

    asked = script.questions
    try:
        answers = parse_answers(args.answers, len(asked))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for n, (event, given) in enumerate(zip(asked, answers, strict=True), start=1):
        count = len(event.question.choices)  # type: ignore[union-attr]
        if not 1 <= given <= count:
            raise UsageError(f"--answers: question {n} has choices 1..{count}, got {given}")
    return answers


def replay_branch(
    args: argparse.Namespace, script: Script, steps: int | None, at: int, do: list[str]
) -> int:
    """``--branch-at STEP --do CMD``: both futures in lockstep, rows with ``"twin"``."""
    from bntui.export import ExportError, check_target, open_metrics
    from bntui.replay.headless import run_branch
    from bntui.replay.window import tee

    out = Path(args.out) if args.out else None
    if out is not None:
        if out.exists() and not out.is_dir():
            raise ExportError(f"{out}: exists and is not a directory")
        if (out / "metrics.jsonl").exists():
            check_target(out / "metrics.jsonl", force=args.force)  # refuse before training
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"{out}: cannot create ({exc.strerror or exc})") from None
    started = time.perf_counter()
    with (
        open_metrics(args.metrics, force=args.force) as writer,
        open_metrics(out / "metrics.jsonl" if out else None, force=args.force) as streamed,
    ):
        result = run_branch(script, at, do, steps=steps, on_record=_both(tee(writer, streamed)))
    elapsed = time.perf_counter() - started
    print(_("branch at step {at:,}: {do} · recorded: {recorded}").format(
        at=at, do="; ".join(do), recorded=result.pair.branch.recorded_summary()
        if result.pair.branch is not None else "—"))  # fmt: skip
    for twin in ("branch", "recorded"):
        row = result.last.get(twin)
        if row is not None:
            val = row.get("val_acc", "—")
            print(f"  {twin:<9} step {row['step']:,}  loss {row['loss']:.4g}  val_acc {val}")
    print(_("{steps:,} steps in {seconds:.1f} s").format(steps=result.steps, seconds=elapsed))
    return 0


COLUMNS = {
    "event": N_("event"),
    "step": N_("step"),
    "check": N_("check"),
    "measured": N_("measured"),
    "result": N_("result"),
}


def print_result(result, elapsed: float, *, out: Path | None, quiet: bool) -> None:
    """The verdict (and, unless quiet, captions and checks) on stdout."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from bntui.replay.lesson_report import _fmt

    console = Console(highlight=False)  # lesson text: Rich's highlighter is quadratic on it
    n = result.session.step_count
    if not quiet:
        script = result.script
        title = localized(script.title, script.title_ko) or ""
        console.print(f"[bold]{escape(title)}[/]  ({escape(script.source)})")
        for event in script.events:
            if event.caption and event not in result.skipped:
                caption = result.caption(event) or localized(event.caption, event.caption_ko) or ""
                console.print(f"  {event.at:>6,}  {escape(caption)}")
        if result.checks:
            t = Table(title=_("checks"), title_justify="left")
            for col in ("event", "step", "check", "measured", "result"):
                right = col in ("step", "measured")
                t.add_column(_(COLUMNS[col]), justify="right" if right else "left")
            for c in result.checks:
                verdict = f"[green]{_('pass')}[/]" if c.passed else f"[bold red]{_('FAIL')}[/]"
                note = f" ({c.note})" if c.note else ""
                t.add_row(
                    str(c.event.index),
                    f"{c.event.at:,}",
                    escape(str(c.check)),
                    _fmt(c.measured),
                    verdict + escape(note),
                )
            console.print(t)
        for note in result.notes:
            console.print(f"{_('note')}: {escape(note)}")
    print_questions(console, result)
    passed = sum(c.passed for c in result.checks)
    rate = n / max(elapsed, 1e-9)
    verdict = _("ok") if result.passed else _("FAILED")
    where = _("; report in {path}").format(path=out / "report.md") if out is not None else ""
    line = _("{verdict}: {passed}/{total} checks passed, {n} steps ({rate} steps/s)").format(
        verdict=verdict, passed=passed, total=len(result.checks), n=f"{n:,}", rate=f"{rate:,.0f}"
    )
    console.print(escape(line + where), highlight=False)


def print_questions(console, result) -> None:
    """Each question's expected answer and, with --answers, right or wrong and the score."""
    from rich.markup import escape

    from bntui.replay.questions import score

    if not result.asked:
        return
    for a in result.asked:
        q = a.event.question
        text = localized(q.text, q.text_ko) or ""
        choices = q.choices_ko if q.choices_ko and language() == "ko" else q.choices
        shown = _("shown by the run") if a.shown else _("NOT shown by the run")
        line = _("Q{n} (step {at}): {text} — answer {k}. {choice} ({shown})").format(
            n=a.number,
            at=f"{a.event.at:,}",
            text=text,
            k=q.answer,
            choice=choices[q.answer - 1],
            shown=shown,
        )
        if a.given is not None:
            verdict = _("right") if q.is_right(a.given) else _("wrong")
            line += " · " + _("you: {k} {verdict}").format(k=a.given, verdict=verdict)
        console.print(escape(line), highlight=False)
    if any(a.given is not None for a in result.asked):
        got = score([a.event.question for a in result.asked], [a.given for a in result.asked])
        console.print(
            escape(
                _("{right} of {asked} predictions right").format(right=got.right, asked=got.asked)
            ),
            highlight=False,
        )
        for n, q, _given in got.misses:
            why = localized(q.explain, q.explain_ko) or ""
            console.print(escape(f"  Q{n}: {why}"), highlight=False)


def replay_live(args: argparse.Namespace, script: Script, steps: int | None) -> int:
    """Play the lesson in the TUI: the Runner gets the schedule and a steady pace."""
    total = script.config.steps if steps is None else min(steps, script.config.steps)
    speed = live_speed(args.speed, total)
    hint = "add --headless to play it without a screen"
    make = lambda: live_runner(script, total, speed, args)  # noqa: E731
    quiz = None if args.no_questions else live_quiz(script, total)
    return run_live(make, args, hint, captions=script.captions_ko, quiz=quiz, shows=script.shows)


def live_quiz(script: Script, total: int):  # -> bntui.tui.screens.question.Quiz | None
    """The lesson's questions for the app (those whose reveal is within ``total``)."""
    from bntui.tui.screens.question import Quiz, QuizItem

    items = []
    for n, event in enumerate(script.questions, start=1):
        q = event.question
        assert q is not None
        if q.reveal <= total:
            items.append(
                QuizItem(
                    n,
                    event.at,
                    q.reveal,
                    q.text,
                    q.choices,
                    q.answer,
                    q.explain,
                    q.text_ko,
                    q.choices_ko,
                    q.explain_ko,
                )
            )
    if not items:
        return None
    quiz = Quiz(tuple(items))
    import os

    from bntui.cli.tally import TALLY_ENV

    if url := os.environ.get(TALLY_ENV):  # a tab of ``bntui serve``: the class tally
        from bntui.tui.tally_link import TallyLink

        quiz.link = TallyLink(url)
    return quiz


def question_schedule(script: Script, total: int) -> tuple[list[tuple[int, str]], dict]:
    """(schedule, holds) of a live lesson with questions: ``mark Q<n>`` at a question's step
    before its event's commands, ``mark A<n>`` at its reveal after the commands of events
    without a question there (their caption shows under the answer) and before any question
    asked at that step; each mark held until the app's question or answer screen goes on."""
    import math

    entries: list[tuple[int, int, int, str]] = []  # (step, group, order, command)
    holds: dict[tuple[int, str], float] = {}
    n = 0
    for order, event in enumerate(script.events):
        if event.at > total:
            continue
        question = event.question
        if question is not None and question.reveal <= total:
            n += 1
            entries.append((event.at, 2, order, f"mark Q{n}"))
            entries.append((question.reveal, 1, order, f"mark A{n}"))
            holds[(event.at, f"mark Q{n}")] = holds[(question.reveal, f"mark A{n}")] = math.inf
            group = 2
        else:
            group = 0
        entries += [(event.at, group, order, command) for command in event.commands()]
    entries.sort(key=lambda e: e[:3])  # stable: an event's commands keep their order
    return [(at, command) for at, _g, _o, command in entries], holds


MAX_SPEED = 1_000_000  # steps per second


def live_speed(given: float | bool | None, total: int) -> float | None:
    """The pace of a live replay: ``--speed`` if given (None: max), else about LIVE_MINUTES
    for the whole lesson, at most MAX_SPEED (a 10**9-step lesson too)."""
    if given is False:  # not given
        return min(max(1.0, total / (LIVE_MINUTES * 60)), MAX_SPEED)
    return None if given is None else float(given)  # type: ignore[arg-type]


def live_runner(
    script: Script, total: int, speed: float | None, args: argparse.Namespace
) -> Runner:
    """A Runner playing the script: schedule, pace, step limit and `pause` holds set.

    In the app → skips to the next event, ← restarts the lesson, space pauses, and any
    experiment key takes over (the rest of the schedule is dropped; see BntuiApp).
    """
    schedule, holds = script.schedule(total), live_holds(script, total)
    if not getattr(args, "no_questions", True) and script.questions:
        schedule, marks = question_schedule(script, total)
        holds |= marks
    return Runner(
        script.config,
        paused=args.paused,
        schedule=schedule,  # applied at step boundaries, in order
        steps_per_second=speed,
        max_steps=total,
        holds=holds,
    )


def draw_svg(session: Session | Pair, script: Script, size: tuple[int, int] = (100, 30)) -> str:
    """The TUI over ``session`` (a Pair in compare mode: both twins) as it is now, as SVG:
    a synchronous app with a Pilot, the lesson's captions in the UI language, the view and
    layer its captions show (``Script.shows``), a font stack with CJK fonts, no web fonts."""
    import asyncio

    from bntui.svgfonts import cjk_svg
    from bntui.tui.app import BntuiApp

    shot: list[str] = []

    async def shoot() -> None:
        app = BntuiApp(
            Runner(session, threaded=False), captions=script.captions_ko, shows=script.shows
        )
        async with app.run_test(size=size) as pilot:
            app.pull()  # redraw now, not at the next frame tick
            await pilot.pause()
            app.painter.forget()  # the caption bar and a view the caption switched to are
            app.pull()  # laid out now: draw every panel at its settled size
            await pilot.pause()
            shot.append(app.export_screenshot(title=localized(script.title, script.title_ko)))

    asyncio.run(shoot())
    return cjk_svg(shot[0])


def render_screenshot(
    session: Session | Pair, script: Script, event: ScriptEvent, path: Path
) -> str:
    """Draw the TUI over ``session`` (a Pair in compare mode) as it is at ``event``
    (after its commands) into ``path`` (SVG, 100×30). Returns the report's status."""
    from bntui.export import write_text

    try:
        write_text(path, draw_svg(session, script), force=False)  # never replaces a file
    except Exception as exc:  # a screenshot must not take the lesson down: report it
        return f"failed: {type(exc).__name__}: {exc}"
    return "written"


class SlideWriter:
    """``--slides DIR``: one SVG per caption (``bntui.replay.slides``), then index.html."""

    def __init__(self, script: Script, out: Path) -> None:
        from bntui.export import ExportError
        from bntui.replay.slides import check_slides_dir

        self.script, self.out = script, out
        self.slides: list[Slide] = []
        count = sum(1 for e in script.events if e.caption) + 2 * len(script.questions)
        check_slides_dir(out, count)  # before training: slides never replace files
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"{out}: cannot create ({exc.strerror or exc})") from None

    def shoot(
        self, session: Session | Pair, event: ScriptEvent, texts: tuple[str, str | None]
    ) -> None:
        """Draw the screen now (right after the caption's event applied) as the next slide;
        ``texts``: the caption as filled at this step, English and Korean."""
        from bntui.export import write_text
        from bntui.replay.slides import Slide, slide_name

        name = slide_name(len(self.slides) + 1)
        caption = localized(*texts) or ""
        status = "written"
        try:
            write_text(self.out / name, draw_svg(session, self.script), force=False)
        except Exception as exc:  # one failed slide must not take the lesson down
            status = f"failed: {type(exc).__name__}: {exc}"
        self.slides.append(Slide(event, name, caption, session.step_count, status))

    def shoot_question(self, session: Session, asked, kind: str) -> None:
        """A question's slide (the screen before its event applies, the choices below) or
        its answer's (the screen at the reveal step, the right choice and why)."""
        from bntui.export import write_text
        from bntui.replay.questions import Question
        from bntui.replay.slides import Slide, slide_name

        q: Question = asked.event.question
        ko = language() == "ko" and q.choices_ko
        choices = q.choices_ko if ko else q.choices
        text = localized(q.text, q.text_ko) or ""
        if kind == "question":
            listed = " · ".join(f"{i}. {c}" for i, c in enumerate(choices, start=1))
            caption = f"Q{asked.number}: {text} {listed}"
        else:
            why = localized(q.explain, q.explain_ko) or ""
            right = f"{q.answer}. {choices[q.answer - 1]}"
            caption = _("Q{n}, answer: {right}. {why}").format(n=asked.number, right=right, why=why)
        name = slide_name(len(self.slides) + 1)
        status = "written"
        try:
            write_text(self.out / name, draw_svg(session, self.script), force=False)
        except Exception as exc:  # one failed slide must not take the lesson down
            status = f"failed: {type(exc).__name__}: {exc}"
        self.slides.append(Slide(asked.event, name, caption, session.step_count, status))

    def finish(self) -> str:
        """Write index.html; returns the line to print."""
        from bntui import i18n
        from bntui.export import write_text
        from bntui.replay.slides import index_html

        shown = [s for s in self.slides if s.status == "written"]
        title = localized(self.script.title, self.script.title_ko) or ""
        page = index_html(title, shown, lang=i18n.language())
        write_text(self.out / "index.html", page, force=False)
        failed = [s for s in self.slides if s.status != "written"]
        line = _("slides: {n} in {path}").format(n=len(shown), path=self.out / "index.html")
        if failed:
            line += " · " + _("{n} failed: {why}").format(n=len(failed), why=failed[0].status)
        return line


QUOTE_HOLD = 3.0  # seconds a caption quoting numbers holds the screen still (no `pause`)


def hold_seconds(event: ScriptEvent) -> float:
    """How long the live replay holds still after ``event``: its ``pause``; else QUOTE_HOLD
    when its caption quotes numbers (a loss, a gradient: while training runs on they change
    at the next step, and the reader would compare the caption with other numbers)."""
    if event.pause:
        return event.pause
    if event.caption and parse_template(event.caption).fields:
        return QUOTE_HOLD
    return 0.0


def live_holds(script, total: int) -> dict[tuple[int, str], float]:
    """(step, last command of the event) -> seconds to hold still after it (``hold_seconds``)."""
    return {
        (e.at, e.commands()[-1]): hold_seconds(e)
        for e in script.events
        if hold_seconds(e) and e.commands() and e.at <= total
    }


Write = Callable[[dict[str, Any]], None]


def _both(write: Write | None) -> Write | None:
    """``write`` (one record to every metrics file) as one step a signal does not split: on
    SIGTERM the files end at the same row."""
    if write is None:
        return None

    def both(record: dict[str, Any]) -> None:
        with deferred():
            write(record)

    return both
