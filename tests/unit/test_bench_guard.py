"""bench/run.py --guard's verdict from ratios (no timing: the rows are made up here)."""

from __future__ import annotations

import json
import sys
from argparse import Namespace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import engine  # noqa: E402
import run  # noqa: E402
from common import Row  # noqa: E402


def rows(ratios: dict[str, float]) -> list[Row]:
    return [Row(id=k, part=1, case=k, value=1.0, unit="steps/s", ratio=v)
            for k, v in ratios.items()]  # fmt: skip


def setup(monkeypatch, tmp_path, stored: dict[str, float], retries: list[float]) -> list:
    path = tmp_path / "ratios.json"
    path.write_text(json.dumps({"kind": {"guard": stored}}))
    monkeypatch.setattr(run, "RATIOS_JSON", path)
    monkeypatch.setattr(run, "machine_kind", lambda: "kind")
    calls: list = []

    def again(cases, *a, **kw):  # a low ratio measured again: the next made-up value
        calls.append(cases)
        return rows({"engine.c.bn_on.prev": retries[len(calls) - 1]})

    monkeypatch.setattr(engine, "part_engine", again)
    monkeypatch.setattr(engine, "cleanup", lambda: None)
    return calls


ARGS = Namespace(repeats=None, seconds=None, previous=None, guard=True, quick=False)


def test_ratios_within_20_percent_pass(monkeypatch, tmp_path, capsys) -> None:
    calls = setup(monkeypatch, tmp_path, {"engine.c.bn_on.prev": 1.0, "engine.a.bn_on": 3.0}, [])
    got = rows({"engine.c.bn_on.prev": 0.81, "engine.a.bn_on": 3.5})
    assert run.guard(ARGS, got, "guard") == 0
    assert calls == []  # nothing low: nothing measured again
    assert capsys.readouterr().out.count(": ok") == 2


def test_a_drop_beyond_20_percent_fails_when_the_retries_confirm_it(monkeypatch, tmp_path) -> None:
    calls = setup(monkeypatch, tmp_path, {"engine.c.bn_on.prev": 1.0}, [0.7, 0.9])
    assert run.guard(ARGS, rows({"engine.c.bn_on.prev": 0.75}), "guard") == 1  # median 0.75
    assert calls == [[("c", True)], [("c", True)]]


def test_a_one_off_low_ratio_is_outvoted_by_its_retries(monkeypatch, tmp_path) -> None:
    setup(monkeypatch, tmp_path, {"engine.c.bn_on.prev": 1.0}, [0.95, 0.97])
    assert run.guard(ARGS, rows({"engine.c.bn_on.prev": 0.6}), "guard") == 0  # median 0.95


def test_no_stored_ratios_for_this_machine_kind_is_not_a_failure(monkeypatch, tmp_path) -> None:
    setup(monkeypatch, tmp_path, {}, [])
    assert run.guard(ARGS, rows({"engine.c.bn_on.prev": 0.1}), "guard") == 0
