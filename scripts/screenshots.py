#!/usr/bin/env python3
"""Make the README's screenshots from the real app: ``python scripts/screenshots.py``.

Each shot is the real ``BntuiApp`` in Textual's headless test driver (``run_test``), in
its synchronous mode (nothing trains unless stepped, so a shot is the same every run),
trained a fixed number of steps and exported with ``App.export_screenshot()``:

- ``main-80x24``: the main screen at the smallest supported size;
- ``main-160x48``: a wide terminal (every layer's bands, the decision boundary, events);
- ``lesson-sigmoid-vanishing``: a lesson moment (its caption on screen), just after BN
  came on in the bundled lesson ``sigmoid-vanishing``;
- ``two-futures-80x24``: time travel: a sigmoid net with BN turned on at 1,000, back to
  step 300 (``goto 300``) and ``b`` there: the branch (BN at 300) trains beside the
  recorded future (BN at 1,000), both from the same state.

SVG goes to ``docs/`` (or ``--out DIR``), and PNG beside it when ``rsvg-convert`` is on
the PATH (``--no-png`` skips it). ``--quick`` trains a few steps only (the test's mode).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSON = "sigmoid-vanishing"
LESSON_STEP = 1800  # the event after "bn on": gradients of one size, the loss dropping


@dataclass(frozen=True)
class Shot:
    name: str
    size: tuple[int, int]
    steps: int  # trained before the shot
    lesson: str | None = None
    changes: tuple[tuple[int, str], ...] = ()  # (step, command) typed on the way
    then: tuple[tuple[int, str], ...] = ()  # after them: (steps to train first, command)
    after: int = 0  # steps trained after ``then``
    config: tuple[tuple[str, object], ...] = ()  # Config fields other than the default's


SHOTS = (
    Shot("main-80x24", (80, 24), 1500),
    Shot("main-160x48", (160, 48), 1500, changes=((500, "bn off"), (1000, "bn on"))),
    Shot(f"lesson-{LESSON}", (120, 36), LESSON_STEP, lesson=LESSON),
    Shot(
        "two-futures-80x24",
        (80, 24),
        1200,
        changes=((1000, "bn toggle"),),
        then=((0, "goto 300"), (0, "bn toggle")),
        after=150,
        config=(("activation", "sigmoid"), ("depth", 6), ("bn", False)),
    ),
)


async def render(shot: Shot, quick: bool) -> str:
    """The app as it looks after ``shot.steps`` steps, as SVG text."""
    from bntui.replay.script import load_script
    from bntui.training.config import Config
    from bntui.tui.app import BntuiApp

    steps = min(shot.steps, 20) if quick else shot.steps
    if shot.lesson is None:
        config = Config(seed=0, **dict(shot.config))
        app = BntuiApp(config, threaded=False)
        title = "bntui"
    else:
        script = load_script(shot.lesson)
        config = script.config
        if quick:  # the same events, squeezed into a few steps
            script = replace(
                script, events=[replace(e, at=min(e.at, steps)) for e in script.events]
            )
        app = BntuiApp(
            config,
            threaded=False,
            schedule=script.schedule(),
            max_steps=config.steps,
        )
        title = f"bntui replay {shot.lesson}"
    async with app.run_test(size=shot.size) as pilot:
        runner = app.runner
        done = 0
        for at, command in shot.changes:  # as if typed at that step
            at = min(at, steps // 2) if quick else at
            runner.step(at - done)
            runner.send(command)
            done = at
        if steps > done:
            runner.step(steps - done)
        for gap, command in shot.then:  # (time travel: the step counts start over)
            runner.step(gap)
            runner.send(command)
        runner.step(min(shot.after, 10) if quick else shot.after)
        if shot.lesson is not None:
            for _at, command in runner.schedule.due(steps):  # this step's event
                runner.send(command)
        app.pull()  # redraw now, not at the next frame tick
        await pilot.pause()
        return app.export_screenshot(title=title)


def to_png(svg: Path) -> Path | None:
    """``rsvg-convert`` the SVG to a PNG beside it; None when the tool is missing."""
    tool = shutil.which("rsvg-convert")
    if tool is None:
        return None
    png = svg.with_suffix(".png")
    tmp = png.with_name(f".{png.name}.tmp")
    subprocess.run([tool, "--format=png", "--output", str(tmp), str(svg)], check=True)
    tmp.replace(png)
    return png


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs", help="directory (default docs/)")
    p.add_argument("--no-png", action="store_true", help="SVG only")
    p.add_argument("--quick", action="store_true", help="a few training steps (tests)")
    p.add_argument("--only", action="append", metavar="NAME", help="just this shot (repeatable)")
    args = p.parse_args(argv)
    names = {s.name for s in SHOTS}
    unknown = sorted(set(args.only or []) - names)
    if unknown:
        p.error(f"unknown shot {unknown[0]!r}; choose from {', '.join(sorted(names))}")
    args.out.mkdir(parents=True, exist_ok=True)
    for shot in SHOTS:
        if args.only and shot.name not in args.only:
            continue
        svg = args.out / f"{shot.name}.svg"
        write_atomic(svg, asyncio.run(render(shot, args.quick)))
        png = None if args.no_png else to_png(svg)
        print(f"{svg}" + (f"  {png.name}" if png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
