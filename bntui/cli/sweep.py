"""``bntui sweep`` and ``bntui verify``: argument parsing and printing.

Hooked into ``bntui.cli`` with ``add_parsers(subparsers, add_config_flags=...)`` and
``dispatch(args, config_from_args=...)``. Errors are BntuiErrors: one line, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bntui.experiments.common import _color, add_exec_flags, console
from bntui.experiments.space import SweepError

SWEEP_EXAMPLES = """\
examples:
  bntui sweep --param init=std:1,std:0.1 --param bn=on,off --seeds 2 --steps 200 --out D
  bntui sweep --random lr=loguniform:1e-4:1 --random weight-decay=loguniform:1e-8:1e-4 \\
      --trials 50 --train-size 500 --out search
  bntui sweep --resume --out D ...          run only the trials missing from D
  bntui sweep --show D --plot fig.svg       redraw the table and chart from D/results.jsonl
  bntui sweep ... --executor dask://10.0.0.5:8786   run the trials on a Dask cluster
"""


def add_parsers(subparsers: Any, *, add_config_flags: Callable[[argparse.ArgumentParser], None]):
    sw = subparsers.add_parser(
        "sweep",
        help="grid or random search over settings and seeds, in parallel",
        epilog=SWEEP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = sw.add_argument_group("sweep")
    g.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a setting and its values (any config key; repeat for a grid)",
    )
    g.add_argument(
        "--random",
        action="append",
        default=[],
        metavar="KEY=DIST",
        help="random search: KEY=loguniform:LO:HI, uniform:LO:HI or choice:A,B",
    )
    g.add_argument("--trials", type=int, default=0, help="random draws (with --random)")
    g.add_argument("--seeds", type=int, default=1, help="seeds per setting: --seed, --seed+1, …")
    g.add_argument("--out", metavar="DIR", help="results directory (results.jsonl)")
    g.add_argument("--resume", action="store_true", help="run only trials missing from --out")
    g.add_argument("--show", metavar="DIR", help="redraw table and chart from DIR; run nothing")
    g.add_argument("--metric", default="val_acc", choices=("val_acc", "train_eval_acc", "val_loss"))
    g.add_argument("--x", dest="x_key", metavar="KEY", help="the setting on the chart's x axis")
    g.add_argument("--plot", metavar="FILE.svg", help="write the chart as an SVG figure")
    g.add_argument("--force", action="store_true", help="overwrite the --plot file")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_exec_flags(g)
    add_config_flags(sw)

    from bntui.cli.verify import add_verify_parser

    add_verify_parser(subparsers)


def dispatch(args: argparse.Namespace, *, config_from_args: Callable[[Any], Any]) -> int:
    if args.cmd == "verify":
        from bntui.cli.verify import cmd_verify

        return cmd_verify(args)
    return cmd_sweep(args, config_from_args)


def show(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    from bntui.experiments.tables import chart, table

    if not rows:
        print("no finished trials yet")
        return
    console().print(table(rows, args.metric))
    text = chart(rows, args.metric, args.x_key, color=_color())
    if text:
        print(text)
    if args.plot:
        from bntui.experiments.svg import figure
        from bntui.export import write_text

        try:
            svg = figure(rows, args.metric, args.x_key)
        except ValueError as exc:
            raise SweepError(f"--plot: {exc}") from None
        write_text(args.plot, svg, force=args.force)
        print(f"figure: {args.plot}")


def cmd_sweep(args: argparse.Namespace, config_from_args: Callable[[Any], Any]) -> int:
    from bntui.experiments.results import read_rows, results_path
    from bntui.experiments.space import parse_param, parse_random
    from bntui.experiments.sweeping import plan, run_with_progress

    if args.x_key:
        args.x_key = args.x_key.replace("-", "_")
    if args.plot and not args.force:
        from bntui.export import check_target

        check_target(args.plot)
    if args.show:
        if args.out or args.param or args.random:
            raise SweepError("--show DIR only redraws; give it no --out, --param or --random")
        show(read_rows(results_path(args.show)), args)
        return 0
    if not args.out:
        raise SweepError("sweep needs --out DIR (results go to DIR/results.jsonl)")
    if args.jobs is not None and args.jobs < 1:
        raise SweepError(f"--jobs must be at least 1, got {args.jobs}")
    if args.executor:
        from bntui.experiments.pool import check_address

        check_address(args.executor)  # a usage error before anything is created
    grid = [parse_param(p) for p in args.param]
    randoms = [parse_random(r) for r in args.random]
    if args.trials and not randoms:
        raise SweepError("--trials needs --random KEY=DIST")
    base = config_from_args(args)
    the_plan = plan(base, grid, randoms, trials=args.trials, seeds=args.seeds, jobs=args.jobs)
    out = Path(args.out)
    try:
        rows, ran, seconds = run_with_progress(
            the_plan,
            str(out),
            jobs=args.jobs,
            address=args.executor,
            resume=args.resume,
            metric=args.metric,
            quiet=args.quiet,
        )
    except KeyboardInterrupt:
        from bntui.cli.signals import exit_status

        kept = len(read_rows(results_path(out))) if results_path(out).is_file() else 0
        print(
            f"bntui: interrupted: {kept} finished trials kept in {results_path(out)} "
            "(--resume runs the rest)",
            file=sys.stderr,
        )
        return exit_status()  # 128 + the signal: ctrl+c 130, SIGTERM 143, SIGHUP 129
    print(
        f"sweep: {ran} trials run, {len(the_plan.specs) - ran} already in "
        f"{results_path(out)}; {seconds:.1f} s"
    )
    show(rows, args)
    return 0
