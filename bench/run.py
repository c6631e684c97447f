"""bntui benchmark suite: ``python bench/run.py [--quick] [--parts 1,2,7] [--repeats N]``.

Prints one table (every figure a median over repeats; every comparison measured side by
side in the same run, as a ratio) and writes ``bench/results.json``; ``--compare
old.json`` prints the deltas against an earlier run. The parts:

  1 engine steps/s, nets a-d, BN off/on, vs PyTorch CPU 1 thread (if torch is importable)
  2 cost of per-layer statistics at the default stride
  3 training steps/s with the TUI running (headless app + pilot) vs the headless engine
  4 key press -> status token change latency
  5 bytes/s written to a real pty at 80x24, default settings
  6 one chart redraw with 1 k vs 1 M steps of history
  7 RSS before/after 1 M headless steps on net a
  8 start-up of `bntui` to its first frame

``--quick`` runs every part briefly (a smoke test: figures are not meaningful).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import (  # noqa: E402
    PART_NAMES,
    BenchError,
    Row,
    environment,
    format_compare,
    format_table,
    load_results,
    save_results,
)

DEFAULT_JSON = HERE / "results.json"


def parse_parts(text: str) -> list[int]:
    """'1,2,7' or 'engine,stats,rss' (or 'all') -> sorted part numbers."""
    if text.strip() == "all":
        return sorted(PART_NAMES)
    by_name = {v: k for k, v in PART_NAMES.items()}
    parts = set()
    for tok in text.split(","):
        tok = tok.strip().lower()
        if not tok:
            continue
        if tok.isdigit() and int(tok) in PART_NAMES:
            parts.add(int(tok))
        elif tok in by_name:
            parts.add(by_name[tok])
        else:
            names = ", ".join(f"{k}={v}" for k, v in PART_NAMES.items())
            raise BenchError(f"--parts: unknown part {tok!r} (choose from {names})")
    if not parts:
        raise BenchError("--parts: no part given")
    return sorted(parts)


def parse_nets(text: str) -> list[str]:
    from engine import NETS

    nets = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [n for n in nets if n not in NETS]
    if bad or not nets:
        raise BenchError(
            f"--nets: unknown net {bad[0] if bad else text!r} (choose from a, b, c, d)"
        )
    return nets


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench/run.py",
        description="bntui benchmarks: one table of medians and side-by-side ratios",
    )
    p.add_argument("--quick", action="store_true", help="every part, briefly (smoke test)")
    p.add_argument(
        "--parts",
        default="all",
        help="parts to run: numbers or names, e.g. 1,2,7 or engine,stats,rss (default all)",
    )
    p.add_argument("--nets", default="a,b,c,d", help="nets for parts 1-2 (default a,b,c,d)")
    p.add_argument(
        "--repeats", type=int, default=None, help="repeats per figure (default 5; 2 quick)"
    )
    p.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="seconds per engine measurement (default 0.3; 0.02 quick)",
    )
    p.add_argument(
        "--rss-steps",
        type=int,
        default=None,
        help="headless steps for part 7 (default 1,000,000; 2,000 quick)",
    )
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    p.add_argument("--compare", type=Path, default=None, help="an earlier results.json")
    return p


def run(args: argparse.Namespace) -> list[Row]:
    """Run the chosen parts in order and return their rows."""
    import engine

    parts = parse_parts(args.parts)
    nets = parse_nets(args.nets)
    quick = args.quick
    repeats = args.repeats or (2 if quick else 5)
    seconds = args.seconds or (0.02 if quick else 0.3)
    rss_steps = args.rss_steps or (2_000 if quick else 1_000_000)
    if repeats < 1 or seconds <= 0 or rss_steps < 2:
        raise BenchError("--repeats must be >= 1, --seconds > 0 and --rss-steps >= 2")
    rows: list[Row] = []
    try:
        for part in parts:
            t0 = time.perf_counter()
            if part == 1:
                rows += engine.part_engine(nets, repeats, seconds)
            elif part == 2:
                rows += engine.part_stats(nets, repeats, seconds)
            elif part == 7:
                rows += engine.part_rss(rss_steps)
            elif part == 5 and 4 in parts:
                continue  # measured with part 4, on the same terminal session
            elif part == 4:
                import ui

                rows += ui.part_pty({4, 5} & set(parts), quick, repeats)
            else:
                import ui

                rows += ui.run_part(part, quick=quick, repeats=repeats)
            print(
                f"  part {part} ({PART_NAMES[part]}) done in {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    finally:
        engine.cleanup()
    return rows


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        old = load_results(args.compare) if args.compare else None
        started = time.strftime("%Y-%m-%dT%H:%M:%S")
        t0 = time.perf_counter()
        rows = run(args)
        meta = {
            "time": started,
            "seconds": round(time.perf_counter() - t0, 1),
            "quick": args.quick,
            "argv": sys.argv[1:] if argv is None else argv,
            **environment(),
        }
        from engine import torch_available

        meta["torch"] = torch_available() or "not installed"
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    print(format_table(rows))
    save_results(args.json, rows, meta)
    print(f"\nresults written to {args.json} ({meta['seconds']} s)")
    if old is not None:
        print()
        print(format_compare(rows, old))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
