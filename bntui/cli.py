"""Entry point: ``bntui [tui] | run | replay | demos | data``.

Every Config field is a flag here, generated from the dataclass: one place says what an
experiment is. Bad input ends in one line ``bntui: error: …`` and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import fields
from typing import Any, NoReturn

from bntui import __version__
from bntui.config import Config, field_type, load_config
from bntui.errors import BntuiError

EXAMPLES = """\
examples:
  bntui                                   live session: spiral, 4×32 ReLU, BN on
  bntui --activation sigmoid --depth 6 --no-bn
  bntui run --steps 2000                  headless run with a summary table
  bntui run --no-bn --metrics out.jsonl --do 500:"bn on"
  bntui run --data titanic.csv --target Survived --features Pclass,Sex,Age,Fare
  bntui data download mnist               then: bntui --dataset mnist
"""


class UsageError(BntuiError):
    """Bad command-line input: reported as one line with exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line (``bntui: error: …``) with exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(one_line(message))


def one_line(text: str) -> str:
    """Escape newlines and other control characters so a message stays on one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))


def add_config_flags(p: argparse.ArgumentParser) -> None:
    """One flag per Config field (``--bn/--no-bn`` for booleans), plus ``--config FILE``."""
    g = p.add_argument_group("experiment (any field also fits a --config TOML file)")
    g.add_argument("--config", metavar="FILE.toml", help="read settings from a TOML file")
    for f in fields(Config):
        flag = "--" + f.name.replace("_", "-")
        meta = f.metadata
        help_text = f"{meta['help']} (default: {f.default})".replace("%", "%%")
        if field_type(f.name) is bool:
            g.add_argument(
                flag,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=help_text,
            )
        else:
            g.add_argument(
                flag,
                default=argparse.SUPPRESS,
                help=help_text,
                metavar=meta.get("metavar") or f.name.upper(),
            )


def config_from_args(args: argparse.Namespace) -> Config:
    """--config FILE first, then every flag given on the command line."""
    base = load_config(args.config) if getattr(args, "config", None) else Config()
    given = {f.name: getattr(args, f.name) for f in fields(Config) if hasattr(args, f.name)}
    if "data" in given and "dataset" not in given:
        given["dataset"] = "file"
    if {"steps", "epochs"} <= given.keys():
        raise UsageError("give --steps or --epochs, not both")
    length = {"steps", "epochs"} & given.keys()  # a flag's run length replaces the file's
    values = {k: v for k, v in base.to_dict().items() if not length or k not in ("steps", "epochs")}
    values |= given
    return Config.from_dict(values, where="command line")


def parse_do(items: list[str] | None) -> list[tuple[int, str]]:
    """``--do 500:"bn on"`` → [(500, "bn on")], checked and sorted by step."""
    from bntui.commands import parse

    out = []
    for item in items or []:
        at, sep, text = item.partition(":")
        if not sep or not at.strip().isdigit():
            raise UsageError(f"--do expects STEP:COMMAND, e.g. 500:'bn on', got {item!r}")
        out.append((int(at), str(parse(text))))
    return sorted(out, key=lambda t: t[0])


def build_parser() -> Parser:
    p = Parser(
        prog="bntui",
        description="A terminal laboratory for Batch Normalization: train a small NumPy "
        "network and watch, live, what BN changes.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"bntui {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="cmd", metavar="{tui,run,replay,demos,data,sweep,verify}")

    tui = sub.add_parser(
        "tui",
        help="live session (the default)",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_tui_flags(tui)
    add_config_flags(tui)

    run = sub.add_parser(
        "run",
        help="train headless and print a summary",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--metrics", metavar="FILE", help="write step records (.jsonl or .csv)")
    run.add_argument("--save-model", metavar="FILE.npz", help="write the trained weights")
    run.add_argument(
        "--do",
        action="append",
        metavar="STEP:COMMAND",
        help="apply a command at a step, e.g. --do 500:'bn off' (repeatable)",
    )
    run.add_argument("--force", action="store_true", help="overwrite existing output files")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar, summary only")
    add_config_flags(run)

    data = sub.add_parser("data", help="datasets: download MNIST-family files")
    dsub = data.add_subparsers(dest="data_cmd", metavar="{download,path}")
    dl = dsub.add_parser("download", help="fetch mnist or fashion-mnist into the user cache")
    dl.add_argument("name", choices=("mnist", "fashion-mnist"))
    dsub.add_parser("path", help="print the dataset cache directory")

    from bntui.replay import cli as replay_cli

    replay_cli.add_parsers(sub, add_config_flags=add_config_flags, add_tui_flags=add_tui_flags)
    from bntui.experiments import cli as experiments_cli

    experiments_cli.add_parsers(sub, add_config_flags=add_config_flags)
    return p


def add_tui_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("display")
    g.add_argument("--fps", type=float, default=2.0, help="redraws per second, 1..30 (default 2)")
    g.add_argument("--ascii", action="store_true", help="ASCII borders and chart markers")
    g.add_argument("--paused", action="store_true", help="start paused")
    g.add_argument("--record", metavar="FILE.toml", help="save the session as a replay script")


SUBCOMMANDS = ("tui", "run", "data", "replay", "demos", "sweep", "verify")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    first = next((a for a in argv if a != "--debug"), None)
    if first not in SUBCOMMANDS and first not in ("-h", "--help", "--version"):
        argv.insert(1 if argv[:1] == ["--debug"] else 0, "tui")
    try:
        args = build_parser().parse_args(argv)
        return dispatch(args)
    except KeyboardInterrupt:
        print("bntui: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        return report(exc)


def report(exc: Exception) -> int:
    """Print one line for a known error (exit 2) or an unexpected one (exit 1)."""
    if isinstance(exc, BntuiError):
        print(f"bntui: error: {one_line(exc)}", file=sys.stderr)
        return 2
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename and exc.strerror else ""
        print(f"bntui: error: {one_line(where + (exc.strerror or str(exc)))}", file=sys.stderr)
        return 2
    print(
        f"bntui: internal error: {type(exc).__name__}: {one_line(exc)} (--debug shows more)",
        file=sys.stderr,
    )
    return 1


def dispatch(args: argparse.Namespace) -> int:
    if args.cmd == "run":
        return cmd_run(args)
    if args.cmd == "data":
        return cmd_data(args)
    if args.cmd in ("sweep", "verify"):
        from bntui.experiments import cli as experiments_cli

        return experiments_cli.dispatch(args, config_from_args=config_from_args)
    if args.cmd in ("replay", "demos"):
        from bntui.replay import cli as replay_cli

        return replay_cli.dispatch(args)
    return cmd_tui(args)


def require_terminal() -> None:
    """Refuse to start the live view without a usable terminal (piped, TERM=dumb)."""
    import os

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("the live view needs a terminal; use `bntui run` for headless runs")
    if os.environ.get("TERM", "") in ("dumb", "unknown"):
        raise UsageError(
            f"TERM={os.environ['TERM']} cannot show the live view; set TERM (e.g. "
            "xterm-256color) or use `bntui run` for headless runs"
        )


def cmd_tui(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if not 1 <= args.fps <= 30:
        raise UsageError(f"--fps must be in 1..30, got {args.fps:g}")
    require_terminal()
    from bntui.tui.app import run_app

    return run_app(config, args)


def cmd_data(args: argparse.Namespace) -> int:
    from bntui.data import download

    if args.data_cmd == "download":
        path = download.download(args.name, progress=lambda text: print(text, file=sys.stderr))
        print(f"{args.name}: ready in {path}")
        return 0
    if args.data_cmd == "path":
        print(download.cache_dir())
        return 0
    raise UsageError("data: choose download NAME or path")


def cmd_run(args: argparse.Namespace) -> int:
    from bntui.export import check_target, open_metrics, save_model
    from bntui.runner import one_blas_thread
    from bntui.session import Session

    config = config_from_args(args)
    schedule = parse_do(args.do)
    if args.save_model:
        check_target(args.save_model, force=args.force)
    session = Session(config)
    started = time.perf_counter()
    with open_metrics(args.metrics, force=args.force) as writer, one_blas_thread():
        interrupted = _train(session, session.planned_steps, schedule, writer, quiet=args.quiet)
        test = session.test_metrics()  # the test set, once, at the end
        if writer is not None and test is not None:
            writer.write({"step": session.step_count, "epoch": session.epoch, **test})
    elapsed = time.perf_counter() - started
    if args.save_model:
        save_model(args.save_model, model_arrays(session), force=args.force)
    print_summary(session, elapsed, interrupted=interrupted, metrics=args.metrics, test=test)
    return 130 if interrupted else 0


def _train(session, steps: int, schedule, writer, *, quiet: bool) -> bool:
    """Train with a progress bar; True if interrupted with ctrl+c (rows so far are kept)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    pending = list(schedule)
    progress = Progress(
        TextColumn("[bold]training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}  val acc {task.fields[val]}"),
        TimeRemainingColumn(),
        disable=quiet,
        transient=True,
    )
    with progress:
        task = progress.add_task("train", total=steps, loss="–", val="–")
        try:
            while session.step_count < steps:
                while pending and pending[0][0] <= session.step_count:
                    session.apply(pending.pop(0)[1])
                record = session.step()
                if writer is not None:
                    writer.write(record)
                if session.step_count % 50 == 0 or session.step_count == steps:
                    val = f"{session.last_val[1]:.3f}" if session.last_val else "–"
                    progress.update(
                        task, completed=session.step_count, loss=f"{record['loss']:.4f}", val=val
                    )
                if session.diverged or session.stopped_early:
                    break
        except KeyboardInterrupt:
            return True
    return False


