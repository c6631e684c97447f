"""Twins (compare mode): shared streams, lockstep, each twin equal to its solo run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bntui.export import dumps_record
from bntui.training.commands import CommandError
from bntui.training.config import Config
from bntui.training.session import Session
from bntui.training.twins import (
    Difference,
    MeasuredSession,
    Twins,
    diagnostic_fields,
    parse_compare,
)

BASE = dict(samples=300, steps=60, eval_every=20, stats_every=10, depth=3, width=16)


def cfg(**kw: object) -> Config:
    return Config(**{**BASE, **kw})  # type: ignore[arg-type]


def solo(config: Config, steps: int, schedule=()) -> list[str]:
    """A solo Session's records (as JSON lines), commands applied at their steps."""
    s = Session(config)
    pending = list(schedule)
    out = []
    while s.step_count < steps and not (s.diverged or s.stopped_early):
        while pending and pending[0][0] <= s.step_count:
            s.apply(pending.pop(0)[1])
        out.append(dumps_record(s.step()))
    return out


def lockstep(tw: Twins, steps: int, schedule=()) -> dict[str, list[str]]:
    """Each twin's records (labelled at the time), without the "twin" field."""
    pending = list(schedule)
    out: dict[str, list[str]] = {"primary": [], "twin": []}
    for _ in range(steps):
        while pending and pending[0][0] <= tw.step_count:
            tw.apply(pending.pop(0)[1])
        labels = tw.labels
        for rec in tw.step():
            which = "primary" if rec["twin"] == labels[0] else "twin"
            assert list(rec)[:2] == ["step", "twin"]
            out[which].append(dumps_record({k: v for k, v in rec.items() if k != "twin"}))
    return out


def linear_weights(s: Session) -> list[np.ndarray]:
    return [b.linear.W.data for b in s.model.blocks] + [s.model.head.W.data]


def spy_batches(s: Session) -> list[np.ndarray]:
    seen: list[np.ndarray] = []
    pick = s._next_batch

    def spy() -> np.ndarray:
        idx = pick()
        seen.append(idx.copy())
        return idx

    s._next_batch = spy  # type: ignore[method-assign]
    return seen


# --------------------------------------------------------------------------- same start
@pytest.mark.parametrize("bn", [True, False])
def test_bn_twins_start_with_identical_linear_weights(bn: bool) -> None:
    tw = Twins(cfg(bn=bn))
    assert tw.primary.config.bn is bn and tw.twin.config.bn is (not bn)
    assert tw.labels == (("bn", "plain") if bn else ("plain", "bn"))
    for a, b in zip(linear_weights(tw.primary), linear_weights(tw.twin), strict=True):
        assert a.tobytes() == b.tobytes()


def test_init_twins_share_the_normal_draws() -> None:
    tw = Twins(cfg(init="std:1"), "init std:0.01")
    assert tw.labels == ("init=std:1", "init=std:0.01")
    for a, b in zip(linear_weights(tw.primary), linear_weights(tw.twin), strict=True):
        np.testing.assert_allclose(b, a * 0.01, rtol=1e-6)
        assert not np.array_equal(a, b)


@pytest.mark.parametrize("difference", ["", "dropout 0.5", "activation tanh", "lr 0.5"])
def test_identical_batches_and_dropout_draws(difference: str) -> None:
    tw = Twins(cfg(dropout=0.3, eval_every=1000), difference)  # eval passes clear masks
    seen = [spy_batches(s) for s in tw.sessions]
    masks: list[list[tuple[np.ndarray, np.ndarray]]] = []
    for _ in range(40):
        tw.step()
        pairs = [
            (a.dropout.mask.copy(), b.dropout.mask.copy())
            for a, b in zip(tw.primary.model.blocks, tw.twin.model.blocks, strict=True)
        ]
        masks.append(pairs)
    assert len(seen[0]) == len(seen[1]) == 40
    for a, b in zip(*seen, strict=True):
        np.testing.assert_array_equal(a, b)
    for pairs in masks:
        for ma, mb in pairs:
            if difference.startswith("dropout"):
                # the same uniforms u, kept where u >= p: p = 0.5 keeps a subset of p = 0.3
                assert np.all((mb > 0) <= (ma > 0)) and (mb > 0).sum() < (ma > 0).sum()
            else:
                assert ma.tobytes() == mb.tobytes()


