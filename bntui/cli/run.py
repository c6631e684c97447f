"""``bntui run``: train headless with a progress bar, then print a summary table."""

from __future__ import annotations

import argparse
import time
from typing import Any

from bntui.cli.parser import config_from_args, parse_do
from bntui.export import MetricsWriter
from bntui.i18n import _
from bntui.i18n.message import render
from bntui.live.captions import from_frame
from bntui.live.changes import Tracker, history_stats
from bntui.live.frame import norm_label
from bntui.training.config import Config
from bntui.training.metrics import LAYER_KEYS, layer_metric
from bntui.training.pair import Pair
from bntui.training.player import Schedule, play
from bntui.training.session import DIVERGED_HINT, Session


def cmd_run(args: argparse.Namespace) -> int:
    from bntui.export import check_target, open_metrics, save_model
    from bntui.training.player import one_blas_thread

    config = config_from_args(args)
    schedule = parse_do(args.do)
    from bntui.training.memory import check_schedule

    check_schedule(config, ((f"--do {at}:{cmd}", cmd) for at, cmd in schedule))
    if args.save_model:
        check_target(args.save_model, force=args.force)
    # compare mode: Twins; every record then has a "twin" field
    pair = Pair(config, captions=from_frame)
    session = pair.session
    started = time.perf_counter()
    watch = Watch()
    with open_metrics(args.metrics, force=args.force) as writer, one_blas_thread():
        interrupted = _train(
            pair, session.planned_steps, schedule, writer, quiet=args.quiet, watch=watch
        )
        test = session.test_metrics()  # the test set, once, at the end
        if writer is not None and test is not None:
            writer.write({"step": session.step_count, "epoch": session.epoch, **test})
    elapsed = time.perf_counter() - started
    if args.save_model:
        save_model(args.save_model, model_arrays(session), force=args.force)
    with one_blas_thread():  # its evaluation passes too (a 2nd BLAS thread costs ~6 MiB RSS)
        print_summary(session, elapsed, interrupted=interrupted, metrics=args.metrics, test=test)
    if pair.twin is not None:
        print_twin(pair)
    print_changes(watch)
    from bntui.cli.signals import exit_status

    return exit_status() if interrupted else 0  # 128 + the signal (ctrl+c: 130)


class Watch:
    """What each --do command changed: statistics and val accuracy before and after."""

    def __init__(self) -> None:
        self.tracker = Tracker()
        self.applied: list[dict[str, Any]] = []  # one per command: step, command, text, val

    def apply(self, pair: Pair, command: str) -> None:
        session = pair.session  # the primary: compare mode applies the command to both
        before = history_stats(session.history, session.config.depth)
        loss = (session.last_record or {}).get("loss")
        val = session.last_val[1] if session.last_val else None
        event = pair.apply(command)
        row = {"step": event.step, "command": event.command, "text": event.text, "val": val}
        if event.no_effect:  # applied and logged, but it changed nothing: no "what changed"
            row["no_effect"] = True
        else:
            self.tracker.applied(event.step, event.command, event.text, before, loss=loss, val=val)
        self.applied.append(row)

    def record(self, record: dict[str, Any]) -> None:
        self.tracker.record(record)
        if "val_acc" in record:
            for a in self.applied:
                if "val_after" not in a and record["step"] > a["step"]:
                    a["val_after"] = (record["step"], record["val_acc"])


def print_changes(watch: Watch) -> None:
    """Per applied command: what it did, then val accuracy and the statistics that moved
    most, just before it → the first ones after it (two lines, so 80 columns keep them)."""
    if not watch.applied:
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    console.print("[bold]applied commands[/] (just before → first after)")
    changes = {c.step: c for c in watch.tracker.changes}
    steps = [a["step"] for a in watch.applied if not a.get("no_effect")]
    for a in watch.applied:
        if a.get("no_effect"):
            console.print(
                f"  step {a['step']:,}  [bold]{escape(a['command'])}[/]: {escape(a['text'])}",
                highlight=False,
            )
            continue
        before = "—" if a["val"] is None else f"{a['val']:.3f}"
        after = a.get("val_after")
        val = (
            f"val acc {before} → {after[1]:.3f} @{after[0]:,}" if after else f"val acc {before} → —"
        )
        change = changes.get(a["step"])
        if change is None and any(s > a["step"] for s in steps):
            stats = "no statistics before the next command"
        elif change is None:
            stats = "no statistics after it (the run ended or diverged first)"
        else:
            numbers = render(change.moves, _)
            stats = f"{numbers} @{change.after_step:,}"
        console.print(
            f"  step {a['step']:,}  [bold]{escape(a['command'])}[/]: {escape(a['text'])}",
            highlight=False,
        )
        console.print(f"    {val} · {escape(stats)}", highlight=False)


