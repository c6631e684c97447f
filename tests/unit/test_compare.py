"""Compare mode wired in: Pair (runner, bntui run, headless), the compare / ics-every /
smooth-every commands, --compare, twin records, twin:NAME checks."""

from __future__ import annotations

import json
import math

import pytest

from bntui.cli import main
from bntui.export import dumps_record
from bntui.live.frame import Needs
from bntui.live.runner import Runner
from bntui.replay.expect import check_metric
from bntui.replay.headless import run_script
from bntui.replay.script import parse_script
from bntui.replay.window import metric_of, twin_entry, unwrapped
from bntui.training.commands import CommandError, parse
from bntui.training.config import Config, ConfigError
from bntui.training.pair import Pair
from bntui.training.session import Session
from bntui.training.twins import Difference, MeasuredSession

BASE = dict(samples=300, steps=60, eval_every=20, stats_every=10, depth=3, width=16)


def cfg(**kw: object) -> Config:
    return Config(**{**BASE, **kw})  # type: ignore[arg-type]


def solo(config: Config, steps: int) -> list[str]:
    s = Session(config)
    return [dumps_record(s.step()) for _ in range(steps)]


def strip(rec: dict) -> str:
    return dumps_record({k: v for k, v in rec.items() if k != "twin"})


# --------------------------------------------------------------------------- vocabulary
def test_commands_parse() -> None:
    assert str(parse("compare")) == "compare on"
    assert str(parse("compare lr=0.5")) == "compare lr 0.5"
    assert str(parse("compare init std:0.01")) == "compare init std:0.01"
    assert str(parse("ics-every 10")) == "ics-every 10"
    assert str(parse("ics_every off")) == "ics-every off"
    assert str(parse("smooth-every 0")) == "smooth-every off"
    for bad in ("ics-every -3", "ics-every x", "smooth-every 2000000"):
        with pytest.raises(CommandError, match="number of steps"):
            parse(bad)


def test_config_fields_validated() -> None:
    assert cfg(ics_every=10, smooth_every=50, compare="bn").ics_every == 10
    with pytest.raises(ConfigError, match="ics-every must be >= 1"):
        cfg(ics_every=0)
    with pytest.raises(ConfigError, match="smooth-every must be >= 1"):
        cfg(smooth_every=-1)


def test_difference_of_config_text() -> None:
    assert Difference.parse("bn") == Difference.parse("on") == Difference()
    assert Difference.parse("lr=0.5") == Difference.parse(" lr  0.5 ") == Difference("lr", "0.5")
    with pytest.raises(CommandError, match="not supported"):
        Difference.parse("depth=3")


def test_solo_session_refuses_compare_with_one_line() -> None:
    s = Session(cfg())
    with pytest.raises(CommandError, match="compare mode needs two sessions"):
        s.apply("compare on")
    assert s.log == []


# --------------------------------------------------------------------------- ICS logging
def test_session_logs_ics_itself_and_trains_as_without() -> None:
    config = cfg(depth=2, dropout=0.2)
    s = Session(config.replace(ics_every=4, smooth_every=6))
    recs = [s.step() for _ in range(12)]
    keys = {k for r in recs for k in r if "ics" in k or k in ("beta_smooth", "grad_pred")}
    assert keys == {"L1.ics_l2", "L1.ics_cos", "L2.ics_l2", "L2.ics_cos", "L3.ics_l2"} | {
        "L3.ics_cos",
        "beta_smooth",
        "grad_pred",
    }
    assert [r["step"] for r in recs if "L2.ics_cos" in r] == [4, 8, 12]
    assert [r["step"] for r in recs if "beta_smooth" in r] == [6, 12]
    drop = {k for r in recs for k in r if "ics" in k or k.startswith(("land", "grad_p", "beta"))}
    assert [dumps_record({k: v for k, v in r.items() if k not in drop}) for r in recs] == solo(
        config, 12
    )
    assert s.history.view("L3.ics_cos") is not None


def test_ics_every_command_switches_logging_between_steps() -> None:
    s = Session(cfg())
    s.run(3)
    s.apply("ics-every 2")
    recs = [s.step() for _ in range(4)]
    assert [("L2.ics_cos" in r) for r in recs] == [True, False, True, False]  # steps 4..7
    s.apply("ics-every off")
    assert not any("L2.ics_cos" in s.step() for _ in range(4))
    assert s.config.ics_every is None


def test_measured_session_is_session_with_the_intervals() -> None:
    m = MeasuredSession(cfg(), ics_every=5)
    assert m.config.ics_every == 5 and m.ics_every == 5 and m.smooth_every is None