# --------------------------------------------------------------------------- solo equality
@pytest.mark.parametrize(
    ("config", "difference"),
    [
        (cfg(bn=True), ""),
        (cfg(bn=False, activation="sigmoid"), ""),
        (cfg(dropout=0.2), "lr 0.5"),
        (cfg(), "activation tanh"),
        (cfg(bn=False), "init std:0.01"),
        (cfg(), "dropout 0.3"),
        (cfg(optimizer="momentum"), "optimizer adam"),
        (cfg(), "norm ln"),
        (cfg(bn=False), "norm gn:2"),
        (cfg(), "norm noisy-bn"),
        (cfg(norm="ln"), "norm none"),
    ],
)
def test_each_twin_trains_exactly_as_its_solo_run(config: Config, difference: str) -> None:
    tw = Twins(config, difference)
    got = lockstep(tw, 60)
    assert got["primary"] == solo(config, 60)
    assert got["twin"] == solo(Difference.parse(difference).twin_config(config), 60)
    assert got["primary"] != got["twin"]


def test_records_carry_the_twin_labels() -> None:
    recs = Twins(cfg(), "lr 0.5").step()
    assert [(r["step"], r["twin"]) for r in recs] == [(1, "lr=0.1"), (1, "lr=0.5")]
    recs = Twins(cfg(bn=False)).step()
    assert [r["twin"] for r in recs] == ["plain", "bn"]


# --------------------------------------------------------------------------- commands
SCHEDULE = [
    (10, "depth +1"),
    (15, "lr *2"),
    (20, "activation tanh"),
    (25, "dropout 0.1"),
    (30, "width *2"),
    (35, "mark half way"),
    (40, "reset"),
    (45, "optimizer momentum"),
    (50, "weight-decay 0.001"),
]


@pytest.mark.parametrize("difference", ["", "bn-position after", "init xavier"])
def test_every_command_applies_to_both(difference: str) -> None:
    config = cfg(dropout=0.0)
    tw = Twins(config, difference)
    got = lockstep(tw, 60, SCHEDULE)
    assert got["primary"] == solo(config, 60, SCHEDULE)
    assert got["twin"] == solo(Difference.parse(difference).twin_config(config), 60, SCHEDULE)
    for s in tw.sessions:
        c = s.config
        assert (c.depth, c.width, c.activation, c.dropout, c.lr) == (4, 32, "tanh", 0.1, 0.2)
        assert [cmd for _, cmd in s.log] == [cmd for _, cmd in SCHEDULE]
    if difference == "":  # depth/width/reset drew the same numbers for both twins
        for a, b in zip(linear_weights(tw.primary), linear_weights(tw.twin), strict=False):
            assert a.shape == b.shape
    assert tw.differ


@pytest.mark.parametrize("difference", ["", "lr 0.3"])
def test_seed_dataset_and_batch_size_apply_to_both(difference: str) -> None:
    schedule = [(10, "seed 7"), (20, "dataset moons"), (30, "batch-size *2"), (40, "bn toggle")]
    config = cfg()
    tw = Twins(config, difference)
    got = lockstep(tw, 50, schedule)
    twin_schedule = schedule if difference else [*schedule[:3], (40, "bn on")]
    assert got["primary"] == solo(config, 50, schedule)
    assert got["twin"] == solo(Difference.parse(difference).twin_config(config), 50, twin_schedule)
    assert [s.config.seed for s in tw.sessions] == [7, 7]
    assert [s.config.dataset for s in tw.sessions] == ["moons", "moons"]


def test_a_refused_command_changes_neither_twin() -> None:
    tw = Twins(cfg(depth=32, width=4))
    with pytest.raises(CommandError):
        tw.apply("depth +1")
    assert [s.config.depth for s in tw.sessions] == [32, 32]
    assert [len(s.log) for s in tw.sessions] == [0, 0]


def test_bn_commands_keep_the_bn_twins_opposite() -> None:
    tw = Twins(cfg(bn=True))
    _, twin_event = tw.apply("bn toggle")
    assert (tw.primary.config.bn, tw.twin.config.bn) == (False, True)
    assert twin_event is not None and twin_event.text == "BN on"
    _, twin_event = tw.apply("bn off")  # the primary is off already; the twin stays on
    assert twin_event is None and (tw.primary.config.bn, tw.twin.config.bn) == (False, True)
    assert tw.differ and tw.labels == ("plain", "bn")


