"""``bntui verify``: run every claim's trials on one executor, print the verdicts."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from bntui.experiments.claims import (
    CLAIMS,
    MIXED,
    NOT_MEASURED,
    NOT_SUPPORTED,
    RULE,
    RULE_KO,
    SUPPORTED,
    TIE,
    VERDICTS_KO,
    seeds_for,
)
from bntui.experiments.space import SweepError
from bntui.experiments.stats import mean_std

STYLE = {SUPPORTED: "bold green", NOT_SUPPORTED: "bold red", TIE: "cyan", MIXED: "yellow",
         NOT_MEASURED: "dim"}  # fmt: skip
FULL_SEEDS = max(seeds_for(c, quick=False) for c in CLAIMS.values())
QUICK_SEEDS = min(seeds_for(c, quick=True) for c in CLAIMS.values())


MAX_SEEDS = 100  # seeds per arm: more is refused before any trial is made


def add_verify_parser(subparsers: Any) -> None:
    from bntui.experiments.common import add_exec_flags

    v = subparsers.add_parser(
        "verify",
        help="check the seed texts' claims about BN; verdicts from the numbers",
        description="Small experiments for each claim of the registry "
        "(bntui/experiments/claims.py): every arm of a claim (BN vs not, BN × dropout, …) "
        "trained on the same seeds; the verdict comes from the per-seed numbers by one rule.",
        epilog=RULE,
    )
    v.add_argument(
        "--quick",
        action="store_true",
        help="smaller runs, fewer seeds (gap, dropout and the ICS claims run as in full: "
        "their verdicts need it)",
    )
    v.add_argument(
        "--seeds",
        type=int,
        default=None,
        help=f"seeds per arm of every claim (default: the registry's, {FULL_SEEDS}; --quick "
        f"{QUICK_SEEDS}, or {FULL_SEEDS} for the claims it runs as in full; at least 2)",
    )
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

    from bntui.experiments.pool import executor, run_groups, window_for
    from bntui.experiments.trial_stack import groups

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
    # trials that differ only in seed, init or lr train as one stack of nets; the costly
    # tasks first: the pool's last minutes are not spent on one long task
    tasks = groups(list(specs.values()))
    with bar:
        task = bar.add_task("trials", total=len(specs))

        def on_row(spec: dict[str, Any], row: dict[str, Any]) -> None:
            rows[spec["trial"]] = row
            bar.advance(task)

        if tasks:
            with executor(jobs, address) as ex:
                run_groups(ex, tasks, on_row, window=window_for(ex, jobs))
    return rows


def cmd_verify(args: argparse.Namespace) -> int:
    from bntui.experiments.common import console
    from bntui.experiments.verification import claims, evaluate
    from bntui.experiments.verify_norms import norm_claims
    from bntui.export import check_target, write_text

    n_seeds = args.seeds
    if n_seeds is not None and n_seeds < 2:
        raise SweepError(f"--seeds must be at least 2 for a paired verdict, got {n_seeds}")
    if n_seeds is not None and n_seeds > MAX_SEEDS:
        raise SweepError(
            f"--seeds {n_seeds:,}: at most {MAX_SEEDS} seeds per arm (every claim runs "
            "each seed in both arms: 20 seeds already take minutes)"
        )
    if args.jobs is not None and args.jobs < 1:
        raise SweepError(f"--jobs must be at least 1, got {args.jobs}")
    for path in (args.json, args.markdown):
        if path:
            check_target(path, force=args.force)
    started = time.perf_counter()
    seeds = None if n_seeds is None else list(range(n_seeds))  # None: the registry's
    if args.images:  # a bad path or file: one line now, not one per trial later
        from bntui.training.config import Config
        from bntui.training.session import Session

        Session(Config(data=args.images, dataset="file", steps=0, train_size=300))
    todo = claims(seeds, quick=args.quick, titanic=args.titanic, images=args.images)
    todo += norm_claims(seeds, quick=args.quick)
    n_trials = len({s["trial"] for c in todo for s in c.specs.values()})
    rows = run_claims(todo, jobs=args.jobs, address=args.executor, quiet=args.quiet)
    results = [evaluate(c, rows) for c in todo]
    counts = sorted({len(c.seeds) for c in todo})
    seconds = time.perf_counter() - started
    fmts = {c.key: c.fmt for c in todo}
    out = console()
    out.print(table(results, fmts))
    for line in details(results, fmts, width=out.width):
        print(line)
    per_arm = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    summary = (
        f"{n_trials} trials, {per_arm} seeds per arm, {'quick' if args.quick else 'full'} "
        f"run, {seconds:.1f} s"
    )
    print(summary)
    if args.json:
        doc = {"quick": args.quick, "seeds": list(range(counts[-1])),
               "seconds": round(seconds, 1), "rule": RULE}  # fmt: skip
        doc["claims"] = results
        write_text(args.json, json.dumps(_clean(doc), indent=1, ensure_ascii=False) + "\n",
                   force=args.force)  # fmt: skip
    if args.markdown:
        write_text(args.markdown, markdown(results, fmts, summary), force=args.force)
    return 0


def _ko() -> bool:
    from bntui.i18n import language

    return language() == "ko"


def verdict_text(verdict: str) -> str:
    """A verdict in the UI language."""
    return VERDICTS_KO.get(verdict, verdict) if _ko() else verdict


def sentence(r: dict[str, Any]) -> str:
    return r["name_ko"] if _ko() and r.get("name_ko") else r["name"]


def _side(r: dict[str, Any], side: str, fmt: str) -> str:
    label = r["a"] if side == "a" else r["b"]
    return f"{label}: {fmt_values(r.get('values_' + side), fmt)}"


def _seeds_cell(r: dict[str, Any]) -> str:
    if "wins" not in r:
        return "–"
    if r["direction"] == "not-worse":
        return f"{r['wins']} of {r['n']} within margin\n(need {r['need']})"
    return f"{r['wins']}/{r['ties']}/{r['losses']} of {r['n']}\n(need {r['need']})"


def _cells(r: dict[str, Any], fmt: str) -> list[str]:
    claim = f"{r['key']}: {sentence(r)}"
    arms = f"a {_side(r, 'a', fmt)}\nb {_side(r, 'b', fmt)}"
    return [claim, arms, _seeds_cell(r), verdict_text(r["verdict"])]


def table(results: list[dict[str, Any]], fmts: dict[str, str]):
    """The verdicts as a Rich table that wraps its cells at word boundaries (fits 80
    columns: the longer texts — source, measure, setup, interval, notes — follow it)."""
    from rich import box
    from rich.table import Table

    from bntui.i18n import _

    t = Table(title=_("bntui verify: claims about BN (the registry), paired by seed"),
              title_justify="left", box=box.SIMPLE_HEAD, show_lines=True, expand=True)  # fmt: skip
    # fixed widths for the short columns (a verdict is never cut), the rest shared
    t.add_column(_("claim"), ratio=3, overflow="fold")
    t.add_column(_("arms: mean ± sd"), ratio=2, overflow="fold")
    t.add_column(_("seeds +/=/−"), width=10, overflow="fold")
    t.add_column(_("verdict"), width=13, overflow="fold")
    for r in results:
        cells = _cells(r, fmts[r["key"]])
        cells[-1] = f"[{STYLE[r['verdict']]}]{cells[-1]}[/]"
        t.add_row(*cells)
    return t


def _detail_parts(r: dict[str, Any], fmt: str) -> list[str]:
    from bntui.i18n import _

    measure = r.get("metric_ko") if _ko() and r.get("metric_ko") else r["metric"]
    parts = [_("source: {text}").format(text=r["source"]),
             _("measure: {text}").format(text=measure),
             _("setup: {text}").format(text=r["setup"])]  # fmt: skip
    if r.get("diff"):
        parts.append(f"Δ a − b {fmt_diff(r, fmt)} (mean [95 % t interval], information)")
    if r.get("note"):
        parts.append(r["note"])
    return parts


def details(results: list[dict[str, Any]], fmts: dict[str, str], *, width: int) -> list[str]:
    """Each claim's measure, setup, interval and note, then the per-scale, 2×2 and
    small-batch tables, and the rule: lines wrapped at word boundaries to ``width``."""
    lines: list[str] = []
    for r in results:
        text = f"{r['key']} — " + "; ".join(_detail_parts(r, fmts[r["key"]]))
        lines += wrap(text, max(width - 1, 20), indent="    ")
    for r in results:
        lines += _extra_table(r)
    rule = RULE_KO if _ko() else RULE
    lines += wrap(rule, max(width - 1, 20))
    return lines


def wrap(text: str, width: int, *, indent: str = "") -> list[str]:
    """Greedy word wrap in terminal cells (Hangul takes two): no word is ever split."""
    from rich.cells import cell_len

    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else (indent if lines else "") + word
        if line and cell_len(candidate) > width:
            lines.append(line)
            line = indent + word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _extra_table(r: dict[str, Any]) -> list[str]:
    """The per-scale init verdicts, the dropout 2×2 means, the small-batch grid."""
    from bntui.experiments.verify_norms import batch_table
    from bntui.i18n import _

    d = r.get("details") or {}
    if r["key"] == "init" and d.get("per_scale"):
        out = [_("init: val acc per scale, mean over seeds (both at chance: a tie)"),
               "  std       BN     no BN  +/=/−     verdict"]  # fmt: skip
        for s, row in d["per_scale"].items():
            counts = f"{row['wins']}/{row['ties']}/{row['losses']}"
            out.append(f"  {s:<8} {mean_std(row['bn'])[0]:.3f}  {mean_std(row['plain'])[0]:.3f}"
                       f"  {counts:<8}  {verdict_text(row['verdict'])}")  # fmt: skip
        return out
    if r["key"] == "dropout" and r.get("arms"):
        arms = r["arms"]

        def m(key: str) -> str:
            return f"{mean_std(arms[key])[0]:.3f}"

        return [_("dropout: val acc, mean over seeds (2×2)"),
                "               no dropout  dropout 0.3",
                f"  BN           {m('bn'):<10}  {m('bn+dropout')}",
                f"  no BN        {m('plain'):<10}  {m('plain+dropout')}"]  # fmt: skip
    if r["key"] == "small-batch" and d:
        return ["small-batch: val acc (eval mode), mean ± std over seeds", *batch_table(r)]
    return []


def _clean(value: Any) -> Any:
    from bntui.export import _clean as clean

    return clean(value)


COLUMNS = ("claim", "source", "measure", "arm a", "arm b", "Δ a − b [95 % CI]",
           "seeds won/tied/lost", "verdict")  # fmt: skip


def markdown(results: list[dict[str, Any]], fmts: dict[str, str], summary: str) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["# bntui verify", "", summary, "", "| " + " | ".join(COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]  # fmt: skip
    for r in results:
        fmt = fmts[r["key"]]
        cells = [f"{r['key']}: {r['name']}", r["source"], r["metric"], _side(r, "a", fmt),
                 _side(r, "b", fmt), fmt_diff(r, fmt), _seeds_cell(r), r["verdict"]]  # fmt: skip
        lines.append("| " + " | ".join(esc(c) for c in cells) + " |")
    lines.append("")
    for r in results:
        lines.append(f"- **{r['key']}**: setup: {esc(r['setup'])}" +
                     (f"; {esc(r['note'])}" if r.get("note") else ""))  # fmt: skip
    extra = [line for r in results for line in _extra_table(r)]
    if extra:
        lines += ["", "```", *extra, "```"]
    lines += ["", RULE]
    return "\n".join(lines) + "\n"