# --------------------------------------------------------------------------- Pair
def test_pair_compare_from_config_each_twin_is_its_solo_run() -> None:
    config = cfg(compare="bn", dropout=0.1)
    p = Pair(config)
    assert p.labels == ("bn", "plain")
    recs = [r for _ in range(30) for r in p.step()]
    assert [r["step"] for r in recs[:4]] == [1, 1, 2, 2]
    bn = [strip(r) for r in recs if r["twin"] == "bn"]
    plain = [strip(r) for r in recs if r["twin"] == "plain"]
    assert bn == solo(config, 30)
    assert plain == solo(config.replace(bn=False), 30)


def test_pair_commands_apply_to_both_and_compare_switches() -> None:
    p = Pair(cfg())
    assert p.twin is None and p.labels is None
    p.step()
    p.apply("compare lr 0.3")
    assert p.labels == ("lr=0.1", "lr=0.3")
    p.apply("dropout 0.1")
    p.apply("activation tanh")
    assert {s.config.activation for s in p.sessions} == {"tanh"}
    assert {s.config.dropout for s in p.sessions} == {0.1}
    assert [s.config.lr for s in p.sessions] == [0.1, 0.3]
    assert len(p.step()) == 2 and p.roles == ("primary", "twin")
    p.apply("compare off")
    assert p.twin is None and len(p.step()) == 1
    assert ("compare lr 0.3" in [c for _, c in p.session.log]) and p.session.log[-1] == (
        2,
        "compare off",
    )
    with pytest.raises(CommandError, match="not supported"):
        p.apply("compare width 8")


def test_pair_goes_on_when_one_twin_diverges() -> None:
    p = Pair(cfg(compare="lr 50", lr=0.05, bn=False))
    for _ in range(60):
        p.step()
    primary, twin = p.sessions
    assert twin.diverged and not primary.diverged  # lr 50 overflows
    assert not p.diverged and p.step_count == 60
    assert p.roles == ("primary",)


# --------------------------------------------------------------------------- runner, frames
def test_runner_frames_carry_the_twin() -> None:
    r = Runner(cfg(compare="bn", ics_every=5), threaded=False, keep_records=True)
    r.step(20)
    f = r.frame(Needs(loss_points=40, grad_points=8, diag_points=16))
    assert f.labels == ("bn", "plain") and f.twin is not None
    assert f.twin.step == f.step == 20 and f.twin.config.bn is False
    assert f.twin.labels is None and f.twin.twin is None
    assert f.twin.loss["loss"] is not None and len(f.twin.loss["loss"]) > 0
    assert f.twin.diag["L4.ics_cos"] is not None and len(f.diag["L4.ics_cos"]) == 4
    assert len(r.records or []) == 40
    r.send("compare off")
    f = r.frame(Needs())
    assert f.twin is None and f.labels is None and "compare off" in f.events[-1].command
    r.send("compare")  # on again: a twin forked from the primary at step 20
    r.step(3)
    assert r.frame(Needs()).twin.step == 23  # type: ignore[union-attr]


def test_runner_restart_goes_back_to_compare_mode() -> None:
    r = Runner(cfg(compare="bn"), threaded=False, schedule=[(5, "compare off")])
    r.step(10)
    assert r.pair.twin is None
    r.restart()
    assert r.pair.labels == ("bn", "plain")