def test_norm_commands_keep_the_bn_twins_opposite_and_named() -> None:
    # issue 20: after c then N both twins were "bn" (the twin's own `norm next` gave it BN)
    tw = Twins(cfg(bn=True))
    _, twin_event = tw.apply("norm next")  # bn -> ln: the twin stays plain
    assert twin_event is None
    assert [s.config.normalization for s in tw.sessions] == ["ln", "none"]
    assert tw.differ and tw.labels == ("ln", "plain")
    tw.apply("norm next")
    assert tw.labels == ("gn:4", "plain")
    _, twin_event = tw.apply("norm none")  # the primary has none now: the twin gets BN
    assert twin_event is not None and twin_event.text == "BN on"
    assert [s.config.normalization for s in tw.sessions] == ["none", "bn"]
    assert tw.differ and tw.labels == ("plain", "bn")
    _, twin_event = tw.apply("norm brn")
    assert twin_event is not None and twin_event.text == "BN off"
    assert tw.labels == ("brn", "plain")


def test_a_command_on_the_compared_value_changes_the_primary_only() -> None:
    tw = Twins(cfg(lr=0.1), "lr 0.5")
    _, twin_event = tw.apply("lr *2")
    assert twin_event is None
    assert (tw.primary.config.lr, tw.twin.config.lr) == (0.2, 0.5)
    tw.apply("lr 0.5")
    assert not tw.differ


def test_a_diverging_twin_stops_and_the_other_goes_on() -> None:
    config = cfg(bn=True, lr=50.0, activation="relu", eval_every=1000)
    tw = Twins(config)
    records = list(tw.run(60))
    by = {label: [r for r in records if r["twin"] == label] for label in tw.labels}
    assert tw.twin.diverged and not tw.primary.diverged
    assert len(by["bn"]) == 60 > len(by["plain"])
    assert "diverged" in tw.status() and "step 60" in tw.status()
    plain = solo(tw.twin.initial_config, 60)
    assert [dumps_record({k: v for k, v in r.items() if k != "twin"}) for r in by["plain"]] == plain


# --------------------------------------------------------------------------- the difference
@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("", "bn", False),
        ("bn", "bn", False),
        ("bn off", "bn", False),
        ("lr 0.5", "lr", 0.5),
        ("lr *5", "lr", 0.5),
        ("activation relu", "activation", "relu"),
        ("dropout 0.3", "dropout", 0.3),
        ("init std:0.01", "init", "std:0.01"),
        ("max-norm off", "max-norm", None),
        ("wd 0.01", "weight-decay", 0.01),
    ],
)
def test_difference_parse(text: str, key: str, value: object) -> None:
    d = Difference.parse(text)
    assert d.key == key
    twin = d.twin_config(Config(activation="tanh", max_norm=2.0))
    assert getattr(twin, d.field) == value


@pytest.mark.parametrize("text", ["depth 3", "width 8", "batch-size 32", "seed 3", "dataset moons"])
def test_unsupported_keys_say_why(text: str) -> None:
    with pytest.raises(CommandError, match="not supported"):
        Difference.parse(text)


@pytest.mark.parametrize("text", ["reset", "frobnicate 3", "lr -1", "activation next"])
def test_bad_differences(text: str) -> None:
    with pytest.raises(CommandError):
        Difference.parse(text)


@pytest.mark.parametrize("text", ["lr 0.1", "bn on", "activation relu", "dropout 0"])
def test_a_twin_that_would_not_differ_is_refused(text: str) -> None:
    config = cfg(lr=0.1, bn=True, activation="relu", dropout=0.0)
    with pytest.raises(CommandError, match="identical"):
        Twins(config, text)
    with pytest.raises(CommandError, match="identical"):
        Twins.fork(Session(config), text)


def test_norm_twins_share_linear_weights_and_name_their_norms() -> None:
    tw = Twins(cfg(), "norm gn")
    assert tw.labels == ("norm=bn", "norm=gn:4") and tw.differ
    assert tw.twin.config.normalization == "gn:4"
    for a, b in zip(linear_weights(tw.primary), linear_weights(tw.twin), strict=True):
        assert a.tobytes() == b.tobytes()
    with pytest.raises(CommandError, match="identical"):
        Twins(cfg(norm="gn:4"), "norm gn")  # gn is gn:4
    with pytest.raises(CommandError, match="identical"):
        Twins(cfg(bn=False), "norm none")  # BN off is no normalization
    with pytest.raises(CommandError, match="groups"):
        Twins(cfg(), "norm gn:5")  # 5 groups do not divide 16 units


def test_a_twin_value_the_config_refuses() -> None:
    with pytest.raises(CommandError, match="compare dropout"):
        Twins(cfg(dropout=0.5), "dropout *2")


