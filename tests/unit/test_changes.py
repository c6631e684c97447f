"""What-changed lines (bntui.live.changes), the dead-layer hint, stale statistics, no-op notes."""

from __future__ import annotations

import math

from bntui.i18n.ko import KO
from bntui.live.changes import Tracker, dead_hint, summarize
from bntui.live.frame import Needs
from bntui.live.runner import Runner
from bntui.training.config import Config

TINY = Config(samples=120, depth=2, width=8, seed=4)


def test_summary_names_the_layers_that_moved_most_by_hand_values() -> None:
    before = {1: {"std": 0.5, "grad_norm": 1e-6, "sat": 0.0}, 2: {"std": 0.46, "grad_norm": 1e-3}}
    after = {1: {"std": 0.6, "grad_norm": 8e-3, "sat": 0.0}, 2: {"std": 1.0, "grad_norm": 2e-3}}
    # σ: L2 moved by log10(1/0.46) = 0.34 > L1's log10(0.6/0.5) = 0.08; |∇W|: L1 ×8000
    assert str(summarize("BN on", before, after)) == "BN on: L2 σ 0.46→1.00, |∇W| L1 ×8000"


def test_summary_dead_share_new_layers_and_nothing_moved() -> None:
    before = {1: {"std": 1.0, "grad_norm": 1.0, "sat": 0.05}}
    after = {1: {"std": 1.0, "grad_norm": 0.01, "sat": 1.0}, 2: {"std": 1.0}}
    line = summarize("lr 5", before, after)
    assert str(line) == "lr 5: |∇W| L1 ÷100, sat/dead L1 5%→100%, new L2"
    same = {1: {"std": 1.0, "grad_norm": 1.0, "sat": 0.0}}
    assert "moved little" in str(summarize("x", same, same))


def test_summary_renders_in_korean_when_drawn() -> None:
    before = {1: {"std": 1.0, "grad_norm": 1.0, "sat": 0.05}}
    after = {1: {"std": 1.0, "grad_norm": 0.01, "sat": 1.0}, 2: {"std": 1.0}}
    line = summarize("lr 5", before, after)
    # the words are Msg, translated when drawn; the label and the numbers stay as they are
    korean = line.render(lambda key: KO.get(key, key))
    assert korean == "lr 5: |∇W| L1 ÷100, 포화/죽은 L1 5%→100%, 새 L2", korean
    assert str(line) == "lr 5: |∇W| L1 ÷100, sat/dead L1 5%→100%, new L2"  # still English


def test_tracker_closes_a_change_at_the_first_statistics_after_it() -> None:
    t = Tracker()
    t.applied(100, "bn on", "BN on", {1: {"std": 0.4}})
    t.applied(100, "caption hi", "hi", {})  # a note: not a change
    t.applied(100, "lr *2", "lr 0.1 → 0.2", {})  # same step: one change
    assert t.record({"step": 101, "loss": 1.0}) is None  # no statistics in it
    c = t.record({"step": 120, "layers": [{"std": 1.0}]})
    assert c is not None and c.after_step == 120 and c.commands == ("bn on", "lr *2")
    assert c.label == "BN on; lr 0.1 → 0.2" and str(c.summary).endswith("L1 σ 0.40→1.00")
    assert str(c.moves) == "L1 σ 0.40→1.00"
    assert t.record({"step": 150, "layers": [{"std": 1.0}]}) is None  # closed once


def test_runner_shows_the_change_after_bn_on() -> None:
    cfg = Config(samples=200, depth=3, width=16, activation="sigmoid", bn=False, seed=1)
    r = Runner(cfg, threaded=False)
    r.step(60)
    r.send("bn on")
    f = r.frame(Needs())
    assert f.change is None  # no statistics of the new setup yet
    assert all(v is None for la in f.layers for v in la.last.values())  # not the old ones
    r.step(cfg.stats_every)
    f = r.frame(Needs())
    step, line = f.change
    assert step == 90 and str(line).startswith("BN on: ") and "σ" in str(line)
    assert f.stats_step == 90 and all(la.last["std"] is not None for la in f.layers)


def test_dead_hint_at_ninety_percent() -> None:
    assert dead_hint("relu", [{"sat": 0.5}, {"sat": 0.89}]) is None
    hint = dead_hint("relu", [{"sat": 0.5}, {"sat": 1.0}, {"sat": 0.95}])
    assert hint is not None and str(hint).startswith("L2: 100% of units dead")
    assert "lr /2" in str(hint)
    assert dead_hint("sigmoid", [{"sat": 1.0}]) is None  # saturation is not death
    assert dead_hint("relu", [{"sat": math.nan}]) is None


def test_lr_5_kills_a_layer_and_the_frame_says_so() -> None:
    cfg = Config(samples=300, depth=4, width=32, seed=0)  # the issue's `:lr 5` case
    r = Runner(cfg, threaded=False)
    r.step(300)
    r.send("lr 5")
    r.step(300)
    f = r.frame(Needs())
    dead = [la.last["sat"] for la in f.layers]
    # measured: L4 100 % dead (kernel unset, Prescott), 94 % (Sandybridge); L1-L3 ≤ 31 %
    assert dead[3] >= 0.9 and max(dead[:3]) < 0.5
    assert f.hint is not None and str(f.hint).startswith(f"L4: {dead[3]:.0%} of units dead")


def test_bn_position_while_bn_off_says_it_did_nothing() -> None:
    r = Runner(Config(samples=120, depth=2, width=8, bn=False, seed=4), threaded=False)
    r.step(30)
    r.send("bn-position toggle")
    f = r.frame(Needs())
    assert f.message is not None and "no effect while BN is off" in f.message
    event = f.events[-1]  # typed: the handler said so, no substring needed
    assert event.no_effect and event.kind == "bn-position"
    assert "no_effect" not in event.to_dict()  # events.jsonl keeps its four fields
    assert f.layers[0].last["std"] is not None  # nothing changed: the statistics still hold
    assert r.tracker.pending is None


def test_first_frames_have_no_statistics_not_nan() -> None:
    r = Runner(TINY, threaded=False)
    r.step(TINY.stats_every - 1)
    f = r.frame(Needs())
    assert f.stats_step is None
    assert all(v is None for la in f.layers for v in la.last.values())


def test_parse_speed() -> None:
    import argparse

    import pytest

    from bntui.cli.parser import build_parser, parse_speed

    assert parse_speed("max") is None and parse_speed("50") == 50.0
    for bad in ("0", "-3", "fast", "2e6"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_speed(bad)
    args = build_parser().parse_args(["tui"])
    assert args.speed == 50.0  # the live default pace
    assert build_parser().parse_args(["tui", "--speed", "max"]).speed is None
    assert build_parser().parse_args(["replay", "x"]).speed is False  # not given