# --------------------------------------------------------------------------- bntui run
def test_run_compare_ics_metrics_have_both_twins_at_the_same_steps(tmp_path, capsys) -> None:
    out = tmp_path / "m.jsonl"
    argv = ["run", "--compare", "--ics-every", "10", "--steps", "200", "--quiet"]
    assert main([*argv, "--metrics", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "twin bn" in printed and "twin plain" in printed
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 400
    assert [r["twin"] for r in rows[:4]] == ["bn", "plain", "bn", "plain"]
    assert [r["step"] for r in rows[::2]] == [r["step"] for r in rows[1::2]] == list(range(1, 201))
    logged = [r for r in rows if "L5.ics_cos" in r]
    assert [r["step"] for r in logged] == [s for s in range(10, 201, 10) for _ in (0, 1)]
    assert all((r["L1.ics_l2"], r["L1.ics_cos"]) == (0.0, 1.0) for r in logged)
    assert all(-1 <= r["L5.ics_cos"] <= 1 and r["L5.ics_l2"] >= 0 for r in logged)


def test_run_compare_key_value_and_refusals(tmp_path, capsys) -> None:
    out = tmp_path / "m.jsonl"
    argv = ["run", "--compare", "lr=0.5", "--steps", "20", "--quiet", "--metrics", str(out)]
    assert main(argv) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["twin"] for r in rows} == {"lr=0.1", "lr=0.5"}
    capsys.readouterr()
    assert main(["run", "--compare", "width=8", "--steps", "5", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bntui: error: compare width: not supported") and err.count("\n") == 1
    assert main(["run", "--compare", "bn", "--no-bn", "--steps", "5", "--quiet"]) == 0
    assert main(["run", "--ics-every", "0", "--steps", "5", "--quiet"]) == 2


def test_run_compare_csv_has_a_twin_column(tmp_path, capsys) -> None:
    out = tmp_path / "m.csv"
    argv = ["run", "--compare", "--steps", "10", "--quiet", "--metrics", str(out)]
    assert main(argv) == 0
    lines = out.read_text().splitlines()
    assert "twin" in lines[0].split(",")
    col = lines[0].split(",").index("twin")
    assert [line.split(",")[col] for line in lines[1:5]] == ["bn", "plain", "bn", "plain"]


# --------------------------------------------------------------------------- headless
def test_twin_metric_names() -> None:
    for ok in ("twin:val_acc", "twin:L2.grad_norm", "L5.ics_cos", "L33.ics_l2", "beta_smooth"):
        check_metric(ok)
    for bad in ("twin:nope", "L33.grad_norm", "L34.ics_cos"):
        with pytest.raises(ValueError):
            check_metric(bad)
    rec = {"step": 3, "loss": 0.5, "L2.ics_cos": 0.9, "layers": [{"std": 1.0}, {"std": 2.0}]}
    entry = twin_entry({**rec, "loss": 0.7})
    assert metric_of(rec, "L2.ics_cos") == 0.9 and metric_of(rec, "L2.std") == 2.0
    assert metric_of(entry, "twin:loss") == 0.7 and metric_of(entry, "loss") is None
    assert metric_of(rec, "twin:loss") is None
    assert list(unwrapped([rec, entry])) == [rec, {**rec, "loss": 0.7}]


LESSON = """
title = "t"
[config]
compare = "bn"
samples = 300
depth = 3
width = 16
stats_every = 10
ics_every = 5
steps = 40

[[event]]
at = 40
window = 40
expect = { loss = "< 5", "twin:loss" = "< 5", "twin:L4.ics_cos" = "<= 1", "L2.ics_l2" = ">= 0" }
"""


def test_headless_lesson_measures_each_twin_apart(tmp_path) -> None:
    path = tmp_path / "l.toml"
    path.write_text(LESSON)
    result = run_script(parse_script(LESSON, str(path)))
    assert result.passed, [str(c.check) for c in result.failed]
    measured = {c.check.metric: c.measured for c in result.checks}
    pair = result.pair
    bn, plain = (s for s in pair.sessions)
    # each twin's window mean from its own records: recompute from a solo run of each
    own = Session(Config(**{**BASE, "steps": 40, "stats_every": 10}))
    mine = [own.step()["loss"] for _ in range(40)]
    assert math.isclose(measured["loss"], sum(mine) / 40, rel_tol=1e-12)
    other = Session(Config(**{**BASE, "steps": 40, "stats_every": 10, "bn": False}))
    theirs = [other.step()["loss"] for _ in range(40)]
    assert math.isclose(measured["twin:loss"], sum(theirs) / 40, rel_tol=1e-12)
    assert measured["loss"] != measured["twin:loss"]
    assert bn.step_count == plain.step_count == 40
    assert len(result.records) == 80
    assert {r.get("twin") for r in unwrapped(result.records)} == {"bn", "plain"}


def test_a_runner_over_a_trained_pair_shows_that_pair(tmp_path) -> None:
    # headless screenshots draw result.pair: its twin, not a fresh fork of the primary
    path = tmp_path / "l.toml"
    path.write_text(LESSON)
    result = run_script(parse_script(LESSON, str(path)))
    frame = Runner(result.pair, threaded=False).frame(Needs())
    assert frame.twin is not None
    assert frame.twin.loss_last == result.pair.twin.last_record["loss"]
    assert frame.loss_last == result.session.last_record["loss"] != frame.twin.loss_last
    solo_again = Pair(result.session)  # a Session alone stays alone, whatever its config
    assert solo_again.twin is None and solo_again.session is result.session


def test_ics_right_after_an_eval_pass_on_read_only_data() -> None:
    # found by the property test: the eval pass leaves a read-only view of x_val cached
    s = Session(cfg(depth=0, width=1, eval_every=3, stats_every=1, ics_every=1, smooth_every=1))
    recs = [s.step() for _ in range(8)]
    assert all("L1.ics_cos" in r and "beta_smooth" in r for r in recs)
    again = Session(cfg(depth=0, width=1, eval_every=3, stats_every=1))
    plain = [again.step() for _ in range(8)]
    assert [r["loss"] for r in recs] == [r["loss"] for r in plain]
