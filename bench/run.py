"""bntui benchmark suite: ``python bench/run.py [--quick] [--parts 1,2,7] [--repeats N]``.

Prints one table (every figure a median over repeats; every comparison measured side by
side in the same run, as a ratio) and writes ``bench/results.json``; ``--compare
old.json`` prints the deltas against an earlier run. The parts:

  1 steps/s of nets a-d (BN off/on) and the lessons' nets, side by side: bntui end to end
    as `bntui run` trains (default evaluation and statistics), the bare step, PyTorch CPU
    1 thread (the same evaluation; if torch is importable) and the previous engine
    (``versions.PREVIOUS``, extracted with git archive); each in a worker process
  2 cost of per-layer statistics at the default stride
  3 training steps/s with the TUI running (headless app + pilot) vs the headless engine
  4 key press -> status token change latency
  5 bytes/s written to a real pty at 80x24, default settings
  6 one chart redraw with 1 k vs 1 M steps of history
  7 RSS before/after 1 M headless steps on net a
  8 start-up of `bntui` to its first frame

``--quick`` runs every part briefly (a smoke test: figures are not meaningful).
``--guard --parts engine`` measures nets a and c end to end (bntui, PyTorch, the previous
engine only; 9 interleaved rounds timed in worker CPU seconds, so load from other
processes does not count) and fails (status 1) when a ratio (vs PyTorch, vs the previous
engine) falls more than 20 % below the one stored in ``bench/ratios.json`` for this
machine kind; a low ratio is measured twice more first, and the median of the three
attempts decides.
``--store-ratios`` writes this run's ratios there (for this machine kind and mode).
"""

from __future__ import annotations

import argparse
import statistics
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
RATIOS_JSON = HERE / "ratios.json"
GUARD_NETS = "a,c"
GUARD_DROP = 0.8  # fail below 80 % of the stored ratio


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
    """'a,b,c,d,lessons' -> net keys (and 'lessons': every bundled lesson's net)."""
    from engine import NETS

    nets = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [n for n in nets if n not in NETS and n != "lessons"]
    if bad or not nets:
        raise BenchError(
            f"--nets: unknown net {bad[0] if bad else text!r} (choose from a, b, c, d, lessons)"
        )
    return nets


def engine_cases(nets: list[str]) -> list[tuple[str, bool | None]]:
    """Part 1's cases: each net with BN off and on, then the lessons (their own BN)."""
    from engine import lesson_fields

    cases: list[tuple[str, bool | None]] = [
        (n, bn) for n in nets if n != "lessons" for bn in (False, True)
    ]
    if "lessons" in nets:
        cases += [(name, None) for name in lesson_fields()]
    return cases


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
    p.add_argument(
        "--nets",
        default=None,
        help="nets for parts 1-2: a,b,c,d and 'lessons' (part 1 only; default a,b,c,d,lessons; "
        "quick a,b,c,d; guard a,c)",
    )
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
    p.add_argument(
        "--guard",
        action="store_true",
        help="fail when an end-to-end ratio falls > 20 %% below bench/ratios.json's",
    )
    p.add_argument(
        "--store-ratios", action="store_true", help="store this run's ratios in bench/ratios.json"
    )
    p.add_argument(
        "--previous", default=None, help="commit of the previous engine (default versions.PREVIOUS)"
    )
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    p.add_argument("--compare", type=Path, default=None, help="an earlier results.json")
    return p