def _train(
    session: Pair,
    steps: int,
    schedule: list[tuple[int, str]],
    writer: MetricsWriter | None,
    *,
    quiet: bool,
    watch: Watch,
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
        TextColumn("[bold]" + _("training")),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(_("loss {task.fields[loss]}  val acc {task.fields[val]}")),
        TimeRemainingColumn(),
        disable=quiet,
        transient=True,
    )

    def on_record(records: list[dict[str, Any]]) -> None:
        watch.record(records[0])  # the primary's (compare mode: the twin's follows)
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
            play(
                session,
                Schedule(schedule),
                until=steps,
                on_due=lambda _at, command: watch.apply(session, command),
                on_record=on_record,
            )
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
    session: Session,
    elapsed: float,
    *,
    interrupted: bool,
    metrics: str | None,
    test: dict | None = None,
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
        _("interrupted")
        if interrupted
        else _("diverged")
        if session.diverged
        else (_("stopped early") if session.stopped_early else _("done"))
    )
    rate = session.step_count / max(elapsed, 1e-9)
    head = Table.grid(padding=(0, 2))
    head.add_row(
        _("run"),
        _("{status} after {n} steps ({rate} steps/s, {s} s)").format(
            status=status, n=f"{session.step_count:,}", rate=f"{rate:,.0f}", s=f"{elapsed:.1f}"
        ),
    )
    head.add_row(
        _("net"),
        f"{c.dataset if c.data is None else c.data}  depth {c.depth} × width "
        f"{c.width}  {c.activation}  {_norm_words(c)}"
        f"  {c.optimizer} lr {c.lr:g}  init {c.init}",
    )
    penalty = last.get("penalty")
    loss, acc = last.get("loss", math.nan), last.get("acc", math.nan)
    head.add_row(
        _("train"),
        _("data loss {loss}{penalty}  acc {acc} (last batch, train mode)").format(
            loss=f"{loss:.4f}",
            penalty="  " + _("+ penalty {p}").format(p=f"{penalty:.4f}")
            if penalty is not None
            else "",
            acc=f"{acc:.3f}",
        ),
    )
    head.add_row(
        "",
        _("acc {acc} on all {n} (BN running statistics, no dropout)").format(
            acc=f"{session.train_eval_accuracy():.3f}", n=f"{session.data.n_train:,}"
        ),
    )
    head.add_row(
        _("val"), _("loss {loss}  acc {acc}").format(loss=f"{val[0]:.4f}", acc=f"{val[1]:.3f}")
    )
    if test is not None:
        head.add_row(
            _("test"),
            _("loss {loss}  acc {acc} (once)").format(
                loss=f"{test['test_loss']:.4f}", acc=f"{test['test_acc']:.3f}"
            ),
        )
    for note in session.data.notes:
        head.add_row(_("data"), note)
    if metrics:
        head.add_row(_("metrics"), metrics)
    console.print(head)
    layers = _last_layer_stats(session)
    if layers:
        t = Table(
            title=_("hidden layers: activation input, weight gradients (last statistics)"),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for col in (_("layer"), "μ", "σ", "p15 / p50 / p85", "|∇W|", "∇W:W", _("upd"), _("sat")):
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
    if (warning := session.warning()) is not None:
        console.print(f"[bold yellow]{_('note')}:[/] {render(warning, _)}")
    if session.diverged:
        console.print(
            f"[bold red]{_('diverged')}:[/] {render(DIVERGED_HINT, _).split(': ', 1)[-1]}"
        )


def _last_layer_stats(session: Session) -> list[dict[str, float]]:
    """The newest statistics of every hidden layer ([] before the first statistics step)."""
    h = session.history
    out = []
    for i in range(1, session.model.depth + 1):
        if h.view(layer_metric(i, "mean")) is None:
            return []
        out.append({key: h.series[layer_metric(i, key)].last for key in LAYER_KEYS})
    return out


def _norm_words(c: Config) -> str:
    """ "BN on (before)", "BN off", "LN (before)", "GN:4 (after)" for the summary's net line."""
    if c.normalization == "none":
        return "BN off"
    name = "BN on" if c.normalization == "bn" else norm_label(c.normalization)
    return f"{name} ({c.bn_position})"


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