def model_arrays(session) -> dict[str, Any]:
    import numpy as np

    arrays: dict[str, Any] = {p.name: p.data for p in session.model.parameters()}
    for i, block in enumerate(session.model.blocks, start=1):
        if block.bn is not None:
            arrays[f"L{i}.running_mean"] = block.bn.running_mean
            arrays[f"L{i}.running_var"] = block.bn.running_var
    arrays["config_toml"] = np.array(config_toml(session.config))
    return arrays


def config_toml(config: Config) -> str:
    import tomli_w

    return tomli_w.dumps({"config": config.to_dict()})


def print_summary(
    session, elapsed: float, *, interrupted: bool, metrics: str | None, test: dict | None = None
) -> None:
    import math

    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console()
    c = session.config
    val = session.last_val if session.last_val else session.evaluate()
    last = session.last_record or {}
    status = (
        "interrupted"
        if interrupted
        else "diverged"
        if session.diverged
        else ("stopped early" if session.stopped_early else "done")
    )
    head = Table.grid(padding=(0, 2))
    head.add_row(
        "run",
        f"{status} after {session.step_count:,} steps "
        f"({session.step_count / max(elapsed, 1e-9):,.0f} steps/s, {elapsed:.1f} s)",
    )
    head.add_row(
        "net",
        f"{c.dataset if c.data is None else c.data}  depth {c.depth} × width "
        f"{c.width}  {c.activation}  BN {'on (' + c.bn_position + ')' if c.bn else 'off'}"
        f"  {c.optimizer} lr {c.lr:g}  init {c.init}",
    )
    penalty = f"  + penalty {last['penalty']:.4f}" if "penalty" in last else ""
    head.add_row(
        "train",
        f"data loss {last.get('loss', math.nan):.4f}{penalty}  acc {last.get('acc', math.nan):.3f}"
        " (last batch, train mode)",
    )
    head.add_row(
        "",
        f"acc {session.train_eval_accuracy():.3f} on all {session.data.n_train:,} "
        "(BN running statistics, no dropout)",
    )
    head.add_row("val", f"loss {val[0]:.4f}  acc {val[1]:.3f}")
    if test is not None:
        head.add_row("test", f"loss {test['test_loss']:.4f}  acc {test['test_acc']:.3f} (once)")
    for note in session.data.notes:
        head.add_row("data", note)
    if metrics:
        head.add_row("metrics", metrics)
    console.print(head)
    layers = _last_layer_stats(session)
    if layers:
        t = Table(
            title="hidden layers: activation input, weight gradients (last statistics)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for col in ("layer", "μ", "σ", "p15 / p50 / p85", "|∇W|", "∇W:W", "upd", "sat"):
            t.add_column(col, justify="right", no_wrap=True)
        for i, s in enumerate(layers, start=1):
            t.add_row(
                f"L{i}",
                f"{s['mean']:+.2f}",
                f"{s['std']:.2f}",
                f"{s['p15']:+.2f} {s['p50']:+.2f} {s['p85']:+.2f}",
                f"{s['grad_norm']:.1e}",
                f"{s['grad_data']:.1e}",
                f"{s['update']:+.1f}",
                "–" if math.isnan(s["sat"]) else f"{s['sat']:.0%}",
            )
        console.print(t)
    if session.warning():
        console.print(f"[bold yellow]note:[/] {session.warning()}")
    if session.diverged:
        from bntui.session import DIVERGED_HINT

        console.print(f"[bold red]diverged:[/] {DIVERGED_HINT.split(': ', 1)[1]}")


def _last_layer_stats(session) -> list[dict[str, float]]:
    h = session.history
    out = []
    for i in range(1, session.model.depth + 1):
        if h.view(f"L{i}.mean") is None:
            return []
        out.append(
            {
                k.split(".", 1)[1]: h.series[k].view().last[-1]
                for k in h.names()
                if k.startswith(f"L{i}.")
            }
        )
    return out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
