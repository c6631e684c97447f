"""The benchmark suite runs end to end in quick mode (a smoke test: no timing assertions)."""

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "run.py"

# every row the full suite produces: parts 1-2 per net, then the UI and memory parts
EXPECTED = {
    *(
        f"engine.{n}.{bn}{side}"
        for n in "abcd"
        for bn in ("bn_off", "bn_on")
        for side in ("", ".prev", ".bare", ".bare_prev")
    ),
    *(f"stats.{n}" for n in "abcd"),
    "tui.fps2",
    "tui.fps10",
    "latency",
    "bytes",
    "chart",
    "rss.a",
    "startup",
}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RUN), *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_quick_mode_writes_every_row_with_positive_figures(tmp_path):
    out = tmp_path / "results.json"
    proc = _run("--quick", "--json", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    rows = {r["id"]: r for r in data["rows"]}
    assert set(rows) == EXPECTED
    for rid, row in rows.items():
        value = row["value"]
        # RSS growth may be ~0 (or a page less); every other figure is a positive measurement
        if rid == "rss.a":
            assert value is not None and math.isfinite(value), row
        else:
            assert value is not None and math.isfinite(value) and value > 0, row
        if row["ref"] is not None:
            assert math.isfinite(row["ref"]) and row["ref"] > 0, row
    torch = data["meta"]["torch"]
    for n in "abcd":
        ratio = rows[f"engine.{n}.bn_on"]["ratio"]
        assert (ratio is None) == (torch == "not installed")
        # the previous engine (git archive of versions.PREVIOUS) ran beside this one, in its
        # own isolated interpreter (tests/unit/test_bench_sides.py), unless git could not
        # extract it (no history: the row says so)
        prev = rows[f"engine.{n}.bn_on.prev"]
        assert (prev["ratio"] is not None and prev["ratio"] > 0) or prev["note"].startswith(
            "previous engine skipped"
        ), prev
    # the table lists every part and every row's case
    for part in range(1, 9):
        assert f"[{part}]" in proc.stdout
    for row in rows.values():
        assert row["case"] in proc.stdout

    # --compare prints a delta line for each row of the earlier run
    again = _run(
        "--quick", "--parts", "rss", "--json", str(tmp_path / "b.json"), "--compare", str(out)
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert "compared with a run from" in again.stdout
    assert "->" in again.stdout.split("compared with", 1)[1]


def test_bad_options_exit_2_with_one_line():
    proc = _run("--parts", "nonsense")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("bench: --parts: unknown part 'nonsense'")
    assert len(proc.stderr.strip().splitlines()) == 1
