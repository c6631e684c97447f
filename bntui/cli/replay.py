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
from pathlib import Path
from typing import TYPE_CHECKING

from bntui.cli.parser import LIVE_MINUTES, UsageError, given_flags
from bntui.cli.run import model_arrays
from bntui.cli.tui import run_live
from bntui.config import Config
from bntui.i18n import N_, _, localized
from bntui.pair import Pair
from bntui.replay.script import Script, ScriptEvent
from bntui.runner import Runner
from bntui.session import Session

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

    from bntui.config import load_toml
    from bntui.replay.script import load_script

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
    from bntui.memory import check_memory

    check_memory(script.config)
    steps = None
    if cap is not None:
        from bntui.config import coerce

        steps = coerce("steps", cap)
        if steps < 0:
            raise UsageError(f"--steps must be >= 0, got {steps}")
    return script, steps


def cmd_replay(args: argparse.Namespace) -> int:
    if not args.headless:
        for flag in ("out", "metrics", "save_model", "slides"):
            if getattr(args, flag):
                name = "--" + flag.replace("_", "-")
                raise UsageError(f"{name} needs --headless (live replays write no files yet)")
    script, steps = script_with_overrides(args)
    if args.headless:
        from bntui.signals import interrupts

        with interrupts():  # SIGTERM/SIGHUP: the ctrl+c path
            return replay_headless(args, script, steps)
    return replay_live(args, script, steps)


def replay_headless(args: argparse.Namespace, script: Script, steps: int | None) -> int:
    from bntui.export import ExportError, check_target, open_metrics, save_model
    from bntui.replay.headless import run_script
    from bntui.replay.report import write_outputs

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
            on_record=tee(writer, streamed),
            screenshot_dir=out,
            keep_records=False,  # flat memory: only what the checks need is kept
            render=render_screenshot,
            on_slide=slides.shoot if slides is not None else None,
        )
    elapsed = time.perf_counter() - started
    if out is not None:
        write_outputs(result, out, force=args.force, metrics_written=True)
    if args.save_model:
        save_model(args.save_model, model_arrays(result.session), force=args.force)
    print_result(result, elapsed, out=out, quiet=args.quiet)
    if slides is not None:
        print(slides.finish())
    return 0 if result.passed else 1


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

    from bntui.replay.report import _fmt

    console = Console()
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
    passed = sum(c.passed for c in result.checks)
    rate = n / max(elapsed, 1e-9)
    verdict = _("ok") if result.passed else _("FAILED")
    where = _("; report in {path}").format(path=out / "report.md") if out is not None else ""
    line = _("{verdict}: {passed}/{total} checks passed, {n} steps ({rate} steps/s)").format(
        verdict=verdict, passed=passed, total=len(result.checks), n=f"{n:,}", rate=f"{rate:,.0f}"
    )
    console.print(escape(line + where), highlight=False)


def replay_live(args: argparse.Namespace, script: Script, steps: int | None) -> int:
    """Play the lesson in the TUI: the Runner gets the schedule and a steady pace."""
    total = script.config.steps if steps is None else min(steps, script.config.steps)
    speed = live_speed(args.speed, total)
    hint = "add --headless to play it without a screen"
    make = lambda: live_runner(script, total, speed, args)  # noqa: E731
    return run_live(make, args, hint, captions=script.captions_ko)


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
    return Runner(
        script.config,
        paused=args.paused,
        schedule=script.schedule(total),  # applied at step boundaries, in order
        steps_per_second=speed,
        max_steps=total,
        holds=live_holds(script, total),
    )


def draw_svg(session: Session | Pair, script: Script, size: tuple[int, int] = (100, 30)) -> str:
    """The TUI over ``session`` (a Pair in compare mode: both twins) as it is now, as SVG:
    a synchronous app with a Pilot, the lesson's captions in the UI language, a font stack
    with CJK fonts, no web fonts."""
    import asyncio

    from bntui.svgfonts import cjk_svg
    from bntui.tui.app import BntuiApp

    shot: list[str] = []

    async def shoot() -> None:
        app = BntuiApp(Runner(session, threaded=False), captions=script.captions_ko)
        async with app.run_test(size=size) as pilot:
            app.pull()  # redraw now, not at the next frame tick
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
        count = sum(1 for e in script.events if e.caption)
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


def live_holds(script, total: int) -> dict[tuple[int, str], float]:
    """(step, last command of the event) -> seconds to hold still after it (``pause = N``)."""
    return {
        (e.at, e.commands()[-1]): e.pause
        for e in script.events
        if e.pause and e.commands() and e.at <= total
    }