def run(args: argparse.Namespace) -> list[Row]:
    """Run the chosen parts in order and return their rows."""
    import engine

    parts = parse_parts(args.parts)
    quick = args.quick
    guard = args.guard
    nets = parse_nets(
        args.nets or (GUARD_NETS if guard else "a,b,c,d" if quick else "a,b,c,d,lessons")
    )
    repeats = args.repeats or (9 if guard else 2 if quick else 5)
    seconds = args.seconds or (0.2 if guard else 0.02 if quick else 0.3)
    rss_steps = args.rss_steps or (2_000 if quick else 1_000_000)
    if repeats < 1 or seconds <= 0 or rss_steps < 2:
        raise BenchError("--repeats must be >= 1, --seconds > 0 and --rss-steps >= 2")
    rows: list[Row] = []
    try:
        for part in parts:
            t0 = time.perf_counter()
            if part == 1:
                rows += engine.part_engine(
                    engine_cases(nets),
                    repeats,
                    seconds,
                    mode=engine_mode(args),
                    previous=args.previous,
                )
            elif part == 2:
                rows += engine.part_stats([n for n in nets if n != "lessons"], repeats, seconds)
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
        from torch_net import torch_available

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
    mode = run_mode(args)
    if args.store_ratios:
        store_ratios(RATIOS_JSON, mode, rows)
        print(f"ratios stored in {RATIOS_JSON} for {machine_kind()} ({mode})")
    if args.guard:
        return guard(args, rows, mode)
    return 0


def engine_mode(args: argparse.Namespace) -> str:
    """Part 1's chunking: "smoke" (--quick alone), "quick" (--guard) or "full"."""
    return "quick" if args.guard else "smoke" if args.quick else "full"


def run_mode(args: argparse.Namespace) -> str:
    return "guard" if args.guard else "quick" if args.quick else "full"


def machine_kind() -> str:
    """The CPU model, its count of logical CPUs and the architecture (what ratios depend on)."""
    import os
    import platform

    model = platform.processor() or "unknown cpu"
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model} / {os.cpu_count()} cpus / {platform.machine()}"


def guarded(rows: list[Row]) -> dict[str, float]:
    """The end-to-end ratios a guard watches: vs PyTorch and vs the previous engine."""
    return {
        r.id: r.ratio
        for r in rows
        if r.part == 1 and r.ratio is not None and not r.id.endswith((".bare", ".bare_prev"))
    }


def store_ratios(path: Path, mode: str, rows: list[Row]) -> None:
    import json
    import os

    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data.setdefault(machine_kind(), {})[mode] = {k: round(v, 3) for k, v in guarded(rows).items()}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def guard(args: argparse.Namespace, rows: list[Row], mode: str) -> int:
    """0 when no guarded ratio fell more than 20 % below its stored value, else 1. A low
    ratio is measured twice more (its case alone); the median of the three decides."""
    import json

    import engine

    kind = machine_kind()
    try:
        stored = json.loads(RATIOS_JSON.read_text(encoding="utf-8")).get(kind, {}).get(mode)
    except (OSError, ValueError):
        stored = None
    if not stored:
        print(f"guard: no stored {mode} ratios for {kind} in {RATIOS_JSON}: nothing to compare "
              "(--store-ratios writes them)")  # fmt: skip
        return 0
    now = guarded(rows)
    failed = []
    for rid, want in sorted(stored.items()):
        got = now.get(rid)
        if got is None:
            print(f"guard: {rid}: not measured in this run (stored {want:.2f}x)")
            continue
        tries = [got]
        if got < GUARD_DROP * want:
            key, bn = _case_of(rid)
            for _ in range(2):
                again = engine.part_engine(
                    [(key, bn)], args.repeats or 9, args.seconds or 0.2,
                    mode=engine_mode(args), previous=args.previous,
                )  # fmt: skip
                tries += [v for k, v in guarded(again).items() if k == rid]
            engine.cleanup()
        final = statistics.median(tries)
        ok = final >= GUARD_DROP * want
        shown = ", ".join(f"{t:.2f}" for t in tries)
        print(f"guard: {rid}: {final:.2f}x (tries {shown}) vs stored {want:.2f}x: "
              f"{'ok' if ok else 'REGRESSION (more than 20 % below)'}")  # fmt: skip
        if not ok:
            failed.append(rid)
    return 1 if failed else 0


def _case_of(rid: str) -> tuple[str, bool | None]:
    """'engine.c.bn_on.prev' -> ('c', True); 'lesson.ics' -> ('ics', None)."""
    parts = rid.split(".")
    if parts[0] == "lesson":
        return parts[1], None
    return parts[1], parts[2] == "bn_on"


if __name__ == "__main__":
    raise SystemExit(main())
