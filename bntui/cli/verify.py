"""``bntui verify``: run every claim's trials on one executor, print the verdicts."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from bntui.experiments.space import SweepError
from bntui.experiments.stats import MIXED, NOT_SUPPORTED, SKIPPED, SUPPORTED, mean_std

STYLE = {SUPPORTED: "bold green", NOT_SUPPORTED: "bold red", MIXED: "yellow", SKIPPED: "dim"}


MAX_SEEDS = 100  # seeds per arm: more is refused before any trial is made


def add_verify_parser(subparsers: Any) -> None:
    from bntui.experiments.common import add_exec_flags

    v = subparsers.add_parser(
        "verify",
        help="check the seed texts' claims about BN; verdicts from the numbers",
        description="Small paired experiments (BN vs not, same seeds) for each claim; the "
        "verdict comes from the paired difference's 95 % t interval.",
    )
    v.add_argument("--quick", action="store_true", help="smaller runs (under a minute)")
    v.add_argument("--seeds", type=int, default=5, help="seeds per arm (default 5, at least 2)")
    v.add_argument("--titanic", metavar="FILE.csv", help="also check the Titanic claim (001)")
    v.add_argument(
        "--images",
        metavar="PATH",
        help="run the DLFS image claims (init scales, 300-sample gap, dropout) on these "
        "images (an IDX directory or .npz) as the book does, instead of the spiral",
    )
    v.add_argument("--json", metavar="FILE", help="write every per-seed number as JSON")
    v.add_argument("--markdown", metavar="FILE", help="write the report as Markdown")
    v.add_argument("--force", action="store_true", help="overwrite --json/--markdown files")
    v.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_exec_flags(v)


def fmt_values(values: list[float] | None, fmt: str) -> str:
    if not values:
        return "–"
    m, s = mean_std(values)
    return f"{m:{fmt}} ± {s:{fmt}}"


def fmt_diff(result: dict[str, Any], fmt: str) -> str:
    d = result.get("diff")
    if not d:
        return "–"
    return f"{d['mean']:+{fmt}} [{d['lo']:+{fmt}}, {d['hi']:+{fmt}}]"


def run_claims(claims: list, *, jobs: int | None, address: str | None, quiet: bool) -> dict:
    """Every distinct trial of every claim, once (claims share identical trials by id)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from bntui.experiments.pool import executor, run_all, window_for

    specs: dict[str, dict[str, Any]] = {}
    for claim in claims:
        for spec in claim.specs.values():
            specs.setdefault(spec["trial"], spec)
    rows: dict[str, dict[str, Any]] = {}
    bar = Progress(
        TextColumn("[bold]verify"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        transient=True,
        disable=quiet,
    )
    # slow trials first: the pool's last minutes are not spent on one long trial
    order = sorted(specs.values(), key=lambda s: -s["config"].get("steps", 0))
    with bar:
        task = bar.add_task("trials", total=len(order))

        def on_row(spec: dict[str, Any], row: dict[str, Any]) -> None:
            rows[spec["trial"]] = row
            bar.advance(task)

        if order:
            with executor(jobs, address) as ex:
                run_all(ex, order, on_row, window=window_for(ex, jobs))
    return rows


def cmd_verify(args: argparse.Namespace) -> int:
    from bntui.experiments.common import console
    from bntui.experiments.verification import claims, evaluate
    from bntui.experiments.verify_norms import norm_claims
    from bntui.export import check_target, write_text

    if args.seeds < 2:
        raise SweepError(f"--seeds must be at least 2 for a paired interval, got {args.seeds}")
    if args.seeds > MAX_SEEDS:
        raise SweepError(
            f"--seeds {args.seeds:,}: at most {MAX_SEEDS} seeds per arm (every claim runs "
            "each seed in both arms: 20 seeds already take minutes)"
        )
    if args.jobs is not None and args.jobs < 1:
        raise SweepError(f"--jobs must be at least 1, got {args.jobs}")
    for path in (args.json, args.markdown):
        if path:
            check_target(path, force=args.force)
    started = time.perf_counter()
    seeds = list(range(args.seeds))
    if args.images:  # a bad path or file: one line now, not one per trial later
        from bntui.training.config import Config
        from bntui.training.session import Session

        Session(Config(data=args.images, dataset="file", steps=0, train_size=300))
    todo = claims(seeds, quick=args.quick, titanic=args.titanic, images=args.images)
    todo += norm_claims(seeds, quick=args.quick)
    n_trials = len({s["trial"] for c in todo for s in c.specs.values()})
    rows = run_claims(todo, jobs=args.jobs, address=args.executor, quiet=args.quiet)
    results = [evaluate(c, rows, seeds) for c in todo]
    seconds = time.perf_counter() - started
    fmts = {c.key: c.fmt for c in todo}
    console().print(table(results, fmts))
    for r in results:
        if r.get("note"):
            print(f"  {r['key']}: {r['note']}")
    for line in _batch_lines(results):
        print("  " + line)
    summary = (
        f"{n_trials} trials, {len(seeds)} seeds per arm, {'quick' if args.quick else 'full'} "
        f"run, {seconds:.1f} s"
    )
    print(summary)
    if args.json:
        doc = {"quick": args.quick, "seeds": seeds, "seconds": round(seconds, 1)}
        doc["claims"] = results
        write_text(args.json, json.dumps(_clean(doc), indent=1, ensure_ascii=False) + "\n",
                   force=args.force)  # fmt: skip
    if args.markdown:
        write_text(args.markdown, markdown(results, fmts, summary), force=args.force)
    return 0


def _batch_lines(results: list[dict[str, Any]]) -> list[str]:
    """The small-batch claim's table of val accuracy per norm and batch size."""
    from bntui.experiments.verify_norms import batch_table

    for r in results:
        if r["key"] == "small-batch" and r.get("details"):
            return ["small-batch: val acc (eval mode), mean ± std over seeds", *batch_table(r)]
    return []


def _clean(value: Any) -> Any:
    from bntui.export import _clean as clean

    return clean(value)


COLUMNS = ("claim", "source", "setup", "metric", "arm a", "arm b", "Δ a − b [95 % CI]",
           "criterion", "verdict")  # fmt: skip


def _cells(r: dict[str, Any], fmt: str) -> list[str]:
    a = f"{r['a']}: {fmt_values(r.get('values_a'), fmt)}"
    b = f"{r['b']}: {fmt_values(r.get('values_b'), fmt)}"
    return [r["name"], r["source"], r["setup"], r["metric"], a, b, fmt_diff(r, fmt),
            r["criterion"], r["verdict"]]  # fmt: skip


def table(results: list[dict[str, Any]], fmts: dict[str, str]):
    from rich import box
    from rich.table import Table

    t = Table(title="bntui verify: claims about BN, paired by seed", title_justify="left",
              box=box.SIMPLE_HEAD, show_lines=True)  # fmt: skip
    for col in COLUMNS:
        t.add_column(col, overflow="fold")
    for r in results:
        cells = _cells(r, fmts[r["key"]])
        cells[-1] = f"[{STYLE[r['verdict']]}]{r['verdict']}[/]"
        t.add_row(*cells)
    return t


def markdown(results: list[dict[str, Any]], fmts: dict[str, str], summary: str) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["# bntui verify", "", summary, "", "| " + " | ".join(COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]  # fmt: skip
    for r in results:
        lines.append("| " + " | ".join(esc(c) for c in _cells(r, fmts[r["key"]])) + " |")
    lines.append("")
    for r in results:
        if r.get("note"):
            lines.append(f"- **{r['key']}**: {esc(r['note'])}")
    batch = _batch_lines(results)
    if batch:
        lines += ["", "```", *batch, "```"]
    lines += [
        "",
        "Verdicts: the paired difference a − b over seeds (same seed: same data "
        "split and batch order for both arms); supported when its 95 % t interval lies "
        "on the claimed side, not supported when it lies on the other, mixed otherwise.",
    ]
    return "\n".join(lines) + "\n"