# --------------------------------------------------------------------------- fork
def replay(config: Config, log: list[tuple[int, str]], steps: int) -> list[str]:
    return solo(config, steps, log)


@pytest.mark.parametrize(
    ("difference", "optimizer"),
    [
        ("", "momentum"),
        ("", "adam"),
        ("lr 0.3", "momentum"),
        ("init std:0.1", "sgd"),
        ("norm ln", "momentum"),
    ],
)
def test_fork_mid_session_twin_is_the_replay_of_its_log(difference: str, optimizer: str) -> None:
    config = cfg(optimizer=optimizer, dropout=0.1)
    s = Session(config)
    early = [dumps_record(s.step()) for _ in range(25)]
    tw = Twins.fork(s, difference)
    assert tw.primary is s
    if difference != "init std:0.1":
        # Linear weights copied from the primary
        for a, b in zip(linear_weights(tw.primary), linear_weights(tw.twin), strict=True):
            assert a.tobytes() == b.tobytes()
    later = lockstep(tw, 35)
    assert replay(config, tw.primary.log, 60) == early + later["primary"]
    assert replay(config, tw.twin.log, 60) == early + later["twin"]
    assert later["primary"] != later["twin"]


# --------------------------------------------------------------------------- ICS logging
def test_measured_session_logs_every_k_steps_and_trains_as_a_session() -> None:
    config = cfg(depth=2, dropout=0.2)
    m = MeasuredSession(config, ics_every=5, smooth_every=10)
    records = [m.step() for _ in range(20)]
    ics_keys = [f"L{i}.{k}" for i in (1, 2, 3) for k in ("ics_l2", "ics_cos")]
    smooth_keys = ["landscape_lo", "landscape_hi", "grad_pred", "beta_smooth"]
    for r in records:
        assert all((k in r) == (r["step"] % 5 == 0) for k in ics_keys)
        assert all((k in r) == (r["step"] % 10 == 0) for k in smooth_keys)
    r = records[9]
    assert (r["L1.ics_l2"], r["L1.ics_cos"]) == (0.0, 1.0)
    assert r["L3.ics_l2"] > 0 and -1 <= r["L3.ics_cos"] <= 1
    assert r["landscape_lo"] <= r["landscape_hi"] and r["beta_smooth"] > 0
    assert m.history.view("L2.ics_cos") is not None
    plain = solo(config, 20)
    drop = set(ics_keys + smooth_keys)
    assert [dumps_record({k: v for k, v in r.items() if k not in drop}) for r in records] == plain


def test_diagnostic_fields_only_when_due() -> None:
    s = Session(cfg())
    x, y = s.data.x_train[:32], s.data.y_train[:32]
    assert diagnostic_fields(s.model, x, y, 0.1, step=7, ics_every=5, smooth_every=5) == {}
    got = diagnostic_fields(s.model, x, y, 0.1, step=10, ics_every=5)
    assert sorted(got) == sorted(f"L{i}.ics_{k}" for i in range(1, 5) for k in ("l2", "cos"))
    assert all(math.isfinite(v) for v in got.values())


def test_twins_log_diagnostics_for_both() -> None:
    tw = Twins(cfg(), ics_every=4)
    recs = [r for _ in range(8) for r in tw.step()]
    assert [r["twin"] for r in recs if "L2.ics_l2" in r] == ["bn", "plain", "bn", "plain"]


def test_parse_compare() -> None:
    assert parse_compare("off") is None and parse_compare(" OFF ") is None
    assert parse_compare("on") == parse_compare("") == Difference()
    assert parse_compare("lr 0.5") == Difference("lr", "0.5")
    with pytest.raises(CommandError, match="not supported"):
        parse_compare("width 8")


# --------------------------------------------------------------------------- bench smoke
def test_bench_diagnostics_runs() -> None:
    """bench/diagnostics.py end to end, briefly (a smoke test: no timing assertions)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "bench" / "diagnostics.py"

    def run(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, str(script), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    proc = run("--nets", "a", "--repeats", "1", "--seconds", "0.05")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines()[1].startswith("a 2-4x32-3 relu b64")
    proc = run("ics", "--seeds", "1", "--steps", "40", "--every", "20", "--depth", "2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[1].startswith("seed 0 bn") and lines[2].startswith("seed 0 plain")
    assert "n=2 " in lines[1]
    assert run("--nets", "z").returncode == 2
