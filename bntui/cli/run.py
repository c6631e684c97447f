"""``bntui run``: train headless with a progress bar, then print a summary table."""

from __future__ import annotations

import argparse
import time
from typing import Any

from bntui.cli.parser import config_from_args, parse_do
from bntui.config import Config
from bntui.export import MetricsWriter
from bntui.metrics import LAYER_KEYS, layer_metric
from bntui.pair import Pair
from bntui.player import play_commands
from bntui.session import DIVERGED_HINT, Session


def cmd_run(args: argparse.Namespace) -> int:
    from bntui.export import check_target, open_metrics, save_model
    from bntui.player import one_blas_thread

    config = config_from_args(args)
    schedule = parse_do(args.do)
    if args.save_model:
        check_target(args.save_model, force=args.force)
    pair = Pair(config)  # compare mode: Twins; every record then has a "twin" field
    session = pair.session
    started = time.perf_counter()
    with open_metrics(args.metrics, force=args.force) as writer, one_blas_thread():
        interrupted = _train(pair, config.steps, schedule, writer, quiet=args.quiet)
    elapsed = time.perf_counter() - started
    if args.save_model:
        save_model(args.save_model, model_arrays(session), force=args.force)
    print_summary(session, elapsed, interrupted=interrupted, metrics=args.metrics)
    if pair.twin is not None:
        print_twin(pair)
    from bntui.signals import exit_status

    return exit_status() if interrupted else 0  # 128 + the signal (ctrl+c: 130)


def _train(
    session: Pair,
    steps: int,
    schedule: list[tuple[int, str]],
    writer: MetricsWriter | None,
    *,
    quiet: bool,
) -> bool:
    """Train with a progress bar; True if interrupted with ctrl+c (rows so far are kept)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("[bold]training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}  val acc {task.fields[val]}"),
        TimeRemainingColumn(),
        disable=quiet,
        transient=True,
    )

    def on_record(records: list[dict[str, Any]]) -> None:
        if writer is not None:
            for record in records:
                writer.write(record)
        if records and (session.step_count % 50 == 0 or session.step_count == steps):
            last_val = session.session.last_val
            val = f"{last_val[1]:.3f}" if last_val else "–"
            loss = f"{records[0]['loss']:.4f}"
            progress.update(task, completed=session.step_count, loss=loss, val=val)

    with progress:
        task = progress.add_task("train", total=steps, loss="–", val="–")
        try:
            # the one player: each --do command at its step, those at the last step too
            play_commands(session, schedule, until=steps, on_record=on_record)
        except KeyboardInterrupt:
            return True
    return False


def model_arrays(session: Session) -> dict[str, Any]:
    import numpy as np

    arrays: dict[str, Any] = {p.name: p.data for p in session.model.parameters()}
    for i, block in enumerate(session.model.blocks, start=1):
        if block.bn is not None:
            arrays[layer_metric(i, "running_mean")] = block.bn.running_mean
            arrays[layer_metric(i, "running_var")] = block.bn.running_var
    arrays["config_toml"] = np.array(config_toml(session.config))
    return arrays


def config_toml(config: Config) -> str:
    import tomli_w

    return tomli_w.dumps({"config": config.to_dict()})


def print_summary(
    session: Session, elapsed: float, *, interrupted: bool, metrics: str | None
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
    head.add_row(
        "train",
        f"loss {last.get('loss', math.nan):.4f}  acc {last.get('acc', math.nan):.3f} (last batch)",
    )
    head.add_row("val", f"loss {val[0]:.4f}  acc {val[1]:.3f}")
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
        console.print(f"[bold red]diverged:[/] {DIVERGED_HINT.split(': ', 1)[1]}")


def _last_layer_stats(session: Session) -> list[dict[str, float]]:
    """The newest statistics of every hidden layer ([] before the first statistics step)."""
    h = session.history
    out = []
    for i in range(1, session.model.depth + 1):
        if h.view(layer_metric(i, "mean")) is None:
            return []
        out.append({key: h.series[layer_metric(i, key)].last for key in LAYER_KEYS})
    return out


def print_twin(pair: Pair) -> None:
    """Compare mode: one line per twin after the summary (val measured in eval mode)."""
    from rich.console import Console

    console = Console()
    for label, s in zip(pair.labels or (), pair.sessions, strict=True):
        val = s.last_val if s.last_val else s.evaluate()
        state = "diverged" if s.diverged else f"{s.step_count:,} steps"
        loss = (s.last_record or {}).get("loss", float("nan"))
        console.print(
            f"twin {label:<10} {state}  loss {loss:.4f}  val loss {val[0]:.4f}  acc {val[1]:.3f}"
        )
