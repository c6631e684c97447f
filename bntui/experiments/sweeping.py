"""``bntui sweep``: every (setting, seed) of a grid or random search, run on an Executor.

Rows land in ``DIR/results.jsonl`` as trials finish (see ``results``); ``--resume`` skips
trial ids already there, so an interrupted sweep loses at most the trials in flight.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bntui.data.size import StoredSize
from bntui.experiments.pool import executor, run_all, window_for
from bntui.experiments.results import ResultsWriter
from bntui.experiments.space import RandomSpec, SweepError, make_config, points, trial_id
from bntui.training.config import Config, ConfigError
from bntui.training.memory import check_memory, data_size

METRICS = {"val_acc": max, "train_eval_acc": max, "val_loss": min}
MAX_TRIALS = 10_000
"""Most trials one sweep runs (settings × seeds); a larger one is refused before it starts."""
STEPS_PER_SECOND = 1_000
"""A rough pace per job for the time estimate (the default lab: 600–2,000 steps/s)."""


def _duration(seconds: float) -> str:
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds / 60:,.0f} minutes"


def check_size(base: Config, settings: int, seeds: int, jobs: int | None) -> None:
    """SweepError naming the count and a time estimate when a sweep is past MAX_TRIALS."""
    from bntui.experiments.pool import default_jobs

    count = settings * seeds
    if count <= MAX_TRIALS:
        return
    steps = base.steps if base.epochs is None else base.epochs * max(1, base.samples // 64)
    seconds = count * steps / (STEPS_PER_SECOND * (jobs or default_jobs()))
    raise SweepError(
        f"{count:,} trials ({settings:,} settings × {seeds:,} seeds) is more than a sweep "
        f"runs (at most {MAX_TRIALS:,}): about {_duration(seconds)} at ~{STEPS_PER_SECOND:,} "
        "steps/s per job; give fewer values, seeds or trials"
    )


@dataclass
class Plan:
    """What to run: one spec per (setting, seed), in a fixed order."""

    specs: list[dict[str, Any]]
    keys: list[str]  # the swept settings, in the order given
    random_keys: list[str] = field(default_factory=list)


def _check_memory(config: Config, params: dict[str, Any], sizes: dict[tuple, StoredSize]) -> None:
    """The memory guard for one setting, before any trial runs (SweepError naming it)."""
    key = (config.data, config.test_data, config.dataset, config.samples)
    if key not in sizes:
        sizes[key] = data_size(config)
    try:
        check_memory(config, data=sizes[key])
    except ConfigError as exc:
        setting = " ".join(f"{k.replace('_', '-')}={v}" for k, v in params.items())
        raise SweepError(f"{setting or 'the base settings'}: {exc}") from None


def plan(
    base: Config,
    grid: list[tuple[str, list[Any]]],
    randoms: list[RandomSpec],
    *,
    trials: int,
    seeds: int,
    jobs: int | None = None,
) -> Plan:
    """Specs for every setting × seed (seeds ``base.seed .. base.seed+seeds-1``); counted
    first, so a sweep past MAX_TRIALS is refused before a single spec is made."""
    if seeds < 1:
        raise SweepError(f"--seeds must be at least 1, got {seeds}")
    if not grid and not randoms and seeds == 1:
        raise SweepError("nothing to sweep: give --param KEY=V1,V2, --random ... or --seeds N")
    settings = math.prod(len(values) for _, values in grid) * (max(trials, 1) if randoms else 1)
    check_size(base, settings, seeds, jobs)
    specs = []
    sizes: dict[tuple, StoredSize] = {}  # a data file's headers are read once
    for params in points(grid, randoms, trials, base.seed):
        _check_memory(make_config(base, params, base.seed), params, sizes)
        for seed in range(base.seed, base.seed + seeds):
            config = make_config(base, params, seed)
            specs.append({"trial": trial_id(config), "params": params, "config": config.to_dict()})
    seen: set[str] = set()
    unique = [s for s in specs if not (s["trial"] in seen or seen.add(s["trial"]))]
    keys = [k for k, _ in grid] + [r.key for r in randoms]
    return Plan(unique, keys, [r.key for r in randoms])


def best_of(rows: list[dict[str, Any]], metric: str) -> dict[str, Any] | None:
    scored = [r for r in rows if r.get(metric) is not None]
    if not scored:
        return None
    return METRICS[metric](scored, key=lambda r: r[metric])


def run_sweep(
    the_plan: Plan,
    out: str,
    *,
    jobs: int | None,
    address: str | None,
    resume: bool,
    metric: str = "val_acc",
    progress: Callable[[int, int, dict[str, Any] | None], None] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Run what is missing from ``out``; returns (all rows of this plan, trials run now).

    ``progress(done, total, best_row)`` is called before the first trial and after each.
    """
    with ResultsWriter(out, resume=resume) as writer:
        todo = [s for s in the_plan.specs if s["trial"] not in writer.done]
        ids = {s["trial"] for s in the_plan.specs}
        total = len(the_plan.specs)

        def rows() -> list[dict[str, Any]]:
            return [r for t, r in writer.done.items() if t in ids]

        done = total - len(todo)
        if progress:
            progress(done, total, best_of(rows(), metric))
        counter = {"n": 0}

        def on_row(spec: dict[str, Any], row: dict[str, Any]) -> None:
            writer.add(row)
            counter["n"] += 1
            if progress:
                progress(done + counter["n"], total, best_of(rows(), metric))

        if todo:
            with executor(jobs, address) as ex:
                run_all(ex, todo, on_row, window=window_for(ex, jobs))
        return rows(), counter["n"]


def describe(row: dict[str, Any] | None, metric: str) -> str:
    if row is None:
        return "–"
    params = " ".join(f"{k}={v}" for k, v in row.get("params", {}).items())
    return f"{row[metric]:.4g} ({params} seed {row['seed']})"


def run_with_progress(the_plan: Plan, out: str, **kwargs: Any) -> tuple[list, int, float]:
    """``run_sweep`` under a Rich progress bar (trials, ETA, best so far)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    metric = kwargs.get("metric", "val_acc")
    bar = Progress(
        TextColumn("[bold]trials"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("best {task.fields[best]}"),
        transient=True,
        disable=kwargs.pop("quiet", False),
    )
    state: dict[str, Any] = {}

    def progress(done: int, total: int, best: dict[str, Any] | None) -> None:
        if "task" not in state:
            state["task"] = bar.add_task("sweep", total=total, completed=done, best="–")
        bar.update(state["task"], completed=done, best=describe(best, metric))

    started = time.perf_counter()
    with bar:
        rows, ran = run_sweep(the_plan, out, progress=progress, **kwargs)
    return rows, ran, time.perf_counter() - started
