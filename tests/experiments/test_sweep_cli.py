"""``bntui sweep`` end to end: rows, resume, ctrl+c, Dask, --show, and one-line errors."""

import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bntui.cli import main
from bntui.experiments.svg import figure
from bntui.experiments.tables import chart, table

GRID = ["--param", "init=std:1,std:0.1", "--param", "bn=on,off", "--seeds", "2", "--steps", "200"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows_of(d: Path) -> list[dict]:
    return [json.loads(line) for line in (d / "results.jsonl").read_text().splitlines()]


def test_grid_writes_eight_rows_and_resume_runs_none(tmp_path, capsys):
    d = tmp_path / "D"
    code, out, err = run(capsys, "sweep", *GRID, "--jobs", "2", "--out", str(d), "-q")
    assert code == 0, err
    rows = rows_of(d)
    assert len(rows) == 8 and len({r["trial"] for r in rows}) == 8
    assert {(r["params"]["init"], r["params"]["bn"], r["seed"]) for r in rows} == {
        (i, b, s) for i in ("std:1", "std:0.1") for b in (True, False) for s in (0, 1)
    }
    for r in rows:
        assert r["steps"] == 200 and 0 <= r["val_acc"] <= 1 and 0 <= r["train_eval_acc"] <= 1
        assert isinstance(r["diverged"], bool) and r["seconds"] >= 0
    assert "8 trials run" in out and "val_acc vs init" in out
    before = (d / "results.jsonl").read_bytes()
    code, out, _ = run(capsys, "sweep", *GRID, "--jobs", "2", "--out", str(d), "--resume", "-q")
    assert code == 0 and "0 trials run, 8 already" in out
    assert (d / "results.jsonl").read_bytes() == before
    # without --resume an existing results file is never touched
    code, _, err = run(capsys, "sweep", *GRID, "--out", str(d), "-q")
    assert code == 2 and "--resume" in err and err.count("\n") == 1
    assert (d / "results.jsonl").read_bytes() == before


def test_resume_runs_only_the_missing_and_cuts_a_partial_line(tmp_path, capsys):
    d = tmp_path / "D"
    assert run(capsys, "sweep", *GRID, "--jobs", "1", "--out", str(d), "-q")[0] == 0
    full = rows_of(d)
    lines = (d / "results.jsonl").read_text().splitlines(keepends=True)
    (d / "results.jsonl").write_text("".join(lines[:5]) + lines[5][:20])  # as if killed mid-write
    code, out, _ = run(capsys, "sweep", *GRID, "--jobs", "1", "--out", str(d), "--resume", "-q")
    assert code == 0 and "3 trials run, 5 already" in out
    again = rows_of(d)
    strip = lambda rs: {r["trial"]: {k: v for k, v in r.items() if k != "seconds"} for r in rs}  # noqa: E731
    assert strip(again) == strip(full)  # the same ids give the same numbers


def test_ctrl_c_keeps_every_finished_row(tmp_path):
    d = tmp_path / "D"
    cmd = [sys.executable, "-m", "bntui", "sweep", "--param", "lr=0.05,0.1,0.2,0.4",
           "--param", "bn=on,off", "--seeds", "2", "--steps", "1500", "--jobs", "2",
           "--out", str(d), "-q"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = d / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if results.exists() and results.read_text().count("\n") >= 2:
            break
        time.sleep(0.02)
    seen = results.read_text().count("\n")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    rows = rows_of(d)
    if proc.returncode == 0:  # it finished before the signal landed: nothing to check
        pytest.skip("the sweep finished before ctrl+c")
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert seen <= len(rows) < 16
    assert len({r["trial"] for r in rows}) == len(rows)
    assert results.read_text().endswith("\n")
    assert all(r["steps"] == 1500 for r in rows)


def test_the_same_trials_on_a_dask_local_cluster_give_the_same_numbers(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    local = tmp_path / "local"
    assert run(capsys, "sweep", *GRID, "--jobs", "1", "--out", str(local), "-q")[0] == 0
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://", host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:  # fmt: skip
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        dask = tmp_path / "dask"
        code, _out, err = run(
            capsys, "sweep", *GRID, "--executor", address, "--out", str(dask), "-q"
        )
    assert code == 0, err
    strip = lambda rs: {r["trial"]: {k: v for k, v in r.items() if k != "seconds"} for r in rs}  # noqa: E731
    assert strip(rows_of(dask)) == strip(rows_of(local))


HAND_ROWS = [
    {"trial": f"t{i}", "seed": s, "params": {"init": init, "bn": bn}, "val_acc": acc,
     "train_eval_acc": acc, "val_loss": 1 - acc, "steps": 10, "diverged": False, "seconds": 0.1}
    for i, (init, bn, s, acc) in enumerate([
        ("std:1", True, 0, 0.9), ("std:1", True, 1, 0.7),
        ("std:0.01", True, 0, 0.8), ("std:0.01", True, 1, 0.8),
        ("std:1", False, 0, 0.3), ("std:1", False, 1, 0.5),
        ("std:0.01", False, 0, 0.6), ("std:0.01", False, 1, 0.2),
    ])
]  # fmt: skip


def test_show_redraws_from_the_rows(tmp_path, capsys):
    d = tmp_path / "D"
    d.mkdir()
    (d / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in HAND_ROWS))
    svg = tmp_path / "fig.svg"
    code, out, err = run(capsys, "sweep", "--show", str(d), "--plot", str(svg))
    assert code == 0, err
    # std:1 with BN: 0.9 and 0.7 -> 0.800 ± 0.141; std:0.01 plain: 0.6, 0.2 -> 0.400 ± 0.283
    assert "0.800 ± 0.141" in out and "0.400 ± 0.283" in out
    assert "val_acc vs init" in out and "bn=on" in out and "bn=off" in out
    root = ET.fromstring(svg.read_text())
    assert len(root.findall("{http://www.w3.org/2000/svg}polyline")) == 2
    code, _, err = run(capsys, "sweep", "--show", str(d), "--plot", str(svg))
    assert code == 2 and "exists" in err  # the figure is not overwritten without --force


def test_report_pieces_without_the_cli():
    t = table(HAND_ROWS)
    assert t.row_count == 4
    text = chart(HAND_ROWS, color=False)
    assert "\x1b[" not in text and "init (log)" in text  # 1 / 0.01 spans 100x: log axis
    assert "<svg" in figure(HAND_ROWS, "val_loss")
    with pytest.raises(ValueError):
        figure([dict(HAND_ROWS[0], params={})])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--param", "lrr=1,2"], "did you mean"),
        (["--param", "lr"], "KEY=V1,V2"),
        (["--random", "lr=normal:0:1", "--trials", "3"], "--random expects"),
        (["--random", "lr=loguniform:1e-3:1"], "--trials"),
        (["--trials", "3", "--param", "bn=on,off"], "--trials needs --random"),
        (["--param", "bn=on,off", "--jobs", "0"], "--jobs must be at least 1"),
        (["--param", "bn=on,off", "--jobs", "two"], "invalid int"),
        (["--param", "bn=on,off", "--executor", "http://x:1"], "dask://HOST:PORT"),
        (["--param", "width=0,4"], "width must be"),
        (["--param", "bn=on,off", "--depth", "-1"], "depth must be"),
        (["--seeds", "1"], "nothing to sweep"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    code, _out, err = run(
        capsys, "sweep", *argv, "--out", str(tmp_path / "D"), "-q", "--steps", "5"
    )
    assert code == 2
    assert message in err and err.startswith("bntui: error:") and err.count("\n") == 1


def test_bad_show_and_out(tmp_path, capsys):
    code, _, err = run(capsys, "sweep", "--show", str(tmp_path / "nowhere"))
    assert code == 2 and "no such file" in err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.jsonl").write_text('{"trial": "a"}\nnot json\n{"trial": "b"}\n')
    code, _, err = run(capsys, "sweep", "--show", str(bad))
    assert code == 2 and "results.jsonl:2" in err
    afile = tmp_path / "file"
    afile.write_text("x")
    code, _, err = run(capsys, "sweep", "--param", "bn=on,off", "--out", str(afile), "-q")
    assert code == 2 and "not a directory" in err
    code, _, err = run(capsys, "sweep", "--param", "bn=on,off", "-q")
    assert code == 2 and "--out" in err
